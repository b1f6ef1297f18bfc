"""What a user has used: prompts today (the daily message limit) and credits this month."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from vzero.store.tables import Message, UsageEvent

# User messages that ask the model for work; edits, restores and automatic fixes do not count.
PROMPT_TYPES = ("message", "fix-with-v0", "answered-questions", "added-environment-variables", "added-integration")


def month_of(now: datetime) -> tuple[datetime, datetime]:
    start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    end = start.replace(year=start.year + 1, month=1) if start.month == 12 else start.replace(month=start.month + 1)
    return start, end


def day_of(now: datetime) -> tuple[datetime, datetime]:
    start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return start, start + timedelta(days=1)


async def credits_since(session: AsyncSession, user_id: str, since: datetime) -> float:
    query = select(func.coalesce(func.sum(UsageEvent.credits), 0.0)).where(UsageEvent.user_id == user_id, UsageEvent.created_at >= since)
    return float((await session.execute(query)).scalar_one())


def prompts_query(user_id: Any, since: Any) -> Select[int]:
    """SELECT the count of `user_id`'s prompts since `since` (searches ix_messages_author_created); either may be a
    bindparam, for a statement built once."""
    return select(func.count()).select_from(Message).where(
        Message.author_id == user_id, Message.role == "user", Message.type.in_(PROMPT_TYPES), Message.created_at >= since
    )


async def prompts_since(session: AsyncSession, user_id: str, since: datetime) -> int:
    return int((await session.execute(prompts_query(user_id, since))).scalar_one())
