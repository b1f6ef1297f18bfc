"""Workspace sign-in: cookie sessions and one-time sign-in links, both stored as the sha256 of their token."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from vzero.core.ids import utcnow
from vzero.store.tables import SignInLink, User, WebSession
from vzero.store.users import hash_key


@dataclass(frozen=True, slots=True)
class SessionIdentity:
    """Who a session cookie signs in, with the CSRF token its unsafe requests must carry."""

    user_id: str
    team_id: str | None
    csrf_token: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class NewSession:
    """A session as created: the only moment its token (the cookie's value) exists in plain text."""

    token: str
    csrf_token: str
    expires_at: datetime


def new_token() -> str:
    return secrets.token_urlsafe(32)


async def create_session(session: AsyncSession, user_id: str, lifetime: timedelta, api_key_id: str | None = None) -> NewSession:
    now = utcnow()
    await session.execute(delete(WebSession).where(WebSession.expires_at <= now))
    token, csrf = new_token(), new_token()
    session.add(WebSession(token_hash=hash_key(token), user_id=user_id, api_key_id=api_key_id, csrf_token=csrf, created_at=now, expires_at=now + lifetime))
    await session.flush()
    return NewSession(token, csrf, now + lifetime)


async def identity_for(session: AsyncSession, token: str) -> SessionIdentity | None:
    """The signed-in user of a cookie's token, or None when it is unknown or has expired."""
    row = (
        await session.execute(
            select(WebSession.user_id, User.team_id, WebSession.csrf_token, WebSession.expires_at)
            .join(User, User.id == WebSession.user_id)
            .where(WebSession.token_hash == hash_key(token))
        )
    ).first()
    if row is None:
        return None
    expires_at = _aware(row.expires_at)
    if expires_at <= utcnow():
        return None
    return SessionIdentity(row.user_id, row.team_id, row.csrf_token, expires_at)


async def end_session(session: AsyncSession, token: str) -> None:
    await session.execute(delete(WebSession).where(WebSession.token_hash == hash_key(token)))


async def end_sessions_of_key(session: AsyncSession, api_key_id: str) -> None:
    await session.execute(delete(WebSession).where(WebSession.api_key_id == api_key_id))


async def create_link(session: AsyncSession, user_id: str, lifetime: timedelta) -> str:
    """A new single-use sign-in token for `user_id`; the caller puts it in a URL."""
    now = utcnow()
    await session.execute(delete(SignInLink).where(SignInLink.expires_at <= now))
    token = new_token()
    session.add(SignInLink(token_hash=hash_key(token), user_id=user_id, created_at=now, expires_at=now + lifetime))
    await session.flush()
    return token


async def redeem_link(session: AsyncSession, token: str) -> str | None:
    """The user a sign-in token signs in, consuming it; None when unknown, used or expired."""
    digest = hash_key(token)
    row = (await session.execute(select(SignInLink.user_id, SignInLink.expires_at).where(SignInLink.token_hash == digest))).first()
    if row is None:
        return None
    # Only one of two concurrent redemptions deletes the row: the other sees no row deleted and gets nothing.
    deleted = await session.execute(delete(SignInLink).where(SignInLink.token_hash == digest))
    if deleted.rowcount != 1 or _aware(row.expires_at) <= utcnow():  # type: ignore[attr-defined]
        return None
    return str(row.user_id)


def _aware(moment: datetime) -> datetime:
    """SQLite gives back naive datetimes for timezone-aware columns; they were stored in UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
