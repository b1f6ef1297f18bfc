"""Who may read and change what: every per-chat, per-project, per-hook and per-MCP-server route, for every privacy level."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, NamedTuple

import httpx
import pytest

from tests import conformance
from vzero.store import chats as chat_store
from vzero.store.tables import Chat
from vzero.store.users import create_user_with_key

ERROR_TYPES = {403: "forbidden_error", 404: "not_found_error", 409: "conflict_error", 422: "unprocessable_entity_error"}
PAGE = "export default function Page() { return <h1>Hi</h1> }\n"


class Route(NamedTuple):
    """One route; `kind` is what it needs (read, write, owner), `body` how it answers (json, zip, sse, or vzero: a
    vzero addition, not in the official spec)."""

    op: str
    method: str
    path: str
    kind: str
    json: Any = None
    body: str = "json"
    model: bool = False  # needs a model to succeed: an allowed caller gets anything but 403/404


CHAT_ROUTES = [
    Route("chats.getById", "GET", "/v1/chats/{chat}", "read"),
    Route("chats.findMessages", "GET", "/v1/chats/{chat}/messages", "read"),
    Route("chats.getMessage", "GET", "/v1/chats/{chat}/messages/{message}", "read"),
    Route("chats.findVersions", "GET", "/v1/chats/{chat}/versions", "read"),
    Route("chats.getVersion", "GET", "/v1/chats/{chat}/versions/{version}", "read"),
    Route("chats.downloadVersion", "GET", "/v1/chats/{chat}/versions/{version}/download", "read", body="zip"),
    Route("chats.findVersionErrors", "GET", "/v1/chats/{chat}/versions/{version}/errors", "read", body="vzero"),
    Route("chats.fork", "POST", "/v1/chats/{chat}/fork", "read", json={}),
    Route("chats.resume", "POST", "/v1/chats/{chat}/messages/{message}/resume", "read", body="sse", model=True),
    Route("chats.update", "PATCH", "/v1/chats/{chat}", "write", json={"name": "renamed"}),
    Route("chats.favorite", "PUT", "/v1/chats/{chat}/favorite", "owner", json={"isFavorite": True}),
    Route("chats.updateVersion", "PATCH", "/v1/chats/{chat}/versions/{version}", "write", json={"files": [{"name": "n.txt", "content": "n"}]}),
    Route("chats.deleteVersionFiles", "POST", "/v1/chats/{chat}/versions/{version}/files/delete", "write", json={"filePaths": ["app/page.tsx"]}),
    Route("chats.restore", "POST", "/v1/chats/{chat}/versions/{version}/restore", "write"),
    Route("chats.stop", "POST", "/v1/chats/{chat}/messages/{message}/stop", "write", model=True),
    Route("chats.sendMessage", "POST", "/v1/chats/{chat}/messages", "write", json={"message": "hello"}, model=True),
    Route("chats.resolveTask", "POST", "/v1/chats/{chat}/tasks/resolve", "write", json={"task": {"type": "vercel-connect-setup"}}, model=True),
    Route("chats.delete", "DELETE", "/v1/chats/{chat}", "owner"),
]

PROJECT_ROUTES = [
    Route("projects.getById", "GET", "/v1/projects/{project}", "read"),
    Route("projects.getByChatId", "GET", "/v1/chats/{chat}/project", "read"),
    Route("projects.findEnvVars", "GET", "/v1/projects/{project}/env-vars", "read"),
    Route("projects.getEnvVar", "GET", "/v1/projects/{project}/env-vars/{env}", "read"),
    Route("projects.findEnvVars", "GET", "/v1/projects/{project}/env-vars?decrypted=true", "owner"),
    Route("projects.getEnvVar", "GET", "/v1/projects/{project}/env-vars/{env}?decrypted=true", "owner"),
    Route("projects.update", "PATCH", "/v1/projects/{project}", "owner", json={"name": "taken over"}),
    Route("projects.assign", "POST", "/v1/projects/{project}/assign", "owner", json={"chatId": "{own_chat}"}),
    Route("projects.createEnvVars", "POST", "/v1/projects/{project}/env-vars", "owner", json={"environmentVariables": [{"key": "X", "value": "1"}]}),
    Route("projects.updateEnvVars", "PATCH", "/v1/projects/{project}/env-vars", "owner", json={"environmentVariables": [{"id": "{env}", "value": "stolen"}]}),
    Route("projects.deleteEnvVars", "POST", "/v1/projects/{project}/env-vars/delete", "owner", json={"environmentVariableIds": ["{env}"]}),
    Route("chats.init", "POST", "/v1/chats/init", "owner", json={"type": "files", "files": [{"name": "a.txt", "content": "a"}], "projectId": "{project}"}),
    Route("integrations.vercel.projects.create", "POST", "/v1/integrations/vercel/projects", "owner", json={"projectId": "{project}", "name": "x"}),
    Route("projects.delete", "DELETE", "/v1/projects/{project}?deleteAllChats=true", "owner"),
]

MCP_ROUTES = [
    Route("mcpServers.getById", "GET", "/v1/mcp-servers/{server}", "read"),
    Route("mcpServers.update", "PATCH", "/v1/mcp-servers/{server}", "owner", json={"enabled": False}),
    Route("mcpServers.createOAuthAuthorizationUrl", "POST", "/v1/mcp-servers/{server}/oauth/authorize", "owner", json={"returnUrl": "https://app.example/done"}),
    Route("mcpServers.delete", "DELETE", "/v1/mcp-servers/{server}", "owner"),
]

HOOK_ROUTES = [
    Route("hooks.getById", "GET", "/v1/hooks/{hook}", "owner"),
    Route("hooks.update", "PATCH", "/v1/hooks/{hook}", "owner", json={"name": "mine now"}),
    Route("hooks.delete", "DELETE", "/v1/hooks/{hook}", "owner"),
]

DEPLOYMENT_ROUTES = [
    Route("deployments.find", "GET", "/v1/deployments?chatId={chat}&versionId={version}", "read"),
    Route("deployments.getById", "GET", "/v1/deployments/{deployment}", "read"),
    Route("deployments.findLogs", "GET", "/v1/deployments/{deployment}/logs", "read"),
    Route("deployments.findErrors", "GET", "/v1/deployments/{deployment}/errors", "read"),
    Route("deployments.delete", "DELETE", "/v1/deployments/{deployment}", "write"),
]

KEY_ROUTES = [
    Route("apiKeys.revoke", "DELETE", "/v1/api-keys/{key}", "owner", body="vzero"),
]
READERS = ("mate", "outsider", "stranger")


@pytest.fixture
async def people(app: object, runtime: Any, other_key: str) -> AsyncIterator[dict[str, httpx.AsyncClient]]:
    """owner and mate share team acme; outsider has no team (the `other_key` user); stranger is in team globex."""
    async with runtime.db.session() as session:
        keys = {
            "owner": (await create_user_with_key(session, "alice", team_id="acme")).key,
            "mate": (await create_user_with_key(session, "bob", team_id="acme")).key,
            "stranger": (await create_user_with_key(session, "eve", team_id="globex")).key,
        }
        await session.commit()
    keys["outsider"] = other_key
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    clients = {who: httpx.AsyncClient(transport=transport, base_url="http://testserver", headers={"Authorization": f"Bearer {k}"}) for who, k in keys.items()}
    try:
        yield clients
    finally:
        for c in clients.values():
            await c.aclose()


def can_read(privacy: str, who: str) -> bool:
    if who == "owner" or privacy in ("public", "unlisted"):
        return True
    return who == "mate" and privacy in ("team", "team-edit")


def expected(privacy: str, who: str, kind: str) -> int:
    """The status each caller gets: unreadable is 404; readable but not theirs to change is 403."""
    if not can_read(privacy, who):
        return 404
    if kind == "read" or who == "owner":
        return 200
    if kind == "write" and who == "mate" and privacy == "team-edit":
        return 200
    return 403


def _fill(value: Any, ids: dict[str, str]) -> Any:
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, list):
        return [_fill(v, ids) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    return value


async def check(client: httpx.AsyncClient, route: Route, ids: dict[str, str], status: int) -> httpx.Response:
    """Call the route and check the status and that the body is what the spec declares for it."""
    response = await client.request(route.method, route.path.format(**ids), json=_fill(route.json, ids))
    where = f"{route.method} {route.path} as {ids.get('who')}"
    if status == 200 and route.model:
        assert response.status_code not in (403, 404), f"{where}: refused an allowed caller: {response.text[:300]}"
        if response.status_code >= 400:
            conformance.v1_error(response, response.status_code)
            return response
    elif status != 200:
        assert response.status_code == status, f"{where}: expected {status}, got {response.status_code}: {response.text[:300]}"
        conformance.v1_error(response, status, ERROR_TYPES[status])
        return response
    if route.body == "zip":
        assert response.status_code == 200 and response.headers["content-type"] == "application/zip", where
    elif route.body == "sse":
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/event-stream"), where
    elif route.body == "vzero":
        assert response.status_code == 200 and isinstance(response.json(), dict), where
    else:
        conformance.v1(route.op, response)
    return response


async def listed_chats(client: httpx.AsyncClient) -> set[str]:
    return {c["id"] for c in conformance.v1("chats.find", await client.get("/v1/chats"))["data"]}


async def owner_chat(people: dict[str, httpx.AsyncClient], runtime: Any, privacy: str) -> dict[str, str]:
    """A chat of the owner with two versions, a user message and a finished assistant message."""
    owner = people["owner"]
    body = {"type": "files", "files": [{"name": "app/page.tsx", "content": PAGE}], "chatPrivacy": privacy}
    chat = conformance.v1("chats.init", await owner.post("/v1/chats/init", json=body))
    version = chat["latestVersion"]["id"]
    await owner.patch(f"/v1/chats/{chat['id']}/versions/{version}", json={"files": [{"name": "b.txt", "content": "b"}]})
    async with runtime.db.session() as session:
        row = await session.get(Chat, chat["id"])
        reply = await chat_store.add_message(session, row, role="assistant", content="Done.", finish_reason="stop")
        await session.commit()
    return {"chat": chat["id"], "version": version, "message": reply.id}


@pytest.mark.parametrize("privacy", ["private", "public", "unlisted", "team", "team-edit"])
async def test_chat_routes_by_privacy(people: dict[str, httpx.AsyncClient], runtime: Any, privacy: str) -> None:
    ids = await owner_chat(people, runtime, privacy)
    for who in READERS:
        client = people[who]
        assert ids["chat"] not in await listed_chats(client), f"{who} lists the owner's {privacy} chat"
        if can_read(privacy, who):
            got = conformance.v1("chats.getById", await client.get(f"/v1/chats/{ids['chat']}"))
            assert got["permissions"]["write"] is (who == "mate" and privacy == "team-edit")
        for route in CHAT_ROUTES:
            await check(client, route, {**ids, "who": who}, expected(privacy, who, route.kind))
    # nothing the others did changed what the owner sees, except where team-edit let the mate write
    owner_view = conformance.v1("chats.getById", await people["owner"].get(f"/v1/chats/{ids['chat']}"))
    assert (owner_view.get("name") == "renamed") is (privacy == "team-edit")
    assert ids["chat"] in await listed_chats(people["owner"])
    await check(people["owner"], CHAT_ROUTES[-1], {**ids, "who": "owner"}, 200)


async def owner_project(people: dict[str, httpx.AsyncClient], privacy: str) -> dict[str, str]:
    """A project of the owner with an env var and a public chat, plus a chat of each other user to assign."""
    owner = people["owner"]
    project = conformance.v1(
        "projects.create",
        await owner.post("/v1/projects", json={"name": "p", "privacy": privacy, "environmentVariables": [{"key": "TOKEN", "value": "s3cret"}]}),
    )
    env = conformance.v1("projects.findEnvVars", await owner.get(f"/v1/projects/{project['id']}/env-vars"))["data"][0]["id"]
    files = {"type": "files", "files": [{"name": "a.txt", "content": "a"}]}
    chat = conformance.v1("chats.init", await owner.post("/v1/chats/init", json={**files, "chatPrivacy": "public", "projectId": project["id"]}))
    ids = {"project": project["id"], "env": env, "chat": chat["id"]}
    for who in READERS:
        own = conformance.v1("chats.init", await people[who].post("/v1/chats/init", json=files))
        ids[f"{who}_chat"] = own["id"]
    return ids


@pytest.mark.parametrize("privacy", ["private", "team"])
async def test_project_routes_by_privacy(people: dict[str, httpx.AsyncClient], privacy: str) -> None:
    ids = await owner_project(people, privacy)
    for who in READERS:
        client = people[who]
        found = conformance.v1("projects.find", await client.get("/v1/projects"))
        assert (ids["project"] in {p["id"] for p in found["data"]}) is can_read(privacy, who)
        for route in PROJECT_ROUTES[:-1]:
            await check(client, route, {**ids, "own_chat": ids[f"{who}_chat"], "who": who}, expected(privacy, who, route.kind))
        if can_read(privacy, who):
            masked = conformance.v1("projects.findEnvVars", await client.get(f"/v1/projects/{ids['project']}/env-vars"))
            assert "s3cret" not in str(masked)
    # the public chat is readable by all, but its project only by those who may see the project
    owner = people["owner"]
    plain = conformance.v1("projects.findEnvVars", await owner.get(f"/v1/projects/{ids['project']}/env-vars", params={"decrypted": "true"}))
    assert [v["value"] for v in plain["data"]] == ["s3cret"]
    assert conformance.v1("projects.getById", await owner.get(f"/v1/projects/{ids['project']}"))["name"] == "p"
    for who in READERS:
        await check(people[who], PROJECT_ROUTES[-1], {**ids, "who": who}, expected(privacy, who, "owner"))
    await check(owner, PROJECT_ROUTES[-1], {**ids, "who": "owner"}, 200)
    conformance.v1_error(await owner.get(f"/v1/chats/{ids['chat']}"), 404, "not_found_error")  # deleteAllChats took it


async def test_team_project_lists_only_readable_chats(people: dict[str, httpx.AsyncClient]) -> None:
    owner, mate = people["owner"], people["mate"]
    project = conformance.v1("projects.create", await owner.post("/v1/projects", json={"name": "shared", "privacy": "team"}))
    files = {"type": "files", "files": [{"name": "a.txt", "content": "a"}], "projectId": project["id"]}
    seen = conformance.v1("chats.init", await owner.post("/v1/chats/init", json={**files, "chatPrivacy": "team"}))
    hidden = conformance.v1("chats.init", await owner.post("/v1/chats/init", json={**files, "chatPrivacy": "private"}))
    as_owner = conformance.v1("projects.getById", await owner.get(f"/v1/projects/{project['id']}"))
    assert {c["id"] for c in as_owner["chats"]} == {seen["id"], hidden["id"]}
    as_mate = conformance.v1("projects.getById", await mate.get(f"/v1/projects/{project['id']}"))
    assert [c["id"] for c in as_mate["chats"]] == [seen["id"]]
    # the mate's private chat cannot be put into the owner's project by the owner (404), nor by the mate (403)
    mine = conformance.v1("chats.init", await mate.post("/v1/chats/init", json={"type": "files", "files": [{"name": "m.txt", "content": "m"}]}))
    conformance.v1_error(await owner.post(f"/v1/projects/{project['id']}/assign", json={"chatId": mine["id"]}), 404, "not_found_error")
    conformance.v1_error(await mate.post(f"/v1/projects/{project['id']}/assign", json={"chatId": mine["id"]}), 403, "forbidden_error")
    # a team-edit chat of the mate is writable by the owner, so the owner may assign it
    shared = conformance.v1("chats.init", await mate.post("/v1/chats/init", json={"type": "files", "files": [{"name": "s.txt", "content": "s"}], "chatPrivacy": "team-edit"}))
    conformance.v1("projects.assign", await owner.post(f"/v1/projects/{project['id']}/assign", json={"chatId": shared["id"]}))
    # deleting the project with its chats never deletes the mate's chat: it is only unlinked
    conformance.v1("projects.delete", await owner.delete(f"/v1/projects/{project['id']}", params={"deleteAllChats": "true"}))
    kept = conformance.v1("chats.getById", await mate.get(f"/v1/chats/{shared['id']}"))
    assert "projectId" not in kept


async def test_mcp_servers_by_scope(people: dict[str, httpx.AsyncClient]) -> None:
    owner = people["owner"]
    for scope in ("user", "team"):
        body = {"name": f"{scope} tools", "url": "https://mcp.example/sse", "scope": scope, "auth": {"type": "oauth", "config": {
            "authorizationUrl": "https://auth.example/authorize", "tokenUrl": "https://auth.example/token", "clientId": "c"}}}
        server = conformance.v1("mcpServers.create", await owner.post("/v1/mcp-servers", json=body))
        ids = {"server": server["id"]}
        privacy = "team" if scope == "team" else "private"
        for who in READERS:
            listed = conformance.v1("mcpServers.find", await people[who].get("/v1/mcp-servers"))
            assert (server["id"] in {s["id"] for s in listed["data"]}) is can_read(privacy, who)
            for route in MCP_ROUTES:
                await check(people[who], route, {**ids, "who": who}, expected(privacy, who, route.kind))
        started = await owner.post(f"/v1/mcp-servers/{server['id']}/oauth/authorize", json={"returnUrl": "https://app.example/"})
        assert conformance.v1("mcpServers.createOAuthAuthorizationUrl", started)["mcpServerId"] == server["id"]
        await check(owner, MCP_ROUTES[-1], {**ids, "who": "owner"}, 200)


async def test_hooks_are_private_to_their_owner(people: dict[str, httpx.AsyncClient]) -> None:
    owner = people["owner"]
    hook = conformance.v1("hooks.create", await owner.post("/v1/hooks", json={"name": "h", "events": ["chat.created"], "url": "https://hooks.example/in"}))
    ids = {"hook": hook["id"]}
    private = conformance.v1("chats.init", await owner.post("/v1/chats/init", json={"type": "files", "files": [{"name": "a.txt", "content": "a"}]}))
    for who in READERS:
        client = people[who]
        assert hook["id"] not in {h["id"] for h in conformance.v1("hooks.find", await client.get("/v1/hooks"))["data"]}
        for route in HOOK_ROUTES:
            await check(client, route, {**ids, "who": who}, 404)
        # a hook on someone else's private chat would leak its events
        spy = {"name": "spy", "events": ["message.created"], "url": "https://spy.example/", "chatId": private["id"]}
        conformance.v1_error(await client.post("/v1/hooks", json=spy), 404, "not_found_error")
    for route in HOOK_ROUTES:
        await check(owner, route, {**ids, "who": "owner"}, 200)


async def test_api_keys_are_their_users_own(people: dict[str, httpx.AsyncClient]) -> None:
    owner = people["owner"]
    created = (await owner.post("/v1/api-keys", json={"name": "ci"})).json()
    for who in READERS:
        assert created["id"] not in {k["id"] for k in (await people[who].get("/v1/api-keys")).json()["data"]}
        for route in KEY_ROUTES:
            await check(people[who], route, {"key": created["id"], "who": who}, 404)
    for route in KEY_ROUTES:
        await check(owner, route, {"key": created["id"], "who": "owner"}, 200)


async def stored_deployment(runtime: Any, ids: dict[str, str]) -> str:
    """A deployment row of the owner's version (its access rules need no build)."""
    from vzero.store import deployments as deployment_store

    async with runtime.db.session() as session:
        chat = await session.get(Chat, ids["chat"])
        assert chat is not None
        row = await deployment_store.create_deployment(
            session, deployment_id=deployment_store.new_deployment_id(), owner_id=chat.owner_id, chat=chat,
            version_id=ids["version"], project_id=None, ok=True, build_key="0" * 64, logs=[], errors=[],
        )
        await session.commit()
    return row.id


