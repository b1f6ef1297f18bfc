"""Signing the workspace in and out: `/auth/login` (an API key), `/auth/link` (a one-time link), `/auth/logout`.

Each sign-in creates a session (`store.web_sessions`) and sets its cookie; `/auth/session` tells the workspace
who is signed in and gives it the CSRF token its changes carry. The key itself never reaches the browser's
storage: it is sent once, in the body of the sign-in request.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from vzero.api import web_sessions
from vzero.api.deps import RuntimeDep
from vzero.core.ids import iso
from vzero.errors import InvalidInput, Unauthorized
from vzero.runtime import Runtime
from vzero.store import web_sessions as store
from vzero.store.tables import User
from vzero.store.users import DEFAULT_USER_ID, key_for, keys_equal

router = APIRouter(prefix="/auth", include_in_schema=False)

_NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


class SignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    apiKey: str = Field(min_length=1, max_length=512)


async def _signed_in(runtime: Runtime, user_id: str, api_key_id: str | None) -> tuple[store.NewSession, User]:
    async with runtime.db.session() as session:
        new = await store.create_session(session, user_id, timedelta(days=runtime.settings.session_days), api_key_id)
        user = await session.get(User, user_id)
        await session.commit()
    if user is None:
        raise Unauthorized("This key's user no longer exists")
    return new, user


def _who(user: User, csrf_token: str, expires_at: Any) -> dict[str, Any]:
    return {
        "user": {"id": user.id, "name": user.name, "email": user.email, "teamId": user.team_id},
        "csrfToken": csrf_token,
        "expiresAt": iso(expires_at),
    }


@router.get("/session")
async def read_session(request: Request, runtime: RuntimeDep) -> JSONResponse:
    """Who this browser is signed in as, and the CSRF token of its session; 401 when signed out."""
    token = request.cookies.get(web_sessions.cookie_name(runtime.settings))
    identity = await web_sessions.sessions_of(request).session(runtime, token) if token else None
    if identity is None:
        raise Unauthorized("Not signed in: sign in with an API key at /login")
    async with runtime.db.session() as session:
        user = await session.get(User, identity.user_id)
    if user is None:
        raise Unauthorized("Not signed in: sign in with an API key at /login")
    return JSONResponse(_who(user, identity.csrf_token, identity.expires_at), headers=_NO_STORE)


@router.post("/login")
async def sign_in(body: SignIn, request: Request, runtime: RuntimeDep) -> JSONResponse:
    """Exchange an API key for a session cookie."""
    web_sessions.check_same_origin(request, runtime.settings)
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
        raise InvalidInput("Send the key as JSON: {\"apiKey\": \"...\"}")  # a form post from another site cannot
    client = request.client.host if request.client else "unknown"
    runtime.limiter.hit(f"sign-in:{client}")
    key = body.apiKey.strip()
    bootstrap = runtime.settings.api_key
    if bootstrap and keys_equal(key, bootstrap):
        user_id, key_id = DEFAULT_USER_ID, None
    else:
        async with runtime.db.session() as session:
            stored = await key_for(session, key)
        if stored is None:
            raise Unauthorized("That API key is not valid: check it, or create one with 'vzero keys create --name NAME'")
        user_id, key_id = stored.user_id, stored.id
    new, user_row = await _signed_in(runtime, user_id, key_id)
    response = JSONResponse(_who(user_row, new.csrf_token, new.expires_at), headers=_NO_STORE)
    web_sessions.set_cookie(response, runtime.settings, new)
    return response


@router.get("/link")
async def sign_in_with_link(request: Request, runtime: RuntimeDep, token: str = "", next: str = "/") -> Response:
    """Exchange a one-time sign-in link for a session cookie, then go on to a URL without the token."""
    user_id = None
    if 0 < len(token) <= 128:
        async with runtime.db.session() as session:
            user_id = await store.redeem_link(session, token)
            await session.commit()
    if user_id is None:
        return _link_refused()
    new, _ = await _signed_in(runtime, user_id, None)
    target = next if next.startswith("/") and not next.startswith(("//", "/\\")) else "/"
    response = RedirectResponse(target, status_code=303, headers=_NO_STORE)
    web_sessions.set_cookie(response, runtime.settings, new)
    return response


def _link_refused() -> HTMLResponse:
    text = (
        "This sign-in link has already been used or has expired. Sign in with an API key, "
        "or run <code>vzero link</code> on the server for a new link."
    )
    body = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign-in link not valid</title>'
        '<meta name="viewport" content="width=device-width, initial-scale=1"></head>'
        '<body style="font:15px/1.5 system-ui,sans-serif;margin:15vh auto;max-width:36rem;padding:0 1rem">'
        f'<h1 style="font-size:1.2rem">Sign-in link not valid</h1><p>{text}</p><p><a href="/login">Sign in</a></p></body></html>'
    )
    policy = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"
    return HTMLResponse(body, status_code=400, headers={**_NO_STORE, "Content-Security-Policy": policy})


@router.post("/logout")
async def sign_out(request: Request, runtime: RuntimeDep) -> JSONResponse:
    """End this browser's session and clear its cookie."""
    token = request.cookies.get(web_sessions.cookie_name(runtime.settings))
    if token:
        sessions = web_sessions.sessions_of(request)
        identity = await sessions.session(runtime, token)
        if identity is not None:
            web_sessions.check_csrf(request, runtime.settings, identity.csrf_token)
        async with runtime.db.session() as session:
            await store.end_session(session, token)
            await session.commit()
        sessions.forget(token)
    response = JSONResponse({"signedOut": True}, headers=_NO_STORE)
    web_sessions.clear_cookie(response, runtime.settings)
    return response


async def sign_in_link(runtime: Runtime) -> str:
    """A new one-time link that signs the default user in (what `vzero serve` prints)."""
    lifetime = timedelta(minutes=runtime.settings.sign_in_link_minutes)
    async with runtime.db.session() as session:
        token = await store.create_link(session, DEFAULT_USER_ID, lifetime)
        await session.commit()
    return f"{runtime.settings.base_url}/auth/link?token={token}"

