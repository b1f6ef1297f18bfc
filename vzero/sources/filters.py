"""Which imported paths are safe, which are kept, which reach the model, and how much an import may hold."""

from __future__ import annotations

import re
from collections.abc import Iterable

from vzero.config import Settings
from vzero.errors import PayloadTooLarge, SourceError, UnsafeSource
from vzero.sources._types import ImportedFile, human_bytes

MAX_PATH_CHARS = 1024

# Dropped at import wherever they appear: version control, installed packages, caches, OS litter.
IGNORED_DIRS = frozenset(
    {".git", ".hg", ".svn", "node_modules", ".next", ".vercel", ".turbo", "coverage", "__pycache__", "__MACOSX"}
)
IGNORED_FILES = frozenset({".DS_Store", "Thumbs.db", ".git"})  # `.git` as a file points at a worktree's git dir
# Build output, dropped only at the project root or a workspace package root: `app/build/page.tsx` is a route.
BUILD_OUTPUT_DIRS = frozenset({"dist", "build", "out"})
_WORKSPACE_DIRS = frozenset({"apps", "packages"})

# Kept (installs stay reproducible) but never sent to the model: large, generated, or secret.
LOCK_FILES = frozenset(
    {"package-lock.json", "npm-shrinkwrap.json", "pnpm-lock.yaml", "yarn.lock", "bun.lockb", "bun.lock"}
)
_GENERATED_SUFFIXES = (".map", ".min.js", ".min.css")
_DRIVE = re.compile(r"^[A-Za-z]:")


def safe_relative_path(name: str) -> str:
    """A normalised relative POSIX path, or UnsafeSource for anything that could escape or confuse."""
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


def is_ignored(path: str) -> bool:
    """True for paths dropped at import (dependencies, VCS data, caches, build output, OS litter)."""
    segments = path.split("/")
    if segments[-1] in IGNORED_FILES:
        return True
    directories = segments[:-1]
    if any(segment in IGNORED_DIRS for segment in directories):
        return True
    if directories and directories[0] in BUILD_OUTPUT_DIRS:
        return True
    return len(directories) >= 3 and directories[0] in _WORKSPACE_DIRS and directories[2] in BUILD_OUTPUT_DIRS


def in_model_context(path: str) -> bool:
    """False for kept files the model should not read: lock files, env files, source maps, minified bundles."""
    base = path.rsplit("/", 1)[-1]
    if base in LOCK_FILES:
        return False
    if (base == ".env" or base.startswith(".env.")) and base != ".env.example":
        return False
    return not base.endswith(_GENERATED_SUFFIXES)


class FileBudget:
    """Counts an import's files and bytes against the settings, failing as soon as a limit is crossed."""

    def __init__(self, settings: Settings) -> None:
        self.max_files = settings.max_files
        self.max_file_bytes = settings.max_file_bytes
        self.max_total_bytes = settings.max_total_file_bytes
        self.files = 0
        self.total_bytes = 0

    def add(self, path: str, size: int) -> None:
        """Account for one more file of `size` bytes, or raise PayloadTooLarge."""
        if size > self.max_file_bytes:
            raise PayloadTooLarge(
                f"{path} is {human_bytes(size)}, over the per-file limit of {human_bytes(self.max_file_bytes)}"
                " (VZERO_MAX_FILE_BYTES)"
            )
        self.files += 1
        if self.files > self.max_files:
            raise PayloadTooLarge(f"The import has more than {self.max_files} files (VZERO_MAX_FILES)")
        self.total_bytes += size
        if self.total_bytes > self.max_total_bytes:
            raise PayloadTooLarge(
                f"The import's files add up to more than {human_bytes(self.max_total_bytes)}"
                " (VZERO_MAX_TOTAL_FILE_BYTES)"
            )


def select_files(files: Iterable[ImportedFile], settings: Settings) -> list[ImportedFile]:
    """Validate names, drop ignored paths, refuse duplicates and enforce the file limits."""
    budget = FileBudget(settings)
    selected: dict[str, ImportedFile] = {}
    for file in files:
        path = safe_relative_path(file.path)
        if is_ignored(path):
            continue
        if path in selected:
            raise SourceError(f"The file {path} appears more than once in the import")
        budget.add(path, len(file.content))
        selected[path] = file if path == file.path else ImportedFile(path, file.content, file.locked)
    return list(selected.values())