@pytest.mark.parametrize("privacy", ["private", "public", "unlisted", "team", "team-edit"])
async def test_deployment_routes_by_privacy(people: dict[str, httpx.AsyncClient], runtime: Any, privacy: str) -> None:
    """A deployment is seen by whoever may read its chat and deleted by whoever may change it."""
    ids = await owner_chat(people, runtime, privacy)
    for who in READERS:
        ids["deployment"] = await stored_deployment(runtime, ids)
        for route in DEPLOYMENT_ROUTES:
            await check(people[who], route, {**ids, "who": who}, expected(privacy, who, route.kind))
    ids["deployment"] = await stored_deployment(runtime, ids)
    for route in DEPLOYMENT_ROUTES:
        await check(people["owner"], route, {**ids, "who": "owner"}, 200)


async def test_user_scopes_are_the_callers_own(people: dict[str, httpx.AsyncClient]) -> None:
    owner_scopes = conformance.v1("user.getScopes", await people["owner"].get("/v1/user/scopes"))["data"]
    personal, team = owner_scopes[0]["id"], owner_scopes[1]["id"]
    conformance.v1("rateLimits.find", await people["mate"].get("/v1/rate-limits", params={"scope": team}))
    for who in READERS:
        conformance.v1_error(await people[who].get("/v1/rate-limits", params={"scope": personal}), 404, "not_found_error")
        conformance.v1_error(await people[who].get("/v1/user/billing", params={"scope": personal}), 404, "not_found_error")
    conformance.v1_error(await people["stranger"].get("/v1/rate-limits", params={"scope": team}), 404, "not_found_error")


async def test_matrix_covers_every_route(app: Any) -> None:
    """A new per-resource route must join a table above, so its access rules are tested too."""
    covered = {(r.method, r.path.split("?")[0]) for r in CHAT_ROUTES + PROJECT_ROUTES + MCP_ROUTES + HOOK_ROUTES + DEPLOYMENT_ROUTES + KEY_ROUTES}
    placeholders = {"{chatId}": "{chat}", "{versionId}": "{version}", "{messageId}": "{message}", "{projectId}": "{project}",
                    "{environmentVariableId}": "{env}", "{mcpServerId}": "{server}", "{hookId}": "{hook}",
                    "{deploymentId}": "{deployment}", "{keyId}": "{key}"}
    missing = []
    for path, item in app.openapi()["paths"].items():
        if "{" not in path or not path.startswith("/v1/"):
            continue
        ours = path
        for spec_name, ours_name in placeholders.items():
            ours = ours.replace(spec_name, ours_name)
        for method in item:
            if (method.upper(), ours) not in covered:
                missing.append(f"{method.upper()} {path}")
    assert not missing, f"routes without access tests: {missing}"

