"""Generation through v1: sync, async, fix-with-v0, locked files, failures, usage."""

from __future__ import annotations

import asyncio

import httpx

from tests import conformance
from tests.fakes import FakeOpenAIServer, FakeReply

COUNTER = '''<Thinking>A counter with a button.</Thinking>

<CodeProject id="counter">

```tsx file="app/page.tsx"
"use client"
import { useState } from "react"

export default function Page() {
  const [count, setCount] = useState(0)
  return <button onClick={() => setCount(count + 1)}>Count: {count}</button>
}
```

</CodeProject>

I built a counter.'''


async def wait_finished(client: httpx.AsyncClient, chat_id: str, message_id: str) -> dict:
    for _ in range(200):
        message = (await client.get(f"/v1/chats/{chat_id}/messages/{message_id}")).json()
        if "finishReason" in message:
            return conformance.v1("chats.getMessage", await client.get(f"/v1/chats/{chat_id}/messages/{message_id}"))
        await asyncio.sleep(0.02)
    raise AssertionError("generation did not finish")


async def test_create_sync_writes_a_version(client: httpx.AsyncClient, fake_model: FakeOpenAIServer) -> None:
    fake_model.enqueue(FakeReply(text=COUNTER, chunk_size=7, usage=(120, 80)))
    chat = conformance.v1("chats.create", await client.post("/v1/chats", json={"message": "Build a counter"}))
    version = chat["latestVersion"]
    assert version["status"] == "completed"
    assert [f["name"] for f in version["files"]] == ["app/page.tsx"]
    assert "useState" in version["files"][0]["content"]
    assistant = chat["messages"][-1]
    assert assistant["role"] == "assistant" and assistant["finishReason"] == "stop"
    assert chat["messages"][0]["content"] == "Build a counter" and chat["text"] == "Build a counter"
    request = fake_model.requests[-1].body
    assert request["model"] == "fake-model" and request["stream"] is True
    assert "Build a counter" in request["messages"][-1]["content"]


async def test_a_lone_surrogate_from_the_model_becomes_a_replacement_character(client: httpx.AsyncClient, fake_model: FakeOpenAIServer) -> None:
    # The fake sends it as the JSON escape "\ud83d" (half of an emoji): not text, and as is neither the database nor
    # a UTF-8 stream could take it. The reply is kept, with U+FFFD in its place.
    fake_model.enqueue(FakeReply(text=COUNTER.replace("Count: ", "Count \ud83d: ").replace("I built", "I \ud83d built"), chunk_size=7))
    chat = conformance.v1("chats.create", await client.post("/v1/chats", json={"message": "Build a counter"}))
    assert chat["latestVersion"]["status"] == "completed"
    assert "Count \ufffd: {count}" in chat["latestVersion"]["files"][0]["content"]
    assert "I \ufffd built" in chat["messages"][-1]["content"]


async def test_send_message_edits_and_keeps_locked_files(client: httpx.AsyncClient, fake_model: FakeOpenAIServer) -> None:
    chat = conformance.v1(
        "chats.init",
        await client.post("/v1/chats/init", json={"type": "files", "files": [
            {"name": "app/page.tsx", "content": "export default function Page() { return null }\n"},
            {"name": "lib/data.ts", "content": "export const data = 1\n", "locked": True},
        ]}),
    )
    reply = '<CodeProject id="p">\n```ts file="lib/data.ts"\nexport const data = 2\n```\n```tsx file="app/page.tsx"\nexport default function Page() { return <p>2</p> }\n```\n</CodeProject>\nDone.'
    fake_model.enqueue(FakeReply(text=reply))
    updated = conformance.v1("chats.sendMessage", await client.post(f"/v1/chats/{chat['id']}/messages", json={"message": "change both"}))
    files = {f["name"]: f for f in updated["latestVersion"]["files"]}
    assert files["lib/data.ts"]["content"] == "export const data = 1\n" and files["lib/data.ts"]["locked"] is True
    assert "<p>2</p>" in files["app/page.tsx"]["content"]
    assert "locked" in updated["messages"][-1]["content"]
    system = fake_model.requests[-1].body["messages"][0]["content"]
    assert "LOCKED" in system and "lib/data.ts" in system


async def test_async_returns_pending_then_completes(client: httpx.AsyncClient, fake_model: FakeOpenAIServer) -> None:
    fake_model.enqueue(FakeReply(text=COUNTER, delay=0.01))
    chat = conformance.v1("chats.create", await client.post("/v1/chats", json={"message": "counter", "responseMode": "async"}))
    assert chat["latestVersion"]["status"] == "pending"
    assistant = chat["messages"][-1]
    assert "finishReason" not in assistant
    message = await wait_finished(client, chat["id"], assistant["id"])
    assert message["finishReason"] == "stop"
    done = conformance.v1("chats.getById", await client.get(f"/v1/chats/{chat['id']}"))
    assert done["latestVersion"]["status"] == "completed"


