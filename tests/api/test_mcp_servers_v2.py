"""v2 MCP servers: the v1 store seen through v2, secrets masked."""

from __future__ import annotations

import httpx

from tests import conformance


async def test_crud_with_masked_secrets(client: httpx.AsyncClient) -> None:
    body = {"name": "Docs", "url": "https://mcp.example.com/sse", "enabled": True, "auth": {"type": "bearer", "token": "sk-secret"}, "scope": "user"}
    server = conformance.v2("mcpServers.create", await client.post("/v2/mcp-servers", json=body))
    assert server["auth"] == {"type": "bearer", "token": "********"} and server["description"] == ""
    assert "sk-secret" not in (await client.get(f"/v2/mcp-servers/{server['id']}")).text
    assert conformance.v2("mcpServers.get", await client.get(f"/v2/mcp-servers/{server['id']}")) == server
    v1 = conformance.v1("mcpServers.getById", await client.get(f"/v1/mcp-servers/{server['id']}"))
    assert v1["name"] == "Docs"
    headers = {"type": "custom-headers", "headers": {"X-Key": "abc"}}
    updated = conformance.v2("mcpServers.update", await client.patch(f"/v2/mcp-servers/{server['id']}", json={"description": "d", "auth": headers, "enabled": False}))
    assert updated["auth"] == {"type": "custom-headers", "headers": {"X-Key": "********"}} and updated["enabled"] is False and updated["description"] == "d"
    config = {"authorizationUrl": "https://a.example.com/auth", "tokenUrl": "https://a.example.com/token", "clientId": "c", "clientSecret": "s3", "scopes": ["read"], "usePKCE": True}
    oauth = {"type": "oauth", "config": config}
    with_oauth = conformance.v2("mcpServers.update", await client.patch(f"/v2/mcp-servers/{server['id']}", json={"auth": oauth}))
    assert with_oauth["auth"]["config"]["clientId"] == "c" and "clientSecret" not in with_oauth["auth"]["config"]
    listed = conformance.v2("mcpServers.list", await client.get("/v2/mcp-servers"))
    assert [s["id"] for s in listed] == [server["id"]]
    assert conformance.v2("mcpServers.delete", await client.delete(f"/v2/mcp-servers/{server['id']}")) == {"success": True}
    gone = await client.get(f"/v2/mcp-servers/{server['id']}")
    assert gone.status_code == 404 and set(gone.json()) == {"message"}
    private = await client.post("/v2/mcp-servers", json={**body, "url": "http://10.0.0.1/sse"})
    assert private.status_code == 422 and "VZERO_ALLOW_PRIVATE_URLS" in private.json()["message"]
