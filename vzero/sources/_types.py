"""The one shape every import source returns: a file's path, its bytes and whether it is locked."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from vzero.core.files import FileEntry, is_binary

__all__ = ["ImportedFile", "is_binary", "lock_all"]


# Sources return the core's own file type: an imported file is a version's file before it is stored.
ImportedFile = FileEntry


def lock_all(files: Iterable[ImportedFile]) -> list[ImportedFile]:
    """The same files, all locked (the API's `lockAllFiles`)."""
    return [dataclasses.replace(f, locked=True) for f in files]


def human_bytes(size: int) -> str:
    """A byte count for error messages: 512 bytes, 5.0 MiB."""
    value = float(size)
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{size} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")
