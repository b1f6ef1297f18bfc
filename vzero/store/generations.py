"""A generation's rows: what its start reads and writes, what its end writes, and recovery after a crash.

Starts and ends run once per reply and set its time to first token and to its closing event: each is a few plain
statements built once (the ORM's unit of work and per-call statement building cost more CPU than the database).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, exists, func, insert, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from vzero.core.files import FileSet
from vzero.core.ids import new_id, utcnow
from vzero.store.allowance import day_of, prompts_query
from vzero.store.blobs import BlobStore
from vzero.store.chats import messages_of
from vzero.store.tables import Chat, Message, Project, UsageEvent, Version, new_row
from vzero.store.versions import files_of


@dataclass(slots=True)
class Beginning:
    """What a generation starts from, read in its start's transaction."""

    chat: Chat
    message_seq: int
    version_seq: int
    running: bool  # another generation of this chat is running
    prompts_today: int  # of the asking user (0 when not counted)
    base: Version | None  # the version whose files it changes
    files: FileSet
    project: Project | None
    earlier: list[Message] = field(default_factory=list)  # the chat's messages so far


@dataclass(frozen=True, slots=True)
class StartRows:
    """The rows a start wrote (detached, as committed)."""

    chat: Chat
    user: Message
    assistant: Message
    version: Version


@dataclass(frozen=True, slots=True)
class Finish:
    """What a generation's end writes."""

    message_id: str
    version_id: str
    chat_id: str
    status: str  # completed | failed | stopped (the version is completed or failed)
    finish_reason: str
    error: str | None
    content: str
    raw: str
    parts: list[dict[str, Any]]
    columns: dict[str, Any]  # further message columns (experimental_content)
    tokens: tuple[int, int, int, int]  # input, output, cache read, cache write
    credits: dict[str, float]
    model: str
    user_id: str  # whose usage it is
    files: FileSet
    base_manifest: str | None  # the manifest the files derive from: stored as a delta against it
    turns: list[dict[str, Any]] | None = None  # the reply's tool rounds, when it called tools
    images: int = 0  # images generated: a usage event each
    image_model: str | None = None
    image_credits: float = 0.0  # per image


async def begin(session: AsyncSession, blobs: BlobStore, chat: Chat, *, new: bool, count_prompts_of: str | None) -> Beginning:
    """Read what a generation of `chat` starts from (`new`: the chat is not stored yet)."""
    state = await _chat_state(session, None if new else chat.id, count_prompts_of)
    if not new:
        chat = await session.get(Chat, chat.id) or chat
    base = await session.get(Version, chat.latest_version_id) if chat.latest_version_id else None
    files = await files_of(session, blobs, base) if base is not None else FileSet()
    project = await session.get(Project, chat.project_id) if chat.project_id else None
    earlier = [] if new else await messages_of(session, chat.id)
    return Beginning(chat, state[0], state[1], state[2], state[3], base, files, project, earlier)


