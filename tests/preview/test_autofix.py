"""Auto-fix: a version whose preview fails is sent back to the (fake) model with its error, within a budget."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest
from preview_apps import require_runtime

from tests import conformance
from tests.conftest import API_KEY
from tests.engine.conftest import fake_model, model_server  # noqa: F401 - fixtures
from tests.fakes import FakeOpenAIServer, FakeReply
from vzero.config import Settings
from vzero.preview.service import PreviewService
from vzero.store.chats import messages_of
from vzero.store.tables import Version


def reply(page: str, extra: str = "") -> str:
    return f'I wrote the page.\n\n<CodeProject id="app">\n\n```tsx file="app/page.tsx"\n{page}```\n{extra}\n</CodeProject>\n\nDone.'


BROKEN = reply('''import { FancyCard } from "@/components/ui/fancy-card"

export default function Page() {
  return <FancyCard title="Hello">A card</FancyCard>
}
''')
FIXED = reply('''export default function Page() {
  return <div className="rounded-lg border p-6"><h2>Hello</h2><p>A card</p></div>
}
''')
STILL_BROKEN = reply('''import { FancyCard } from "@/components/ui/fancier-card"

export default function Page() {
  return <FancyCard />
}
''')
THROWS = reply('''"use client"
export default function Page() {
  const items: any = null
  return <ul>{items.map((i: string) => <li key={i}>{i}</li>)}</ul>
}
''')


@pytest.fixture
def auto_fix() -> bool:
    return True


@pytest.fixture
def attempts() -> int:
    return 2


@pytest.fixture
def settings(tmp_path: Path, database_url: str | None, fake_model: FakeOpenAIServer, auto_fix: bool, attempts: int) -> Settings:  # noqa: F811
    return Settings(
        data_dir=tmp_path / "data", database_url=database_url, api_key=API_KEY, public_url="http://testserver",
        provider="openai", openai_api_key="sk-test", openai_base_url=fake_model.base_url, model="fake-model", provider_retries=0,
        preview_runtime_dir=require_runtime(), screenshots=False, auto_fix=auto_fix, auto_fix_attempts=attempts,
    )


async def settle(services: Any) -> None:
    """Wait until no generation runs and the preview service has no background work left."""
    service: PreviewService = services.previews
    manager = services.generations
    for _ in range(600):
        await service.idle()
        running = [g for g in manager.by_message.values() if not g.done]
        if not running and not service._tasks:
            return
        await asyncio.gather(*(g.task for g in running if g.task), return_exceptions=True)
        await asyncio.sleep(0.01)
    raise AssertionError("generations and previews did not settle")


async def history(runtime: Any, chat_id: str) -> list[tuple[str, str]]:
    async with runtime.db.session() as session:
        return [(m.role, m.type) for m in await messages_of(session, chat_id)]


async def errors_of(runtime: Any, version_id: str) -> list[dict[str, Any]]:
    async with runtime.db.session() as session:
        version = await session.get(Version, version_id)
        assert version is not None
        return list(version.errors)


async def test_build_error_is_fixed_automatically(client: httpx.AsyncClient, fake_model: FakeOpenAIServer, runtime: Any, services: Any) -> None:  # noqa: F811
    fake_model.enqueue(FakeReply(text=BROKEN), FakeReply(text=FIXED))
    chat = conformance.v1("chats.create", await client.post("/v1/chats", json={"message": "A card that says hello"}))
    broken = chat["latestVersion"]["id"]
    await settle(services)
    # the build error was recorded on the model's version, located in its file
    [error] = await errors_of(runtime, broken)
    assert error["source"] == "build" and error["file"] == "app/page.tsx" and "@/components/ui/fancy-card" in error["message"]
    # the error went back to the model as an auto-fix message, which produced a version that builds
    assert await history(runtime, chat["id"]) == [("user", "message"), ("assistant", "message"), ("user", "auto-fix-with-v0"), ("assistant", "message")]
    prompt = fake_model.requests[-1].body["messages"][-1]["content"]
    assert "The app has an error" in prompt and "fancy-card" in prompt and "app/page.tsx:1" in prompt
    fixed = conformance.v1("chats.getById", await client.get(f"/v1/chats/{chat['id']}"))
    assert fixed["latestVersion"]["id"] != broken and fixed["messages"][2]["type"] == "auto-fix-with-v0"
    page = await client.get(fixed["latestVersion"]["demoUrl"].removeprefix("http://testserver"))
    assert page.status_code == 200 and "x-vzero-build" not in page.headers and "./app.js" in page.text
    assert await errors_of(runtime, fixed["latestVersion"]["id"]) == []
    assert services.previews.stats["auto_fixes"] == 1


@pytest.mark.parametrize("attempts", [1])
async def test_auto_fix_stops_at_its_budget(client: httpx.AsyncClient, fake_model: FakeOpenAIServer, runtime: Any, services: Any) -> None:  # noqa: F811
    fake_model.enqueue(FakeReply(text=BROKEN), FakeReply(text=STILL_BROKEN))
    chat = conformance.v1("chats.create", await client.post("/v1/chats", json={"message": "A card"}))
    await settle(services)
    assert await history(runtime, chat["id"]) == [("user", "message"), ("assistant", "message"), ("user", "auto-fix-with-v0"), ("assistant", "message")]
    latest = conformance.v1("chats.getById", await client.get(f"/v1/chats/{chat['id']}"))["latestVersion"]["id"]
    assert "fancier-card" in (await errors_of(runtime, latest))[0]["message"]  # recorded, but not sent back again
    assert len(fake_model.requests) == 2
    # a new message from the user opens a new budget
    fake_model.enqueue(FakeReply(text=STILL_BROKEN), FakeReply(text=FIXED))
    conformance.v1("chats.sendMessage", await client.post(f"/v1/chats/{chat['id']}/messages", json={"message": "try again"}))
    await settle(services)
    assert [t for _, t in await history(runtime, chat["id"])][4:] == ["message", "message", "auto-fix-with-v0", "message"]


@pytest.mark.parametrize("auto_fix", [False])
async def test_auto_fix_is_off_by_default(client: httpx.AsyncClient, fake_model: FakeOpenAIServer, runtime: Any, services: Any) -> None:  # noqa: F811
    assert Settings().auto_fix is False
    fake_model.enqueue(FakeReply(text=BROKEN))
    chat = conformance.v1("chats.create", await client.post("/v1/chats", json={"message": "A card"}))
    await settle(services)
    assert await history(runtime, chat["id"]) == [("user", "message"), ("assistant", "message")]
    # the runtime is installed, so the completed version was still built in the background and its error recorded
    assert (await errors_of(runtime, chat["latestVersion"]["id"]))[0]["source"] == "build"


async def test_runtime_error_report_is_fixed_automatically(
    app: Any, client: httpx.AsyncClient, fake_model: FakeOpenAIServer, runtime: Any, services: Any  # noqa: F811
) -> None:
    fake_model.enqueue(FakeReply(text=THROWS), FakeReply(text=FIXED))
    chat = conformance.v1("chats.create", await client.post("/v1/chats", json={"message": "A list"}))
    await settle(services)
    assert len(await history(runtime, chat["id"])) == 2  # it builds: nothing to fix yet
    demo = chat["latestVersion"]["demoUrl"].removeprefix("http://testserver")
    report = {"message": "Cannot read properties of null (reading 'map')", "stack": "TypeError: ...\n    at Page (app.js:4:20)", "source": "react"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as page:  # as the overlay would: no key
        assert (await page.post(demo + "__errors", json=report)).status_code == 204
        await settle(services)
        assert (await page.post(demo + "__errors", json={**report, "source": "window"})).status_code == 204  # an old version now
    await settle(services)
    assert [t for _, t in await history(runtime, chat["id"])] == ["message", "message", "auto-fix-with-v0", "message"]
    prompt = fake_model.requests[-1].body["messages"][-1]["content"]
    assert "reading 'map'" in prompt and "at Page" in prompt


@pytest.mark.parametrize("auto_fix", [False])
async def test_fix_with_v0_action_renders(client: httpx.AsyncClient, fake_model: FakeOpenAIServer, runtime: Any, services: Any) -> None:  # noqa: F811
    fake_model.enqueue(FakeReply(text=BROKEN), FakeReply(text=FIXED))
    chat = conformance.v1("chats.create", await client.post("/v1/chats", json={"message": "A card"}))
    await settle(services)
    [error] = await errors_of(runtime, chat["latestVersion"]["id"])
    body = {"message": error["message"], "action": {"type": "fix-with-v0"}}
    fixed = conformance.v1("chats.sendMessage", await client.post(f"/v1/chats/{chat['id']}/messages", json=body))
    assert fixed["messages"][-2]["type"] == "fix-with-v0"
    page = await client.get(fixed["latestVersion"]["demoUrl"].removeprefix("http://testserver"))
    assert page.status_code == 200 and "x-vzero-build" not in page.headers
