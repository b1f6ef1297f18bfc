"""PackageResolver: the packages an app imports beyond the vendor bundle, at the versions its package.json asks for.

An app build leaves imports of such packages bare (`import { Github } from "lucide-react"`). The resolver picks a
version for each (the pinned one when it satisfies the app's range, else the registry's best match), installs it
into the PackageStore, pre-bundles it to ESM with the entry points the app uses, and follows the bare imports of
that bundle the same way, as npm would: a dependency the app already has at a fitting version is shared, a
peer always is, and anything else gets its own version in an import-map scope. The result is the page's import map.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import re
import shutil
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vzero.preview import semver
from vzero.preview.packages import PackageStore, release_of
from vzero.preview.registry import PackageError, PackageNotFound, PackageRefused, RegistryUnreachable, Release
from vzero.preview.result import BuildError

log = logging.getLogger(__name__)

BundleRequest = Callable[..., Awaitable[dict[str, Any]]]

# One React, one Tailwind: whatever a package.json says, these come from the runtime.
FORCED = frozenset({"react", "react-dom", "react-is", "scheduler", "tailwindcss"})
SHIMMED = frozenset({"next", "@vercel/analytics", "@vercel/speed-insights"})
FONT_SCOPE = "@vzero/font/"
NPM_PREFIX = "vendor/npm/"
MAX_PACKAGES = 400  # per app: a dependency tree larger than this is refused rather than installed
_TOOLING = frozenset({"esbuild", "cjs-module-lexer", "es-module-lexer"})  # in the runtime for the bundler
_VERSION_DIR = re.compile(r"^[0-9A-Za-z.+_-]+$")


def package_name(spec: str) -> str:
    parts = spec.split("/")
    return "/".join(parts[:2]) if spec.startswith("@") else parts[0]


def subpath(spec: str) -> str:
    return spec[len(package_name(spec)) + 1:]


def entry_file(sub: str) -> str:
    """The file a package bundle's entry for `sub` is written to (bundler/package.mjs names it the same)."""
    return (re.sub(r"[^A-Za-z0-9._-]+", "__", sub) if sub else "index") + ".js"


def vendor_file(spec: str) -> str:
    return spec.removeprefix("@").replace("/", "__") + ".js"


def app_ranges(files: Mapping[str, bytes]) -> dict[str, str]:
    """Dependency ranges from the app's package.json (dependencies win over dev and peer ones)."""
    raw = files.get("package.json")
    if raw is None:
        return {}
    try:
        data = json.loads(raw)
    except ValueError:
        return {}
    ranges: dict[str, str] = {}
    if isinstance(data, dict):
        for key in ("peerDependencies", "optionalDependencies", "devDependencies", "dependencies"):
            table = data.get(key)
            if isinstance(table, dict):
                ranges.update({str(k): str(v) for k, v in table.items() if isinstance(v, str)})
    return ranges


@dataclass(frozen=True, slots=True)
class Choice:
    """A package at the version an app (or one of its packages) uses, and where its files are."""

    name: str
    version: str
    pinned: bool
    release: Release

    @property
    def key(self) -> str:
        return f"{self.name}@{self.version}"


@dataclass
class Linked:
    """What a page needs for its bare imports: the import map, the bundles it loads, and what went wrong."""

    imports: dict[str, str] = field(default_factory=dict)
    scopes: dict[str, dict[str, str]] = field(default_factory=dict)
    bundles: list[str] = field(default_factory=list)  # "<name>@<version>/<build>" folders under bundles/
    errors: list[BuildError] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    transient: bool = False  # an error that may go away (registry unreachable): do not keep the result

    def import_map(self) -> str | None:
        if not self.imports and not self.scopes:
            return None
        body: dict[str, Any] = {"imports": dict(sorted(self.imports.items()))}
        if self.scopes:
            body["scopes"] = {k: dict(sorted(v.items())) for k, v in sorted(self.scopes.items())}
        # It is inline in the page: nothing in it may close the element.
        text = json.dumps(body, separators=(",", ":"))
        return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


@dataclass
class Progress:
    """What a link is waiting for, to tell the person looking at the preview."""

    installing: set[str] = field(default_factory=set)


Wanted = dict[str, set[str]]  # entry subpath -> names importers take from it


