"""v1 deployments: a version's build frozen at its own URL, with logs and errors; deleting it removes the URL."""

from __future__ import annotations

import shutil
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests import conformance
from tests.conftest import API_KEY
from tests.preview.preview_apps import COUNTER_APP, require_runtime
from vzero.config import Settings
from vzero.store import chats as chat_store
from vzero.store.tables import Chat
from vzero.store.users import create_user_with_key

BROKEN_PAGE = 'import { Missing } from "@/components/missing"\nexport default function Page() { return <Missing /> }\n'


@pytest.fixture
def settings(tmp_path: Path, database_url: str | None) -> Settings:
    return Settings(
        data_dir=tmp_path / "data", database_url=database_url, api_key=API_KEY, public_url="http://testserver",
        preview_runtime_dir=require_runtime(), screenshots=False,
    )


@pytest.fixture
async def anonymous(app: object) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as c:  # type: ignore[arg-type]
        yield c


def files(overrides: dict[str, str] | None = None) -> list[dict[str, str]]:
    merged = {**{k: v.decode() for k, v in COUNTER_APP.items()}, **(overrides or {})}
    return [{"name": k, "content": v} for k, v in merged.items()]


async def new_chat(client: httpx.AsyncClient, **extra: Any) -> dict[str, Any]:
    body = {"type": "files", "files": extra.pop("files", None) or files(), **extra}
    return conformance.v1("chats.init", await client.post("/v1/chats/init", json=body))


def local(url: str) -> str:
    assert url.startswith("http://testserver/"), url
    return url[len("http://testserver"):]


async def deploy(client: httpx.AsyncClient, chat: dict[str, Any]) -> dict[str, Any]:
    body = {"chatId": chat["id"], "versionId": chat["latestVersion"]["id"]}
    return conformance.v1("deployments.create", await client.post("/v1/deployments", json=body))


async def test_deployment_lifecycle(client: httpx.AsyncClient, anonymous: httpx.AsyncClient, runtime: Any, settings: Settings, services: Any) -> None:
    chat = await new_chat(client)
    before = time.time()
    deployment = await deploy(client, chat)
    assert deployment["object"] == "deployment" and deployment["chatId"] == chat["id"]
    assert deployment["versionId"] == chat["latestVersion"]["id"] and "projectId" not in deployment
    assert deployment["webUrl"] == f"http://testserver/deployments/{deployment['id']}/"
    assert deployment["apiUrl"] == f"http://testserver/v1/deployments/{deployment['id']}"
    # the page is served without a key, with the preview's headers
    page = await anonymous.get(local(deployment["webUrl"]))
    assert page.status_code == 200 and "./app.js" in page.text and "default-src 'self'" in page.headers["content-security-policy"]
    script = await anonymous.get(local(deployment["webUrl"]) + "app.js")
    assert script.status_code == 200 and b"Increment" in script.content
    assert (await anonymous.get(local(deployment["webUrl"]) + "vendor/react.js")).status_code == 200
    assert (await anonymous.get(local(deployment["webUrl"]).rstrip("/"))).headers["location"] == f"./{deployment['id']}/"
    inspector = await anonymous.get(local(deployment["inspectorUrl"]))
    assert inspector.status_code == 200 and "built: next app, 7 files" in inspector.text
    # the API reads it back
    assert conformance.v1("deployments.getById", await client.get(f"/v1/deployments/{deployment['id']}")) == deployment
    found = conformance.v1("deployments.find", await client.get("/v1/deployments", params={"chatId": chat["id"], "versionId": chat["latestVersion"]["id"]}))
    assert found["data"] == [deployment]
    logs = conformance.v1("deployments.findLogs", await client.get(f"/v1/deployments/{deployment['id']}/logs"))
    texts = [entry["text"] for entry in logs["logs"]]
    assert texts[0].startswith("Building version") and texts[-1].startswith("Build completed")
    assert all(entry["deploymentId"] == deployment["id"] and entry["level"] == "info" for entry in logs["logs"])
    assert before - 1 <= logs["nextSince"] <= time.time()
    later = conformance.v1("deployments.findLogs", await client.get(f"/v1/deployments/{deployment['id']}/logs", params={"since": logs["nextSince"]}))
    assert later == {"object": "list", "logs": []}
    assert conformance.v1("deployments.findErrors", await client.get(f"/v1/deployments/{deployment['id']}/errors")) == {}
    # frozen: the preview cache can go, the deployment still serves the same files
    await services.previews.builder.aclose()
    shutil.rmtree(settings.data_dir / "previews")
    services.previews.frozen._memory.clear()
    again = await anonymous.get(local(deployment["webUrl"]) + "app.js")
    assert again.status_code == 200 and again.content == script.content
    # deleting it removes the URL
    gone = conformance.v1("deployments.delete", await client.delete(f"/v1/deployments/{deployment['id']}"))
    assert gone == {"id": deployment["id"], "object": "deployment", "deleted": True}
    assert (await anonymous.get(local(deployment["webUrl"]))).status_code == 404
    assert (await anonymous.get(local(deployment["webUrl"]) + "app.js")).status_code == 404
    assert (await anonymous.get(local(deployment["inspectorUrl"]))).status_code == 404
    conformance.v1_error(await client.get(f"/v1/deployments/{deployment['id']}"), 404, "not_found_error")
    conformance.v1_error(await client.delete(f"/v1/deployments/{deployment['id']}"), 404, "not_found_error")
    assert not (settings.data_dir / "deployments" / deployment["id"]).exists()


