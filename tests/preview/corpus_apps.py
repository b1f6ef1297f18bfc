"""The v0-style projects of tests/preview/corpus/ (a helper module, not a test file).

Every project is the usual v0 export, `corpus/_base/` (shadcn's components/ui, lib/utils.ts, hooks, globals.css,
config files and v0's package.json, with its exact Radix pins and `lucide-react: ^0.454.0`), plus its own files;
its package.json is merged into the base one as v0 would have written it. Each reproduces one class of failure
real v0 projects had in the preview.
"""

from __future__ import annotations

import json
from pathlib import Path

CORPUS = Path(__file__).resolve().parent / "corpus"
BASE = CORPUS / "_base"


def projects() -> list[str]:
    """The projects' names, sorted."""
    return sorted(p.name for p in CORPUS.iterdir() if p.is_dir() and not p.name.startswith("_"))


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def load_project(name: str, runtime_dir: Path | None = None) -> dict[str, bytes]:
    """The files of project `name`: the base, its own files over them, the two package.json files merged.

    A project that names `local-fonts.json` gets those font files from the runtime's `geist` package (the
    binary files create-next-app ships in app/fonts/), so that no font file is kept in the repository.
    """
    files = _files(BASE)
    own = _files(CORPUS / name)
    base_pkg = json.loads(files["package.json"])
    if "package.json" in own:
        pkg = json.loads(own.pop("package.json"))
        for key in ("dependencies", "devDependencies"):
            merged = {**base_pkg.get(key, {}), **pkg.get(key, {})}
            base_pkg[key] = {k: v for k, v in sorted(merged.items()) if v is not None}
        for key, value in pkg.items():
            if key not in ("dependencies", "devDependencies"):
                base_pkg[key] = value
    for path in [p for p, content in own.items() if content == b"__delete__\n"]:
        files.pop(path, None)
        own.pop(path)
    if "local-fonts.json" in own:
        wanted: dict[str, str] = json.loads(own.pop("local-fonts.json"))
        if runtime_dir is None:
            raise ValueError(f"project {name} needs the runtime's geist package for its font files")
        for target, source in wanted.items():
            own[target] = (Path(runtime_dir) / "node_modules" / "geist" / source).read_bytes()
    files.update(own)
    files["package.json"] = (json.dumps(base_pkg, indent=2) + "\n").encode()
    return files
