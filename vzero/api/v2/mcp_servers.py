"""v2 MCP servers: list, create, get, update, delete (the v1 store; credentials are shown masked)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter
from pydantic import Field

from vzero.api.deps import BoxDep, CallerDep, RuntimeDep, SessionDep
from vzero.api.v1.mcp_servers import BearerAuth, CreateMcpServer, HeadersAuth, NoAuth, OAuthConfig, UpdateMcpServer
from vzero.api.v1.schemas import Body
from vzero.api.v2 import render
from vzero.crypto import SecretBox
from vzero.runtime import Runtime
from vzero.store import hooks as hook_store
from vzero.store import mcp_servers as store
from vzero.store.tables import McpServer

router = APIRouter(tags=["mcp-servers"])

_PURPOSE = "use the MCP server at"


class OAuth(Body):
    """v2's OAuth: the configuration may be left to discovery; `connected` and `expiresAt` are the server's to
    say (accepted, as the spec's bodies carry them, and not taken)."""

    type: Literal["oauth"]
    config: OAuthConfig | None = None
    connected: bool = False
    expiresAt: str | None = Field(default=None, max_length=64)


Auth = Annotated[NoAuth | BearerAuth | HeadersAuth | OAuth, Field(discriminator="type")]


class CreateServer(CreateMcpServer):
    auth: Auth = Field(default_factory=lambda: NoAuth(type="none"))  # type: ignore[assignment]


class UpdateServer(UpdateMcpServer):
    auth: Auth | None = None  # type: ignore[assignment]


def _url(runtime: Runtime, url: str, purpose: str = _PURPOSE) -> str:
    return hook_store.outbound_url(url, allow_private=runtime.settings.allow_private_urls, purpose=purpose)


def _auth(runtime: Runtime, auth: Any) -> dict[str, Any]:
    """The configuration to store, with the OAuth endpoints checked like any URL vzero will call."""
    if isinstance(auth, OAuth):
        for name in ("authorizationUrl", "tokenUrl", "registrationUrl"):
            value = getattr(auth.config, name) if auth.config is not None else None
            if value is not None:
                _url(runtime, value, f"use as {name}")
    return auth.model_dump(exclude_none=True, exclude={"connected", "expiresAt"})  # type: ignore[no-any-return]


def _render(box: SecretBox, server: McpServer) -> dict[str, Any]:
    return render.mcp_server(server, store.auth_config(box, server))


@router.get("/mcp-servers")
async def list_mcp_servers(caller: CallerDep, session: SessionDep, box: BoxDep) -> list[dict[str, Any]]:
    return [_render(box, s) for s in await store.list_servers(session, caller)]


@router.post("/mcp-servers")
async def create_mcp_server(body: CreateServer, caller: CallerDep, runtime: RuntimeDep, session: SessionDep, box: BoxDep) -> dict[str, Any]:
    server = await store.create_server(
        session, box, caller, name=body.name, url=_url(runtime, body.url), description=body.description, enabled=body.enabled,
        auth=_auth(runtime, body.auth), scope=body.scope, limit=runtime.settings.mcp_max_servers,
    )
    await session.commit()
    return _render(box, server)


@router.get("/mcp-servers/{mcpServerId}")
async def get_mcp_server(mcpServerId: str, caller: CallerDep, session: SessionDep, box: BoxDep) -> dict[str, Any]:
    return _render(box, await store.server_for(session, caller, mcpServerId))


@router.patch("/mcp-servers/{mcpServerId}")
async def update_mcp_server(
    mcpServerId: str, body: UpdateServer, caller: CallerDep, runtime: RuntimeDep, session: SessionDep, box: BoxDep
) -> dict[str, Any]:
    server = await store.server_for(session, caller, mcpServerId, write=True)
    changes: dict[str, Any] = {k: getattr(body, k) for k in ("name", "enabled", "scope") if getattr(body, k) is not None}
    if body.url is not None:
        changes["url"] = _url(runtime, body.url)
    if "description" in body.model_fields_set:
        changes["description"] = body.description
    if body.auth is not None:
        changes["auth"] = _auth(runtime, body.auth)
    await store.update_server(session, box, caller, server, changes)
    await session.commit()
    return _render(box, server)


@router.delete("/mcp-servers/{mcpServerId}")
async def delete_mcp_server(mcpServerId: str, caller: CallerDep, session: SessionDep) -> dict[str, Any]:
    await store.delete_server(session, await store.server_for(session, caller, mcpServerId, write=True))
    await session.commit()
    return {"success": True}
