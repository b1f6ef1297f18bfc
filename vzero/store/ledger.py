"""The usage ledger: one row per model-calling message (and Model API call, and image), read by the reports."""

from __future__ import annotations

import base64
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from vzero.core.ids import new_id, utcnow
from vzero.errors import InvalidInput
from vzero.store.tables import Chat, Message, Project, UsageEvent, User


def encode_position(created_at: datetime, event_id: str) -> str:
    return base64.urlsafe_b64encode(f"u:{created_at.isoformat()}|{event_id}".encode()).decode().rstrip("=")


def decode_position(cursor: str | None) -> tuple[datetime, str] | None:
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        stamp, event_id = raw[2:].split("|", 1)
        if not raw.startswith("u:"):
            raise ValueError(raw)
        return datetime.fromisoformat(stamp), event_id
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput("cursor is not valid: pass the nextCursor of a previous page") from exc


async def events(
    session: AsyncSession,
    user_ids: Sequence[str],
    *,
    limit: int,
    start: datetime | None = None,
    end: datetime | None = None,
    chat_id: str | None = None,
    message_id: str | None = None,
    cursor: str | None = None,
) -> tuple[list[tuple[UsageEvent, dict[str, Any] | None]], str | None]:
    """The users' events, newest first, each with its message's stored cost (None once the message is gone), and the
    cursor of the next page (None on the last page)."""
    # Only a message event's cost is its message's: an image or a Model API call is priced on its own row.
    priced = and_(Message.id == UsageEvent.message_id, UsageEvent.type == "message")
    query = select(UsageEvent, Message.credits).outerjoin(Message, priced).where(UsageEvent.user_id.in_(list(user_ids)))
    if start is not None:
        query = query.where(UsageEvent.created_at >= start)
    if end is not None:
        query = query.where(UsageEvent.created_at < end)
    if chat_id is not None:
        query = query.where(UsageEvent.chat_id == chat_id)
    if message_id is not None:
        query = query.where(UsageEvent.message_id == message_id)
    position = decode_position(cursor)
    if position is not None:
        at, after_id = position
        query = query.where(or_(UsageEvent.created_at < at, and_(UsageEvent.created_at == at, UsageEvent.id < after_id)))
    found = (await session.execute(query.order_by(UsageEvent.created_at.desc(), UsageEvent.id.desc()).limit(limit + 1))).all()
    more = len(found) > limit
    rows = [(event, cost) for event, cost in found[:limit]]
    return rows, encode_position(rows[-1][0].created_at, rows[-1][0].id) if more and rows else None


async def events_between(session: AsyncSession, user_id: str, start: datetime, end: datetime) -> list[UsageEvent]:
    """One user's events in [start, end), oldest first."""
    query = select(UsageEvent).where(UsageEvent.user_id == user_id, UsageEvent.created_at >= start, UsageEvent.created_at < end)
    return list((await session.execute(query.order_by(UsageEvent.created_at))).scalars())


async def chats_with_projects(session: AsyncSession, chat_ids: Iterable[str]) -> dict[str, tuple[Chat, Project | None]]:
    """The chats that still exist among `chat_ids`, each with its project."""
    wanted = set(chat_ids)
    if not wanted:
        return {}
    query = select(Chat, Project).outerjoin(Project, Project.id == Chat.project_id).where(Chat.id.in_(wanted))
    return {chat.id: (chat, project) for chat, project in (await session.execute(query)).all()}


async def users(session: AsyncSession, user_ids: Sequence[str]) -> dict[str, User]:
    return {u.id: u for u in (await session.execute(select(User).where(User.id.in_(list(user_ids))))).scalars()}


async def team_of(session: AsyncSession, user_id: str, team_id: str | None) -> list[str]:
    """The caller and, with a team, its teammates: whose usage the caller may read."""
    if team_id is None:
        return [user_id]
    return list((await session.execute(select(User.id).where(User.team_id == team_id))).scalars())


async def activity(session: AsyncSession, user_id: str, start: datetime | None, end: datetime | None) -> tuple[int, int, int, datetime | None, datetime | None]:
    """(chats created, prompts sent, distinct active days, first and last activity) of one user in the range."""
    messages = select(Message.created_at).where(Message.author_id == user_id, Message.role == "user")
    chats = select(func.count()).select_from(Chat).where(Chat.owner_id == user_id)
    if start is not None:
        messages = messages.where(Message.created_at >= start)
        chats = chats.where(Chat.created_at >= start)
    if end is not None:
        messages = messages.where(Message.created_at < end)
        chats = chats.where(Chat.created_at < end)
    stamps = list((await session.execute(messages)).scalars())
    chat_count = (await session.execute(chats)).scalar_one()
    days = {s.date() for s in stamps}
    return chat_count, len(stamps), len(days), min(stamps, default=None), max(stamps, default=None)


async def record(
    session: AsyncSession, *, user_id: str, kind: str, model: str, tokens: tuple[int, int, int, int], credits: float,
    chat_id: str | None = None, message_id: str | None = None,
) -> None:
    """One line of the usage ledger (the Model API's calls: `api_request`)."""
    session.add(UsageEvent(
        id=new_id(), user_id=user_id, chat_id=chat_id, message_id=message_id, type=kind, model=model, input_tokens=tokens[0],
        output_tokens=tokens[1], cache_read_tokens=tokens[2], cache_write_tokens=tokens[3], credits=credits, created_at=utcnow(),
    ))
    await session.flush()
