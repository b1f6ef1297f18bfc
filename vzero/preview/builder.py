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

from vzero.errors import InvalidInput
from vzero.preview.cache import ResultCache, safe_asset_name
from vzero.preview.page import PAGE_FORMAT, render_page, vite_shell
from vzero.preview.result import BuildError, BuildResult
from vzero.preview.runtime import SHIMS_DIR, WORKER_SCRIPT, ensure_runtime, lock_digest, runtime_dir_for
from vzero.preview.worker import REQUEST_TIMEOUT, BundleWorker, WorkerDied

log = logging.getLogger(__name__)

# Never decoded as text: sent to the bundler as bytes (it inlines them as data: URLs when imported).
_BINARY_EXTS = frozenset(
    [".png", ".jpg", ".jpeg", ".gif", ".webp", ".avif", ".ico", ".bmp", ".woff", ".woff2", ".ttf", ".otf", ".eot", ".mp3", ".mp4", ".webm", ".wav", ".ogg", ".pdf", ".zip"]
)
# Names the page itself uses: a public/ file of the same name does not replace them.
_RESERVED = frozenset({"index.html", "app.js", "app.css", "app.js.map", "__errors"})


def _fingerprint() -> str:
    """Everything besides the files that shapes a build: pinned packages, worker, shims, page format."""
    digest = hashlib.sha256(f"page:{PAGE_FORMAT}\0lock:{lock_digest()}\0".encode())
    digest.update(WORKER_SCRIPT.read_bytes())
    for shim in sorted(SHIMS_DIR.iterdir()):
        digest.update(shim.name.encode() + b"\0" + shim.read_bytes())
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
    """Builds previews in a long-lived node worker; identical inputs are built once (memory + disk cache)."""

    def __init__(
        self,
        data_dir: Path,
        *,
        runtime_dir: Path | None = None,
        memory_entries: int = 64,
        disk_entries: int = 500,
        request_timeout: float = REQUEST_TIMEOUT,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.runtime_dir = runtime_dir_for(self.data_dir, runtime_dir)
        self.cache = ResultCache(self.data_dir / "previews", memory_entries=memory_entries, disk_entries=disk_entries)
        self.worker = BundleWorker(self.runtime_dir, request_timeout=request_timeout)
        self._fingerprint = _fingerprint()
        self._inflight: dict[str, asyncio.Task[BuildResult]] = {}
        self._runtime_ready = False

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
        await self.worker.start()

    async def _ensure_runtime(self) -> None:
        if not self._runtime_ready:
            await ensure_runtime(self.data_dir, runtime_dir=self.runtime_dir)
            self._runtime_ready = True

    async def cached(self, digest: str) -> BuildResult | None:
        """A stored result by digest (e.g. from a preview URL after a restart), without building."""
        return self.cache.peek(digest) or await asyncio.to_thread(self.cache.get, digest)

    async def build(
        self,
        files: Mapping[str, bytes | str],
        *,
        key: str | None = None,
        env: Mapping[str, str] | None = None,
    ) -> BuildResult:
        """Build (or fetch from the cache) the preview of `files`.

        `key` names a line of versions (e.g. the chat id): the worker keeps an incremental esbuild context
        per key, so the next version rebuilds only what changed. `env` may carry NEXT_PUBLIC_*/VITE_* values.
        A failed build is a result with `ok=False` and located errors, not an exception; PreviewUnavailable
        means the toolchain itself could not run.
        """
        clean = clean_files(files)
        public_env = {k: str(v) for k, v in (env or {}).items() if k.startswith(("NEXT_PUBLIC_", "VITE_"))}
        digest = self._digest(clean, public_env)
        hit = self.cache.peek(digest)
        if hit is None:
            hit = await asyncio.to_thread(self.cache.get, digest)
        if hit is not None:
            return hit
        task = self._inflight.get(digest)
        if task is None:
            task = asyncio.create_task(self._build(clean, digest, key, public_env))
            self._inflight[digest] = task
            task.add_done_callback(lambda _t: self._inflight.pop(digest, None))
        return await asyncio.shield(task)

    async def _build(self, files: dict[str, bytes], digest: str, key: str | None, env: dict[str, str]) -> BuildResult:
        started = time.perf_counter()
        await self._ensure_runtime()
        wire = _wire(files)
        try:
            answer = await self.worker.request("build", key=key, files=wire, env=env)
        except WorkerDied as exc:
            # One retry on a fresh process: a crash from something else must not fail this build.
            log.warning("preview worker died during a build, retrying once: %s", exc)
            answer = await self.worker.request("build", key=key, files=wire, env=env)
        result = self._compose(answer, files, digest, (time.perf_counter() - started) * 1000)
        await asyncio.to_thread(self.cache.put, result)
        return result

    def _compose(self, answer: Mapping[str, Any], files: Mapping[str, bytes], digest: str, ms: float) -> BuildResult:
        errors = [_error(e) for e in answer.get("errors") or []]
        warnings = [_error(w) for w in answer.get("warnings") or []]
        ok = bool(answer.get("ok")) and not errors
        kind = answer.get("kind", "?")
        lines = [f"{'built' if ok else 'failed'}: {kind} app, {len(files)} files, bundler {answer.get('durationMs', 0):.0f} ms"]
        lines += [f"error: {e}" for e in errors]
        lines += [f"warning: {w}" for w in warnings]
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
        page = render_page(
            tailwind_css=str(answer.get("tailwind", "")) if ok else "",
            has_js=ok,
            has_css="app.css" in assets,
            errors=[{"message": e.message, "file": e.file, "line": e.line, "column": e.column, "text": e.text} for e in errors],
            **shell,
        )
        return BuildResult(ok=ok, html=page, assets=assets, errors=errors, log="\n".join(lines), duration_ms=ms, digest=digest)

    async def forget(self, key: str) -> None:
        """Drop the worker's incremental context for `key` (e.g. when a chat is deleted)."""
        if self.worker.pid is not None:
            await self.worker.request("dispose", key=key)

    async def aclose(self) -> None:
        """Stop the worker; cached results stay on disk."""
        for task in list(self._inflight.values()):
            task.cancel()
        await self.worker.aclose()