async def test_failed_build_deploys_with_its_errors(client: httpx.AsyncClient, anonymous: httpx.AsyncClient) -> None:
    chat = await new_chat(client, files=files({"app/page.tsx": BROKEN_PAGE}))
    deployment = await deploy(client, chat)
    errors = conformance.v1("deployments.findErrors", await client.get(f"/v1/deployments/{deployment['id']}/errors"))
    assert errors["errorType"] == "build"
    assert errors["formattedError"].startswith("app/page.tsx:1:") and "@/components/missing" in errors["formattedError"]
    assert "import { Missing }" in errors["fullErrorText"]
    logs = conformance.v1("deployments.findLogs", await client.get(f"/v1/deployments/{deployment['id']}/logs"))
    assert logs["logs"][-1]["text"] == "Build failed with 1 error(s)" and logs["logs"][-1]["level"] == "error"
    assert logs["logs"][-1]["type"] == "stderr"
    page = await anonymous.get(local(deployment["webUrl"]))
    assert page.status_code == 200 and page.headers["x-vzero-build"] == "failed" and "vzero-build-errors" in page.text


async def test_runtime_errors_of_a_deployed_page(client: httpx.AsyncClient, anonymous: httpx.AsyncClient) -> None:
    deployment = await deploy(client, await new_chat(client))
    report = {"message": "boom", "stack": "Error: boom\n    at Page (app.js:1:1)", "source": "window"}
    url = local(deployment["webUrl"]) + "__errors"
    assert (await anonymous.post(url, json=report)).status_code == 204
    assert (await anonymous.post(url, json=report)).status_code == 204
    assert (await anonymous.post(url, json={"source": "window"})).status_code == 422
    assert (await anonymous.post("/deployments/NoSuchDeploy1/__errors", json=report)).status_code == 404
    errors = conformance.v1("deployments.findErrors", await client.get(f"/v1/deployments/{deployment['id']}/errors"))
    assert errors["errorType"] == "runtime" and errors["formattedError"] == "boom\nError: boom\n    at Page (app.js:1:1)"
    logs = conformance.v1("deployments.findLogs", await client.get(f"/v1/deployments/{deployment['id']}/logs"))
    assert [e["text"] for e in logs["logs"]].count("Runtime error (window): boom") == 1


