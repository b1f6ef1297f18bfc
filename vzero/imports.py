"""Turns an init request (files, repo, registry, zip, template) into the files of a chat's first version."""

from __future__ import annotations

from typing import Any

from vzero.core.files import FileEntry, FileSet, normalise_path
from vzero.errors import InvalidInput, PayloadTooLarge
from vzero.runtime import Runtime


def check_limits(runtime: Runtime, files: FileSet) -> FileSet:
    settings = runtime.settings
    if len(files) > settings.max_files:
        raise PayloadTooLarge(f"{len(files)} files is more than the limit of {settings.max_files} (VZERO_MAX_FILES)")
    for entry in files.entries():
        if len(entry.content) > settings.max_file_bytes:
            raise PayloadTooLarge(f"{entry.path} is larger than {settings.max_file_bytes} bytes (VZERO_MAX_FILE_BYTES)")
    if files.total_bytes() > settings.max_total_file_bytes:
        raise PayloadTooLarge(f"The files add up to more than {settings.max_total_file_bytes} bytes (VZERO_MAX_TOTAL_FILE_BYTES)")
    return files


async def import_files_for_init(runtime: Runtime, body: Any) -> FileSet:
    """The files an init body describes, within the configured limits."""
    if body.type == "files":
        entries = []
        seen: set[str] = set()
        for item in body.files:
            path = normalise_path(item.name)
            if path in seen:
                raise InvalidInput(f"files names {path} twice")
            seen.add(path)
            if hasattr(item, "content"):
                content = item.content.encode()
            else:
                raise InvalidInput("files given by url are not supported yet")
            entries.append(FileEntry(path, content, bool(item.locked)))
        return check_limits(runtime, FileSet(entries))
    raise InvalidInput(f"init type {body.type!r} is not supported yet")
