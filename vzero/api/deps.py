"""Dependencies shared by both dialects: the runtime, a database session, the authenticated caller."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from vzero.api import web_sessions
from vzero.core.access import Principal
from vzero.crypto import SecretBox
from vzero.errors import Unauthorized
from vzero.runtime import Runtime
from vzero.store.tables import User
from vzero.store.users import DEFAULT_USER_ID, hash_key, keys_equal, user_for_key

_KEY_CACHE_SECONDS = 30.0


async def get_runtime(request: Request) -> Runtime:
    return request.app.state.runtime  # type: ignore[no-any-return]


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


async def get_secret_box(runtime: RuntimeDep) -> SecretBox:
    return runtime.secret_box


BoxDep = Annotated[SecretBox, Depends(get_secret_box)]


async def get_session(runtime: RuntimeDep) -> AsyncIterator[AsyncSession]:
    async with runtime.db.session() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]


class Caller(Principal):
    """The authenticated caller and the hash of the key it used (the rate-limit bucket)."""

    __slots__ = ("key_hash",)

    def __init__(self, user_id: str, team_id: str | None, key_hash: str) -> None:
        object.__setattr__(self, "user_id", user_id)
        object.__setattr__(self, "team_id", team_id)
        object.__setattr__(self, "key_hash", key_hash)


async def get_caller(request: Request, runtime: RuntimeDep) -> Caller:
    """Authenticate `Authorization: Bearer <key>` (or the workspace's cookie) and count the request against its limit."""
    header = request.headers.get("authorization", "")
    if not header:
        web = await web_sessions.identify(request, runtime)  # a session cookie, or a signed-out read of a shared chat
        if web is not None:
            runtime.limiter.hit(web.bucket)
            return Caller(web.user_id, web.team_id, web.bucket)
    scheme, _, key = header.partition(" ")
    key = key.strip()
    if scheme.lower() != "bearer" or not key:
        raise Unauthorized("Missing API key: send 'Authorization: Bearer <key>' (create one with 'vzero keys create --name NAME')")
    digest = hash_key(key)
    cache: dict[str, tuple[float, str, str | None]] = runtime.services.setdefault("key_cache", {})
    cached = cache.get(digest)
    now = time.monotonic()
    if cached is not None and now - cached[0] < _KEY_CACHE_SECONDS:
        caller = Caller(cached[1], cached[2], digest)
    else:
        caller = await _lookup(runtime, key, digest)
        cache[digest] = (now, caller.user_id, caller.team_id)
    runtime.limiter.hit(digest)
    return caller


async def _lookup(runtime: Runtime, key: str, digest: str) -> Caller:
    bootstrap = runtime.settings.api_key
    if bootstrap and keys_equal(key, bootstrap):
        return Caller(DEFAULT_USER_ID, None, digest)
    async with runtime.db.session() as session:
        user: User | None = await user_for_key(session, key)
    if user is None:
        raise Unauthorized("Invalid API key")
    return Caller(user.id, user.team_id, digest)


CallerDep = Annotated[Caller, Depends(get_caller)]
