"""What a request's reply may use besides the model, prepared before it starts: MCP servers and skills (the image
tool comes from the chat's configuration, in the manager); and the OAuth authorization of MCP servers.

`prepare` reads what it needs in short sessions of its own and waits (OAuth refreshes, skill downloads) with no
connection held. What it cannot use is a clear 4xx (an unknown MCP server id, an unknown or unreachable skill);
a server that cannot be used right now (down, not authorized) is not: the reply shows it and goes on without it.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

from vzero.core.access import Principal
from vzero.core.files import FileSet
from vzero.errors import InvalidInput, VzeroError
from vzero.runtime import Runtime
from vzero.sources.fetch import SafeFetcher, parse_url
from vzero.store import mcp_servers as mcp_store
from vzero.store import skills as skill_store
from vzero.store.db import assert_released
from vzero.store.tables import McpServer, Version
from vzero.store.versions import files_of
from vzero.tools import oauth
from vzero.tools.base import Tool, ToolSource, ToolSourceDown
from vzero.tools.mcp import McpLimits, McpServerConfig, McpSource
from vzero.tools.skills import LoadSkill, Skill, project_skill, skills_prompt

if TYPE_CHECKING:
    from vzero.engine.ask import Ask
    from vzero.store.tables import Chat


@dataclass(frozen=True)
class Tooling:
    """The tools of one reply that come from the request: its MCP servers and skills."""

    sources: tuple[ToolSource, ...] = ()
    tools: tuple[Tool, ...] = ()
    instructions: str = ""  # for the system prompt: the skills it may load, ...


async def prepare(runtime: Runtime, principal: Principal, ask: Ask, chat: Chat | None) -> Tooling:
    """The tooling of a request for a reply in `chat` (None: a chat being created)."""
    if ask.image_generations and not runtime.settings.image_provider:
        raise InvalidInput(
            "imageGenerations needs an image provider - set VZERO_IMAGE_PROVIDER=openai (and VZERO_IMAGE_MODEL; the "
            "endpoint is OPENAI_BASE_URL with OPENAI_API_KEY unless VZERO_IMAGE_BASE_URL is set)"
        )
    sources = await mcp_sources(runtime, principal, ask.mcp_server_ids)
    skills = await attached_skills(runtime, principal, ask.skills, chat)
    tools: list[Tool] = [LoadSkill(skills)] if skills else []
    return Tooling(sources=sources, tools=tuple(tools), instructions=skills_prompt(skills))


async def attached_skills(runtime: Runtime, principal: Principal, wanted: Sequence[dict[str, Any]], chat: Chat | None) -> list[Skill]:
    """The skills a request attaches, read now: an unknown or unreachable one is a 422 (404 for a memory skill)."""
    found: list[Skill] = []
    files: FileSet | None = None
    for ref in wanted:
        kind = ref.get("type")
        if kind == "remote":
            assert_released("a skill download")
            found.append(await runtime.remote_skills.get(str(ref["id"])))
        elif kind == "memory":
            async with runtime.db.session() as session:
                row = await skill_store.skill_for(session, principal, str(ref["scope"]), str(ref["skillName"]))
                found.append(Skill(row.name, row.description, row.body, f"{row.scope} memory"))
        elif kind == "project":
            if files is None:
                files = await _files_of(runtime, chat)
            found.append(project_skill(files, str(ref["skillName"])))
    names = [s.name for s in found]
    if len(set(names)) != len(names):
        raise InvalidInput(f"Two attached skills have the same name ({', '.join(names)}); attach only one of them")
    return found


async def _files_of(runtime: Runtime, chat: Chat | None) -> FileSet:
    """The chat's latest files (none for a chat being created)."""
    if chat is None:
        return FileSet()
    async with runtime.db.session() as session:
        version = await session.get(Version, chat.latest_version_id) if chat.latest_version_id else None
        return await files_of(session, runtime.blobs, version) if version is not None else FileSet()


class UnavailableSource:
    """A server that cannot be used now (not authorized, its token refresh failed): shown as down."""

    def __init__(self, label: str, reason: str) -> None:
        self.label = label
        self.reason = reason

    async def open(self, stack: AsyncExitStack) -> Sequence[Tool]:
        raise ToolSourceDown(f"Could not use {self.label}: {self.reason}; its tools are not available in this reply")


async def mcp_sources(runtime: Runtime, principal: Principal, ids: Sequence[str] | None) -> tuple[ToolSource, ...]:
    """The sources of the caller's MCP servers for a reply: `ids` exactly, or its enabled ones."""
    presence = mcp_store.presence
    if ids is None and presence.known_empty(principal):
        return ()  # most callers have no server: no query for them at every start
    version = presence.version
    box = runtime.secret_box
    async with runtime.db.session() as session:
        servers = await mcp_store.servers_for_reply(session, principal, list(ids) if ids is not None else None)
        stored = [(s.id, s.name, s.url, mcp_store.auth_config(box, s)) for s in servers[: runtime.settings.mcp_max_servers]]
    if not stored:
        if ids is None:
            presence.empty(principal, version)
        return ()
    settings = runtime.settings
    fetcher = SafeFetcher(settings)
    limits = McpLimits(settings.mcp_connect_timeout, settings.tool_timeout, settings.mcp_auto_approve)
    sources: list[ToolSource] = []
    for server_id, name, url, auth in stored:
        headers, problem = await _headers(runtime, fetcher, server_id, auth)
        source = McpSource(McpServerConfig(server_id, name, url, headers), fetcher, limits)
        sources.append(source if problem is None else UnavailableSource(source.label, problem))
    return tuple(sources)


