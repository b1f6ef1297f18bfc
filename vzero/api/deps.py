"""Dependencies shared by both dialects: the services, a database session, the authenticated caller.

A route's session ends with the route function, before its response is sent (`scope="function"`): a streamed
response never holds it. A route that waits for anything (the start queue, a reply) takes no session at all and
reads through the use cases of `engine/turns.py` instead; `store.db.assert_released` fails any that would wait
with a connection checked out.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from vzero.api import web_sessions
from vzero.core.access import Principal
from vzero.crypto import SecretBox
from vzero.engine.manager import GenerationManager
from vzero.errors import Unauthorized
from vzero.hooks import HookDispatcher
from vzero.preview.service import PreviewService
from vzero.runtime import Runtime
from vzero.services import Services
from vzero.store.users import DEFAULT_USER_ID, hash_key, keys_equal, user_for_key

_KEY_CACHE_SECONDS = 30.0


async def get_services(request: Request) -> Services:
    return request.app.state.services  # type: ignore[no-any-return]


ServicesDep = Annotated[Services, Depends(get_services)]


async def get_runtime(services: ServicesDep) -> Runtime:
    return services.runtime


async def get_generations(services: ServicesDep) -> GenerationManager:
    return services.generations


async def get_previews(services: ServicesDep) -> PreviewService:
    return services.previews


async def get_hooks(services: ServicesDep) -> HookDispatcher:
    return services.hooks


async def get_secret_box(services: ServicesDep) -> SecretBox:
    return services.runtime.secret_box


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
GenerationsDep = Annotated[GenerationManager, Depends(get_generations)]
PreviewsDep = Annotated[PreviewService, Depends(get_previews)]
HooksDep = Annotated[HookDispatcher, Depends(get_hooks)]
BoxDep = Annotated[SecretBox, Depends(get_secret_box)]


async def get_session(runtime: RuntimeDep) -> AsyncIterator[AsyncSession]:
    async with runtime.db.session() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


class Caller(Principal):
    """The authenticated caller and the hash of the key it used (the rate-limit bucket)."""

    __slots__ = ("key_hash",)
    key_hash: str

    def __init__(self, user_id: str, team_id: str | None, key_hash: str) -> None:
        object.__setattr__(self, "user_id", user_id)
        object.__setattr__(self, "team_id", team_id)
        object.__setattr__(self, "key_hash", key_hash)


class KeyCache:
    """Whose key is whose, remembered for a while so that a request with a known key needs no query."""

    def __init__(self, seconds: float = _KEY_CACHE_SECONDS) -> None:
        self.seconds = seconds
        self._users: dict[str, tuple[float, str, str | None]] = {}

    def clear(self) -> None:
        """Forget every key (one was revoked: the next request looks its key up again)."""
        self._users.clear()

    async def caller(self, runtime: Runtime, key: str) -> Caller:
        digest = hash_key(key)
        cached = self._users.get(digest)
        now = time.monotonic()
        if cached is not None and now - cached[0] < self.seconds:
            return Caller(cached[1], cached[2], digest)
        caller = await _lookup(runtime, key, digest)
        if len(self._users) > 10_000:
            self._users.clear()
        self._users[digest] = (now, caller.user_id, caller.team_id)
        return caller


async def get_key_cache(request: Request) -> KeyCache:
    return request.app.state.keys  # type: ignore[no-any-return]


KeyCacheDep = Annotated[KeyCache, Depends(get_key_cache)]


async def get_caller(request: Request, runtime: RuntimeDep, keys: KeyCacheDep) -> Caller:
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
    caller = await keys.caller(runtime, key)
    runtime.limiter.hit(caller.key_hash)
    return caller


async def _lookup(runtime: Runtime, key: str, digest: str) -> Caller:
    bootstrap = runtime.settings.api_key
    if bootstrap and keys_equal(key, bootstrap):
        return Caller(DEFAULT_USER_ID, None, digest)
    async with runtime.db.session() as session:
        user = await user_for_key(session, key)
    if user is None:
        raise Unauthorized("Invalid API key")
    return Caller(user.id, user.team_id, digest)


CallerDep = Annotated[Caller, Depends(get_caller)]