async def insert_start(
    session: AsyncSession,
    beginning: Beginning,
    *,
    new: bool,
    message: str,
    message_type: str,
    author_id: str,
    attachments: list[dict[str, Any]],
    model_id: str,
    title: str,
    task: dict[str, Any] | None = None,
    configuration: dict[str, Any] | None = None,
) -> StartRows:
    """Write the user message, the running assistant message and the pending version (and the chat if `new`);
    `configuration`: the chat's model configuration as this message changed it."""
    chat, base = beginning.chat, beginning.base
    now = utcnow()
    user = Message(
        id=new_id(), chat_id=chat.id, seq=beginning.message_seq + 1, role="user", type=message_type, content=message,
        parts=[], attachments=attachments, status="completed", finish_reason=None, author_id=author_id, input_tokens=0,
        output_tokens=0, cache_read_tokens=0, cache_write_tokens=0, created_at=now, updated_at=now, task=task,
    )
    assistant = Message(
        id=new_id(), chat_id=chat.id, seq=beginning.message_seq + 2, role="assistant", type="message", content="", parts=[],
        attachments=[], status="running", parent_id=user.id, model_id=model_id, input_tokens=0, output_tokens=0,
        cache_read_tokens=0, cache_write_tokens=0, created_at=now, updated_at=now,
    )
    version = Version(
        id=new_id(), chat_id=chat.id, seq=beginning.version_seq + 1, message_id=assistant.id, parent_id=base.id if base else None,
        status="pending", manifest_hash=None, errors=[], created_at=now, updated_at=now,
    )
    assistant.version_id = version.id
    changed: dict[str, Any] = {"updated_at": now}
    if not chat.text:
        changed["text"] = message
    if not chat.name:
        changed["name"] = title
    if configuration is not None and configuration != chat.model_configuration:
        changed["model_configuration"] = configuration
    connection = await session.connection()
    if new:
        for key, value in changed.items():
            setattr(chat, key, value)
        await connection.execute(_INSERT_CHAT, new_row(chat))
    else:
        await connection.execute(update(_CHATS).where(_CHATS.c.id == chat.id).values(changed))
        for key, value in changed.items():
            set_committed_value(chat, key, value)
    await connection.execute(_INSERT_MESSAGE, [new_row(user), new_row(assistant)])
    await connection.execute(_INSERT_VERSION, new_row(version))
    return StartRows(chat, user, assistant, version)


async def finish(session: AsyncSession, blobs: BlobStore, end: Finish) -> tuple[datetime, str | None]:
    """Write a generation's outcome: its message, its version (the chat's latest if completed) and its usage.

    Plain UPDATEs by primary key: if the chat was deleted meanwhile they touch no row. A failed or stopped version
    keeps what was written so far, but never becomes the latest. Returns the time written as `updated_at` and the
    version's manifest hash.
    """
    now = utcnow()
    tokens = end.tokens
    connection = await session.connection()
    await connection.execute(_FINISH_MESSAGE, {
        "key": end.message_id, "status": end.status, "finish_reason": end.finish_reason, "error": end.error,
        "content": end.content, "raw": end.raw, "parts": end.parts, "experimental_content": end.columns.get("experimental_content"),
        "input_tokens": tokens[0], "output_tokens": tokens[1], "cache_read_tokens": tokens[2], "cache_write_tokens": tokens[3],
        "credits": end.credits, "updated_at": now, "turns": end.turns,
    })
    completed = end.status == "completed"
    manifest = await blobs.put_files(session, end.files, base=end.base_manifest)
    await connection.execute(_FINISH_VERSION, {
        "key": end.version_id, "status": "completed" if completed else "failed", "manifest_hash": manifest, "updated_at": now,
    })
    if completed:
        await connection.execute(_CHAT_LATEST, {"key": end.chat_id, "latest_version_id": end.version_id, "updated_at": now})
    else:
        await connection.execute(_CHAT_TOUCHED, {"key": end.chat_id, "updated_at": now})
    if sum(tokens):
        await connection.execute(_USAGE_EVENT, {
            "id": new_id(), "user_id": end.user_id, "chat_id": end.chat_id, "message_id": end.message_id, "type": "message",
            "model": end.model, "input_tokens": tokens[0], "output_tokens": tokens[1], "cache_read_tokens": tokens[2],
            "cache_write_tokens": tokens[3], "credits": end.credits["total"], "created_at": now,
        })
    if end.images:  # one event per image, priced per image
        await connection.execute(_USAGE_EVENT, [{
            "id": new_id(), "user_id": end.user_id, "chat_id": end.chat_id, "message_id": end.message_id, "type": "image_generation",
            "model": end.image_model, "input_tokens": 0, "output_tokens": 0, "cache_read_tokens": 0, "cache_write_tokens": 0,
            "credits": end.image_credits, "created_at": now,
        } for _ in range(end.images)])
    return now, manifest


