"""API keys of the caller (a vzero addition, not in the v0 spec): list, create (shown once), revoke.

Revoking a key also ends the workspace sessions signed in with it. The server's VZERO_API_KEY is a setting, not a
stored key, so it is not listed and cannot be revoked here.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import Field

from vzero.api import web_sessions
from vzero.api.deps import CallerDep, KeyCacheDep, SessionDep
from vzero.api.v1.schemas import Body
from vzero.core.ids import iso
from vzero.errors import NotFound
from vzero.store import web_sessions as session_store
from vzero.store.tables import ApiKey
from vzero.store.users import create_key, key_of, keys_of

router = APIRouter(tags=["api-keys"])


class CreateKey(Body):
    name: str = Field(min_length=1, max_length=255)


def key_summary(key: ApiKey) -> dict[str, Any]:
    body: dict[str, Any] = {"id": key.id, "object": "api_key", "name": key.name, "createdAt": iso(key.created_at)}
    if key.last_used_at is not None:
        body["lastUsedAt"] = iso(key.last_used_at)
    return body


@router.get("/api-keys")
async def find_keys(caller: CallerDep, session: SessionDep) -> dict[str, Any]:
    return {"object": "list", "data": [key_summary(k) for k in await keys_of(session, caller.user_id)]}


@router.post("/api-keys")
async def create_api_key(body: CreateKey, caller: CallerDep, session: SessionDep) -> dict[str, Any]:
    """A new key for the caller's user; `key` is in this answer only."""
    new = await create_key(session, caller.user_id, body.name)
    await session.commit()
    row = await key_of(session, caller.user_id, new.key_id)
    assert row is not None
    return {**key_summary(row), "key": new.key}


@router.delete("/api-keys/{keyId}")
async def revoke_key(keyId: str, request: Request, caller: CallerDep, keys: KeyCacheDep, session: SessionDep) -> dict[str, Any]:
    key = await key_of(session, caller.user_id, keyId)
    if key is None:
        raise NotFound(f"API key not found: {keyId}")
    await session_store.end_sessions_of_key(session, key.id)
    await session.delete(key)
    await session.commit()
    keys.clear()  # a looked-up key is trusted for a few seconds
    web_sessions.sessions_of(request).forget()
    return {"id": keyId, "object": "api_key", "deleted": True}
