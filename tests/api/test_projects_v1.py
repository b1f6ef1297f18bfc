"""v1 projects: CRUD, assign, getByChatId, environment variables (encrypted at rest), Vercel integration."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import text

from tests import conformance
from vzero.api.v1.projects import MASK

FILES = {"type": "files", "files": [{"name": "app/page.tsx", "content": "export default () => null\n"}]}


async def create_project(client: httpx.AsyncClient, **extra: Any) -> dict[str, Any]:
    return conformance.v1("projects.create", await client.post("/v1/projects", json={"name": "Shop", **extra}))


async def test_create_get_find_project(client: httpx.AsyncClient) -> None:
    project = await create_project(client, description="A shop", instructions="Use Tailwind", environmentVariables=[{"key": "API_URL", "value": "https://x"}])
    assert project["name"] == "Shop" and project["privacy"] == "private" and project["chats"] == []
    assert project["description"] == "A shop" and project["instructions"] == "Use Tailwind"
    assert project["apiUrl"] == f"http://testserver/v1/projects/{project['id']}"
    got = conformance.v1("projects.getById", await client.get(f"/v1/projects/{project['id']}"))
    assert got == project
    other = await create_project(client, name="Blog")
    found = conformance.v1("projects.find", await client.get("/v1/projects"))
    assert [p["id"] for p in found["data"]] == [other["id"], project["id"]]
    env = conformance.v1("projects.findEnvVars", await client.get(f"/v1/projects/{project['id']}/env-vars", params={"decrypted": "true"}))
    assert [(v["key"], v["value"], v["decrypted"]) for v in env["data"]] == [("API_URL", "https://x", True)]


async def test_create_project_refuses_bad_input(client: httpx.AsyncClient) -> None:
    for body in (
        {"name": ""},
        {"name": "x" * 256},
        {"name": "x", "privacy": "public"},
        {"name": "x", "surprise": 1},
        {"name": "x", "environmentVariables": [{"key": "1BAD", "value": "v"}]},
        {"name": "x", "environmentVariables": [{"key": "A", "value": "v" * 1001}]},
        {"name": "x", "environmentVariables": [{"key": "A", "value": "1"}, {"key": "A", "value": "2"}]},
        {"name": "x", "privacy": "team"},  # the default user has no team
    ):
        conformance.v1_error(await client.post("/v1/projects", json=body), 422, "unprocessable_entity_error")
    conformance.v1_error(await client.post("/v1/projects", json={"name": "x", "vercelProjectId": "prj_1"}), 403, "forbidden_error")
    assert conformance.v1("projects.find", await client.get("/v1/projects"))["data"] == []  # nothing half-made


async def test_update_project(client: httpx.AsyncClient) -> None:
    project = await create_project(client, description="old")
    url = f"/v1/projects/{project['id']}"
    updated = conformance.v1("projects.update", await client.patch(url, json={"name": "Shop 2", "instructions": "Be terse"}))
    assert updated["name"] == "Shop 2" and updated["instructions"] == "Be terse" and updated["description"] == "old"
    assert updated["updatedAt"] >= project["updatedAt"]
    cleared = conformance.v1("projects.update", await client.patch(url, json={"description": None}))
    assert "description" not in cleared and cleared["instructions"] == "Be terse"
    conformance.v1_error(await client.patch(url, json={"privacy": "team"}), 422)
    conformance.v1_error(await client.patch(url, json={"name": "x" * 256}), 422)
    conformance.v1_error(await client.patch("/v1/projects/nope", json={"name": "x"}), 404, "not_found_error")


async def test_assign_and_get_by_chat(client: httpx.AsyncClient) -> None:
    project = await create_project(client)
    chat = conformance.v1("chats.init", await client.post("/v1/chats/init", json=FILES))
    conformance.v1_error(await client.get(f"/v1/chats/{chat['id']}/project"), 404, "not_found_error")
    assigned = await client.post(f"/v1/projects/{project['id']}/assign", json={"chatId": chat["id"]})
    assert conformance.v1("projects.assign", assigned) == {"object": "project", "id": project["id"], "assigned": True}
    by_chat = conformance.v1("projects.getByChatId", await client.get(f"/v1/chats/{chat['id']}/project"))
    assert by_chat["id"] == project["id"]
    [summary] = by_chat["chats"]
    assert summary["id"] == chat["id"] and summary["projectId"] == project["id"]
    assert summary["latestVersion"]["id"] == chat["latestVersion"]["id"] and "files" not in summary["latestVersion"]
    assert conformance.v1("chats.getById", await client.get(f"/v1/chats/{chat['id']}"))["projectId"] == project["id"]
    conformance.v1_error(await client.post(f"/v1/projects/{project['id']}/assign", json={"chatId": "nope"}), 404)
    conformance.v1_error(await client.post(f"/v1/projects/{project['id']}/assign", json={}), 422)
    # a chat made inside the project shows up too
    inside = conformance.v1("chats.init", await client.post("/v1/chats/init", json={**FILES, "projectId": project["id"]}))
    detail = conformance.v1("projects.getById", await client.get(f"/v1/projects/{project['id']}"))
    assert {c["id"] for c in detail["chats"]} == {chat["id"], inside["id"]}


async def test_delete_project_keeps_or_deletes_chats(client: httpx.AsyncClient) -> None:
    for delete_chats in ("false", "true"):
        project = await create_project(client, environmentVariables=[{"key": "K", "value": "v"}])
        chat = conformance.v1("chats.init", await client.post("/v1/chats/init", json={**FILES, "projectId": project["id"]}))
        gone = await client.delete(f"/v1/projects/{project['id']}", params={"deleteAllChats": delete_chats})
        assert conformance.v1("projects.delete", gone) == {"id": project["id"], "object": "project", "deleted": True}
        conformance.v1_error(await client.get(f"/v1/projects/{project['id']}"), 404)
        conformance.v1_error(await client.get(f"/v1/projects/{project['id']}/env-vars"), 404)
        after = await client.get(f"/v1/chats/{chat['id']}")
        if delete_chats == "true":
            conformance.v1_error(after, 404)
        else:
            assert "projectId" not in conformance.v1("chats.getById", after)
    conformance.v1_error(await client.delete("/v1/projects/nope"), 404)
    conformance.v1_error(await client.delete(f"/v1/projects/{project['id']}", params={"deleteAllChats": "yes"}), 422)


async def test_env_var_lifecycle(client: httpx.AsyncClient) -> None:
    project = await create_project(client)
    url = f"/v1/projects/{project['id']}/env-vars"
    created = conformance.v1("projects.createEnvVars", await client.post(url, json={"environmentVariables": [{"key": "A", "value": "1"}, {"key": "B", "value": "2"}]}))
    assert [(v["key"], v["value"], v["decrypted"]) for v in created["data"]] == [("A", MASK, False), ("B", MASK, False)]
    ids = {v["key"]: v["id"] for v in created["data"]}
    conformance.v1_error(await client.post(url, json={"environmentVariables": [{"key": "A", "value": "x"}]}), 409, "conflict_error")
    upserted = conformance.v1(
        "projects.createEnvVars", await client.post(url, params={"decrypted": "true"}, json={"environmentVariables": [{"key": "A", "value": "9"}], "upsert": True})
    )
    assert upserted["data"][0]["id"] == ids["A"] and upserted["data"][0]["value"] == "9"
    updated = conformance.v1("projects.updateEnvVars", await client.patch(url, params={"decrypted": "true"}, json={"environmentVariables": [{"id": ids["B"], "value": "20"}]}))
    assert updated["data"][0]["value"] == "20" and updated["data"][0]["updatedAt"] >= updated["data"][0]["createdAt"]
    one = conformance.v1("projects.getEnvVar", await client.get(f"{url}/{ids['B']}", params={"decrypted": "true"}))
    assert one["object"] == "environment_variable" and one["data"]["value"] == "20"
    masked = conformance.v1("projects.getEnvVar", await client.get(f"{url}/{ids['B']}"))
    assert masked["data"]["value"] == MASK and masked["data"]["decrypted"] is False
    # all or nothing: an unknown id changes nothing
    conformance.v1_error(await client.patch(url, json={"environmentVariables": [{"id": ids["A"], "value": "x"}, {"id": "nope", "value": "y"}]}), 404)
    conformance.v1_error(await client.post(f"{url}/delete", json={"environmentVariableIds": [ids["A"], "nope"]}), 404)
    conformance.v1_error(await client.post(f"{url}/delete", json={"environmentVariableIds": [ids["A"], ids["A"]]}), 422)
    listed = conformance.v1("projects.findEnvVars", await client.get(url, params={"decrypted": "true"}))
    assert {v["key"]: v["value"] for v in listed["data"]} == {"A": "9", "B": "20"}
    deleted = conformance.v1("projects.deleteEnvVars", await client.post(f"{url}/delete", json={"environmentVariableIds": [ids["A"]]}))
    assert deleted["data"] == [{"id": ids["A"], "object": "environment_variable", "deleted": True}]
    conformance.v1_error(await client.get(f"{url}/{ids['A']}"), 404, "not_found_error")
    assert [v["key"] for v in conformance.v1("projects.findEnvVars", await client.get(url))["data"]] == ["B"]
    conformance.v1_error(await client.post(url, json={"environmentVariables": [{"key": "has space", "value": "v"}]}), 422)
    conformance.v1_error(await client.post(url, json={"environmentVariables": [{"key": "", "value": "v"}]}), 422)
    conformance.v1_error(await client.get(url, params={"decrypted": "yes"}), 422)


async def test_env_values_are_encrypted_at_rest(client: httpx.AsyncClient, runtime: Any) -> None:
    secret = "sk-live-do-not-store-in-plain-text"
    project = await create_project(client, environmentVariables=[{"key": "STRIPE_KEY", "value": secret}])
    async with runtime.db.session() as session:
        [(stored,)] = (await session.execute(text("SELECT value_encrypted FROM env_vars WHERE project_id = :p"), {"p": project["id"]})).all()
    assert secret not in stored and stored != secret
    assert runtime.secret_box.decrypt(stored) == secret
    if runtime.db.is_sqlite:  # nor anywhere in the database file
        for path in runtime.settings.data_dir.glob("vzero.db*"):
            assert secret.encode() not in path.read_bytes()


async def test_vercel_integration_is_not_offered(client: httpx.AsyncClient) -> None:
    assert conformance.v1("integrations.vercel.projects.find", await client.get("/v1/integrations/vercel/projects")) == {"object": "list", "data": []}
    project = await create_project(client)
    refused = conformance.v1_error(await client.post("/v1/integrations/vercel/projects", json={"projectId": project["id"], "name": "x"}), 403, "forbidden_error")
    assert "self-hosted" in refused["error"]["message"]
    conformance.v1_error(await client.post("/v1/integrations/vercel/projects", json={"projectId": "nope", "name": "x"}), 404)
    conformance.v1_error(await client.post("/v1/integrations/vercel/projects", json={"name": "x"}), 422)
