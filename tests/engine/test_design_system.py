"""designSystemId: a shadcn registry design system (theme and components) applied to a new chat's starting files."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests import conformance
from tests.conftest import API_KEY
from tests.engine.test_agent_actions import page
from tests.fakes import FakeOpenAIServer, FakeReply
from tests.sources.test_fetch import LocalServer, send
from vzero.config import Settings

OCEAN = {
    "name": "ocean",
    "type": "registry:style",
    "files": [{"path": "registry/ocean/ui/button.tsx", "type": "registry:ui", "content": "export function Button() { return <button className=\"ocean\" /> }"}],
    "registryDependencies": ["ocean-card"],
    "dependencies": ["@radix-ui/react-slot"],
    "cssVars": {"light": {"primary": "oklch(0.55 0.12 230)", "radius": "1rem"}, "dark": {"primary": "oklch(0.75 0.1 230)"}, "theme": {"font-sans": "Inter"}},
}
CARD = {
    "name": "ocean-card", "type": "registry:ui",
    "files": [{"path": "registry/ocean/ui/card.tsx", "type": "registry:ui", "content": "export function Card() {}"}],
    "cssVars": {"light": {"primary": "red", "card": "oklch(0.98 0.01 230)"}},
}


@pytest.fixture(scope="module")
def registry() -> Iterator[LocalServer]:
    local = LocalServer()
    for path, item in (("/r/styles/ocean.json", OCEAN), ("/r/styles/ocean-card.json", CARD)):
        local.routes[path] = lambda h, body=json.dumps(item).encode(): send(h, body, content_type="application/json")
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
def settings(tmp_path: Path, database_url: str | None, fake_model: FakeOpenAIServer, registry: LocalServer) -> Settings:
    return Settings(
        data_dir=tmp_path / "data", database_url=database_url, api_key=API_KEY, public_url="http://testserver", provider="openai",
        openai_api_key="sk-test", openai_base_url=fake_model.base_url, model="fake-model", provider_retries=0, allow_private_urls=True,
        design_system_url=registry.url("/r/styles/{id}.json"),
    )


async def test_a_design_system_gives_the_chat_its_theme_and_components(client: httpx.AsyncClient, fake_model: FakeOpenAIServer) -> None:
    fake_model.enqueue(FakeReply(text=page("primary")))
    chat = conformance.v1("chats.create", await client.post("/v1/chats", json={"message": "A landing page", "designSystemId": "ocean"}))
    files = {f["name"]: f["content"] for f in chat["latestVersion"]["files"]}
    assert 'className="ocean"' in files["components/ui/button.tsx"] and "components/ui/card.tsx" in files
    css = files["app/globals.css"]
    assert "--primary: oklch(0.55 0.12 230);" in css and "--radius: 1rem;" in css  # the item's own variables win
    assert "--card: oklch(0.98 0.01 230);" in css and "--font-sans: Inter;" in css and '@import "tailwindcss"' in css
    assert "--primary: oklch(0.75 0.1 230);" in css.split(".dark", 1)[1]
    assert "bg-primary" in files["app/page.tsx"]  # the model's own page, written on top
    system = fake_model.requests[-1].body["messages"][0]["content"]
    assert "components/ui/button.tsx" in system and "oklch(0.55 0.12 230)" in system  # the model builds on them


async def test_a_design_system_url_and_unknown_ids(client: httpx.AsyncClient, fake_model: FakeOpenAIServer, registry: LocalServer) -> None:
    fake_model.enqueue(FakeReply(text=page("x")))
    by_url = await client.post("/v1/chats", json={"message": "x", "designSystemId": registry.url("/r/styles/ocean.json")})
    assert by_url.status_code == 200, by_url.text
    missing = conformance.v1_error(await client.post("/v1/chats", json={"message": "x", "designSystemId": "nope"}), 422)
    assert "designSystemId 'nope'" in missing["error"]["message"]
    conformance.v1_error(await client.post("/v1/chats", json={"message": "x", "designSystemId": "../etc"}), 422)
    assert len(fake_model.requests) == 1  # refused before any model call
