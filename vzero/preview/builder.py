"""PreviewBuilder: bundle a version's files into a page that runs in a browser, with no network at run time."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import logging
import posixpath
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from vzero.errors import InvalidInput, PreviewUnavailable
from vzero.preview.cache import ResultCache, safe_asset_name
from vzero.preview.packages import PackagePolicy, PackageStore
from vzero.preview.page import PAGE_FORMAT, render_page, script_hash, vite_shell
from vzero.preview.resolver import Linked, PackageResolver, Progress, app_ranges
from vzero.preview.result import BuildError, BuildResult
from vzero.preview.runtime import BUNDLER_DIR, SHIMS_DIR, ensure_runtime, lock_digest, runtime_dir_for
from vzero.preview.worker import REQUEST_TIMEOUT, BundleWorker, WorkerDied

log = logging.getLogger(__name__)

# Never decoded as text: sent to the bundler as bytes (it inlines them as data: URLs when imported).
_BINARY_EXTS = frozenset(
    [
        ".png", ".jpg", ".jpeg", ".gif", ".webp", ".avif", ".ico", ".bmp", ".woff", ".woff2", ".ttf", ".otf", ".eot", ".mp3", ".mp4",
        ".webm", ".wav", ".ogg", ".pdf", ".zip",
    ]
)
# Names the page itself uses: a public/ file of the same name does not replace them.
_RESERVED = frozenset({"index.html", "app.js", "app.css", "app.js.map", "__errors"})
_PRELOAD_LIMIT = 200
_RECHECK = 10.0  # seconds a cached page's package bundles are trusted to be on disk without looking


class PackagesInstalling(PreviewUnavailable):
    """The build waits for packages to be installed from the registry (first use of those versions)."""

    def __init__(self, packages: list[str]) -> None:
        shown = ", ".join(packages[:8]) + (f" and {len(packages) - 8} more" if len(packages) > 8 else "")
        super().__init__(f"Installing {shown} from the npm registry for this preview (first use only); it shows as soon as they are ready")
        self.packages = packages


def _fingerprint() -> str:
    """Everything besides the files that shapes a build: pinned packages, bundler, shims, how packages are linked."""
    digest = hashlib.sha256(f"page:{PAGE_FORMAT}\0lock:{lock_digest()}\0".encode())
    here = Path(__file__).resolve().parent
    paths = [*sorted(BUNDLER_DIR.iterdir()), *sorted(SHIMS_DIR.iterdir()), here / "resolver.py", here / "fonts.py", here / "page.py"]
    for path in paths:
        if path.is_file():
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _clean_path(path: str) -> str:
    if not isinstance(path, str) or "\\" in path or "\0" in path:
        raise InvalidInput(f"file path {path!r} must be text with forward slashes")
    parts = [p for p in path.split("/") if p not in ("", ".")]
    if not parts:
        raise InvalidInput(f"file path {path!r} names no file")
    if ".." in parts:
        raise InvalidInput(f"file path {path!r} leaves the app folder")
    return "/".join(parts)


def clean_files(files: Mapping[str, bytes | str]) -> dict[str, bytes]:
    """Files keyed by normalised relative path; refuses paths that escape the app folder."""
    if not isinstance(files, Mapping):
        raise InvalidInput("files must map paths to contents")
    clean: dict[str, bytes] = {}
    for path, content in files.items():
        name = _clean_path(path)
        if isinstance(content, str):
            content = content.encode()
        elif isinstance(content, (bytearray, memoryview)):
            content = bytes(content)
        elif not isinstance(content, bytes):
            raise InvalidInput(f"file {name!r} must have bytes or text content")
        clean[name] = content
    return clean


def _wire(files: Mapping[str, bytes]) -> dict[str, Any]:
    """Files as the worker takes them: UTF-8 text as strings, anything else as {"base64": ...}."""
    out: dict[str, Any] = {}
    for name, content in files.items():
        if posixpath.splitext(name)[1].lower() not in _BINARY_EXTS:
            try:
                out[name] = content.decode("utf-8").removeprefix("\ufeff")
                continue
            except UnicodeDecodeError:
                pass
        out[name] = {"base64": base64.b64encode(content).decode()}
    return out


def _error(raw: Mapping[str, Any]) -> BuildError:
    return BuildError(
        message=str(raw.get("text") or "unknown error"),
        file=raw.get("file") or None,
        line=raw.get("line"),
        column=raw.get("column"),
        text=raw.get("lineText") or None,
    )


class PreviewBuilder:
    """Builds previews in a long-lived node worker; identical inputs are built once (memory + disk cache).

    Packages an app needs beyond the pinned runtime are installed on demand into `packages_dir` (shared by
    every app; by default beside the runtime) under `policy`.
    """

    def __init__(
        self,
        data_dir: Path,
        *,
        runtime_dir: Path | None = None,
        memory_entries: int = 64,
        disk_entries: int = 500,
        request_timeout: float = REQUEST_TIMEOUT,
        packages_dir: Path | None = None,
        policy: PackagePolicy | None = None,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.runtime_dir = runtime_dir_for(self.data_dir, runtime_dir)
        self.cache = ResultCache(self.data_dir / "previews", memory_entries=memory_entries, disk_entries=disk_entries)
        self.worker = BundleWorker(self.runtime_dir, request_timeout=request_timeout)
        self._fingerprint = _fingerprint()
        self.packages = PackageStore(Path(packages_dir) if packages_dir is not None else self.runtime_dir / "packages", policy)
        self.resolver = PackageResolver(self.packages, self.runtime_dir, self._bundle_request, self._fingerprint)
        self._inflight: dict[str, asyncio.Task[BuildResult]] = {}
        self._progress: dict[str, Progress] = {}
        self._checked: dict[str, float] = {}  # digest -> when its package bundles were last seen on disk
        self._runtime_ready = False

    @property
    def packages_dir(self) -> Path:
        return self.packages.root

    def digest(self, files: Mapping[str, bytes | str], env: Mapping[str, str] | None = None) -> str:
        """The cache key of these inputs: a hash of the files' paths and contents, public env and the runtime."""
        return self._digest(clean_files(files), env)

    def _digest(self, files: Mapping[str, bytes], env: Mapping[str, str] | None) -> str:
        h = hashlib.sha256(b"vzero-preview\0" + self._fingerprint.encode() + b"\0")
        h.update(json.dumps(sorted((env or {}).items())).encode() + b"\0")
        for name in sorted(files):
            content = files[name]
            h.update(f"{name}\0{len(content)}\0".encode())
            h.update(content)
        return h.hexdigest()

    async def prepare(self) -> None:
        """Install the runtime and start the worker (building the vendor bundle if needed) before the first build."""
        await self._ensure_runtime()
        await self._start_worker()

    async def _ensure_runtime(self) -> None:
        if not self._runtime_ready:
            await ensure_runtime(self.data_dir, runtime_dir=self.runtime_dir)
            self._runtime_ready = True

    async def _start_worker(self) -> None:
        info = await self.worker.start()
        self.resolver.configure(info.get("pinned") or {}, list(info.get("vendored") or []))

    def _usable(self, result: BuildResult | None) -> BuildResult | None:
        """A cached result, unless a package bundle its page loads was evicted since (then it is built again)."""
        if result is None or not result.bundles:
            return result
        now = time.monotonic()
        if now - self._checked.get(result.digest, -_RECHECK) < _RECHECK:
            return result  # every file of a page is asked for within moments: look at the disk once
        if all(self.resolver.bundle_exists(b) for b in result.bundles):
            self._checked[result.digest] = now
            if len(self._checked) > 4096:
                self._checked.clear()
            return result
        self._checked.pop(result.digest, None)
        return None

    async def cached(self, digest: str) -> BuildResult | None:
        """A stored result by digest (e.g. from a preview URL after a restart), without building."""
        return self._usable(self.cache.peek(digest) or await asyncio.to_thread(self.cache.get, digest))

    async def build(
        self,
        files: Mapping[str, bytes | str],
        *,
        key: str | None = None,
        env: Mapping[str, str] | None = None,
        wait: float | None = None,
    ) -> BuildResult:
        """Build (or fetch from the cache) the preview of `files`.

        `key` names a line of versions (e.g. the chat id): the worker keeps an incremental esbuild context
        per key, so the next version rebuilds only what changed. `env` may carry NEXT_PUBLIC_*/VITE_* values.
        A failed build is a result with `ok=False` and located errors, not an exception; PreviewUnavailable
        means the toolchain itself could not run. With `wait` (seconds), a build still installing packages
        after that long raises PackagesInstalling instead of waiting on; it goes on in the background.
        """
        clean = clean_files(files)
        public_env = {k: str(v) for k, v in (env or {}).items() if k.startswith(("NEXT_PUBLIC_", "VITE_"))}
        digest = self._digest(clean, public_env)
        hit = self._usable(self.cache.peek(digest))
        if hit is None:
            hit = self._usable(await asyncio.to_thread(self.cache.get, digest))
        if hit is not None:
            return hit
        task = self._inflight.get(digest)
        if task is None:
            self._progress[digest] = Progress()
            task = asyncio.create_task(self._build(clean, digest, key, public_env, self._progress[digest]))
            self._inflight[digest] = task

            def forget(_t: asyncio.Task[BuildResult]) -> None:
                self._inflight.pop(digest, None)
                self._progress.pop(digest, None)

            task.add_done_callback(forget)
        if wait is None:
            return await asyncio.shield(task)
        started = time.monotonic()
        while True:
            done, _ = await asyncio.wait({task}, timeout=0.1)
            if done:
                return task.result()
            progress = self._progress.get(digest)
            if progress is not None and progress.installing and time.monotonic() - started >= wait:
                raise PackagesInstalling(sorted(progress.installing))

    async def _build(self, files: dict[str, bytes], digest: str, key: str | None, env: dict[str, str], progress: Progress) -> BuildResult:
        started = time.perf_counter()
        await self._ensure_runtime()
        await self._start_worker()
        ranges = app_ranges(files)
        request = {"key": key, "files": _wire(files), "env": env, "npm": self.resolver.unusable_pinned(ranges)}
        try:
            answer = await self.worker.request("build", **request)
        except WorkerDied as exc:
            # One retry on a fresh process: a crash from something else must not fail this build.
            log.warning("preview worker died during a build, retrying once: %s", exc)
            answer = await self.worker.request("build", **request)
        linked = Linked()
        if answer.get("ok") and answer.get("externals"):
            linked = await self.resolver.link(list(answer["externals"]), ranges, progress)
        result = self._compose(answer, linked, files, digest, (time.perf_counter() - started) * 1000)
        if not result.transient:
            await asyncio.to_thread(self.cache.put, result)
        return result

    async def _bundle_request(self, **payload: Any) -> dict[str, Any]:
        return await self.worker.request("bundle", **payload)

    def _compose(self, answer: Mapping[str, Any], linked: Linked, files: Mapping[str, bytes], digest: str, ms: float) -> BuildResult:
        errors = [_error(e) for e in answer.get("errors") or []] + linked.errors
        warnings = [_error(w) for w in answer.get("warnings") or []]
        ok = bool(answer.get("ok")) and not errors
        kind = answer.get("kind", "?")
        lines = [f"{'built' if ok else 'failed'}: {kind} app, {len(files)} files, bundler {answer.get('durationMs', 0):.0f} ms"]
        if linked.bundles:
            lines.append(f"packages: {', '.join(b.rsplit('/', 1)[0] for b in linked.bundles)}")
        lines += [f"error: {e}" for e in errors]
        lines += [f"warning: {w}" for w in warnings]
        lines += [f"note: {n}" for n in linked.notes]
        assets: dict[str, bytes] = {}
        for name, content in files.items():
            if name.startswith("public/"):
                public = name[len("public/"):]
                if public not in _RESERVED and not public.startswith("vendor/") and safe_asset_name(public):
                    assets[public] = content
        if ok:
            assets["app.js"] = str(answer.get("js", "")).encode()
            if answer.get("map"):
                assets["app.js.map"] = str(answer["map"]).encode()
            if answer.get("css"):
                assets["app.css"] = str(answer["css"]).encode()
        shell = {"title": "Preview", "root_id": "root", "html_class": ""}
        if kind == "vite" and "index.html" in files:
            shell = vite_shell(files["index.html"].decode("utf-8", "replace"))
        import_map = linked.import_map() if ok else None
        preload = sorted({url for url in linked.imports.values() if url.startswith("./vendor/npm/")})[:_PRELOAD_LIMIT] if ok else []
        page = render_page(
            tailwind_css=str(answer.get("tailwind", "")) if ok else "",
            has_js=ok,
            has_css="app.css" in assets,
            errors=[{"message": e.message, "file": e.file, "line": e.line, "column": e.column, "text": e.text} for e in errors],
            import_map=import_map,
            preload=preload,
            tailwind_modules=bool(answer.get("tailwindModules")),
            **shell,
        )
        return BuildResult(
            ok=ok,
            html=page,
            assets=assets,
            errors=errors,
            log="\n".join(lines),
            duration_ms=ms,
            digest=digest,
            script_hashes=[script_hash(import_map)] if import_map else [],
            bundles=list(linked.bundles) if ok else [],
            transient=linked.transient,
        )

    def installing(self, digest: str) -> list[str]:
        """Packages the build of `digest` is waiting for, if it is running."""
        progress = self._progress.get(digest)
        return sorted(progress.installing) if progress is not None else []

    async def forget(self, key: str) -> None:
        """Drop the worker's incremental context for `key` (e.g. when a chat is deleted)."""
        if self.worker.pid is not None:
            await self.worker.request("dispose", key=key)

    async def aclose(self) -> None:
        """Stop the worker; cached results stay on disk."""
        for task in list(self._inflight.values()):
            task.cancel()
        await self.resolver.aclose()
        await self.packages.aclose()
        await self.worker.aclose()
