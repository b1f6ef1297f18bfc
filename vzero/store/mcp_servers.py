"""MCP servers a user has configured; their credentials are stored encrypted and never shown again."""

from __future__ import annotations

import json
import time
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from vzero.core.access import Principal
from vzero.core.ids import new_id, utcnow
from vzero.crypto import SecretBox
from vzero.errors import Forbidden, InvalidInput, NotFound
from vzero.store.tables import McpServer, User

AUTH_TYPES = ("none", "bearer", "custom-headers", "oauth")
SCOPES = ("user", "team")
_PRESENCE_SECONDS = 5.0  # how long "this caller has no enabled server" is believed (other processes may add one)


class Presence:
    """Which callers have no enabled MCP server, remembered for a few seconds so that most replies start without a
    query for them; any change made through this process forgets it at once."""

    def __init__(self) -> None:
        self.version = 0
        self._none: dict[tuple[str, str | None], tuple[int, float]] = {}

    def changed(self) -> None:
        self.version += 1
        self._none.clear()

    def known_empty(self, principal: Principal) -> bool:
        seen = self._none.get((principal.user_id, principal.team_id))
        return seen is not None and seen[0] == self.version and time.monotonic() - seen[1] < _PRESENCE_SECONDS

    def empty(self, principal: Principal, version: int) -> None:
        if len(self._none) > 10_000:
            self._none.clear()
        self._none[(principal.user_id, principal.team_id)] = (version, time.monotonic())


presence = Presence()


def seal_auth(box: SecretBox, auth: dict[str, Any]) -> dict[str, Any]:
    """What the row keeps: the type in clear (to render it) and the whole configuration encrypted."""
    kind = auth.get("type")
    if kind not in AUTH_TYPES:
        raise InvalidInput(f"auth.type must be one of {', '.join(AUTH_TYPES)}")
    if kind == "none":
        return {"type": "none"}
    return {"type": kind, "sealed": box.encrypt(json.dumps(auth, separators=(",", ":")))}


def auth_type(server: McpServer) -> str:
    return str((server.auth or {}).get("type", "none"))


def auth_config(box: SecretBox, server: McpServer) -> dict[str, Any]:
    """The full authentication configuration (tokens, headers, OAuth client) for whoever connects to the server."""
    stored = server.auth or {"type": "none"}
    if "sealed" not in stored:
        return {"type": stored.get("type", "none")}
    config: dict[str, Any] = json.loads(box.decrypt(stored["sealed"]))
    return config


def _check_scope(principal: Principal, scope: str) -> None:
    if scope not in SCOPES:
        raise InvalidInput("scope must be user or team")
    if scope == "team" and principal.team_id is None:
        raise InvalidInput("scope team needs a team: this key's user belongs to none (create one with 'vzero keys create --team TEAM')")


async def create_server(
    session: AsyncSession,
    box: SecretBox,
    principal: Principal,
    *,
    name: str,
    url: str,
    description: str | None,
    enabled: bool,
    auth: dict[str, Any],
    scope: str,
    limit: int = 10,
) -> McpServer:
    _check_scope(principal, scope)
    if await count_owned(session, principal.user_id) >= limit:
        raise InvalidInput(f"You have {limit} MCP servers, the most a user may add (VZERO_MCP_MAX_SERVERS): delete one first")
    now = utcnow()
    server = McpServer(
        id=new_id(), owner_id=principal.user_id, name=name, url=url, description=description, enabled=enabled,
        auth=seal_auth(box, auth), scope=scope, created_at=now, updated_at=now,
    )
    session.add(server)
    await session.flush()
    presence.changed()
    return server


def _visible(principal: Principal) -> Any:
    if principal.team_id is None:
        return McpServer.owner_id == principal.user_id
    return (McpServer.owner_id == principal.user_id) | ((McpServer.scope == "team") & (User.team_id == principal.team_id))


async def list_servers(session: AsyncSession, principal: Principal) -> list[McpServer]:
    """The caller's servers and the team-scoped servers of its team, newest first."""
    query = select(McpServer).join(User, User.id == McpServer.owner_id).where(_visible(principal))
    return list((await session.execute(query.order_by(McpServer.created_at.desc(), McpServer.id))).scalars())


async def server_for(session: AsyncSession, principal: Principal, server_id: str, *, write: bool = False) -> McpServer:
    """A server the caller may use (404 otherwise); only its owner may change it (403 for the team)."""
    query = select(McpServer).join(User, User.id == McpServer.owner_id).where(McpServer.id == server_id, _visible(principal))
    server = (await session.execute(query)).scalar_one_or_none()
    if server is None:
        raise NotFound(f"MCP server not found: {server_id}")
    if write and server.owner_id != principal.user_id:
        raise Forbidden("This MCP server is shared with your team; only the user who added it can change it")
    return server


async def update_server(session: AsyncSession, box: SecretBox, principal: Principal, server: McpServer, changes: dict[str, Any]) -> McpServer:
    """Apply the given fields (name, url, description, enabled, auth, scope)."""
    for field in ("name", "url", "description", "enabled"):
        if field in changes:
            setattr(server, field, changes[field])
    if "auth" in changes:
        server.auth = seal_auth(box, changes["auth"])
    if "scope" in changes:
        _check_scope(principal, changes["scope"])
        server.scope = changes["scope"]
    server.updated_at = utcnow()
    await session.flush()
    presence.changed()
    return server


async def delete_server(session: AsyncSession, server: McpServer) -> None:
    await session.execute(delete(McpServer).where(McpServer.id == server.id))
    presence.changed()


async def count_owned(session: AsyncSession, user_id: str) -> int:
    """How many servers a user has added (the limit counts these, not the team's)."""
    query = select(func.count()).select_from(McpServer).where(McpServer.owner_id == user_id)
    return int((await session.execute(query)).scalar_one())


async def servers_for_reply(session: AsyncSession, principal: Principal, ids: list[str] | None) -> list[McpServer]:
    """The servers a reply connects to: exactly `ids` (each one the caller may use; enabled or not), or, without
    ids, the caller's enabled servers and its team's enabled team-scoped ones."""
    query = select(McpServer).join(User, User.id == McpServer.owner_id).where(_visible(principal))
    if ids is None:
        rows = (await session.execute(query.where(McpServer.enabled.is_(True)).order_by(McpServer.created_at, McpServer.id))).scalars()
        return list(rows)
    wanted = list(dict.fromkeys(ids))
    found = {s.id: s for s in (await session.execute(query.where(McpServer.id.in_(wanted)))).scalars()} if wanted else {}
    unknown = [i for i in wanted if i not in found]
    if unknown:
        raise InvalidInput(f"mcpServerIds: no MCP server {', '.join(unknown)} is yours or your team's (list them with GET /v2/mcp-servers)")
    return [found[i] for i in wanted]


async def save_auth(session: AsyncSession, box: SecretBox, server_id: str, auth: dict[str, Any]) -> None:
    """Store a server's authentication as it now is (OAuth tokens obtained or refreshed), sealed."""
    server = await session.get(McpServer, server_id)
    if server is not None:
        server.auth = seal_auth(box, auth)
        server.updated_at = utcnow()
        await session.flush()
