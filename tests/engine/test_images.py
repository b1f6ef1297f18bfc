"""imageGenerations: the generate_image tool against a fake images/generations endpoint (a real PNG); images become
binary files of the version (v1: data URIs, v2: base64), agent actions, and usage events of type image_generation."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests import conformance
from tests.conftest import API_KEY
from tests.engine.test_agent_actions import app_client, messages_v2
from tests.fakes import FakeOpenAIServer, FakeReply, FakeToolCall, png, tool_results
from vzero.config import Settings

PAGE = '''<CodeProject id="app">

```tsx file="app/page.tsx"
export default function Page() {
  return <img src="/images/hero.png" alt="Hero" />
}
```

</CodeProject>

Added the hero image.'''


@pytest.fixture(scope="module")
def model_server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer() as server:
        yield server


@pytest.fixture
def fake_model(model_server: FakeOpenAIServer) -> FakeOpenAIServer:
    model_server.reset()
    model_server.image_status = 200
    return model_server


@pytest.fixture
def settings(tmp_path: Path, database_url: str | None, fake_model: FakeOpenAIServer) -> Settings:
    return Settings(
        data_dir=tmp_path / "data", database_url=database_url, api_key=API_KEY, public_url="http://testserver", provider="openai",
        openai_api_key="sk-test", openai_base_url=fake_model.base_url, model="fake-model", provider_retries=0,
        image_provider="openai", image_model="fake-image", credit_rates={"fake-image": {"image": 0.5}},
    )


def hero() -> FakeToolCall:
    return FakeToolCall("generate_image", {"prompt": "A teal mountain at dawn", "name": "hero"}, id="call_img")


async def test_an_image_becomes_a_binary_file_an_action_and_usage(client: httpx.AsyncClient, fake_model: FakeOpenAIServer) -> None:
    fake_model.enqueue(FakeReply(text="First the image.", tool_calls=(hero(),)), FakeReply(text=PAGE))
    body = {"message": "A landing page with a hero image", "modelConfiguration": {"imageGenerations": True}}
    created = conformance.v2("chats.create", await client.post("/v2/chats", json=body))
    chat_id = created["chat"]["id"]
    asked = next(r for r in fake_model.requests if r.path == "/v1/images/generations").body
    assert asked["model"] == "fake-image" and asked["prompt"] == "A teal mountain at dawn" and asked["n"] == 1
    assert "public/images/hero.png" in tool_results(fake_model.requests[-1].body)["call_img"]

    reply = (await messages_v2(client, chat_id))[-1]
    action = next(p for p in reply["parts"] if p["type"] == "agent-action")
    assert action["name"] == "generate_image" and "public/images/hero.png" in action["summary"] and "data" not in action
    edit = next(p for p in reply["parts"] if p["type"] == "file-edit" and p["path"] == "public/images/hero.png")
    assert edit["operation"] == "create"

    files = {f["path"]: f for f in conformance.v2("chats.getFiles", await client.get(f"/v2/chats/{chat_id}/files"))["files"]}
    image = files["public/images/hero.png"]
    assert image["encoding"] == "base64" and base64.b64decode(image["content"]) == png()
    v1_files = {f["name"]: f for f in conformance.v1("chats.getById", await client.get(f"/v1/chats/{chat_id}"))["latestVersion"]["files"]}
    assert v1_files["public/images/hero.png"]["content"] == "data:image/png;base64," + base64.b64encode(png()).decode()

    events = conformance.v2("usage.listEvents", await client.get("/v2/usage/events"))["data"]
    images = [e for e in events if e["type"] == "image_generation"]
    assert len(images) == 1 and images[0]["model"] == "fake-image" and images[0]["tokens"] is None
    assert images[0]["creditsCost"]["total"] == 0.5 and images[0]["messageId"] == reply["id"]
    v1_usage = conformance.v1("reports.getUsage", await client.get("/v1/reports/usage"))["data"]
    assert "image_generation" in {e["type"] for e in v1_usage}


async def test_at_most_five_images_per_version_and_follow_ups_keep_the_setting(settings: Settings, fake_model: FakeOpenAIServer) -> None:
    async with app_client(settings, max_images_per_version=2) as client:
        calls = tuple(FakeToolCall("generate_image", {"prompt": f"picture {n}", "name": f"p{n}"}, id=f"call_{n}") for n in range(3))
        fake_model.enqueue(FakeReply(text="", tool_calls=calls), FakeReply(text=PAGE))
        created = conformance.v2("chats.create", await client.post("/v2/chats", json={"message": "pictures", "modelConfiguration": {"imageGenerations": True}}))
        results = tool_results(fake_model.requests[-1].body)
        assert "VZERO_MAX_IMAGES_PER_VERSION" in results["call_2"] and "public/images/p1.png" in results["call_1"]
        files = conformance.v2("chats.getFiles", await client.get(f"/v2/chats/{created['chat']['id']}/files"))["files"]
        assert sorted(f["path"] for f in files if f["path"].startswith("public/")) == ["public/images/p0.png", "public/images/p1.png"]
        # The chat keeps imageGenerations: a follow-up without modelConfiguration may generate again.
        fake_model.enqueue(FakeReply(text=PAGE))
        await client.post(f"/v2/chats/{created['chat']['id']}/messages", json={"message": "more"})
        assert "generate_image" in {t["function"]["name"] for t in fake_model.requests[-1].body["tools"]}


async def test_without_image_generations_there_is_no_image_tool(client: httpx.AsyncClient, fake_model: FakeOpenAIServer) -> None:
    fake_model.enqueue(FakeReply(text=PAGE))
    conformance.v2("chats.create", await client.post("/v2/chats", json={"message": "no images"}))
    assert "generate_image" not in {t["function"]["name"] for t in fake_model.requests[-1].body["tools"]}


async def test_a_failing_images_endpoint_is_the_calls_error(client: httpx.AsyncClient, fake_model: FakeOpenAIServer) -> None:
    fake_model.image_status = 500
    fake_model.enqueue(FakeReply(text="", tool_calls=(hero(),)), FakeReply(text=PAGE))
    created = conformance.v2("chats.create", await client.post("/v2/chats", json={"message": "x", "modelConfiguration": {"imageGenerations": True}}))
    assert "refused (500)" in tool_results(fake_model.requests[-1].body)["call_img"]
    assert (await messages_v2(client, created["chat"]["id"]))[-1]["finishReason"] == "stop"


async def test_image_generations_without_an_image_provider_is_refused(settings: Settings, fake_model: FakeOpenAIServer) -> None:
    async with app_client(settings, image_provider=None) as client:
        refused = await client.post("/v2/chats", json={"message": "x", "modelConfiguration": {"imageGenerations": True}})
        assert refused.status_code == 422 and "VZERO_IMAGE_PROVIDER" in refused.json()["message"]
        v1 = await client.post("/v1/chats", json={"message": "x", "modelConfiguration": {"imageGenerations": True}})
        conformance.v1_error(v1, 422)


async def test_the_preview_serves_the_generated_image(settings: Settings, fake_model: FakeOpenAIServer) -> None:
    from tests.preview.preview_apps import require_runtime

    async with app_client(settings, preview_runtime_dir=require_runtime(), screenshots=False) as client:
        fake_model.enqueue(FakeReply(text="", tool_calls=(hero(),)), FakeReply(text=PAGE))
        body = {"message": "A hero image", "modelConfiguration": {"imageGenerations": True}}
        chat = conformance.v1("chats.create", await client.post("/v1/chats", json=body))
        demo = chat["latestVersion"]["demoUrl"].removeprefix("http://testserver")
        served = await client.get(demo + "images/hero.png", headers={"Authorization": ""})
        assert served.status_code == 200 and served.content == png() and served.headers["content-type"] == "image/png"
