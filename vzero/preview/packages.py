"""PackageStore: npm packages an app needs beyond the pinned runtime, installed on demand into a shared cache.

One install per package@version, shared by every app, build and vzero process that uses the same folder:

    <root>/meta/<name>.json                      compact registry metadata (versions, dist-tags, dependencies)
    <root>/pkgs/<name>@<version>/node_modules/<name>/   the extracted tarball, never written again
    <root>/bundles/<name>@<version>/<build>/     the package pre-bundled to ESM (see resolver.py), served by vzero

A tarball is downloaded from the configured registry, checked against its integrity hash and unpacked by vzero
itself: no npm process, so no install script can run, and no file can land outside its package folder. Names,
ranges and sizes are checked first; the cache is kept under a size limit by evicting what was used least recently.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import fnmatch
import gzip
import io
import json
import logging
import os
import shutil
import tarfile
import time
import uuid
import zlib
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vzero.preview import semver
from vzero.preview.registry import (
    PackageError,
    PackageNotFound,
    PackageRefused,
    Packument,
    Registry,
    RegistryUnreachable,
    Release,
    check_name,
    npm_config,
)

log = logging.getLogger(__name__)

_INSTALLED = ".vzero-installed.json"  # written last: its presence marks a complete install
_RECHECK_AFTER = 300.0  # a range no cached version satisfies is looked up again after this long
_KEEP_RECENT = 600.0  # packages used this recently are never evicted, even over the size limit
_TOUCH_EVERY = 60.0
_UNREACHABLE_FOR = 30.0  # an unreachable registry is not asked again for this long


@dataclass(frozen=True, slots=True)
class PackagePolicy:
    """What on-demand installs may do (VZERO_PREVIEW_NPM_* settings)."""

    installs: bool = True
    registry: str | None = None  # None: the registry the server's npm is configured for
    allow: tuple[str, ...] = ()  # name patterns ("@mui/*"); when given, only these may be installed
    deny: tuple[str, ...] = ()
    max_package_bytes: int = 256 * 1024 * 1024  # unpacked, per package
    max_tarball_bytes: int = 64 * 1024 * 1024
    max_files: int = 100_000  # per package
    cache_bytes: int = 4 * 1024 * 1024 * 1024
    timeout: float = 120.0  # seconds for one package's metadata, download and unpacking
    metadata_ttl: float = 6 * 3600.0  # how long registry metadata answers a range without asking again

    def refusal(self, name: str) -> str | None:
        """Why `name` may not be installed, or None."""
        if any(fnmatch.fnmatchcase(name, pattern) for pattern in self.deny):
            return f"{name} is on the deny list (VZERO_PREVIEW_NPM_DENY)"
        if self.allow and not any(fnmatch.fnmatchcase(name, pattern) for pattern in self.allow):
            return f"{name} is not on the allow list (VZERO_PREVIEW_NPM_ALLOW)"
        return None


def _safe(name: str) -> str:
    return name.replace("/", "%2f")


def _tree_bytes(path: Path) -> int:
    total = 0
    for root, _dirs, files in os.walk(path):
        for f in files:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(root, f)).st_size
    return total


class PackageStore:
    """The shared on-demand package cache: metadata, installs, eviction; safe across tasks and processes."""

    def __init__(self, root: Path, policy: PackagePolicy | None = None, *, registry: Registry | None = None) -> None:
        self.root = Path(root).resolve()
        self.policy = policy or PackagePolicy()
        self._registry = registry
        self._packuments: dict[str, Packument] = {}
        self._fetching: dict[str, asyncio.Task[Packument]] = {}
        self._installing: dict[str, asyncio.Task[Path]] = {}
        self._choices: dict[tuple[str, str], tuple[str, float]] = {}
        self._touched: dict[str, float] = {}
        self._pruning: asyncio.Task[list[str]] | None = None
        self._unreachable: tuple[float, str] | None = None  # until when the registry is taken as down, and why
        self.installs = 0  # packages this process downloaded and unpacked (tests, diagnostics)
        self.fetches = 0  # registry metadata documents fetched

    # --- where things are ---------------------------------------------------------------------------------------
    @property
    def registry(self) -> Registry:
        if self._registry is None:
            p = self.policy
            npm = npm_config()
            self._registry = Registry(
                p.registry or npm.registry, timeout=p.timeout, max_tarball_bytes=p.max_tarball_bytes, npm=npm
            )
        return self._registry

    @property
    def registry_url(self) -> str:
        return self._registry.url if self._registry is not None else (self.policy.registry or npm_config().registry)

    def package_dir(self, name: str, version: str) -> Path:
        """The folder whose node_modules/<name> holds the unpacked package."""
        return self.root / "pkgs" / f"{name}@{version}"

    def bundle_root(self, name: str, version: str) -> Path:
        return self.root / "bundles" / f"{name}@{version}"

    def is_installed(self, name: str, version: str) -> bool:
        return (self.package_dir(name, version) / _INSTALLED).is_file()

    @property
    def installing(self) -> list[str]:
        """The package@versions being installed right now, by this process."""
        return sorted(key for key, task in self._installing.items() if not task.done())

    # --- metadata and versions ----------------------------------------------------------------------------------
    def check(self, name: str, spec: str | None) -> None:
        """PackageRefused for a name or range no install may use (whatever the registry holds)."""
        check_name(name)
        if (why := self.policy.refusal(name)) is not None:
            raise PackageRefused(why)
        if spec is not None:
            try:
                semver.check_spec(spec)
            except semver.InvalidRange:
                raise PackageRefused(
                    f"{name}: {spec[:80]!r} is not a version range or dist-tag (URLs, git, file: and npm: specs are not installed)"
                ) from None

    async def packument(self, name: str, *, fresh: bool = False) -> Packument:
        """Metadata of `name`: from memory or disk while younger than the metadata TTL, else from the registry.

        An older copy answers at once while a fresh one is fetched in the background (`fresh` waits for it),
        and answers instead when the registry cannot be reached (offline use of what was seen before).
        """
        cached = self._packuments.get(name)
        if cached is None:
            cached = await asyncio.to_thread(self._read_packument, name)
            if cached is not None:
                self._packuments[name] = cached
        if cached is not None and not fresh and time.time() - cached.fetched < self.policy.metadata_ttl:
            return cached
        task = self._fetching.get(name)
        if task is None:
            task = asyncio.create_task(self._fetch_packument(name))
            self._fetching[name] = task
            task.add_done_callback(self._fetched(name))
        if cached is not None and not fresh:
            return cached  # old but good enough now: a build does not wait for the refresh under way
        try:
            return await asyncio.shield(task)
        except RegistryUnreachable:
            if cached is not None:
                return cached
            raise

    def _fetched(self, name: str) -> Callable[[asyncio.Task[Packument]], None]:
        def done(task: asyncio.Task[Packument]) -> None:
            self._fetching.pop(name, None)
            if not task.cancelled() and (error := task.exception()) is not None:
                log.info("could not refresh the npm metadata of %s: %s", name, getattr(error, "message", error))

        return done

    async def _fetch_packument(self, name: str) -> Packument:
        if (down := self._unreachable) is not None and time.monotonic() < down[0]:
            raise RegistryUnreachable(down[1])  # asked moments ago: every build need not wait for it again
        try:
            packument = await self.registry.packument(name)
        except RegistryUnreachable as exc:
            self._unreachable = (time.monotonic() + _UNREACHABLE_FOR, exc.message)
            raise
        self._unreachable = None
        self.fetches += 1
        self._packuments[name] = packument
        await asyncio.to_thread(self._write_packument, packument)
        return packument

    def _read_packument(self, name: str) -> Packument | None:
        try:
            return Packument.from_json(json.loads((self.root / "meta" / f"{_safe(name)}.json").read_text()))
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def _write_packument(self, packument: Packument) -> None:
        folder = self.root / "meta"
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".tmp-{uuid.uuid4().hex}"
        tmp.write_text(json.dumps(packument.to_json()))
        tmp.replace(folder / f"{_safe(packument.name)}.json")

    async def choose(self, name: str, spec: str | None) -> Release:
        """The release of `name` that `spec` (a range or dist-tag; None means "latest") picks in the registry."""
        spec = (spec or "latest").strip() or "latest"
        self.check(name, spec)
        if not self.policy.installs:
            raise PackageNotFound(f"{name}: on-demand installs are off (VZERO_PREVIEW_NPM_INSTALLS=false)")
        exact = semver.exact(spec)
        if exact is not None and self.is_installed(name, exact):
            return self.installed_release(name, exact)
        memo = self._choices.get((name, spec))
        if memo is not None and time.time() - memo[1] < self.policy.metadata_ttl:
            if self.is_installed(name, memo[0]):
                return self.installed_release(name, memo[0])
            packument = await self.packument(name)
            if memo[0] in packument.versions:
                return packument.release(memo[0])
        packument = await self.packument(name)
        version = self._pick(packument, spec)
        if version is None and time.time() - packument.fetched > _RECHECK_AFTER:
            packument = await self.packument(name, fresh=True)  # published since we last looked?
            version = self._pick(packument, spec)
        if version is None:
            latest = packument.tags.get("latest")
            raise PackageNotFound(f"{name}: no published version matches {spec!r}" + (f" (latest is {latest})" if latest else ""))
        self._choices[(name, spec)] = (version, time.time())
        return packument.release(version)

    @staticmethod
    def _pick(packument: Packument, spec: str) -> str | None:
        if semver.is_tag(spec):
            version = packument.tags.get(spec)
            return version if version in packument.versions else None
        return semver.max_satisfying(packument.versions, spec)

    def installed_release(self, name: str, version: str) -> Release:
        """The release an installed package describes in its own package.json."""
        return release_of(self.package_dir(name, version) / "node_modules" / name, name, version)

    # --- installs ---------------------------------------------------------------------------------------------------
    async def install(self, release: Release) -> Path:
        """Download and unpack `release` unless it is there already; concurrent callers share one install."""
        name, version = release.name, release.version
        self.check(name, None)
        folder = self.package_dir(name, version)
        if (folder / _INSTALLED).is_file():
            self.touch(name, version)
            return folder
        key = f"{name}@{version}"
        task = self._installing.get(key)
        if task is None:
            task = asyncio.create_task(self._install(release, folder))
            self._installing[key] = task
            task.add_done_callback(lambda _t: self._installing.pop(key, None))
        return await asyncio.shield(task)

    async def _install(self, release: Release, folder: Path) -> Path:
        what = f"{release.name}@{release.version}"
        try:
            async with asyncio.timeout(self.policy.timeout):
                async with self._lock(f"{_safe(release.name)}@{release.version}"):
                    if (folder / _INSTALLED).is_file():  # another process installed it meanwhile
                        return folder
                    started = time.perf_counter()
                    body = await self.registry.tarball(release)
                    size = await asyncio.to_thread(self._unpack, body, release, folder)
                    self.installs += 1
                    log.info("installed %s for the preview (%d KiB, %.1f s)", what, size // 1024, time.perf_counter() - started)
        except TimeoutError:
            raise RegistryUnreachable(f"installing {what} took longer than {self.policy.timeout:.0f} s (VZERO_PREVIEW_NPM_TIMEOUT)") from None
        self.schedule_prune()
        return folder

    @contextlib.asynccontextmanager
    async def _lock(self, key: str) -> AsyncIterator[None]:
        """An exclusive file lock on `key`, polled so that waiting never blocks a thread."""
        folder = self.root / "locks"
        folder.mkdir(parents=True, exist_ok=True)
        with open(folder / f"{key}.lock", "w") as handle:  # noqa: ASYNC230 - creating an empty lock file does not block
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    await asyncio.sleep(0.05)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _unpack(self, body: bytes, release: Release, folder: Path) -> int:
        """Unpack a tarball into `folder`/node_modules/<name>, refusing escapes, links' targets and excess size."""
        policy, what = self.policy, f"{release.name}@{release.version}"
        tmp = folder.parent / f".tmp-{folder.name.replace('/', '_')}-{uuid.uuid4().hex[:8]}"
        target = tmp / "node_modules" / release.name
        total = files = 0
        try:
            target.mkdir(parents=True)
            try:
                archive = tarfile.open(fileobj=io.BytesIO(body), mode="r:*")  # noqa: SIM115 - closed by the `with` below
            except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as exc:
                raise PackageRefused(f"{what}: the tarball cannot be read ({exc})") from None
            with archive:
                try:
                    for member in archive:
                        parts = [p for p in member.name.replace("\\", "/").split("/") if p not in ("", ".")]
                        if member.name.startswith("/") or ".." in parts:
                            raise PackageRefused(f"{what}: the tarball has an entry that leaves its folder ({member.name[:120]!r})")
                        parts = parts[1:]  # npm tarballs keep everything under one top folder, usually "package/"
                        if not parts or not (member.isfile() or member.isdir()):
                            continue  # links, devices and fifos are not unpacked
                        path = target.joinpath(*parts)
                        if member.isdir():
                            path.mkdir(parents=True, exist_ok=True)
                            continue
                        total += member.size
                        files += 1
                        if total > policy.max_package_bytes:
                            raise PackageRefused(
                                f"{what} unpacks to more than {policy.max_package_bytes // (1024 * 1024)} MiB (VZERO_PREVIEW_NPM_MAX_PACKAGE_BYTES)"
                            )
                        if files > policy.max_files:
                            raise PackageRefused(f"{what} has more than {policy.max_files} files")
                        source = archive.extractfile(member)
                        if source is None:
                            continue
                        path.parent.mkdir(parents=True, exist_ok=True)
                        with source, open(path, "wb") as out:
                            shutil.copyfileobj(source, out)
                except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as exc:
                    raise PackageRefused(f"{what}: the tarball is damaged ({exc})") from None
            manifest = release_of(target, release.name, release.version, strict=False)
            if manifest.name != release.name or manifest.version != release.version:
                raise PackageRefused(f"{what}: the tarball holds {manifest.name}@{manifest.version}, not what was asked for")
            (tmp / _INSTALLED).write_text(json.dumps({"bytes": total, "files": files, "installed": time.time()}))
            folder.parent.mkdir(parents=True, exist_ok=True)
            if folder.exists():
                shutil.rmtree(folder)  # a half-done install left by a crash: no marker, so not in use
            tmp.rename(folder)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return total

    # --- use and eviction -------------------------------------------------------------------------------------------
    def touch(self, name: str, version: str) -> None:
        """Mark a package@version as just used (eviction takes the least recently used first)."""
        key = f"{name}@{version}"
        now = time.time()
        if now - self._touched.get(key, 0.0) < _TOUCH_EVERY:
            return
        self._touched[key] = now
        for path in (self.package_dir(name, version) / _INSTALLED, self.bundle_root(name, version)):
            with contextlib.suppress(OSError):
                os.utime(path)

    def schedule_prune(self) -> None:
        """Check the cache's size in the background (after something was added to it)."""
        if self._pruning is None or self._pruning.done():
            self._pruning = asyncio.create_task(asyncio.to_thread(self.prune))

    def entries(self) -> list[tuple[str, float, int, list[Path]]]:
        """(package@version, last use, bytes, folders) of everything in the cache."""
        found: dict[str, tuple[float, int, list[Path]]] = {}
        for kind in ("pkgs", "bundles"):
            base = self.root / kind
            if not base.is_dir():
                continue
            candidates: list[Path] = []
            for child in base.iterdir():
                if child.name.startswith("@") and child.is_dir():
                    candidates += [c for c in child.iterdir() if "@" in c.name and not c.name.startswith(".")]
                elif "@" in child.name and not child.name.startswith("."):
                    candidates.append(child)
            for path in candidates:
                key = str(path.relative_to(base))
                try:
                    used = path.stat().st_mtime
                except OSError:
                    continue  # removed meanwhile (another process evicted or renamed it)
                if kind == "pkgs":
                    marker = path / _INSTALLED
                    try:
                        used = marker.stat().st_mtime
                        size = int(json.loads(marker.read_text()).get("bytes", 0))
                    except (OSError, ValueError):
                        size = _tree_bytes(path)
                else:
                    size = _tree_bytes(path)
                last, total, folders = found.get(key, (0.0, 0, []))
                found[key] = (max(last, used), total + size, [*folders, path])
        return [(key, used, size, folders) for key, (used, size, folders) in found.items()]

    def prune(self) -> list[str]:
        """Evict the least recently used packages until the cache is within its size limit; returns what went."""
        entries = self.entries()
        total = sum(size for _, _, size, _ in entries)
        limit = self.policy.cache_bytes
        if total <= limit:
            return []
        busy = set(self._installing)
        now = time.time()
        evicted = []
        for key, used, size, folders in sorted(entries, key=lambda e: e[1]):
            if total <= limit * 0.9:
                break
            if key in busy or now - used < _KEEP_RECENT:
                continue
            for folder in folders:
                shutil.rmtree(folder, ignore_errors=True)
            total -= size
            evicted.append(key)
            self._touched.pop(key, None)
        if evicted:
            log.info("evicted %d packages from the preview's package cache (limit %d MiB)", len(evicted), limit // (1024 * 1024))
        return evicted

    async def aclose(self) -> None:
        for task in [*self._installing.values(), *self._fetching.values()]:
            task.cancel()
        if self._pruning is not None:
            with contextlib.suppress(Exception):
                await self._pruning
        if self._registry is not None:
            await self._registry.aclose()


def release_of(folder: Path, name: str, version: str, *, strict: bool = True) -> Release:
    """A Release read from an unpacked package's package.json (dependencies and peers)."""
    try:
        data: Any = json.loads((folder / "package.json").read_text())
    except (OSError, ValueError):
        if strict:
            raise PackageNotFound(f"{name}@{version} is not installed properly (no package.json)") from None
        raise PackageRefused(f"{name}@{version}: the tarball has no readable package.json") from None
    if not isinstance(data, dict):
        raise PackageRefused(f"{name}@{version}: its package.json is not an object")

    def table(key: str) -> dict[str, str]:
        value = data.get(key)
        return {str(k): str(v) for k, v in value.items() if isinstance(v, str)} if isinstance(value, dict) else {}

    return Release(
        name=str(data.get("name", name)),
        version=str(data.get("version", version)),
        tarball="",
        dependencies=table("dependencies"),
        peer_dependencies=table("peerDependencies"),
        optional_dependencies=table("optionalDependencies"),
    )


def declared_names(release: Release) -> Iterable[str]:
    return {*release.dependencies, *release.peer_dependencies, *release.optional_dependencies}


__all__ = [
    "PackageError",
    "PackageNotFound",
    "PackagePolicy",
    "PackageRefused",
    "PackageStore",
    "RegistryUnreachable",
    "release_of",
]
