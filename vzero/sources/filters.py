"""Which imported paths are safe, which are kept, which reach the model, and how much an import may hold."""

from __future__ import annotations

from collections.abc import Iterable

from vzero.config import Settings
from vzero.core.files import safe_path
from vzero.errors import PayloadTooLarge, SourceError
from vzero.sources._types import ImportedFile, human_bytes

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
        path = safe_path(file.path)
        if is_ignored(path):
            continue
        if path in selected:
            raise SourceError(f"The file {path} appears more than once in the import")
        budget.add(path, len(file.content))
        selected[path] = file if path == file.path else ImportedFile(path, file.content, file.locked)
    return list(selected.values())
