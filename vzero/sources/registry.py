"""Importing a shadcn-style registry item and, recursively, the registry items it depends on; a design system is such
an item whose CSS variables (its theme) are applied to a stylesheet."""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from vzero.config import Settings
from vzero.core.files import safe_path
from vzero.errors import PayloadTooLarge, SourceError
from vzero.sources._types import ImportedFile
from vzero.sources.fetch import SafeFetcher, display_url, parse_url
from vzero.sources.filters import select_files

MAX_REGISTRY_ITEMS = 50  # items fetched for one import, the requested one included
MAX_REGISTRY_DEPTH = 8  # dependency chain length below the requested item
MAX_PARALLEL_FETCHES = 6

# Where a file without `target` goes, by its type (or its item's type), as the shadcn CLI places them.
TYPE_DIRECTORIES = {
    "registry:ui": "components/ui",
    "registry:component": "components",
    "registry:block": "components",
    "registry:example": "components",
    "registry:lib": "lib",
    "registry:hook": "hooks",
}
_ITEM_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
_NPM_NAME = re.compile(r"(@[a-z0-9][a-z0-9._~-]*/)?[a-z0-9][a-z0-9._~-]*")


class RegistryFile(BaseModel):
    """One file of a registry item."""

    model_config = ConfigDict(extra="ignore")

    path: str = Field(min_length=1, max_length=1024)
    content: str | None = None
    type: str | None = None
    target: str | None = Field(default=None, max_length=1024)


class RegistryItem(BaseModel):
    """A registry item as the shadcn CLI reads it (`registry-item.json`); unknown fields are ignored."""

    model_config = ConfigDict(extra="ignore")

    name: str = Field(min_length=1, max_length=128)
    type: str | None = None
    files: list[RegistryFile] = Field(default_factory=list)
    dependencies: list[str] = Field(default_factory=list)
    devDependencies: list[str] = Field(default_factory=list)
    registryDependencies: list[str] = Field(default_factory=list)
    cssVars: dict[str, dict[str, str]] = Field(default_factory=dict)  # theme / light / dark


@dataclass(frozen=True, slots=True)
class _Fetched:
    url: str
    item: RegistryItem


async def import_registry(url: str, settings: Settings, fetcher: SafeFetcher | None = None) -> list[ImportedFile]:
    """The files of a registry item and of its registryDependencies, placed where the shadcn CLI would put them."""
    fetcher = fetcher or SafeFetcher(settings)
    items = await _resolve(str(parse_url(url)), fetcher)
    return _files(items, settings)


async def import_design_system(url: str, settings: Settings, stylesheet: str, fetcher: SafeFetcher | None = None) -> list[ImportedFile]:
    """A design system's files (as `import_registry`) and `stylesheet` with its theme applied: the CSS variables
    of the item and its dependencies (the item's own win), in `:root` (light), `.dark` and `@theme inline`."""
    fetcher = fetcher or SafeFetcher(settings)
    items = await _resolve(str(parse_url(url)), fetcher)
    variables: dict[str, dict[str, str]] = {}
    for fetched in reversed(items):
        for scope, values in fetched.item.cssVars.items():
            variables.setdefault(scope, {}).update(values)
    if not variables and not any(f.item.files for f in items):
        raise SourceError(f"The design system at {display_url(url)} has neither files nor CSS variables")
    return [*_files(items, settings, allow_empty=True), ImportedFile(THEMED_STYLESHEET, themed_css(stylesheet, variables).encode())]


THEMED_STYLESHEET = "app/globals.css"
_BLOCKS = {"light": ":root", "dark": ".dark", "theme": "@theme inline"}
_VARIABLE = re.compile(r"[A-Za-z0-9-]{1,100}")


def themed_css(css: str, variables: dict[str, dict[str, str]]) -> str:
    """`css` with each scope's variables set in its block (changed in place, or added at the block's end; a block
    that is missing is added)."""
    for scope, selector in _BLOCKS.items():
        values = {name: value for name, value in variables.get(scope, {}).items() if _VARIABLE.fullmatch(name) and "}" not in value and ";" not in value}
        if not values:
            continue
        match = re.search(re.escape(selector) + r"\s*\{([^{}]*)\}", css)
        if match is None:
            lines = "".join(f"  --{name}: {value};\n" for name, value in values.items())
            css = css.rstrip("\n") + f"\n\n{selector} {{\n{lines}}}\n"
            continue
        body = match.group(1)
        for name, value in values.items():
            line = re.compile(rf"(^|\n)(\s*)--{re.escape(name)}\s*:[^;\n]*;")
            if line.search(body):
                body = line.sub(lambda m, v=value, n=name: f"{m.group(1)}{m.group(2)}--{n}: {v};", body, count=1)
            else:
                body = body.rstrip() + f"\n  --{name}: {value};\n"
        css = css[: match.start(1)] + body + css[match.end(1) :]
    return css


