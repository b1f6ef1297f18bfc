"""The files of a version: an immutable mapping of paths to contents, with locks."""

from __future__ import annotations

import base64
import mimetypes
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from vzero.errors import InvalidInput

BINARY_EXTENSIONS = frozenset(
    [
        ".png", ".jpg", ".jpeg", ".gif", ".webp", ".ico", ".bmp", ".avif", ".tiff", ".woff", ".woff2", ".ttf", ".otf", ".eot",
        ".mp3", ".mp4", ".webm", ".wav", ".ogg", ".pdf", ".zip", ".gz", ".tgz", ".wasm", ".glb", ".gltf", ".bin",
    ]
)


@dataclass(frozen=True, slots=True)
class FileEntry:
    """One file of a version."""

    path: str
    content: bytes
    locked: bool = False

    @property
    def is_binary(self) -> bool:
        return is_binary(self.path, self.content)

    def text(self) -> str:
        """The content as the v1 API shows it: UTF-8 text, or a data URI for binary files."""
        if self.is_binary:
            mime = mimetypes.guess_type(self.path)[0] or "application/octet-stream"
            return f"data:{mime};base64,{base64.b64encode(self.content).decode()}"
        return self.content.decode("utf-8", errors="replace")


def is_binary(path: str, content: bytes) -> bool:
    dot = path.rfind(".")
    if dot != -1 and path[dot:].lower() in BINARY_EXTENSIONS:
        return True
    if b"\x00" in content[:8192]:
        return True
    try:
        content[:8192].decode("utf-8")
    except UnicodeDecodeError as exc:  # a multi-byte character cut at the probe boundary is still text
        return exc.start < len(content[:8192]) - 4
    return False


def normalise_path(name: str) -> str:
    """A safe relative POSIX path, or InvalidInput: no absolute paths, no `..`, no empty segments."""
    if not isinstance(name, str) or not name.strip():
        raise InvalidInput("file name must be a non-empty string")
    if "\x00" in name or len(name) > 1024:
        raise InvalidInput(f"file name {name[:80]!r} is not acceptable")
    path = name.replace("\\", "/").strip()
    while path.startswith("./"):
        path = path[2:]
    if path.startswith("/") or (len(path) > 1 and path[1] == ":"):
        raise InvalidInput(f"file name {name!r} must be relative")
    parts = path.split("/")
    if any(part in ("", ".", "..") for part in parts):
        raise InvalidInput(f"file name {name!r} has an empty, '.' or '..' segment")
    return path


class FileSet(Mapping[str, FileEntry]):
    """An immutable set of files; edits return a new FileSet and keep locks."""

    __slots__ = ("_files",)

    def __init__(self, files: Iterable[FileEntry] = ()) -> None:
        self._files: dict[str, FileEntry] = {f.path: f for f in files}

    def __getitem__(self, path: str) -> FileEntry:
        return self._files[path]

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._files))

    def __len__(self) -> int:
        return len(self._files)

    def entries(self) -> list[FileEntry]:
        return [self._files[p] for p in sorted(self._files)]

    def locked_paths(self) -> list[str]:
        return sorted(p for p, f in self._files.items() if f.locked)

    def with_written(self, path: str, content: bytes, locked: bool | None = None) -> FileSet:
        """Write a file; `locked=None` keeps the current lock (new files are unlocked)."""
        current = self._files.get(path)
        keep = current.locked if current is not None else False
        files = dict(self._files)
        files[path] = FileEntry(path, content, keep if locked is None else locked)
        return FileSet(files.values())

    def with_deleted(self, paths: Iterable[str]) -> FileSet:
        drop = set(paths)
        return FileSet(f for p, f in self._files.items() if p not in drop)

    def with_moved(self, source: str, target: str) -> FileSet:
        entry = self._files.get(source)
        if entry is None:
            return self
        files = {p: f for p, f in self._files.items() if p != source}
        files[target] = FileEntry(target, entry.content, entry.locked)
        return FileSet(files.values())

    def total_bytes(self) -> int:
        return sum(len(f.content) for f in self._files.values())