async def test_the_chat_a_start_answers_is_the_chat_read_back_while_it_runs(client: httpx.AsyncClient, fake_model: FakeOpenAIServer) -> None:
    # async answers (and a stream opens with) a ChatDetail rendered from the rows the start wrote, not read back:
    # it must be what a read of the chat gives at that moment, for a new chat and for one with history and files.
    fake_model.enqueue(FakeReply(text=COUNTER))
    first = conformance.v1("chats.create", await client.post("/v1/chats", json={"message": "counter", "responseMode": "sync"}))
    for operation, start in (
        ("chats.create", lambda: client.post("/v1/chats", json={"message": "a new one", "responseMode": "async", "system": "terse"})),
        ("chats.sendMessage", lambda: client.post(f"/v1/chats/{first['id']}/messages", json={"message": "make it blue", "responseMode": "async"})),
    ):
        fake_model.enqueue(FakeReply(text=COUNTER, first_token_delay=1.0))  # still pending when read back
        started = conformance.v1(operation, await start())
        assert started["latestVersion"]["status"] == "pending"
        read = conformance.v1("chats.getById", await client.get(f"/v1/chats/{started['id']}"))
        assert read["latestVersion"]["status"] == "pending"
        assert started == read
        await wait_finished(client, started["id"], started["messages"][-1]["id"])
    assert started["latestVersion"]["files"] == first["latestVersion"]["files"] != []  # the pending version shows its parent's


async def test_replies_that_end_together_are_stored_one_at_a_time(client: httpx.AsyncClient, fake_model: FakeOpenAIServer, runtime, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # Stores side by side took the CPU from the replies still streaming (PostgreSQL, 200 ending within a second):
    # on both stores the manager's write transactions queue. Each store here is slowed inside its transaction, so
    # without the queue the replies that end meanwhile would store concurrently.
    storing, most = 0, 0
    put_files = runtime.blobs.put_files

    async def slow_put_files(*args, **kwargs):  # type: ignore[no-untyped-def]
        nonlocal storing, most
        storing += 1
        most = max(most, storing)
        try:
            await asyncio.sleep(0.05)
            return await put_files(*args, **kwargs)
        finally:
            storing -= 1

    monkeypatch.setattr(runtime.blobs, "put_files", slow_put_files)
    for _ in range(6):
        fake_model.enqueue(FakeReply(text=COUNTER))
    started = await asyncio.gather(*(client.post("/v1/chats", json={"message": f"counter {i}", "responseMode": "async"}) for i in range(6)))
    chats = [conformance.v1("chats.create", response) for response in started]
    finished = [await wait_finished(client, chat["id"], chat["messages"][-1]["id"]) for chat in chats]
    assert [message["finishReason"] for message in finished] == ["stop"] * 6
    assert most == 1


async def test_provider_failure_keeps_previous_version(client: httpx.AsyncClient, fake_model: FakeOpenAIServer) -> None:
    fake_model.enqueue(FakeReply(text=COUNTER))
    chat = (await client.post("/v1/chats", json={"message": "counter"})).json()
    first = chat["latestVersion"]["id"]
    fake_model.enqueue(FakeReply(text=COUNTER.replace("Count", "Total"), cut_after_chunks=20))
    after = conformance.v1("chats.sendMessage", await client.post(f"/v1/chats/{chat['id']}/messages", json={"message": "rename"}))
    assert after["latestVersion"]["id"] == first
    assert after["messages"][-1]["finishReason"] == "error"
    versions = conformance.v1("chats.findVersions", await client.get(f"/v1/chats/{chat['id']}/versions"))
    assert versions["data"][0]["status"] == "failed"


async def test_fix_with_v0_message_type(client: httpx.AsyncClient, fake_model: FakeOpenAIServer) -> None:
    fake_model.enqueue(FakeReply(text=COUNTER))
    chat = (await client.post("/v1/chats", json={"message": "counter"})).json()
    fake_model.enqueue(FakeReply(text=COUNTER))
    fixed = conformance.v1("chats.sendMessage", await client.post(
        f"/v1/chats/{chat['id']}/messages", json={"message": "TypeError: x is undefined", "action": {"type": "fix-with-v0"}}
    ))
    assert fixed["messages"][-2]["type"] == "fix-with-v0"
    assert "error" in fake_model.requests[-1].body["messages"][-1]["content"].lower()


async def test_no_provider_configured_is_clear(tmp_path, database_url) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import API_KEY
    from vzero.app import create_app
    from vzero.config import Settings

    app = create_app(Settings(data_dir=tmp_path / "d", database_url=database_url, api_key=API_KEY))
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t", headers={"Authorization": f"Bearer {API_KEY}"}) as c:
            body = conformance.v1_error(await c.post("/v1/chats", json={"message": "hi"}), 422)
            assert "VZERO_PROVIDER" in body["error"]["message"]
            assert (await c.get("/v1/chats")).json()["data"] == []
