"""v1 MCP servers: CRUD, credentials sealed at rest and never shown, OAuth authorization not offered."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import text

from tests import conformance
from vzero.store import mcp_servers as mcp_store
from vzero.store.tables import McpServer

TOKEN = "mcp-bearer-token-that-must-stay-secret"
OAUTH = {"type": "oauth", "config": {"authorizationUrl": "https://auth.example/authorize", "tokenUrl": "https://auth.example/token", "clientId": "vzero", "clientSecret": "shh-client-secret", "scopes": ["read"]}}


async def create_server(client: httpx.AsyncClient, **extra: Any) -> dict[str, Any]:
    body = {"name": "Docs", "url": "https://mcp.example.com/mcp", **extra}
    return conformance.v1("mcpServers.create", await client.post("/v1/mcp-servers", json=body))


async def test_mcp_server_crud(client: httpx.AsyncClient) -> None:
    server = await create_server(client, description="Search the docs")
    assert (server["enabled"], server["auth"], server["scope"], server["description"]) == (True, {"type": "none"}, "user", "Search the docs")
    second = await create_server(client, name="Tools", enabled=False, auth={"type": "bearer", "token": TOKEN})
    assert second["auth"] == {"type": "bearer"} and second["enabled"] is False
    listed = conformance.v1("mcpServers.find", await client.get("/v1/mcp-servers"))
    assert [s["id"] for s in listed["data"]] == [second["id"], server["id"]]
    assert TOKEN not in str(listed)
    assert conformance.v1("mcpServers.getById", await client.get(f"/v1/mcp-servers/{server['id']}")) == server
    url = f"/v1/mcp-servers/{server['id']}"
    updated = conformance.v1("mcpServers.update", await client.patch(url, json={"name": "Docs 2", "enabled": False, "auth": {"type": "custom-headers", "headers": {"X-Key": "k"}}}))
    assert (updated["name"], updated["enabled"], updated["auth"], updated["url"]) == ("Docs 2", False, {"type": "custom-headers"}, server["url"])
    cleared = conformance.v1("mcpServers.update", await client.patch(url, json={"description": None}))
    assert "description" not in cleared
    gone = await client.delete(url)
    assert conformance.v1("mcpServers.delete", gone) == {"object": "mcp_server", "id": server["id"], "deleted": True}
    conformance.v1_error(await client.get(url), 404, "not_found_error")
    conformance.v1_error(await client.patch(url, json={"name": "x"}), 404)


async def test_credentials_are_sealed_at_rest(client: httpx.AsyncClient, runtime: Any) -> None:
    server = await create_server(client, auth={"type": "bearer", "token": TOKEN})
    oauth = await create_server(client, name="OAuth", auth=OAUTH)
    assert oauth["auth"] == {"type": "oauth"}
    async with runtime.db.session() as session:
        raw = (await session.execute(text("SELECT auth FROM mcp_servers"))).all()
        assert TOKEN not in str(raw) and "shh-client-secret" not in str(raw)
        row = await session.get(McpServer, server["id"])
        assert mcp_store.auth_config(runtime.secret_box, row) == {"type": "bearer", "token": TOKEN}
        row = await session.get(McpServer, oauth["id"])
        config = mcp_store.auth_config(runtime.secret_box, row)["config"]
        assert config["clientSecret"] == "shh-client-secret" and config["usePKCE"] is True and config["scopes"] == ["read"]


async def test_mcp_input_is_checked(client: httpx.AsyncClient) -> None:
    for extra in (
        {"url": "file:///etc/passwd"},
        {"url": "http://localhost.localdomain.invalid:99999/"},
        {"url": "http://192.168.1.10/mcp"},
        {"url": "https://x.example/" + "a" * 500},
        {"name": ""},
        {"name": "x" * 101},
        {"scope": "team"},  # the default user has no team
        {"scope": "world"},
        {"auth": {"type": "bearer"}},
        {"auth": {"type": "bearer", "token": ""}},
        {"auth": {"type": "magic"}},
        {"auth": {"type": "oauth", "config": {"authorizationUrl": "http://127.0.0.1/a", "tokenUrl": "https://t.example/", "clientId": "c"}}},
        {"auth": {"type": "custom-headers", "headers": {"X": "v" * 501}}},
        {"enabled": "sometimes"},
    ):
        conformance.v1_error(await client.post("/v1/mcp-servers", json={"name": "x", "url": "https://mcp.example/", **extra}), 422, "unprocessable_entity_error")
    conformance.v1_error(await client.post("/v1/mcp-servers", json={"name": "x"}), 422)
    assert conformance.v1("mcpServers.find", await client.get("/v1/mcp-servers"))["data"] == []


async def test_oauth_authorization_url_with_pkce_and_state(client: httpx.AsyncClient) -> None:
    oauth = await create_server(client, auth=OAUTH)
    started = conformance.v1("mcpServers.createOAuthAuthorizationUrl", await client.post(f"/v1/mcp-servers/{oauth['id']}/oauth/authorize", json={"returnUrl": "https://app.example/back"}))
    assert started["object"] == "mcp_server_oauth_authorization" and started["mcpServerId"] == oauth["id"]
    query = dict(httpx.URL(started["url"]).params)
    assert started["url"].startswith("https://auth.example/authorize?")
    assert query["client_id"] == "vzero" and query["state"] == started["state"] and query["scope"] == "read"
    assert query["code_challenge_method"] == "S256" and len(query["code_challenge"]) == 43
    assert query["redirect_uri"] == "http://testserver/v1/mcp-servers/oauth/callback"
    forged = await client.get("/v1/mcp-servers/oauth/callback", params={"state": started["state"] + "x", "code": "c"})
    conformance.v1_error(forged, 422)
    plain = await create_server(client)
    conformance.v1_error(await client.post(f"/v1/mcp-servers/{plain['id']}/oauth/authorize", json={"returnUrl": "https://app.example/"}), 422)
    conformance.v1_error(await client.post(f"/v1/mcp-servers/{oauth['id']}/oauth/authorize", json={}), 422)
    conformance.v1_error(await client.post("/v1/mcp-servers/nope/oauth/authorize", json={"returnUrl": "https://app.example/"}), 404)
