"""v2 operations that call the model, in process: create, send, async + polling, resolve, stop, failures, usage."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from tests import conformance
from tests.engine.conftest import fake_model, model_server, settings  # noqa: F401 - fixtures
from tests.engine.test_generate_v1 import COUNTER
from tests.fakes import FakeOpenAIServer, FakeReply

RENAME = COUNTER.replace("Count", "Clicks")


async def poll(client: httpx.AsyncClient, chat_id: str, message_id: str) -> dict[str, Any]:
    """Poll messages.get until finishReason is set, as the spec tells async clients to."""
    for _ in range(400):
        message = conformance.v2("messages.get", await client.get(f"/v2/chats/{chat_id}/messages/{message_id}"))
        if message["finishReason"] is not None:
            return message
        await asyncio.sleep(0.02)
    raise AssertionError("the generation did not finish")


async def create(client: httpx.AsyncClient, fake: FakeOpenAIServer, text: str = COUNTER, **extra: Any) -> dict[str, Any]:
    fake.enqueue(FakeReply(text=text, usage=(120, 80)))
    return conformance.v2("chats.create", await client.post("/v2/chats", json={"message": "Build a counter", **extra}))


async def test_create_blocks_and_reports_usage(client: httpx.AsyncClient, fake_model: FakeOpenAIServer) -> None:
    created = await create(client, fake_model, title="Counter", metadata={"env": "test"}, systemPrompt="Be brief")
    chat, usage = created["chat"], created["usage"]
    assert chat["title"] == "Counter" and chat["metadata"] == {"env": "test"} and chat["writePermission"] is True
    assert usage["tokens"] == {"input": 120, "output": 80, "cacheRead": 0, "cacheWrite": 0, "total": 200}
    assert usage["creditsCost"]["total"] > 0
    assert "Be brief" in fake_model.requests[-1].body["messages"][0]["content"]
    listed = conformance.v2("messages.list", await client.get(f"/v2/chats/{chat['id']}/messages", params={"limit": 10}))
    assistant, user = listed["messages"]
    assert user["role"] == "user" and user["content"] == "Build a counter" and user["parts"] == [{"type": "text", "text": "Build a counter"}]
    assert user["usage"]["tokens"]["total"] == 0 and user["usage"]["creditsCost"]["total"] == 0
    assert assistant["finishReason"] == "stop" and assistant["usage"] == usage
    kinds = [p["type"] for p in assistant["parts"]]
    assert kinds[0] == "thinking" and "file-edit" in kinds and kinds[-1] == "text"
    edit = next(p for p in assistant["parts"] if p["type"] == "file-edit")
    assert edit["operation"] == "create" and edit["path"] == "app/page.tsx" and edit["startedAt"] and edit["finishedAt"]
    assert assistant["content"] == "I built a counter."
    files = conformance.v2("chats.getFiles", await client.get(f"/v2/chats/{chat['id']}/files"))
    assert [f["path"] for f in files["files"]] == ["app/page.tsx"] and "useState" in files["files"][0]["content"]


async def test_send_blocking_returns_the_message(client: httpx.AsyncClient, fake_model: FakeOpenAIServer) -> None:
    chat = (await create(client, fake_model))["chat"]
    fake_model.enqueue(FakeReply(text=RENAME, usage=(50, 10)))
    message = conformance.v2("messages.send", await client.post(f"/v2/chats/{chat['id']}/messages", json={"message": "rename it"}))
    assert message["role"] == "assistant" and message["finishReason"] == "stop" and message["chatId"] == chat["id"]
    assert [p["operation"] for p in message["parts"] if p["type"] == "file-edit"] == ["update"]
    assert message["usage"]["tokens"]["total"] == 60 and message["restorable"] is False
    files = (await client.get(f"/v2/chats/{chat['id']}/files")).json()["files"]
    assert "Clicks" in files[0]["content"]
    # The first reply's files are no longer the latest: it can be restored.
    first = (await client.get(f"/v2/chats/{chat['id']}/messages", params={"limit": 10})).json()["messages"][2]
    assert first["role"] == "assistant" and first["restorable"] is True
    restored = conformance.v2("chats.restoreMessage", await client.post(f"/v2/chats/{chat['id']}/restore-message", json={"messageId": first["id"]}))
    assert restored["messages"][0]["role"] == "user"
    files = (await client.get(f"/v2/chats/{chat['id']}/files")).json()["files"]
    assert "Count:" in files[0]["content"] and "Clicks" not in files[0]["content"]
    again = await client.post(f"/v2/chats/{chat['id']}/restore-message", json={"messageId": restored["messages"][0]["id"]})
    assert again.status_code == 409 and set(again.json()) == {"message"}


async def test_async_then_poll(client: httpx.AsyncClient, fake_model: FakeOpenAIServer) -> None:
    fake_model.enqueue(FakeReply(text=COUNTER, chunk_size=20, delay=0.01))
    started = conformance.v2("chats.createAsync", await client.post("/v2/chats/async", json={"message": "counter"}), 202)
    assert set(started) == {"chatId", "messageId"}
    running = conformance.v2("messages.get", await client.get(f"/v2/chats/{started['chatId']}/messages/{started['messageId']}"))
    assert running["finishReason"] is None
    done = await poll(client, started["chatId"], started["messageId"])
    assert done["finishReason"] == "stop" and done["content"] == "I built a counter."
    fake_model.enqueue(FakeReply(text=RENAME, chunk_size=20, delay=0.01))
    sent = conformance.v2("messages.sendAsync", await client.post(f"/v2/chats/{started['chatId']}/messages/async", json={"message": "rename"}), 202)
    assert set(sent) == {"messageId"}
    busy = await client.post(f"/v2/chats/{started['chatId']}/messages", json={"message": "again"})
    assert busy.status_code == 409 and "running" in busy.json()["message"]
    assert (await poll(client, started["chatId"], sent["messageId"]))["finishReason"] == "stop"


async def test_stop_an_async_message(client: httpx.AsyncClient, fake_model: FakeOpenAIServer) -> None:
    chat = (await create(client, fake_model))["chat"]
    before = (await client.get(f"/v2/chats/{chat['id']}/files")).json()
    fake_model.enqueue(FakeReply(text=RENAME, chunk_size=2, delay=0.02))
    sent = (await client.post(f"/v2/chats/{chat['id']}/messages/async", json={"message": "rename"})).json()
    await asyncio.sleep(0.2)
    stopped = conformance.v2("messages.stop", await client.post(f"/v2/chats/{chat['id']}/messages/{sent['messageId']}/stop"))
    assert stopped == {"messageId": sent["messageId"]}
    message = await poll(client, chat["id"], sent["messageId"])
    assert message["finishReason"] == "other"
    assert (await client.get(f"/v2/chats/{chat['id']}/files")).json() == before
    user = (await client.get(f"/v2/chats/{chat['id']}/messages", params={"limit": 1, "cursor": None})).json()["messages"][0]
    assert user["id"] == sent["messageId"]


async def test_provider_failure_keeps_files(client: httpx.AsyncClient, fake_model: FakeOpenAIServer) -> None:
    chat = (await create(client, fake_model))["chat"]
    before = (await client.get(f"/v2/chats/{chat['id']}/files")).json()
    fake_model.enqueue(FakeReply(text=RENAME, cut_after_chunks=40))
    message = conformance.v2("messages.send", await client.post(f"/v2/chats/{chat['id']}/messages", json={"message": "rename"}))
    assert message["finishReason"] == "error" and message["content"]
    assert (await client.get(f"/v2/chats/{chat['id']}/files")).json() == before


async def test_messages_pagination_newest_first(client: httpx.AsyncClient, fake_model: FakeOpenAIServer) -> None:
    chat = (await create(client, fake_model))["chat"]
    fake_model.enqueue(FakeReply(text="Just words."))
    await client.post(f"/v2/chats/{chat['id']}/messages", json={"message": "say something"})
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = conformance.v2("messages.list", await client.get(f"/v2/chats/{chat['id']}/messages", params=params))
        seen += [m["content"] for m in page["messages"]]
        cursor = page["cursor"]
        if cursor is None:
            break
    assert seen == ["Just words.", "say something", "I built a counter.", "Build a counter"]
    missing = await client.get(f"/v2/chats/{chat['id']}/messages")
    assert missing.status_code == 422 and "limit" in missing.json()["message"]


async def test_resolve_answers_a_blocked_task(client: httpx.AsyncClient, fake_model: FakeOpenAIServer, runtime: Any) -> None:
    chat = (await create(client, fake_model))["chat"]
    task = {"type": "answered-questions", "answers": [{"questionId": "q1", "questionText": "Colour?", "selectedLabels": ["Blue"]}]}
    nothing = await client.post(f"/v2/chats/{chat['id']}/messages/resolve", json={"task": task})
    assert nothing.status_code == 409 and "No task" in nothing.json()["message"]
    # An assistant message blocked on a question, as an agent step leaves it.
    async with runtime.db.session() as session:
        from vzero.store.tables import Chat

        row = await session.get(Chat, chat["id"])
        from vzero.store.chats import add_message

        question = {"questions": [{"id": "q1", "question": "Colour?", "header": "Colour", "multiSelect": False, "options": [{"id": "b", "label": "Blue"}]}]}
        await add_message(session, row, role="assistant", parts=[{"type": "agent-action", "name": "ask_user_questions", "summary": "Which colour?", "data": question}], finish_reason="tool-calls")
        await session.commit()
    blocked = conformance.v2("messages.list", await client.get(f"/v2/chats/{chat['id']}/messages", params={"limit": 1}))["messages"][0]
    assert blocked["parts"][0]["type"] == "agent-action"
    fake_model.enqueue(FakeReply(text="Blue it is."))
    answered = conformance.v2("messages.resolve", await client.post(f"/v2/chats/{chat['id']}/messages/resolve", json={"task": task}))
    assert answered["content"] == "Blue it is."
    assert "Blue" in fake_model.requests[-1].body["messages"][-1]["content"]
    bad = await client.post(f"/v2/chats/{chat['id']}/messages/resolve/async", json={"task": {"type": "nope"}})
    assert bad.status_code == 422 and set(bad.json()) == {"message"}


async def test_no_provider_is_a_clear_error(tmp_path: Any, database_url: str | None) -> None:
    from tests.conftest import API_KEY
    from vzero.app import create_app
    from vzero.config import Settings

    app = create_app(Settings(data_dir=tmp_path / "bare", database_url=database_url, api_key=API_KEY))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t", headers={"Authorization": f"Bearer {API_KEY}"}) as bare:
            response = await bare.post("/v2/chats", json={"message": "hi"})
            assert response.status_code == 422 and "VZERO_PROVIDER" in response.json()["message"]
            assert conformance.v2("chats.list", await bare.get("/v2/chats")) == {"chats": [], "cursor": None}


async def test_message_of_running_generation_shows_parts_so_far(client: httpx.AsyncClient, fake_model: FakeOpenAIServer) -> None:
    fake_model.enqueue(FakeReply(text=COUNTER, chunk_size=12, delay=0.02))
    started = (await client.post("/v2/chats/async", json={"message": "counter"})).json()
    for _ in range(200):
        message = conformance.v2("messages.get", await client.get(f"/v2/chats/{started['chatId']}/messages/{started['messageId']}"))
        if message["parts"]:
            break
        await asyncio.sleep(0.02)
    assert message["finishReason"] is None and message["parts"][0]["type"] == "thinking"
    await poll(client, started["chatId"], started["messageId"])