async def test_deployment_requests_are_checked(app: Any, client: httpx.AsyncClient, runtime: Any, other_key: str) -> None:
    chat = await new_chat(client)
    version = chat["latestVersion"]["id"]
    conformance.v1_error(await client.get("/v1/deployments", params={"chatId": chat["id"]}), 422, "unprocessable_entity_error")
    conformance.v1_error(await client.get("/v1/deployments", params={"chatId": chat["id"], "versionId": "nope"}), 404, "not_found_error")
    conformance.v1_error(await client.post("/v1/deployments", json={"chatId": chat["id"]}), 422, "unprocessable_entity_error")
    conformance.v1_error(await client.post("/v1/deployments", json={"chatId": chat["id"], "versionId": version, "x": 1}), 422, "unprocessable_entity_error")
    conformance.v1_error(await client.post("/v1/deployments", json={"chatId": "nope", "versionId": version}), 404, "not_found_error")
    conformance.v1_error(await client.get("/v1/deployments/nope/logs", params={"since": "soon"}), 422, "unprocessable_entity_error")
    conformance.v1_error(await client.get("/v1/deployments/nope/logs", params={"since": "nan"}), 422, "unprocessable_entity_error")
    project = conformance.v1("projects.create", await client.post("/v1/projects", json={"name": "p"}))
    body = {"chatId": chat["id"], "versionId": version, "projectId": project["id"]}
    conformance.v1_error(await client.post("/v1/deployments", json=body), 422, "unprocessable_entity_error")  # not its project
    conformance.v1("projects.assign", await client.post(f"/v1/projects/{project['id']}/assign", json={"chatId": chat["id"]}))
    in_project = conformance.v1("deployments.create", await client.post("/v1/deployments", json=body))
    assert in_project["projectId"] == project["id"]
    found = conformance.v1("deployments.find", await client.get("/v1/deployments", params={"chatId": chat["id"], "versionId": version, "projectId": "other"}))
    assert found["data"] == []
    # a version still being generated, or a failed one, cannot be deployed
    async with runtime.db.session() as session:
        row = await session.get(Chat, chat["id"])
        pending = await chat_store.add_version(session, runtime.blobs, row, None, status="pending")
        failed = await chat_store.add_version(session, runtime.blobs, row, None, status="failed")
        await session.commit()
    conformance.v1_error(await client.post("/v1/deployments", json={"chatId": chat["id"], "versionId": pending.id}), 409, "conflict_error")
    conformance.v1_error(await client.post("/v1/deployments", json={"chatId": chat["id"], "versionId": failed.id}), 422, "unprocessable_entity_error")
    # someone else's private chat is invisible; a public one is readable, but only its owner deploys it
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver", headers={"Authorization": f"Bearer {other_key}"}) as other:
        conformance.v1_error(await other.post("/v1/deployments", json={"chatId": chat["id"], "versionId": version}), 404, "not_found_error")
        conformance.v1_error(await other.get(f"/v1/deployments/{in_project['id']}"), 404, "not_found_error")
        public = await new_chat(client, chatPrivacy="public")
        conformance.v1_error(await other.post("/v1/deployments", json={"chatId": public["id"], "versionId": public["latestVersion"]["id"]}), 403, "forbidden_error")


async def test_deployment_outlives_its_chat(app: Any, client: httpx.AsyncClient, anonymous: httpx.AsyncClient, runtime: Any) -> None:
    chat = await new_chat(client, chatPrivacy="public")
    deployment = await deploy(client, chat)
    async with runtime.db.session() as session:
        stranger = (await create_user_with_key(session, "stranger")).key
        await session.commit()
    conformance.v1("chats.delete", await client.delete(f"/v1/chats/{chat['id']}"))
    assert (await anonymous.get(local(deployment["webUrl"]))).status_code == 200
    conformance.v1("deployments.getById", await client.get(f"/v1/deployments/{deployment['id']}"))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver", headers={"Authorization": f"Bearer {stranger}"}) as other:
        conformance.v1_error(await other.get(f"/v1/deployments/{deployment['id']}"), 404, "not_found_error")
    conformance.v1("deployments.delete", await client.delete(f"/v1/deployments/{deployment['id']}"))
    assert (await anonymous.get(local(deployment["webUrl"]))).status_code == 404
