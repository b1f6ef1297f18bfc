"""Chats, their messages and their versions: the persistence of the core domain."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, cast

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from vzero.core.access import Principal, can_read, can_write
from vzero.core.files import FileSet
from vzero.core.ids import new_id, utcnow
from vzero.errors import Forbidden, InvalidInput, NotFound
from vzero.store.blobs import BlobStore
from vzero.store.db import Database
from vzero.store.tables import Chat, Message, User, Version


@dataclass(slots=True)
class ChatAccess:
    """A chat as the caller may use it; with `shown`, also the version a reader sees and the chat's revision."""

    chat: Chat
    owner_team: str | None
    writable: bool
    shown: Version | None = None  # a generation's pending version, else the latest completed one (`latest_version`)
    revision: int | None = None  # `chats.revision` as read with the chat, in the same statement


@dataclass(slots=True)
class Page:
    """One page of a cursor-paginated list, newest first."""

    items: list[Any]
    next_cursor: str | None

    @property
    def has_more(self) -> bool:
        return self.next_cursor is not None


def encode_cursor(value: int, kind: str = "s") -> str:
    """An opaque cursor: the last sequence number seen (`s`) or the offset of the next page (`o`)."""
    return base64.urlsafe_b64encode(f"{kind}:{value}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None, kind: str = "s") -> int | None:
    """The value of a cursor of that kind; InvalidInput for anything else."""
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if not raw.startswith(f"{kind}:") or int(raw[2:]) < 0:
            raise ValueError(raw)
        return int(raw[2:])
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput("cursor is not valid: pass the cursor of a previous page") from exc


async def chat_for(session: AsyncSession, principal: Principal, chat_id: str, *, write: bool = False, shown: bool = False) -> ChatAccess:
    """The chat if the caller may see it (404 otherwise); with write=True also 403 unless it may change it.

    With `shown`, the same statement also reads the version a reader sees and the chat's revision (a ChatDetail's
    inputs, consistent with each other).
    """
    if shown:
        found = (await session.execute(_CHAT_SHOWN, {"chat_id": chat_id})).first()
        if found is None:
            raise NotFound(f"Chat not found: {chat_id}")
        chat, owner_team, version, revision = found
    else:
        row = (await session.execute(_CHAT, {"chat_id": chat_id})).first()
        if row is None:
            raise NotFound(f"Chat not found: {chat_id}")
        (chat, owner_team), version, revision = row, None, None
    writable = _writable(principal, chat.id, chat.owner_id, owner_team, chat.privacy, write=write)
    return ChatAccess(chat=chat, owner_team=owner_team, writable=writable, shown=version, revision=revision)


def _writable(principal: Principal, chat_id: str, owner_id: str, owner_team: str | None, privacy: str, *, write: bool) -> bool:
    """Whether the caller may change the chat; NotFound unless it may read it, Forbidden if `write` and it may not."""
    if not can_read(principal, owner_id, owner_team, privacy):
        raise NotFound(f"Chat not found: {chat_id}")
    writable = can_write(principal, owner_id, owner_team, privacy)
    if write and not writable:
        raise Forbidden("You can read this chat but only its owner can change it")
    return writable


class ChatStamp(NamedTuple):
    """What a chat's ChatDetail depends on for one caller, read without loading the chat (`chat_stamp`)."""

    revision: int  # `chats.revision`: raised by the database on any change of the chat, its messages, its versions
    version_id: str | None  # the version a reader should see
    version_status: str | None
    writable: bool  # the caller's permission, the only part of the body that depends on who asks


# Built once: constructing a statement costs more than running it from SQLAlchemy's compiled cache.
_PENDING_ID = (
    select(Version.id).where(Version.chat_id == Chat.id, Version.status == "pending")
    .order_by(Version.seq.desc()).limit(1).correlate(Chat).scalar_subquery()
)
_SHOWN_VERSION = Version.id == func.coalesce(_PENDING_ID, Chat.latest_version_id)
_CHAT = select(Chat, User.team_id).join(User, User.id == Chat.owner_id).where(Chat.id == bindparam("chat_id"))
_CHAT_SHOWN = (
    select(Chat, User.team_id, Version, Chat.revision)
    .join(User, User.id == Chat.owner_id)
    .outerjoin(Version, _SHOWN_VERSION)
    .where(Chat.id == bindparam("chat_id"))
)
_CHAT_STAMP = (
    select(Chat.owner_id, User.team_id, Chat.privacy, Chat.revision, Version.id, Version.status)
    .select_from(Chat)
    .join(User, User.id == Chat.owner_id)
    .outerjoin(Version, _SHOWN_VERSION)
    .where(Chat.id == bindparam("chat_id"))
)


async def chat_stamp(db: Database, principal: Principal, chat_id: str) -> ChatStamp:
    """What `chat_for(..., shown=True)` would read about a chat's state and the caller's access, in plain columns (404
    likewise): what a cached ChatDetail depends on.

    Runs on a connection of its own, through the driver (`Database.first_row`): no session, no ORM objects.
    """
    row = await db.first_row(_CHAT_STAMP, {"chat_id": chat_id})
    if row is None:
        raise NotFound(f"Chat not found: {chat_id}")
    owner_id, owner_team, privacy, revision, version_id, version_status = row
    writable = _writable(principal, chat_id, owner_id, owner_team, privacy, write=False)
    return ChatStamp(revision, version_id, version_status, writable)


def new_chat(
    owner_id: str,
    *,
    privacy: str = "private",
    name: str | None = None,
    project_id: str | None = None,
    metadata: dict[str, str] | None = None,
    text: str = "",
    system: str | None = None,
    model_configuration: dict[str, Any] | None = None,
    api_version: str = "v1",
) -> Chat:
    """A chat not stored yet: the generation engine stores it with its first messages, in one transaction."""
    now = utcnow()
    return Chat(
        id=new_id(), owner_id=owner_id, project_id=project_id, name=name, privacy=privacy, favorite=False,
        meta=dict(metadata or {}), text=text, system=system, model_configuration=model_configuration,
        api_version=api_version, created_at=now, updated_at=now,
    )


async def create_chat(session: AsyncSession, owner_id: str, **fields: Any) -> Chat:
    """A stored chat; `fields` are those of `new_chat`."""
    chat = new_chat(owner_id, **fields)
    session.add(chat)
    await session.flush()
    return chat


async def list_chats(
    session: AsyncSession,
    owner_id: str,
    *,
    limit: int,
    offset: int = 0,
    is_favorite: bool | None = None,
    project_id: str | None = None,
    metadata: dict[str, str] | None = None,
) -> list[Chat]:
    """The owner's chats, most recently updated first, filtered by favorite, project and metadata."""
    query = select(Chat).where(Chat.owner_id == owner_id)
    if is_favorite is not None:
        query = query.where(Chat.favorite == is_favorite)
    if project_id is not None:
        query = query.where(Chat.project_id == project_id)
    query = query.order_by(Chat.updated_at.desc(), Chat.id.desc())
    if not metadata:
        return list((await session.execute(query.offset(offset).limit(limit))).scalars())
    # Metadata is a JSON column whose query operators differ between SQLite and PostgreSQL;
    # filtering in Python keeps one code path and is cheap at one user's chat count.
    wanted = metadata.items()
    matched = [c for c in (await session.execute(query)).scalars() if all(c.meta.get(k) == v for k, v in wanted)]
    return matched[offset : offset + limit]


async def next_seq(session: AsyncSession, model: type[Message] | type[Version], chat_id: str) -> int:
    current = (await session.execute(select(func.max(model.seq)).where(model.chat_id == chat_id))).scalar()
    return (current or 0) + 1


async def add_message(
    session: AsyncSession,
    chat: Chat,
    *,
    role: str,
    content: str = "",
    type: str = "message",
    status: str = "completed",
    author_id: str | None = None,
    attachments: list[dict[str, Any]] | None = None,
    parts: list[dict[str, Any]] | None = None,
    finish_reason: str | None = None,
    parent_id: str | None = None,
    model_id: str | None = None,
    version_id: str | None = None,
) -> Message:
    now = utcnow()
    message = Message(
        id=new_id(), chat_id=chat.id, seq=await next_seq(session, Message, chat.id), role=role, type=type,
        content=content, parts=parts or [], attachments=attachments or [], status=status,
        finish_reason=finish_reason, parent_id=parent_id, author_id=author_id, model_id=model_id,
        version_id=version_id, input_tokens=0, output_tokens=0, cache_read_tokens=0, cache_write_tokens=0,
        created_at=now, updated_at=now,
    )
    session.add(message)
    chat.updated_at = now
    await session.flush()
    return message


async def add_version(
    session: AsyncSession,
    blobs: BlobStore,
    chat: Chat,
    files: FileSet | None,
    *,
    status: str = "completed",
    message_id: str | None = None,
    parent_id: str | None = None,
    base_manifest: str | None = None,
) -> Version:
    """A new version of the chat; a completed one becomes the chat's latest.

    `base_manifest` is the manifest hash of the files `files` were derived from (the parent's): the new manifest is
    then stored as a delta against it where that is smaller.
    """
    now = utcnow()
    version = Version(
        id=new_id(), chat_id=chat.id, seq=await next_seq(session, Version, chat.id), message_id=message_id,
        parent_id=parent_id if parent_id is not None else chat.latest_version_id, status=status,
        manifest_hash=await blobs.put_files(session, files, base=base_manifest) if files is not None else None,
        errors=[], created_at=now, updated_at=now,
    )
    session.add(version)
    if status == "completed":
        chat.latest_version_id = version.id
    chat.updated_at = now
    await session.flush()
    return version


async def latest_version(session: AsyncSession, chat: Chat) -> Version | None:
    """The version a reader should see: a generation in progress, else the latest completed one."""
    pending = (
        await session.execute(
            select(Version).where(Version.chat_id == chat.id, Version.status == "pending").order_by(Version.seq.desc()).limit(1)
        )
    ).scalar_one_or_none()
    if pending is not None:
        return pending
    if chat.latest_version_id is None:
        return None
    return await session.get(Version, chat.latest_version_id)


async def messages_of(session: AsyncSession, chat_id: str) -> list[Message]:
    """Every message of a chat, oldest first."""
    return list((await session.execute(select(Message).where(Message.chat_id == chat_id).order_by(Message.seq))).scalars())


async def page_of(
    session: AsyncSession, model: type[Message] | type[Version], chat_id: str, *, limit: int, cursor: str | None
) -> Page:
    """Newest first; the cursor names the last row seen."""
    query = select(model).where(model.chat_id == chat_id)
    after = decode_cursor(cursor)
    if after is not None:
        query = query.where(model.seq < after)
    rows = cast(list[Message | Version], list((await session.execute(query.order_by(model.seq.desc()).limit(limit + 1))).scalars()))
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(items=rows, next_cursor=encode_cursor(rows[-1].seq) if more and rows else None)


async def count_versions(session: AsyncSession, chat_id: str) -> int:
    return (await session.execute(select(func.count()).select_from(Version).where(Version.chat_id == chat_id))).scalar_one()


async def message_of(session: AsyncSession, chat_id: str, message_id: str) -> Message:
    message = await session.get(Message, message_id)
    if message is None or message.chat_id != chat_id:
        raise NotFound(f"Message not found: {message_id}")
    return message


async def version_of(session: AsyncSession, chat_id: str, version_id: str) -> Version:
    version = await session.get(Version, version_id)
    if version is None or version.chat_id != chat_id:
        raise NotFound(f"Version not found: {version_id}")
    return version


async def delete_chat(session: AsyncSession, chat: Chat) -> None:
    # Children first: SQLite only cascades with foreign_keys on, and bulk deletes are cheaper than ORM cascades.
    await session.execute(delete(Message).where(Message.chat_id == chat.id))
    await session.execute(delete(Version).where(Version.chat_id == chat.id))
    await session.execute(delete(Chat).where(Chat.id == chat.id))


async def fork_chat(
    session: AsyncSession, blobs: BlobStore, source: Chat, owner_id: str, *, version_id: str | None, privacy: str
) -> Chat:
    """A new chat owning a copy of the source's history up to the chosen version, and its files."""
    if version_id is None:
        if source.latest_version_id is None:
            raise InvalidInput("This chat has no completed version to fork")
        version_id = source.latest_version_id
    base = await version_of(session, source.id, version_id)
    if base.status != "completed":
        raise InvalidInput(f"Version {version_id} is {base.status}; only a completed version can be forked")
    fork = await create_chat(
        session, owner_id, privacy=privacy, name=source.name, project_id=source.project_id if source.owner_id == owner_id else None,
        metadata=dict(source.meta), text=source.text, system=source.system,
        model_configuration=source.model_configuration, api_version=source.api_version,
    )
    # Messages up to the one that produced the base version (all of them if the version was not generated).
    messages = await messages_of(session, source.id)
    if base.message_id is not None:
        cut = next((m.seq for m in messages if m.id == base.message_id), None)
        if cut is not None:
            messages = [m for m in messages if m.seq <= cut]
    versions = list(
        (await session.execute(
            select(Version).where(Version.chat_id == source.id, Version.seq <= base.seq, Version.status == "completed").order_by(Version.seq)
        )).scalars()
    )
    message_ids = {m.id: new_id() for m in messages}
    version_ids = {v.id: new_id() for v in versions}
    for seq, m in enumerate(messages, start=1):
        session.add(Message(
            id=message_ids[m.id], chat_id=fork.id, seq=seq, role=m.role, type=m.type, content=m.content, parts=m.parts,
            attachments=m.attachments, status=m.status, finish_reason=m.finish_reason, error=m.error,
            parent_id=message_ids.get(m.parent_id or ""), author_id=m.author_id, model_id=m.model_id,
            version_id=version_ids.get(m.version_id or ""), input_tokens=m.input_tokens, output_tokens=m.output_tokens,
            cache_read_tokens=m.cache_read_tokens, cache_write_tokens=m.cache_write_tokens, credits=m.credits,
            created_at=m.created_at, updated_at=m.updated_at,
        ))
    for seq, v in enumerate(versions, start=1):
        # The manifest and blobs are shared: content-addressed storage makes the copy free.
        session.add(Version(
            id=version_ids[v.id], chat_id=fork.id, seq=seq, message_id=message_ids.get(v.message_id or ""),
            parent_id=version_ids.get(v.parent_id or ""), status=v.status, manifest_hash=v.manifest_hash,
            errors=v.errors, screenshot=v.screenshot, created_at=v.created_at, updated_at=v.updated_at,
        ))
    fork.latest_version_id = version_ids[base.id]
    await session.flush()
    return fork


async def set_project(session: AsyncSession, chat_ids: Sequence[str], project_id: str | None) -> None:
    await session.execute(update(Chat).where(Chat.id.in_(list(chat_ids))).values(project_id=project_id))
