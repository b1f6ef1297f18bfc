"""Starter projects shipped with vzero as real files under vzero/templates/<id>/."""

from __future__ import annotations

import re
from importlib.resources import files as package_files
from importlib.resources.abc import Traversable

from vzero.errors import InvalidInput
from vzero.sources._types import ImportedFile

DEFAULT_TEMPLATE = "nextjs-starter"
_TEMPLATE_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
_SKIPPED = frozenset({"__pycache__", ".DS_Store"})


def list_templates() -> list[str]:
    """The ids of the shipped templates, sorted."""
    return sorted(entry.name for entry in _root().iterdir() if entry.is_dir() and _TEMPLATE_ID.fullmatch(entry.name))


def load_template(template_id: str) -> list[ImportedFile]:
    """Every file of one template (dotfiles included), sorted by path; unknown ids name the valid ones."""
    valid = list_templates()
    if not isinstance(template_id, str) or template_id not in valid:
        shown = template_id[:80] if isinstance(template_id, str) else template_id
        raise InvalidInput(f"Unknown template {shown!r}; valid template ids: {', '.join(valid)}")
    files: list[ImportedFile] = []
    _collect(_root() / template_id, "", files)
    return sorted(files, key=lambda f: f.path)


def _root() -> Traversable:
    return package_files("vzero") / "templates"


def _collect(directory: Traversable, prefix: str, out: list[ImportedFile]) -> None:
    for entry in directory.iterdir():
        if entry.name in _SKIPPED:
            continue
        if entry.is_dir():
            _collect(entry, f"{prefix}{entry.name}/", out)
        elif entry.is_file():
            out.append(ImportedFile(prefix + entry.name, entry.read_bytes()))
