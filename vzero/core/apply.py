"""Applies the model's file operations to a version's files, keeping what the user locked."""

from __future__ import annotations

from dataclasses import dataclass, field

from vzero.core.edits import AmbiguousEdit, has_existing_code_markers, merge_partial_edit, strip_change_comments
from vzero.core.files import FileSet


@dataclass(frozen=True, slots=True)
class Outcome:
    """What happened to one operation: `operation` is create/update/delete/rename, or None when skipped."""

    operation: str | None
    note: str | None = None


@dataclass
class EditApplier:
    """Holds the files as the reply changes them; `files` is the result so far."""

    files: FileSet
    notes: list[str] = field(default_factory=list)
    needs_full_file: dict[str, str] = field(default_factory=dict)  # path -> the partial edit that could not be placed

    def _locked(self, path: str) -> bool:
        entry = self.files.get(path)
        return entry is not None and entry.locked

    def _skip(self, note: str) -> Outcome:
        self.notes.append(note)
        return Outcome(None, note)

    def operation_for(self, path: str) -> str:
        return "update" if path in self.files else "create"

    def write(self, path: str, content: str, partial: bool) -> Outcome:
        if self._locked(path):
            return self._skip(f"Skipped {path}: the file is locked, so it was left unchanged.")
        content = strip_change_comments(content)
        operation = self.operation_for(path)
        if partial or has_existing_code_markers(content):
            original = self.files.get(path)
            try:
                content = merge_partial_edit(original.content.decode("utf-8", "replace") if original else "", content)
            except AmbiguousEdit:
                self.needs_full_file[path] = content
                return Outcome(operation, f"The edit of {path} could not be placed unambiguously.")
        self.needs_full_file.pop(path, None)
        self.files = self.files.with_written(path, content.encode())
        return Outcome(operation)

    def write_bytes(self, path: str, content: bytes) -> Outcome:
        """A whole file written as it is (an image): no edit markers, no merging."""
        if self._locked(path):
            return self._skip(f"Skipped {path}: the file is locked, so it was left unchanged.")
        operation = self.operation_for(path)
        self.files = self.files.with_written(path, content)
        return Outcome(operation)

    def delete(self, path: str) -> Outcome:
        if path not in self.files:
            return self._skip(f"Did not delete {path}: no such file.")
        if self._locked(path):
            return self._skip(f"Skipped deleting {path}: the file is locked.")
        self.files = self.files.with_deleted([path])
        return Outcome("delete")

    def move(self, source: str, target: str) -> Outcome:
        if source not in self.files:
            return self._skip(f"Did not move {source}: no such file.")
        if self._locked(source) or self._locked(target):
            return self._skip(f"Skipped moving {source} to {target}: a locked file is involved.")
        self.files = self.files.with_moved(source, target)
        return Outcome("rename")
