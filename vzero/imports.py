"""Turns an import request (files, repo, registry, zip, template) into the files of a chat's first version.

Shared by v1 `chats.init` and v2 `createFromFiles/Zip/Repo`: each source module reads untrusted input
within the configured limits; this module picks the source and applies `lockAllFiles`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from vzero.core.access import Principal
from vzero.core.files import FileEntry, FileSet
from vzero.errors import InvalidInput, PayloadTooLarge, SourceError
from vzero.hooks import HookDispatcher
from vzero.runtime import Runtime
from vzero.sources import ImportedFile
from vzero.sources.archives import import_archive
from vzero.sources.fetch import SafeFetcher
from vzero.sources.files import import_inline_files
from vzero.sources.registry import THEMED_STYLESHEET, import_design_system, import_registry
from vzero.sources.repo import import_repo
from vzero.sources.templates import DEFAULT_TEMPLATE, load_template
from vzero.store import chats as chat_store
from vzero.store import projects as project_store
from vzero.store.db import assert_released
from vzero.store.tables import Chat


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


def to_file_set(runtime: Runtime, imported: Iterable[ImportedFile], lock_all: bool = False) -> FileSet:
    entries: dict[str, FileEntry] = {}
    for item in imported:
        if item.path in entries:
            raise InvalidInput(f"The import names {item.path} twice")
        entries[item.path] = FileEntry(item.path, item.content, lock_all or item.locked)
    return check_limits(runtime, FileSet(entries.values()))


async def import_chat(
    runtime: Runtime,
    hooks: HookDispatcher,
    principal: Principal,
    files: FileSet,
    *,
    privacy: str,
    name: str | None,
    metadata: dict[str, str],
    project_id: str | None = None,
    api_version: str = "v1",
) -> Chat:
    """A new chat whose first version holds imported files (no model call, so no usage)."""
    async with runtime.db.session() as session:
        if project_id is not None:
            await project_store.project_for(session, principal, project_id, write=True)
        chat = await chat_store.create_chat(
            session, principal.user_id, privacy=privacy, name=name, project_id=project_id, metadata=metadata, text="", api_version=api_version,
        )
        await chat_store.add_version(session, runtime.blobs, chat, files)
        await session.commit()
    hooks.emit("chat.created", chat_id=chat.id, owner_id=chat.owner_id)
    return chat


async def check_project(runtime: Runtime, principal: Principal, project_id: str | None) -> None:
    """Refuse a project the caller may not add chats to, before anything is fetched."""
    if project_id is not None:
        async with runtime.db.session() as session:
            await project_store.project_for(session, principal, project_id, write=True)


async def inline_files(runtime: Runtime, files: Sequence[Mapping[str, Any]]) -> FileSet:
    """Files given inline (`content`) or by `url` (http(s) through the safe fetcher, or a data: URI)."""
    assert_released("fetching files")
    if len(files) > runtime.settings.max_files:
        raise PayloadTooLarge(f"{len(files)} files is more than the limit of {runtime.settings.max_files} (VZERO_MAX_FILES)")
    imported = await import_inline_files(list(files), SafeFetcher(runtime.settings), runtime.settings)
    return to_file_set(runtime, imported)


def not_empty(files: FileSet, source: str) -> FileSet:
    """Refuse an import that left nothing: everything in it was a link, a device or an ignored path."""
    if len(files) == 0:
        raise SourceError(
            f"The {source} holds no files to import (links, devices, node_modules, version control data and"
            " build output are left out)"
        )
    return files


async def from_repo(runtime: Runtime, url: str, branch: str | None, lock_all: bool = False) -> FileSet:
    assert_released("fetching a repository")
    return not_empty(to_file_set(runtime, await import_repo(url, branch, runtime.settings), lock_all), "repository")


async def from_zip(runtime: Runtime, url: str, lock_all: bool = False) -> FileSet:
    assert_released("fetching an archive")
    return not_empty(to_file_set(runtime, await import_archive(url, runtime.settings), lock_all), "archive")


async def from_registry(runtime: Runtime, url: str, lock_all: bool = False) -> FileSet:
    assert_released("fetching a registry item")
    return not_empty(to_file_set(runtime, await import_registry(url, runtime.settings), lock_all), "registry item")


_DESIGN_SYSTEM_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


def design_system_url(runtime: Runtime, design_system_id: str) -> str:
    """A design system's registry item: the id itself when it is a URL, else VZERO_DESIGN_SYSTEM_URL with it."""
    if design_system_id.startswith(("http://", "https://")):
        return design_system_id
    if not _DESIGN_SYSTEM_ID.fullmatch(design_system_id):
        raise InvalidInput(f"designSystemId {design_system_id[:80]!r} is neither a registry item URL nor a design system name")
    return runtime.settings.design_system_url.replace("{id}", design_system_id)


async def with_design_system(runtime: Runtime, design_system_id: str) -> FileSet:
    """A new chat's starting files: the starter template with a shadcn registry design system applied (its
    components, and its theme in the stylesheet)."""
    assert_released("fetching a design system")
    starter = {f.path: f for f in load_template(DEFAULT_TEMPLATE)}
    stylesheet = starter[THEMED_STYLESHEET].content.decode()
    try:
        design = await import_design_system(design_system_url(runtime, design_system_id), runtime.settings, stylesheet)
    except SourceError as exc:
        raise InvalidInput(f"designSystemId {design_system_id!r}: {exc.message}") from None
    merged = {**starter, **{f.path: f for f in design}}
    return to_file_set(runtime, merged.values())


def from_template(runtime: Runtime, template_id: str) -> FileSet:
    return to_file_set(runtime, load_template(template_id))


async def import_files_for_init(runtime: Runtime, body: Any) -> FileSet:
    """The files a v1 init body describes."""
    lock_all = bool(getattr(body, "lockAllFiles", False))
    if body.type == "files":
        return await inline_files(runtime, [f.model_dump(exclude_none=True) for f in body.files])
    if body.type == "repo":
        return await from_repo(runtime, body.repo.url, body.repo.branch, lock_all)
    if body.type == "zip":
        return await from_zip(runtime, body.zip.url, lock_all)
    if body.type == "registry":
        return await from_registry(runtime, body.registry.url, lock_all)
    if body.type == "template":
        return from_template(runtime, body.templateId)
    raise InvalidInput(f"Unknown init type {body.type!r}")
