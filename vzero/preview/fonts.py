"""Google fonts for next/font/google, offline: the same families from npm font packages (Fontsource, Geist).

A font module lists a family's @font-face sources (woff2 files copied beside it); the page's next/font/google
loader (shims/fonts.js) adds the faces an app asks for. Popular families are pinned in the runtime; any other
comes from the registry like a package when on-demand installs are on.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import uuid
from pathlib import Path
from typing import Any

_FACE = re.compile(r"@font-face\s*\{([^}]*)\}", re.S)
_PROPERTY = re.compile(r"([a-z-]+)\s*:\s*([^;]+);?")
_URL = re.compile(r"url\(\s*['\"]?(\./files/[A-Za-z0-9._\[\]-]+\.woff2)['\"]?\s*\)")
# Geist is a Google font too; its own npm package is pinned, so it needs no Fontsource copy.
_GEIST = {
    "Geist": ("Geist", "sans-serif", "dist/fonts/geist-sans/Geist-Variable.woff2", "dist/fonts/geist-sans/Geist-Italic[wght].woff2"),
    "Geist_Mono": ("Geist Mono", "monospace", "dist/fonts/geist-mono/GeistMono-Variable.woff2", "dist/fonts/geist-mono/GeistMono-Italic[wght].woff2"),
}
_FORMAT = 1  # part of a font module's folder name: bump when the module changes shape


def slug(name: str) -> str:
    """Fontsource's id of a next/font/google name: "Playfair_Display" -> "playfair-display"."""
    return re.sub(r"[^a-z0-9]+", "-", name.replace("_", " ").lower()).strip("-")


def packages_for(name: str) -> list[str]:
    """The npm packages that may hold a next/font/google family, best first."""
    if name in _GEIST:
        return ["geist"]
    if not re.fullmatch(r"[A-Za-z0-9_]{1,64}", name):
        return []
    return [f"@fontsource-variable/{slug(name)}", f"@fontsource/{slug(name)}"]


def _faces_from_css(css: str) -> list[dict[str, Any]]:
    faces = []
    for block in _FACE.findall(css):
        props = {k.strip(): v.strip() for k, v in _PROPERTY.findall(block)}
        url = _URL.search(props.get("src", ""))
        if url is None:
            continue
        faces.append(
            {
                "file": url.group(1).removeprefix("./files/"),
                "weight": props.get("font-weight", "400"),
                "style": props.get("font-style", "normal"),
                "unicodeRange": props.get("unicode-range"),
            }
        )
    return faces


def describe(name: str, package: str, source: Path) -> dict[str, Any] | None:
    """{family, category, variable, faces: [{file, weight, style, unicodeRange}]} from an installed font package."""
    if package == "geist":
        if name not in _GEIST:
            return None
        family, category, upright, italic = _GEIST[name]
        geist: list[dict[str, Any]] = [{"file": upright, "weight": "100 900", "style": "normal", "unicodeRange": None}]
        if (source / italic).is_file():
            geist.append({"file": italic, "weight": "100 900", "style": "italic", "unicodeRange": None})
        return {"family": family, "category": category, "variable": True, "faces": geist}
    try:
        meta = json.loads((source / "metadata.json").read_text())
    except (OSError, ValueError):
        meta = {}
    variable = bool(meta.get("variable"))
    css_files: list[str] = []
    if variable:
        css_files = [f for f in ("wght.css", "wght-italic.css") if (source / f).is_file()] or ["index.css"]
    else:
        weights = meta.get("weights") or [400]
        for weight in weights:
            css_files += [f"{weight}.css", f"{weight}-italic.css"]
    faces: list[dict[str, Any]] = []
    for css in css_files:
        try:
            faces += _faces_from_css((source / css).read_text())
        except OSError:
            continue
    if not faces:
        return None
    family = str(meta.get("family") or name.replace("_", " "))
    for face in faces:
        face["file"] = "files/" + str(face["file"])
    return {"family": family, "category": str(meta.get("category") or "sans-serif"), "variable": variable, "faces": faces}


def write_module(name: str, package: str, source: Path, root: Path) -> str | None:
    """Write `root`/<folder>/font.js with the family's faces and their files; returns <folder> (None: no such font)."""
    folder = f"font-{slug(name)}-{hashlib.sha256(f'{_FORMAT}:{name}'.encode()).hexdigest()[:8]}"
    if (root / folder / "font.js").is_file():
        return folder
    description = describe(name, package, source)
    if description is None:
        return None
    tmp = root / f".tmp-{folder}-{uuid.uuid4().hex[:8]}"
    try:
        (tmp / "files").mkdir(parents=True)
        faces = []
        for face in description["faces"]:
            file = source / face["file"]
            if not file.is_file() or source.resolve() not in file.resolve().parents:
                continue
            target = re.sub(r"[^A-Za-z0-9._-]+", "_", file.name)
            shutil.copyfile(file, tmp / "files" / target)
            entry: dict[str, Any] = {"weight": face["weight"], "style": face["style"], "file": target}
            if face.get("unicodeRange"):
                entry["unicodeRange"] = face["unicodeRange"]
            faces.append(entry)
        if not faces:
            return None
        data = {"family": description["family"], "category": description["category"], "variable": description["variable"]}
        module = (
            "// A font family for next/font/google in the preview, from the npm package "
            + json.dumps(package)
            + ".\nconst faces = "
            + json.dumps(faces)
            + ";\nexport default { ..."
            + json.dumps(data)
            + ', faces: faces.map(({ file, ...face }) => ({ ...face, src: [[new URL("./files/" + file, import.meta.url).href, "woff2"]] })) };\n'
        )
        (tmp / "font.js").write_text(module)
        root.mkdir(parents=True, exist_ok=True)
        try:
            tmp.rename(root / folder)
        except OSError:
            if not (root / folder / "font.js").is_file():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return folder