async def mark_failed(session: AsyncSession, message_id: str, version_id: str, note: str) -> None:
    """The smallest write that ends a reply whose outcome could not be stored: message and version failed."""
    now = utcnow()
    await session.execute(update(Message).where(Message.id == message_id).values(
        status="failed", finish_reason="error", error=note, content=note, updated_at=now,
    ))
    await session.execute(update(Version).where(Version.id == version_id).values(status="failed", updated_at=now))


async def fail_interrupted(session: AsyncSession) -> int:
    """After a crash: replies that were running are failed, and so are their pending versions."""
    rows = (await session.execute(select(Message.id).where(Message.status == "running"))).scalars().all()
    now = utcnow()
    if rows:
        note = "The server stopped while this reply was being generated; nothing it wrote was kept."
        await session.execute(
            update(Message).where(Message.id.in_(rows)).values(status="failed", finish_reason="error", error=note, content=note, updated_at=now)
        )
    await session.execute(update(Version).where(Version.status == "pending").values(status="failed", updated_at=now))
    return len(rows)


_CHATS, _MESSAGES, _VERSIONS = cast(Table, Chat.__table__), cast(Table, Message.__table__), cast(Table, Version.__table__)


def _update_by_key(table: Table, *columns: str) -> Any:
    """UPDATE table SET columns... WHERE id = :key, built once: executed with a dict of the column values and `key`."""
    return update(table).where(table.c.id == bindparam("key")).values({name: bindparam(name) for name in columns})


_FINISH_MESSAGE = _update_by_key(
    _MESSAGES, "status", "finish_reason", "error", "content", "raw", "parts", "experimental_content", "input_tokens",
    "output_tokens", "cache_read_tokens", "cache_write_tokens", "credits", "updated_at", "turns",
)
_FINISH_VERSION = _update_by_key(_VERSIONS, "status", "manifest_hash", "updated_at")
_CHAT_LATEST = _update_by_key(_CHATS, "latest_version_id", "updated_at")
_CHAT_TOUCHED = _update_by_key(_CHATS, "updated_at")
_USAGE_EVENT = insert(cast(Table, UsageEvent.__table__))
_INSERT_CHAT = insert(_CHATS)
_INSERT_MESSAGE = insert(_MESSAGES)
_INSERT_VERSION = insert(_VERSIONS)


def _state_query(of_chat: bool, count_prompts: bool) -> Any:
    """What `_chat_state` asks, built once per shape (a statement built per call is walked again for its cache key)."""
    chat_id: Any = bindparam("chat_id")
    today: Any = prompts_query(bindparam("author_id"), bindparam("since")).scalar_subquery() if count_prompts else literal(0)
    if not of_chat:
        return select(today)
    return select(
        select(func.coalesce(func.max(Message.seq), 0)).where(Message.chat_id == chat_id).scalar_subquery(),
        select(func.coalesce(func.max(Version.seq), 0)).where(Version.chat_id == chat_id).scalar_subquery(),
        exists().where(Message.chat_id == chat_id, Message.status == "running"),
        today,
    )


_STATE_QUERIES = {(of_chat, count): _state_query(of_chat, count) for of_chat in (False, True) for count in (False, True)}


async def _chat_state(session: AsyncSession, chat_id: str | None, author_id: str | None) -> tuple[int, int, bool, int]:
    """One query for what starting a generation must know: sequence numbers, a running generation, and today's
    prompts of `author_id` (counted only when a daily limit applies: None skips the count)."""
    if chat_id is None and author_id is None:
        return 0, 0, False, 0
    params: dict[str, Any] = {"chat_id": chat_id}
    if author_id is not None:
        params.update(author_id=author_id, since=day_of(utcnow())[0])
    connection = await session.connection()
    row = (await connection.execute(_STATE_QUERIES[(chat_id is not None, author_id is not None)], params)).one()
    if chat_id is None:
        return 0, 0, False, int(row[0])
    return int(row[0]), int(row[1]), bool(row[2]), int(row[3])