@dataclass
class _Manifest:
    build: str
    files: dict[str, str]
    missing: set[str]
    externals: list[str]
    names: dict[str, list[str]]  # names this bundle imports from each of its externals
    offered: dict[str, list[str]]  # names its entries were asked to offer (for CommonJS entries)

    @classmethod
    def read(cls, build: str, folder: Path) -> _Manifest:
        data = json.loads((folder / "manifest.json").read_text())
        return cls(build, dict(data["files"]), set(data["missing"]), list(data["externals"]), dict(data.get("names", {})), dict(data.get("offered", {})))

    def covers(self, wanted: Wanted) -> bool:
        return all(sub in self.files and names <= set(self.offered.get(sub, ())) for sub, names in wanted.items())


class PackageResolver:
    """Links an app build's bare imports to installed, pre-bundled packages; safe to share between builds."""

    def __init__(self, store: PackageStore, runtime_dir: Path, bundle: BundleRequest, fingerprint: str) -> None:
        self.store = store
        self.runtime_dir = Path(runtime_dir)
        self._bundle_request = bundle
        self._fingerprint = fingerprint
        self.pinned: dict[str, str] = {}
        self.vendored: frozenset[str] = frozenset()
        self._pinned_releases: dict[str, Release] = {}
        self._manifests: dict[str, _Manifest] = {}  # "<name>@<version>" -> its newest build
        self._building: dict[tuple[str, str], asyncio.Task[_Manifest]] = {}
        self._fonts: dict[str, str | None] = {}
        self.bundles_built = 0

    def configure(self, pinned: Mapping[str, str], vendored: list[str]) -> None:
        """The runtime's packages and the specs its vendor bundle answers (from the worker's hello)."""
        self.pinned = dict(pinned)
        self.vendored = frozenset(vendored)

    def unusable_pinned(self, ranges: Mapping[str, str]) -> list[str]:
        """Pinned packages whose version the app's package.json rules out (the bundler leaves them bare)."""
        out = []
        for name, spec in ranges.items():
            version = self.pinned.get(name)
            if version is None or name in FORCED or name in SHIMMED or name.startswith("@types/"):
                continue
            spec = spec.strip()
            if spec in ("", "*", "latest", "x") or semver.is_tag(spec):
                continue
            try:
                semver.check_spec(spec)
            except semver.InvalidRange:
                continue  # the pinned version answers a range nothing could install
            if not semver.satisfies(version, spec):
                out.append(name)
        return sorted(out)

    # --- choosing versions ------------------------------------------------------------------------------------------
    def _pinned_choice(self, name: str) -> Choice:
        release = self._pinned_releases.get(name)
        if release is None:
            # React's own dependencies (scheduler) are in the runtime without being pinned by name.
            release = release_of(self.runtime_dir / "node_modules" / name, name, self.pinned.get(name, "?"))
            self._pinned_releases[name] = release
        return Choice(name, release.version, True, release)

    async def choose(self, name: str, spec: str | None, notes: list[str], progress: Progress | None = None) -> Choice:
        """The version of `name` to use for range `spec` (None: no constraint); PackageError when there is none."""
        spec = spec.strip() if isinstance(spec, str) else None
        pinned = self.pinned.get(name)
        if name in FORCED:
            try:
                return self._pinned_choice(name)
            except PackageError:
                raise PackageNotFound(f"{name} is missing from the preview runtime") from None
        if pinned is not None and (spec in (None, "", "*", "latest", "x") or semver.satisfies(pinned, spec or "*")):
            return self._pinned_choice(name)
        if progress is not None:
            progress.installing.add(name)  # asking the registry is the first part of an install
        try:
            release = await self.store.choose(name, spec)
        except (RegistryUnreachable, PackageNotFound) as exc:
            if pinned is None:
                raise
            notes.append(f"{name}: {spec} was asked for; the pinned {pinned} is used instead ({exc.message})")
            return self._pinned_choice(name)
        finally:
            if progress is not None:
                progress.installing.discard(name)
        if release.version == pinned:
            return self._pinned_choice(name)
        return Choice(name, release.version, False, release)

    # --- bundles --------------------------------------------------------------------------------------------------------
    def _source_dir(self, choice: Choice) -> Path:
        return self.runtime_dir if choice.pinned else self.store.package_dir(choice.name, choice.version)

    def _manifest(self, choice: Choice) -> _Manifest | None:
        root = self.store.bundle_root(choice.name, choice.version)
        cached = self._manifests.get(choice.key)
        if cached is not None:
            if (root / cached.build).is_dir():
                return cached
            del self._manifests[choice.key]  # evicted from the cache since: build it again
        with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
            current = json.loads((root / "current.json").read_text())
            if current.get("fingerprint") != self._fingerprint:
                return None  # built by another version of the bundler: build again
            build = str(current["build"])
            manifest = _Manifest.read(build, root / build)
            self._manifests[choice.key] = manifest
            return manifest
        return None

    async def bundle(self, choice: Choice, wanted: Wanted, progress: Progress) -> _Manifest:
        """A build of `choice` with (at least) the entries and names `wanted`: the newest one when it has them, else
        a new one with everything the newest one had as well."""
        manifest = self._manifest(choice)
        if manifest is not None and manifest.covers(wanted):
            return manifest
        merged: dict[str, set[str]] = {sub: set(names) for sub, names in (manifest.offered if manifest else {}).items()}
        for sub in manifest.files if manifest else ():
            merged.setdefault(sub, set())
        for sub, names in wanted.items():
            merged.setdefault(sub, set()).update(names)
        offered = {sub: sorted(names) for sub, names in sorted(merged.items())}
        build = "b" + hashlib.sha256(json.dumps([self._fingerprint, offered]).encode()).hexdigest()[:16]
        task = self._building.get((choice.key, build))
        if task is None:
            task = asyncio.create_task(self._bundle(choice, offered, build, progress))
            self._building[(choice.key, build)] = task
            task.add_done_callback(lambda _t: self._building.pop((choice.key, build), None))
        return await asyncio.shield(task)

    async def _bundle(self, choice: Choice, offered: dict[str, list[str]], build: str, progress: Progress) -> _Manifest:
        entries = sorted(offered)
        root = self.store.bundle_root(choice.name, choice.version)
        final = root / build
        if not choice.pinned and not self.store.is_installed(choice.name, choice.version):
            progress.installing.add(choice.key)
            try:
                await self.store.install(choice.release)
            finally:
                progress.installing.discard(choice.key)
        if not (final / "manifest.json").is_file():
            root.mkdir(parents=True, exist_ok=True)
            tmp = root / f".tmp-{build}-{uuid.uuid4().hex[:8]}"
            try:
                answer = await self._bundle_request(
                    name=choice.name,
                    version=choice.version,
                    dir=str(self._source_dir(choice)),
                    entries=entries,
                    names={sub: names for sub, names in offered.items() if names},
                    declared=sorted({*choice.release.dependencies, *choice.release.peer_dependencies, *choice.release.optional_dependencies}),
                    out=str(tmp),
                    vendoredSelf=sorted(s for s in self.vendored if package_name(s) == choice.name) if choice.pinned else [],
                )
                if not answer.get("ok"):
                    errors = answer.get("errors") or [{"text": "unknown error"}]
                    first = errors[0]
                    where = f" ({first.get('file')}:{first.get('line')})" if first.get("file") else ""
                    raise PackageError(f"{choice.key} could not be bundled for the browser: {first.get('text')}{where}")
                manifest = {
                    "files": answer["files"],
                    "missing": answer.get("missing", []),
                    "externals": answer.get("externals", []),
                    "names": answer.get("names", {}),
                    "offered": offered,
                    "fingerprint": self._fingerprint,
                }
                (tmp / "manifest.json").write_text(json.dumps(manifest))
                try:
                    tmp.rename(final)
                except OSError:
                    if not (final / "manifest.json").is_file():
                        raise
                self.bundles_built += 1
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
            self.store.schedule_prune()  # bundles count towards the cache's size too
        manifest_obj = _Manifest.read(build, final)
        current = root / f".current-{uuid.uuid4().hex[:8]}"
        current.write_text(json.dumps({"build": build, "entries": entries, "fingerprint": self._fingerprint}))
        current.replace(root / "current.json")
        self._manifests[choice.key] = manifest_obj
        await asyncio.to_thread(self._drop_stale_builds, root)
        return manifest_obj

    def _drop_stale_builds(self, root: Path) -> None:
        """Builds made by another version of the bundler are never loaded again: free their space."""
        for folder in root.iterdir():
            if not folder.name.startswith("b") or not folder.is_dir():
                continue
            try:
                fingerprint = json.loads((folder / "manifest.json").read_text()).get("fingerprint")
            except (OSError, ValueError):
                continue
            if fingerprint != self._fingerprint:
                shutil.rmtree(folder, ignore_errors=True)

    def _url(self, choice: Choice, spec: str, build: str) -> str:
        if choice.pinned and spec in self.vendored:
            return "./vendor/" + vendor_file(spec)
        return f"./{NPM_PREFIX}{choice.key}/{build}/{entry_file(subpath(spec))}"

    # --- fonts ------------------------------------------------------------------------------------------------------------
    async def font(self, name: str, notes: list[str]) -> tuple[str, str | None, bool]:
        """URL of the font module for next/font/google's `name`, the bundle folder it is in, and whether a
        missing font may appear later (the registry could not be reached)."""
        from vzero.preview import fonts

        known = self._fonts.get(name)
        if known is not None:
            where = known.removeprefix("./" + NPM_PREFIX).rsplit("/", 1)[0]
            if self.bundle_exists(where):
                return known, where, False
        unreachable = False
        for package in fonts.packages_for(name):
            try:
                choice = await self.choose(package, None, [])
                if not choice.pinned:
                    await self.store.install(choice.release)
            except RegistryUnreachable:
                unreachable = True
                continue
            except PackageError:
                continue
            source = self._source_dir(choice) / "node_modules" / package
            root = self.store.bundle_root(choice.name, choice.version)
            folder: str | None = await asyncio.to_thread(fonts.write_module, name, package, source, root)
            if folder is None:
                continue
            url = f"./{NPM_PREFIX}{choice.key}/{folder}/font.js"
            self._fonts[name] = url
            return url, f"{choice.key}/{folder}", False
        notes.append(f"the font {name.replace('_', ' ')} is not available here; its fallback fonts are used")
        return "./vendor/" + vendor_file("@vzero/font-missing"), None, unreachable

    # --- linking ----------------------------------------------------------------------------------------------------------
    async def link(self, externals: list[dict[str, Any]], ranges: Mapping[str, str], progress: Progress | None = None) -> Linked:
        """The import map for an app whose build left `externals` bare; errors are located where possible."""
        progress = progress or Progress()
        linked = Linked()
        top: dict[str, Choice] = {}
        wanted: dict[str, Wanted] = {}  # choice key -> entries and the names importers take from them
        choices: dict[str, Choice] = {}
        where: dict[str, dict[str, Any]] = {}
        # (spec, choice, requester key or None)
        pending: list[tuple[str, Choice, str | None]] = []

        def fail(spec: str, text: str, exc: PackageError | None = None, requester: str | None = None) -> None:
            info = where.get(spec, {})
            suffix = f" (imported by {requester})" if requester else ""
            linked.errors.append(BuildError(
                message=f"{text}{suffix}", file=info.get("file"), line=info.get("line"), column=info.get("column"), text=info.get("lineText"),
            ))
            if isinstance(exc, RegistryUnreachable):
                linked.transient = True

        async def resolve(spec: str, spec_range: str | None, requester: Choice | None, names: list[str] | tuple[str, ...] = ()) -> None:
            name = package_name(spec)
            try:
                self.store.check(name, None)
                if name in SHIMMED or name.startswith("@vzero/"):
                    raise PackageRefused(f"'{spec}' is not provided by the preview")
                peer = requester is not None and name in requester.release.peer_dependencies
                existing = top.get(name)
                if existing is None and requester is not None and name in ranges:
                    # The app's package.json names it: that version is installed at the top, as npm would.
                    existing = top[name] = await self.choose(name, ranges[name], linked.notes, progress)
                if existing is not None and (peer or spec_range is None or not spec_range.strip() or semver.satisfies(existing.version, spec_range)):
                    choice = existing
                else:
                    choice = await self.choose(name, spec_range, linked.notes, progress)
                    if existing is None:
                        top[name] = choice
            except PackageError as exc:
                fail(spec, self._explain(spec, exc), exc, requester.key if requester else None)
                return
            choices[choice.key] = choice
            if not (choice.pinned and spec in self.vendored):
                wanted.setdefault(choice.key, {}).setdefault(subpath(spec), set()).update(names)
            pending.append((spec, choice, requester.key if requester else None))

        # The app's own imports first: they decide the top-level versions.
        fonts_wanted = []
        app_specs = []
        for item in externals:
            spec = str(item.get("spec", ""))
            where.setdefault(spec, item)
            if spec.startswith(FONT_SCOPE):
                fonts_wanted.append(spec)
            else:
                app_specs.append(spec)
        if len({package_name(spec) for spec in app_specs}) > MAX_PACKAGES:
            fail("", f"the app imports more than {MAX_PACKAGES} packages; the preview does not install that many")
            return linked
        await asyncio.gather(*(resolve(spec, ranges.get(package_name(spec)), None, where[spec].get("names") or ()) for spec in app_specs))
        for spec in fonts_wanted:
            url, folder, unreachable = await self.font(spec[len(FONT_SCOPE):], linked.notes)
            linked.imports[spec] = url
            linked.transient = linked.transient or unreachable
            if folder:
                linked.bundles.append(folder)

        built: dict[str, _Manifest] = {}
        seen_externals: set[tuple[str, str]] = set()
        while True:
            todo = {key: subs for key, subs in wanted.items() if key not in built or not built[key].covers(subs)}
            if not todo:
                break
            if len(choices) > MAX_PACKAGES:
                fail("", f"the app needs more than {MAX_PACKAGES} packages; the preview does not install that many")
                break
            results = await asyncio.gather(
                *(self.bundle(choices[key], subs, progress) for key, subs in todo.items()), return_exceptions=True
            )
            for key, result in zip(todo, results, strict=True):
                if isinstance(result, BaseException):
                    if not isinstance(result, PackageError):
                        raise result
                    for spec, choice, requester in pending:
                        if choice.key == key:
                            fail(spec, self._explain(spec, result), result, requester)
                    wanted.pop(key, None)
                    continue
                built[key] = result
            # What the new bundles import: resolved in the context of the package that imports it.
            for key in list(built):
                choice = choices[key]
                for spec in built[key].externals:
                    if (key, spec) in seen_externals:
                        continue
                    seen_externals.add((key, spec))
                    where.setdefault(spec, {})
                    await resolve(spec, choice.release.range_for(package_name(spec)), choice, built[key].names.get(spec, ()))

        for spec, choice, requester in pending:
            manifest = built.get(choice.key)
            if manifest is None and not (choice.pinned and spec in self.vendored):
                continue  # its bundle failed: already an error
            if manifest is not None and spec in manifest.missing:
                fail(spec, f"Module not found: '{spec}' does not exist in {choice.key}", None, requester)
                continue
            url = self._url(choice, spec, manifest.build if manifest else "")
            if requester is None or top.get(choice.name) == choice:
                linked.imports.setdefault(spec, url)
            else:
                scope = f"./{NPM_PREFIX}{requester}/"
                linked.scopes.setdefault(scope, {})[spec] = url
            if manifest is not None:
                folder = f"{choice.key}/{manifest.build}"
                if folder not in linked.bundles:
                    linked.bundles.append(folder)
        for choice in choices.values():
            if not choice.pinned:
                self.store.touch(choice.name, choice.version)
        # A scope entry equal to the top-level one is noise.
        for scope, entries in list(linked.scopes.items()):
            for spec, url in list(entries.items()):
                if linked.imports.get(spec) == url:
                    del entries[spec]
            if not entries:
                del linked.scopes[scope]
        linked.bundles.sort()
        return linked

    def _explain(self, spec: str, exc: PackageError) -> str:
        name = package_name(spec)
        if isinstance(exc, PackageRefused):
            return f"Module not found: '{spec}' was refused: {exc.message}"
        if name in self.pinned:
            return f"Module not found: '{spec}': {exc.message}"
        listed = sorted(p for p in self.pinned if p not in _TOOLING and not p.startswith("@fontsource"))
        pinned = f"'{name}' is not among the preview's pinned packages ({', '.join(listed)})"
        if isinstance(exc, RegistryUnreachable):
            return (
                f"Module not found: {pinned} and it could not be installed: {exc.message}. "
                "Let this server reach the npm registry, or set VZERO_PREVIEW_NPM_REGISTRY to a registry it can reach"
            )
        if not self.store.policy.installs:
            return f"Module not found: {pinned}, and on-demand installs are off (VZERO_PREVIEW_NPM_INSTALLS=false)"
        return f"Module not found: '{spec}': {exc.message}"

    def bundle_exists(self, folder: str) -> bool:
        """True while a bundle folder a cached page refers to is still in the cache."""
        name_version, _, build = folder.rpartition("/")
        return (self.store.root / "bundles" / name_version / build).is_dir()

    async def aclose(self) -> None:
        for task in list(self._building.values()):
            task.cancel()


def bundle_path(packages_dir: Path, name: str) -> Path | None:
    """The file a `vendor/npm/...` asset name refers to in the package cache (None if it is not one)."""
    if not name.startswith(NPM_PREFIX):
        return None
    root = (Path(packages_dir) / "bundles").resolve()
    path = (root / name[len(NPM_PREFIX):]).resolve()
    return path if root in path.parents else None


__all__ = ["Choice", "Linked", "PackageResolver", "Progress", "app_ranges", "bundle_path", "package_name"]
