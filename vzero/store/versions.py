"""Version-level operations that make a new version from an old one: edit, delete files, restore."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from vzero.config import Settings
from vzero.core.files import FileSet
from vzero.errors import Conflict, InvalidInput, PayloadTooLarge
from vzero.store.blobs import BlobStore
from vzero.store.chats import add_message, add_version
from vzero.store.tables import Chat, Message, Version


async def files_of(session: AsyncSession, blobs: BlobStore, version: Version) -> FileSet:
    """A version's files; a pending version shows its parent's until it completes."""
    if version.manifest_hash is None and version.parent_id is not None:
        parent = await session.get(Version, version.parent_id)
        return await files_of(session, blobs, parent) if parent is not None else FileSet()
    return await blobs.get_files(session, version.manifest_hash)


async def ensure_idle(session: AsyncSession, chat: Chat) -> None:
    """Refuse a change while a generation is writing this chat: the two would interleave."""
    running = await session.execute(select(exists().where(Message.chat_id == chat.id, Message.status == "running")))
    if running.scalar():
        raise Conflict("A generation is running in this chat; wait for it to finish or stop it first")


def _completed(version: Version) -> None:
    if version.status != "completed":
        raise InvalidInput(f"Version {version.id} is {version.status}; only a completed version can be changed or restored")


async def derive_version(
    session: AsyncSession,
    blobs: BlobStore,
    chat: Chat,
    base: Version,
    files: FileSet,
    *,
    message_type: str,
    summary: str,
    author_id: str,
) -> Version:
    """A new completed version with `files`, recorded as a user message that says what changed."""
    await ensure_idle(session, chat)
    message = await add_message(session, chat, role="user", type=message_type, content=summary, author_id=author_id)
    version = await add_version(session, blobs, chat, files, message_id=message.id, parent_id=base.id, base_manifest=base.manifest_hash)
    message.version_id = version.id
    return version


async def edit_files(
    session: AsyncSession, blobs: BlobStore, chat: Chat, base: Version, edits: Iterable[tuple[str, bytes, bool | None]], author_id: str
) -> Version:
    _completed(base)
    files = await files_of(session, blobs, base)
    names = []
    for path, content, locked in edits:
        files = files.with_written(path, content, locked)
        names.append(path)
    return await derive_version(session, blobs, chat, base, files, message_type="edited-file", summary="Edited " + ", ".join(names), author_id=author_id)


async def delete_files(session: AsyncSession, blobs: BlobStore, chat: Chat, base: Version, paths: list[str], author_id: str) -> Version:
    _completed(base)
    files = await files_of(session, blobs, base)
    missing = [p for p in paths if p not in files]
    if missing:
        raise InvalidInput("No such file in this version: " + ", ".join(missing[:10]))
    return await derive_version(
        session, blobs, chat, base, files.with_deleted(paths), message_type="deleted-file", summary="Deleted " + ", ".join(paths), author_id=author_id
    )


async def restore(session: AsyncSession, blobs: BlobStore, chat: Chat, base: Version, author_id: str) -> Version:
    _completed(base)
    files = await files_of(session, blobs, base)
    return await derive_version(session, blobs, chat, base, files, message_type="reverted-block", summary=f"Restored version {base.id}", author_id=author_id)


async def change_files(
    session: AsyncSession,
    blobs: BlobStore,
    chat: Chat,
    changes: Sequence[tuple[str, bytes | None]],
    author_id: str,
    settings: Settings,
) -> list[Message]:
    """Write (content) and delete (None) files of the chat's latest files; returns the user messages recording it.

    Writes and deletes each make a version; a chat without files first gets an empty one to start from.
    """
    writes: dict[str, bytes] = {}
    deletes: list[str] = []
    for path, content in changes:
        if path in writes or path in deletes:
            raise InvalidInput(f"files names {path} twice")
        if content is None:
            deletes.append(path)
        elif len(content) > settings.max_file_bytes:
            raise PayloadTooLarge(f"{path} is larger than {settings.max_file_bytes} bytes (VZERO_MAX_FILE_BYTES)")
        else:
            writes[path] = content
    await ensure_idle(session, chat)
    created: list[Message] = []
    base = await session.get(Version, chat.latest_version_id) if chat.latest_version_id else None
    if base is None:
        message = await add_message(session, chat, role="user", type="edited-file", content="Started with no files", author_id=author_id)
        base = await add_version(session, blobs, chat, FileSet(), message_id=message.id)
        message.version_id = base.id
        created.append(message)
    if writes:
        base = await edit_files(session, blobs, chat, base, [(p, c, None) for p, c in writes.items()], author_id)
        created.append(await _recorded_by(session, base))
    if deletes:
        base = await delete_files(session, blobs, chat, base, deletes, author_id)
        created.append(await _recorded_by(session, base))
    files = await files_of(session, blobs, base)
    if len(files) > settings.max_files or files.total_bytes() > settings.max_total_file_bytes:
        raise PayloadTooLarge(f"The chat's files would exceed VZERO_MAX_FILES ({settings.max_files}) or VZERO_MAX_TOTAL_FILE_BYTES")
    return created


async def _recorded_by(session: AsyncSession, version: Version) -> Message:
    message = await session.get(Message, version.message_id)
    assert message is not None  # derive_version always records the change as a message
    return message
