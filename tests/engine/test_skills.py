"""Skills attached to a message: remote (a local HTTP server stands in for the skills.sh repository), project (the
chat's files) and memory (the user's store); the model sees name and description and loads the body as a tool."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests import conformance
from tests.conftest import API_KEY
from tests.engine.test_agent_actions import messages_v2, page
from tests.fakes import FakeOpenAIServer, FakeReply, FakeToolCall, tool_results
from tests.sources.test_fetch import LocalServer, send
from vzero.config import Settings
from vzero.store.skills import save_skill
from vzero.store.users import DEFAULT_USER_ID

BUTTONS = b'''---
name: buttons
description: "How this team builds buttons: rounded, teal, with an icon"
---
# Buttons

Every button is rounded-full and bg-teal-600.
'''


@pytest.fixture(scope="module")
def repo() -> Iterator[LocalServer]:
    local = LocalServer()
    local.routes["/acme/ui-kit/HEAD/skills/buttons/SKILL.md"] = lambda h: send(h, BUTTONS, content_type="text/markdown")
    local.routes["/acme/ui-kit/HEAD/forms/SKILL.md"] = lambda h: send(h, b"Forms use labels above inputs.", content_type="text/markdown")
    local.routes["/acme/huge/HEAD/skills/big/SKILL.md"] = lambda h: send(h, b"x" * 300_000)
    yield local
    local.close()


@pytest.fixture(scope="module")
def model_server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer() as server:
        yield server


@pytest.fixture
def fake_model(model_server: FakeOpenAIServer) -> FakeOpenAIServer:
    model_server.reset()
    return model_server


@pytest.fixture
def settings(tmp_path: Path, database_url: str | None, fake_model: FakeOpenAIServer, repo: LocalServer) -> Settings:
    return Settings(
        data_dir=tmp_path / "data", database_url=database_url, api_key=API_KEY, public_url="http://testserver", provider="openai",
        openai_api_key="sk-test", openai_base_url=fake_model.base_url, model="fake-model", provider_retries=0, allow_private_urls=True,
        skills_base_url=repo.url(""),
    )


def system_of(fake: FakeOpenAIServer) -> str:
    return str(fake.requests[-1].body["messages"][0]["content"])


async def test_a_remote_skill_is_listed_and_loaded_when_the_model_asks(client: httpx.AsyncClient, fake_model: FakeOpenAIServer, repo: LocalServer) -> None:
    load = FakeToolCall("load_skill", {"name": "buttons"}, id="call_skill")
    fake_model.enqueue(FakeReply(text="Reading the skill.", tool_calls=(load,)))
    fake_model.enqueue(FakeReply(text_from=lambda body: page("teal-600" if "bg-teal-600" in tool_results(body)["call_skill"] else "x")))
    body = {"message": "A signup button", "skills": [{"type": "remote", "id": "acme/ui-kit/buttons"}]}
    created = conformance.v2("chats.create", await client.post("/v2/chats", json=body))
    first = fake_model.requests[0].body
    system = first["messages"][0]["content"]
    assert "- buttons: How this team builds buttons: rounded, teal, with an icon" in system
    assert "rounded-full" not in system  # the body only when loaded
    skill_tool = next(t for t in first["tools"] if t["function"]["name"] == "load_skill")
    assert skill_tool["function"]["parameters"]["properties"]["name"]["enum"] == ["buttons"]
    reply = (await messages_v2(client, created["chat"]["id"]))[-1]
    shown = next(p for p in reply["parts"] if p["type"] == "tool-call")
    assert shown["name"] == "load_skill" and "bg-teal-600" in shown["output"]
    files = conformance.v2("chats.getFiles", await client.get(f"/v2/chats/{created['chat']['id']}/files"))
    assert "bg-teal-600" in files["files"][0]["content"]
    # Read once, then cached: a second message attaching it does not fetch it again.
    fetched = len(repo.paths())
    fake_model.enqueue(FakeReply(text=page("again")))
    await client.post(f"/v2/chats/{created['chat']['id']}/messages", json={"message": "again", "skills": [{"type": "remote", "id": "acme/ui-kit/buttons"}]})
    assert len(repo.paths()) == fetched


async def test_v1_attached_skill_ids_merge_with_skills(client: httpx.AsyncClient, fake_model: FakeOpenAIServer) -> None:
    fake_model.enqueue(FakeReply(text=page("ok")))
    body = {"message": "Build", "attachedSkillIds": ["acme/ui-kit/forms"], "skills": [{"type": "remote", "id": "acme/ui-kit/buttons"}]}
    conformance.v1("chats.create", await client.post("/v1/chats", json=body))
    system = system_of(fake_model)
    assert "- buttons:" in system and "- forms: Forms use labels above inputs." in system
    too_many = {"message": "x", "attachedSkillIds": ["a/b/c", "a/b/d"], "skills": [{"type": "remote", "id": "a/b/e"}, {"type": "remote", "id": "a/b/f"}]}
    refused = conformance.v1_error(await client.post("/v1/chats", json=too_many), 422)
    assert "At most 3 skills" in refused["error"]["message"]
    v2_many = await client.post("/v2/chats", json={"message": "x", "skills": [{"type": "remote", "id": f"a/b/{n}"} for n in range(4)]})
    assert v2_many.status_code == 422


async def test_unknown_unreachable_or_malformed_remote_skills_are_clear_422s(client: httpx.AsyncClient, fake_model: FakeOpenAIServer) -> None:
    for skill_id, words in (("acme/ui-kit/nope", "not found"), ("not-a-skill", "owner/repo/skill"), ("acme/huge/big", "VZERO_SKILL_MAX_BYTES")):
        refused = await client.post("/v2/chats", json={"message": "x", "skills": [{"type": "remote", "id": skill_id}]})
        assert refused.status_code == 422 and words in refused.json()["message"], refused.text
    assert fake_model.requests == []  # refused before any model call
    chats = conformance.v2("chats.list", await client.get("/v2/chats"))
    assert chats["chats"] == []  # and no chat was left behind


async def test_project_skills_come_from_the_chats_files(client: httpx.AsyncClient, fake_model: FakeOpenAIServer) -> None:
    files = [
        {"name": "app/page.tsx", "content": "export default function Page() { return null }"},
        {"name": ".agents/skills/copy/SKILL.md", "content": "---\nname: copy\ndescription: Our tone of voice\n---\nAlways write in plain words."},
    ]
    chat_id = conformance.v2("chats.createFromFiles", await client.post("/v2/chats/from-files", json={"files": files}))["chat"]["id"]
    load = FakeToolCall("load_skill", {"name": "copy"}, id="call_copy")
    fake_model.enqueue(FakeReply(text="", tool_calls=(load,)), FakeReply(text=page("plain")))
    sent = await client.post(f"/v2/chats/{chat_id}/messages", json={"message": "copy", "skills": [{"type": "project", "skillName": "copy"}]})
    assert sent.status_code == 200, sent.text
    assert "- copy: Our tone of voice" in fake_model.requests[0].body["messages"][0]["content"]
    assert tool_results(fake_model.requests[-1].body)["call_copy"] == "Always write in plain words."
    missing = await client.post(f"/v2/chats/{chat_id}/messages", json={"message": "x", "skills": [{"type": "project", "skillName": "none"}]})
    assert missing.status_code == 422 and ".agents/skills/none/SKILL.md" in missing.json()["message"]


async def test_memory_skills_of_the_user(client: httpx.AsyncClient, fake_model: FakeOpenAIServer, runtime: Any) -> None:
    async with runtime.db.session() as session:
        await save_skill(session, DEFAULT_USER_ID, scope="user", name="brand", description="Brand colours", body="Use teal and sand.")
        await session.commit()
    fake_model.enqueue(FakeReply(text="", tool_calls=(FakeToolCall("load_skill", {"name": "brand"}, id="call_brand"),)), FakeReply(text=page("brand")))
    conformance.v2("chats.create", await client.post("/v2/chats", json={"message": "x", "skills": [{"type": "memory", "scope": "user", "skillName": "brand"}]}))
    assert tool_results(fake_model.requests[-1].body)["call_brand"] == "Use teal and sand."
    unknown = await client.post("/v2/chats", json={"message": "x", "skills": [{"type": "memory", "scope": "user", "skillName": "nope"}]})
    assert unknown.status_code == 404 and "vzero skills add nope" in unknown.json()["message"]
    no_team = await client.post("/v2/chats", json={"message": "x", "skills": [{"type": "memory", "scope": "team", "skillName": "brand"}]})
    assert no_team.status_code == 422
