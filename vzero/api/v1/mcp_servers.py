"""v1 MCP servers: find, create, getById, update, delete, OAuth authorization and its callback."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter
from fastapi.responses import RedirectResponse
from pydantic import Field, StringConstraints

from vzero.api.deps import BoxDep, CallerDep, RuntimeDep, SessionDep
from vzero.api.v1.render import mcp_server
from vzero.api.v1.schemas import Body
from vzero.core.ids import iso
from vzero.engine import tooling
from vzero.store import hooks as hook_store
from vzero.store import mcp_servers as store
from vzero.store.tables import McpServer

router = APIRouter(tags=["mcp-servers"])

_PURPOSE = "use the MCP server at"


class NoAuth(Body):
    type: Literal["none"]


class BearerAuth(Body):
    type: Literal["bearer"]
    token: str = Field(min_length=1, max_length=1000)


class HeadersAuth(Body):
    type: Literal["custom-headers"]
    headers: dict[Annotated[str, StringConstraints(min_length=1, max_length=100)], Annotated[str, StringConstraints(max_length=500)]] = Field(max_length=50)


class OAuthConfig(Body):
    authorizationUrl: str = Field(min_length=1, max_length=2048)
    tokenUrl: str = Field(min_length=1, max_length=2048)
    registrationUrl: str | None = Field(default=None, max_length=2048)
    clientId: str = Field(min_length=1, max_length=1000)
    clientSecret: str | None = Field(default=None, max_length=1000)
    scopes: list[Annotated[str, StringConstraints(max_length=200)]] = Field(default_factory=list, max_length=100)
    usePKCE: bool = True
    issuer: str | None = Field(default=None, max_length=2048)
    resource: str | None = Field(default=None, max_length=2048)
    clientIdMetadataDocumentSupported: bool | None = None


class OAuth(Body):
    type: Literal["oauth"]
    config: OAuthConfig


Auth = Annotated[NoAuth | BearerAuth | HeadersAuth | OAuth, Field(discriminator="type")]


class CreateMcpServer(Body):
    name: str = Field(min_length=1, max_length=100)
    url: str = Field(min_length=1, max_length=500)
    description: str | None = Field(default=None, max_length=500)
    enabled: bool = True
    auth: Auth = Field(default_factory=lambda: NoAuth(type="none"))
    scope: Literal["user", "team"] = "user"


class UpdateMcpServer(Body):
    name: str | None = Field(default=None, min_length=1, max_length=100)
    url: str | None = Field(default=None, min_length=1, max_length=500)
    description: str | None = Field(default=None, max_length=500)
    enabled: bool | None = None
    auth: Auth | None = None
    scope: Literal["user", "team"] | None = None


class AuthorizeOAuth(Body):
    returnUrl: str = Field(min_length=1, max_length=2048)


def _auth(runtime: RuntimeDep, auth: NoAuth | BearerAuth | HeadersAuth | OAuth) -> dict[str, Any]:
    """The configuration to store, with the OAuth endpoints checked like any URL vzero will call."""
    if isinstance(auth, OAuth):
        for name in ("authorizationUrl", "tokenUrl", "registrationUrl"):
            value = getattr(auth.config, name)
            if value is not None:
                hook_store.outbound_url(value, allow_private=runtime.settings.allow_private_urls, purpose=f"use as {name}")
    return auth.model_dump(exclude_none=True)


def _render(server: McpServer) -> dict[str, Any]:
    return mcp_server(server, store.auth_type(server))


@router.get("/mcp-servers")
async def find_mcp_servers(caller: CallerDep, session: SessionDep) -> dict[str, Any]:
    return {"object": "list", "data": [_render(s) for s in await store.list_servers(session, caller)]}


@router.post("/mcp-servers")
async def create_mcp_server(body: CreateMcpServer, caller: CallerDep, runtime: RuntimeDep, session: SessionDep, box: BoxDep) -> dict[str, Any]:
    url = hook_store.outbound_url(body.url, allow_private=runtime.settings.allow_private_urls, purpose=_PURPOSE)
    server = await store.create_server(
        session, box, caller, name=body.name, url=url, description=body.description, enabled=body.enabled,
        auth=_auth(runtime, body.auth), scope=body.scope, limit=runtime.settings.mcp_max_servers,
    )
    await session.commit()
    return _render(server)


@router.get("/mcp-servers/{mcpServerId}")
async def get_mcp_server(mcpServerId: str, caller: CallerDep, session: SessionDep) -> dict[str, Any]:
    return _render(await store.server_for(session, caller, mcpServerId))


@router.patch("/mcp-servers/{mcpServerId}")
async def update_mcp_server(
    mcpServerId: str, body: UpdateMcpServer, caller: CallerDep, runtime: RuntimeDep, session: SessionDep, box: BoxDep
) -> dict[str, Any]:
    server = await store.server_for(session, caller, mcpServerId, write=True)
    changes: dict[str, Any] = {}
    if body.name is not None:
        changes["name"] = body.name
    if body.url is not None:
        changes["url"] = hook_store.outbound_url(body.url, allow_private=runtime.settings.allow_private_urls, purpose=_PURPOSE)
    if "description" in body.model_fields_set:
        changes["description"] = body.description  # null clears it
    if body.enabled is not None:
        changes["enabled"] = body.enabled
    if body.auth is not None:
        changes["auth"] = _auth(runtime, body.auth)
    if body.scope is not None:
        changes["scope"] = body.scope
    await store.update_server(session, box, caller, server, changes)
    await session.commit()
    return _render(server)


@router.delete("/mcp-servers/{mcpServerId}")
async def delete_mcp_server(mcpServerId: str, caller: CallerDep, session: SessionDep) -> dict[str, Any]:
    await store.delete_server(session, await store.server_for(session, caller, mcpServerId, write=True))
    await session.commit()
    return {"object": "mcp_server", "id": mcpServerId, "deleted": True}


@router.post("/mcp-servers/{mcpServerId}/oauth/authorize")
async def authorize_mcp_server(mcpServerId: str, body: AuthorizeOAuth, caller: CallerDep, runtime: RuntimeDep) -> dict[str, Any]:
    """Where to send the user to authorize the server; the provider sends them back to vzero's callback, which keeps
    the tokens and redirects to `returnUrl`."""
    started = await tooling.authorize_server(runtime, caller, mcpServerId, body.returnUrl)
    return {
        "object": "mcp_server_oauth_authorization", "mcpServerId": started.server_id, "url": started.url, "state": started.state,
        "expiresAt": iso(started.expires_at),
    }


@router.get("/mcp-servers/oauth/callback", include_in_schema=False)
async def oauth_callback(runtime: RuntimeDep, state: str, code: str | None = None, error: str | None = None) -> RedirectResponse:
    """The provider's redirect after the user decided (no API key: the state proves which authorization it ends)."""
    return RedirectResponse(await tooling.complete_authorization(runtime, state, code, error), status_code=302)
