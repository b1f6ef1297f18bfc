"""The workspace's browser sessions: who a session cookie signs in, and the CSRF defence of its unsafe requests.

A request without an `Authorization` header is identified here (`identify`, called by `deps.get_caller`): by its
session cookie, or as an anonymous reader when it reads one shared chat (a public or unlisted chat's webUrl is its
share link). The cookie is HttpOnly and SameSite=Strict; an unsafe request made with it must also come from the
workspace's own origin and carry the session's CSRF token in `X-CSRF-Token`, which no other site can read or send.
"""

from __future__ import annotations

import hmac
import re
import time
from dataclasses import dataclass
from datetime import datetime

from fastapi import Request, Response

from vzero.config import Settings
from vzero.errors import Forbidden, Unauthorized
from vzero.runtime import Runtime
from vzero.store import web_sessions as store
from vzero.store.users import hash_key

COOKIE = "vzero_session"
SECURE_COOKIE = "__Host-vzero_session"  # over https: the prefix keeps sibling hosts from setting or shadowing it
CSRF_HEADER = "X-CSRF-Token"
ANONYMOUS = ""  # the user id of a signed-out reader: no user has it, so it owns nothing and reads only what is shared
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_CACHE_SECONDS = 10.0
# What a signed-out browser may read: one chat, its messages, versions and files (only shared chats are visible),
# and the reply being written in it (v2 resume, a POST that changes nothing).
_SHARED_READS = re.compile(
    r"^/v1/chats/[0-9A-Za-z]+(/messages(/[0-9A-Za-z]+)?|/versions(/[0-9A-Za-z]+(/download)?)?)?$"
    r"|^/v2/chats/[0-9A-Za-z]+(/messages|/files)?$"
)
_SHARED_FOLLOW = re.compile(r"^/v2/chats/[0-9A-Za-z]+/resume$")


@dataclass(frozen=True, slots=True)
class WebIdentity:
    """The caller a cookie (or a signed-out read) stands for, and its rate-limit bucket."""

    user_id: str
    team_id: str | None
    bucket: str


def cookie_name(settings: Settings) -> str:
    return SECURE_COOKIE if settings.base_url.startswith("https://") else COOKIE


def set_cookie(response: Response, settings: Settings, new: store.NewSession) -> None:
    max_age = max(1, int(new.expires_at.timestamp() - time.time()))
    response.set_cookie(
        cookie_name(settings), new.token, max_age=max_age, path="/", httponly=True, samesite="strict",
        secure=settings.base_url.startswith("https://"),
    )


def clear_cookie(response: Response, settings: Settings) -> None:
    response.delete_cookie(cookie_name(settings), path="/", httponly=True, samesite="strict", secure=settings.base_url.startswith("https://"))


class SessionCache:
    """Sessions looked up in the last few seconds, by token hash, so a busy page's requests need no query each."""

    def __init__(self, seconds: float = _CACHE_SECONDS) -> None:
        self.seconds = seconds
        self._entries: dict[str, tuple[float, store.SessionIdentity]] = {}

    async def session(self, runtime: Runtime, token: str) -> store.SessionIdentity | None:
        """The live session of a cookie's token, or None."""
        digest = hash_key(token)
        now = time.monotonic()
        hit = self._entries.get(digest)
        if hit is not None and now - hit[0] < self.seconds and hit[1].expires_at > datetime.now(hit[1].expires_at.tzinfo):
            return hit[1]
        async with runtime.db.session() as session:
            identity = await store.identity_for(session, token)
        if identity is None:
            self._entries.pop(digest, None)
            return None
        if len(self._entries) > 10_000:
            self._entries.clear()
        self._entries[digest] = (now, identity)
        return identity

    def forget(self, token: str | None = None) -> None:
        """Drop a signed-out session (all of them when no token is given: a key was revoked)."""
        if token is None:
            self._entries.clear()
        else:
            self._entries.pop(hash_key(token), None)


def sessions_of(request: Request) -> SessionCache:
    return request.app.state.web_sessions  # type: ignore[no-any-return]


def own_origin(request: Request) -> str:
    return f"{request.url.scheme}://{request.headers.get('host', '')}"


def check_same_origin(request: Request, settings: Settings) -> None:
    """Refuse a request another site made: by Sec-Fetch-Site where the browser sends it, else by Origin."""
    site = request.headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        raise Forbidden(f"Cross-site request refused ({site}): the workspace only accepts changes from its own pages")
    origin = request.headers.get("origin")
    if origin is not None and origin not in (settings.origins.ui, own_origin(request)):
        raise Forbidden(f"Request from another origin refused ({origin[:100]})")


def check_csrf(request: Request, settings: Settings, expected: str) -> None:
    """An unsafe request made with the cookie: same origin, and the session's token in X-CSRF-Token."""
    check_same_origin(request, settings)
    given = request.headers.get(CSRF_HEADER, "")
    if not given or not hmac.compare_digest(given.encode(), expected.encode()):
        raise Forbidden(
            f"Missing or wrong {CSRF_HEADER}: the workspace sends it with every change made with its cookie "
            "(API clients send 'Authorization: Bearer <key>' instead)"
        )


async def identify(request: Request, runtime: Runtime) -> WebIdentity | None:
    """The caller of a request that has no Authorization header, or None when it has none at all."""
    token = request.cookies.get(cookie_name(runtime.settings))
    if token:
        identity = await sessions_of(request).session(runtime, token)
        if identity is not None:
            if request.method not in SAFE_METHODS:
                check_csrf(request, runtime.settings, identity.csrf_token)
            return WebIdentity(identity.user_id, identity.team_id, "session:" + hash_key(token))
    path = request.url.path
    if (request.method in ("GET", "HEAD") and _SHARED_READS.match(path)) or (request.method == "POST" and _SHARED_FOLLOW.match(path)):
        client = request.client.host if request.client else "unknown"
        return WebIdentity(ANONYMOUS, None, f"anonymous:{client}")
    if token:
        raise Unauthorized("Your workspace session has ended: sign in again at /login")
    return None