async def _headers(runtime: Runtime, fetcher: SafeFetcher, server_id: str, auth: dict[str, Any]) -> tuple[dict[str, str], str | None]:
    """The request headers a server's stored authentication becomes; an OAuth token about to expire is refreshed
    (and stored) first. A problem instead when it cannot be used."""
    kind = auth.get("type", "none")
    if kind == "bearer":
        return {"Authorization": f"Bearer {auth['token']}"}, None
    if kind == "custom-headers":
        return {str(k): str(v) for k, v in (auth.get("headers") or {}).items()}, None
    if kind != "oauth":
        return {}, None
    tokens = auth.get("tokens")
    if not tokens:
        return {}, f"it needs OAuth authorization first (POST /v1/mcp-servers/{server_id}/oauth/authorize)"
    if oauth.needs_refresh(tokens):
        if not tokens.get("refreshToken"):
            return {}, f"its OAuth token expired; authorize it again (POST /v1/mcp-servers/{server_id}/oauth/authorize)"
        assert_released("an OAuth token refresh")
        try:
            tokens = await oauth.refresh(fetcher, auth.get("config") or {}, tokens)
        except Exception as exc:  # noqa: BLE001 - a failed refresh is this server's problem, not the reply's
            message = getattr(exc, "message", None) or str(exc)
            return {}, f"its OAuth token could not be refreshed ({message}); authorize it again (POST /v1/mcp-servers/{server_id}/oauth/authorize)"
        async with runtime.db.session() as session:
            await mcp_store.save_auth(session, runtime.secret_box, server_id, {**auth, "tokens": tokens})
            await session.commit()
    return {"Authorization": f"{tokens.get('tokenType', 'Bearer').title()} {tokens['accessToken']}"}, None


# --- OAuth of MCP servers -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Authorization:
    """Where to send the user to authorize a server, and until when."""

    server_id: str
    url: str
    state: str
    expires_at: datetime


def callback_url(runtime: Runtime) -> str:
    """vzero's OAuth callback, where providers send the browser back."""
    return f"{runtime.settings.base_url}/v1/mcp-servers/oauth/callback"


async def authorize_server(runtime: Runtime, principal: Principal, server_id: str, return_url: str) -> Authorization:
    """Start the OAuth authorization of an MCP server (its configuration discovered when not set)."""
    parse_url(return_url, action="return to")
    box = runtime.secret_box
    async with runtime.db.session() as session:
        server = await mcp_store.server_for(session, principal, server_id, write=True)
        auth, url = mcp_store.auth_config(box, server), server.url
    if auth.get("type") != "oauth":
        kind = auth.get("type", "none")
        raise InvalidInput(f"MCP server {server_id} uses {kind} authentication; OAuth authorization applies only to servers with auth type oauth")
    assert_released("OAuth discovery")
    redirect = callback_url(runtime)
    config = await oauth.discover(SafeFetcher(runtime.settings), url, auth.get("config"), redirect)
    address, pending, expires = oauth.start(server_id, config, redirect, return_url)
    async with runtime.db.session() as session:
        await mcp_store.save_auth(session, box, server_id, {**auth, "config": config, "pending": pending.record})
        await session.commit()
    return Authorization(server_id, address, pending.state, expires)


async def complete_authorization(runtime: Runtime, state: str, code: str | None, error: str | None) -> str:
    """The provider sent the browser back: trade the code for tokens and keep them; returns where to send the
    browser next (the returnUrl, with `status` connected or error)."""
    server_id = oauth.server_of_state(state)
    box = runtime.secret_box
    async with runtime.db.session() as session:
        server = await session.get(McpServer, server_id)
        auth = mcp_store.auth_config(box, server) if server is not None else {}
    pending = auth.get("pending")
    oauth.check_state(state, pending)
    assert pending is not None
    back = str(pending["returnUrl"])
    remaining = {k: v for k, v in auth.items() if k != "pending"}
    outcome: dict[str, str] = {"mcpServerId": server_id}
    if error or not code:
        outcome.update(status="error", error=error or "no authorization code")
    else:
        assert_released("the OAuth token exchange")
        try:
            remaining["tokens"] = await oauth.exchange(SafeFetcher(runtime.settings), auth.get("config") or {}, code, pending)
            outcome["status"] = "connected"
        except VzeroError as exc:
            outcome.update(status="error", error=exc.message[:300])
    async with runtime.db.session() as session:
        await mcp_store.save_auth(session, box, server_id, remaining)
        await session.commit()
    return back + ("&" if urlsplit(back).query else "?") + urlencode(outcome)
