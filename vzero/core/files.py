"""The files of a version: an immutable mapping of paths to contents, with locks."""

from __future__ import annotations

import base64
import mimetypes
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from vzero.errors import UnsafeSource

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


MAX_PATH_CHARS = 1024
_DRIVE = re.compile(r"^[A-Za-z]:")


def safe_path(name: str) -> str:
    """A file's path inside a project, as a normalised relative POSIX path; UnsafeSource for anything that could
    escape the project or confuse a tool (absolute, a drive, `..`, empty or `.` segments, control characters).

    The one rule for every path that comes from outside: API bodies, archives, repositories, registries, templates.
    """
    if not isinstance(name, str) or not name:
        raise UnsafeSource("A file name is empty")
    shown = repr(name[:120])
    if len(name) > MAX_PATH_CHARS:
        raise UnsafeSource(f"File name {shown}... is longer than {MAX_PATH_CHARS} characters")
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in name):
        raise UnsafeSource(f"File name {shown} contains a control character (NUL, newline, ...)")
    # Windows tools write backslashes as separators; treat them as such so `..\\x` is seen as `../x`.
    path = name.replace("\\", "/")
    if path.startswith("/"):
        raise UnsafeSource(f"File name {shown} is absolute; only relative paths are accepted")
    if _DRIVE.match(path):
        raise UnsafeSource(f"File name {shown} starts with a drive letter; only relative paths are accepted")
    segments = path.split("/")
    while len(segments) > 1 and segments[0] == ".":
        segments.pop(0)
    for segment in segments:
        if segment == "..":
            raise UnsafeSource(f"File name {shown} climbs out of the project with '..'")
        if segment in ("", "."):
            raise UnsafeSource(f"File name {shown} has an empty or '.' segment")
    return "/".join(segments)


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