def _files(items: list[_Fetched], settings: Settings, *, allow_empty: bool = False) -> list[ImportedFile]:
    files: dict[str, ImportedFile] = {}
    for fetched in items:
        for file in fetched.item.files:
            path = _place(fetched, file)
            if path not in files:  # the requested item wins over its dependencies, earlier over later
                files[path] = ImportedFile(path, (file.content or "").encode("utf-8"))
    manifest = _package_json(items)
    if manifest is not None and "package.json" not in files:
        files["package.json"] = ImportedFile("package.json", manifest)
    return select_files(files.values(), settings) if files or not allow_empty else []


async def _resolve(root: str, fetcher: SafeFetcher) -> list[_Fetched]:
    """Fetch the item and its dependencies breadth-first; each URL once (cycles end there), within the limits."""
    seen = {root}
    level = [root]
    items: list[_Fetched] = []
    gate = asyncio.Semaphore(MAX_PARALLEL_FETCHES)

    async def fetch(url: str) -> _Fetched:
        async with gate:
            return await _fetch_item(url, fetcher)

    for depth in range(MAX_REGISTRY_DEPTH + 2):
        if not level:
            return items
        if depth > MAX_REGISTRY_DEPTH:
            raise SourceError(
                f"The registry dependencies of {display_url(root)} nest deeper than {MAX_REGISTRY_DEPTH} levels"
            )
        fetched = await asyncio.gather(*(fetch(u) for u in level))
        items.extend(fetched)
        level = []
        for parent in fetched:
            for dependency in parent.item.registryDependencies:
                dep_url = _dependency_url(parent, dependency)
                if dep_url in seen:
                    continue
                seen.add(dep_url)
                if len(seen) > MAX_REGISTRY_ITEMS:
                    raise PayloadTooLarge(
                        f"{display_url(root)} pulls in more than {MAX_REGISTRY_ITEMS} registry items"
                    )
                level.append(dep_url)
    return items


async def _fetch_item(url: str, fetcher: SafeFetcher) -> _Fetched:
    fetched = await fetcher.fetch(url, accept="application/json")
    shown = display_url(url)
    try:
        data = json.loads(fetched.body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SourceError(f"The registry item at {shown} is not valid JSON ({exc})") from None
    try:
        item = RegistryItem.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in error['loc']) or 'item'}: {error['msg']}" for error in exc.errors()[:5]
        )
        raise SourceError(f"The registry item at {shown} does not have the expected shape: {problems}") from None
    for file in item.files:
        if file.content is None:
            raise SourceError(
                f"The registry item at {shown} has no content for {file.path!r}; point to a built item"
                " (the JSON that `shadcn build` writes), not to the registry's source index"
            )
    return _Fetched(url, item)


def _dependency_url(parent: _Fetched, dependency: str) -> str:
    """A dependency's URL: full URLs as given, bare names as `<name>.json` beside the item that needs them."""
    if dependency.startswith(("http://", "https://")):
        return str(parse_url(dependency))
    if dependency.startswith("@"):
        raise SourceError(
            f"The registry item {parent.item.name!r} depends on {dependency!r}, a namespaced registry;"
            " only plain names and full URLs can be resolved"
        )
    if not _ITEM_NAME.fullmatch(dependency) or ".." in dependency:
        raise SourceError(f"The registry item {parent.item.name!r} has an invalid dependency {dependency[:120]!r}")
    return str(httpx.URL(parent.url).join(f"{dependency}.json"))


def _place(fetched: _Fetched, file: RegistryFile) -> str:
    """Where one registry file lands in the project."""
    source = safe_path(file.path)
    if file.target:
        return safe_path(file.target.removeprefix("~/"))
    kind = file.type or fetched.item.type or ""
    base = source.rsplit("/", 1)[-1]
    if kind == "registry:page":
        return safe_path(f"app/{fetched.item.name}/{base}")
    if kind == "registry:file":
        raise SourceError(f"The registry file {file.path!r} of {fetched.item.name!r} has type registry:file but no target")
    return f"{TYPE_DIRECTORIES.get(kind, 'components')}/{base}"


def _package_json(items: list[_Fetched]) -> bytes | None:
    """A package.json listing the npm packages the items need, or None when they need none."""
    sections: dict[str, dict[str, str]] = {"dependencies": {}, "devDependencies": {}}
    for fetched in items:
        for section, specs in (("dependencies", fetched.item.dependencies), ("devDependencies", fetched.item.devDependencies)):
            for spec in specs:
                name, version = _split_spec(spec, fetched.item.name)
                sections[section].setdefault(name, version)
    if not sections["dependencies"] and not sections["devDependencies"]:
        return None
    manifest: dict[str, object] = {"name": items[0].item.name.lower(), "private": True}
    manifest.update({key: dict(sorted(value.items())) for key, value in sections.items() if value})
    return (json.dumps(manifest, indent=2) + "\n").encode()


def _split_spec(spec: str, item: str) -> tuple[str, str]:
    """`@radix-ui/react-slot@^1.2` → ("@radix-ui/react-slot", "^1.2"); no version means "latest"."""
    at = spec.find("@", 1)
    name, version = (spec[:at], spec[at + 1 :]) if at > 0 else (spec, "latest")
    if not _NPM_NAME.fullmatch(name) or len(name) > 214 or not version or len(version) > 100 or any(c.isspace() for c in version):
        raise SourceError(f"The registry item {item!r} lists an invalid npm dependency {spec[:120]!r}")
    return name, version
