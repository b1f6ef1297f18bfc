"""Users and API keys: keys are random, shown once, stored as a sha256 hash."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from vzero.core.ids import new_id, utcnow
from vzero.store.tables import ApiKey, User

DEFAULT_USER_ID = "default"
KEY_PREFIX = "vz_"


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def generate_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


@dataclass(frozen=True, slots=True)
class NewKey:
    """A key as created: the only moment its plain text exists."""

    user_id: str
    key_id: str
    key: str


async def ensure_default_user(session: AsyncSession) -> User:
    user = await session.get(User, DEFAULT_USER_ID)
    if user is None:
        user = User(id=DEFAULT_USER_ID, name="Default user", email="default@localhost", created_at=utcnow())
        session.add(user)
        await session.flush()
    return user


async def create_user_with_key(
    session: AsyncSession, name: str, email: str | None = None, team_id: str | None = None
) -> NewKey:
    """Create a user and its first key."""
    user = User(id=new_id(), name=name, email=email or f"{name.lower().replace(' ', '-')}@localhost", team_id=team_id, created_at=utcnow())
    session.add(user)
    await session.flush()
    return await create_key(session, user.id, name)


async def create_key(session: AsyncSession, user_id: str, name: str) -> NewKey:
    key = generate_key()
    row = ApiKey(id=new_id(), user_id=user_id, name=name, key_hash=hash_key(key), created_at=utcnow())
    session.add(row)
    await session.flush()
    return NewKey(user_id=user_id, key_id=row.id, key=key)


async def user_for_key(session: AsyncSession, key: str) -> User | None:
    row = (await session.execute(select(ApiKey).where(ApiKey.key_hash == hash_key(key)))).scalar_one_or_none()
    if row is None:
        return None
    return await session.get(User, row.user_id)


def keys_equal(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


async def keys_of(session: AsyncSession, user_id: str) -> list[ApiKey]:
    """A user's keys, oldest first (their hashes only: a key's text is never stored)."""
    return list((await session.execute(select(ApiKey).where(ApiKey.user_id == user_id).order_by(ApiKey.created_at, ApiKey.id))).scalars())


async def key_of(session: AsyncSession, user_id: str, key_id: str) -> ApiKey | None:
    key = await session.get(ApiKey, key_id)
    return key if key is not None and key.user_id == user_id else None


async def key_for(session: AsyncSession, key: str) -> ApiKey | None:
    """The stored key whose hash matches `key`."""
    return (await session.execute(select(ApiKey).where(ApiKey.key_hash == hash_key(key)))).scalar_one_or_none()
