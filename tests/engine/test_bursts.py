"""Bursts: hundreds of clients sending at once, on every route that starts a generation, in both dialects and on
both stores, against a real server and the fake model. No answer is a 5xx, every accepted generation completes
with its version, every stream ends with its closing event; with a pool of two connections nothing deadlocks.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import _truncate_pg
from tests.fakes import FakeOpenAIServer
from tests.server import VzeroServer

BURST = 300
FILES = [{"name": "app/page.tsx", "content": "export default function Page() { return <h1>Hi</h1> }\n"}]
PENDING_TASK = {"type": "agent-action", "name": "ask_user_questions", "summary": "Which colour?", "data": {"taskType": "answered-questions"}}
ANSWER = {"type": "answered-questions", "answers": [{"questionId": "q1", "questionText": "Which colour?", "selectedLabels": ["Blue"]}]}


def _env(model: FakeOpenAIServer, **extra: str) -> dict[str, str]:
    return {
        "VZERO_PROVIDER": "openai", "OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": model.base_url, "VZERO_MODEL": "fake",
        "VZERO_PROVIDER_RETRIES": "0", "VZERO_RATE_LIMIT_PER_MINUTE": "0", "VZERO_DAILY_MESSAGE_LIMIT": "0", "VZERO_SCREENSHOTS": "false",
        **extra,
    }


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest) -> str | None:
    if request.param == "sqlite":
        return None
    url: str = request.getfixturevalue("pg_database")
    _truncate_pg(url)
    return url


@pytest.fixture(scope="module")
def server(store_url: str | None, tmp_path_factory: pytest.TempPathFactory, model_server: FakeOpenAIServer) -> Iterator[VzeroServer]:
    extra = {"VZERO_DATABASE_URL": store_url} if store_url else {}
    with VzeroServer(tmp_path_factory.mktemp("bursts") / "data", env=_env(model_server, **extra)) as running:
        yield running


def _client(server: VzeroServer) -> httpx.AsyncClient:
    # A connection per request, as separate clients would: a kept-alive one can be closed by the server's idle
    # timeout just as the client reuses it (a race of HTTP/1.1 keep-alive, not of the server).
    limits = httpx.Limits(max_connections=BURST + 50, max_keepalive_connections=0)
    return server.async_client(timeout=httpx.Timeout(180.0), limits=limits)


async def _burst(calls: list[Callable[[], Awaitable[None]]]) -> None:
    """Fire every call at once; each asserts its own outcome."""
    await asyncio.gather(*(call() for call in calls))


def _ok(response: httpx.Response, *accepted: int) -> None:
    assert response.status_code < 500, (response.status_code, response.text[:500])
    assert response.status_code in (accepted or (200,)), (response.status_code, response.text[:500])


async def _events(http: httpx.AsyncClient, path: str, body: dict[str, Any]) -> list[str]:
    """The `data:` payloads of a streamed answer, read to its end."""
    async with http.stream("POST", path, json=body) as response:
        _ok(response)
        return [line[6:] async for line in response.aiter_lines() if line.startswith("data: ")]


async def _chats(http: httpx.AsyncClient) -> list[str]:
    """BURST chats made from files (no model): a burst of their own."""
    ids: list[str] = []

    async def one() -> None:
        response = await http.post("/v1/chats/init", json={"type": "files", "files": FILES})
        _ok(response)
        ids.append(response.json()["id"])

    await _burst([one for _ in range(BURST)])
    return ids


async def _all_completed(http: httpx.AsyncClient, chat_ids: list[str], versions: int, timeout: float = 180.0) -> None:
    """Each chat ends with `versions` versions, the latest completed and each generated one completed."""
    deadline = time.monotonic() + timeout
    waiting = set(chat_ids)
    while waiting and time.monotonic() < deadline:
        for chat_id in list(waiting):
            listed = (await http.get(f"/v1/chats/{chat_id}/versions", params={"limit": 100})).json()
            statuses = [v["status"] for v in listed["data"]]
            assert "failed" not in statuses, (chat_id, statuses)
            if len(statuses) == versions and set(statuses) == {"completed"}:
                waiting.discard(chat_id)
        if waiting:
            await asyncio.sleep(0.2)
    assert not waiting, f"{len(waiting)} of {len(chat_ids)} generations did not complete"


async def _add_pending_tasks(http: httpx.AsyncClient, server: VzeroServer, store_url: str | None, chat_ids: list[str]) -> None:
    """Make each chat's latest message an assistant reply waiting on a question (what resolve answers)."""
    from vzero.store.chats import add_message
    from vzero.store.db import Database
    from vzero.store.tables import Chat

    url = store_url or f"sqlite:///{server.data_dir / 'vzero.db'}"
    from vzero.config import Settings

    db = Database(Settings(database_url=url).resolved_database_url)
    await db.open()
    try:
        async with db.session() as session:
            for chat_id in chat_ids:
                chat = await session.get(Chat, chat_id)
                assert chat is not None
                await add_message(session, chat, role="assistant", status="completed", parts=[dict(PENDING_TASK)], finish_reason="tool-calls")
            await session.commit()
    finally:
        await db.close()


async def test_every_generation_route_holds_a_burst(server: VzeroServer, store_url: str | None, model_server: FakeOpenAIServer) -> None:
    model_server.reset()
    async with _client(server) as http:
        chats = await _chats(http)
        versions = 1

        # v1 create, streamed: each stream ends with [DONE] and no error.
        created: list[str] = []

        async def create() -> None:
            events = await _events(http, "/v1/chats", {"message": "Build a counter", "responseMode": "experimental_stream"})
            assert events[-1] == "[DONE]" and not any('"type":"error"' in e for e in events), events[-3:]
            created.append(json.loads(events[0])["id"])

        await _burst([create for _ in range(BURST)])
        await _all_completed(http, created, 1)

        # v1 sendMessage, async: accepted at once, each completes in the background.
        async def send_async(chat_id: str) -> None:
            response = await http.post(f"/v1/chats/{chat_id}/messages", json={"message": "Add a title", "responseMode": "async"})
            _ok(response)

        await _burst([lambda c=c: send_async(c) for c in chats])
        versions += 1
        await _all_completed(http, chats, versions)

        # v1 sendMessage, sync: each answer shows its completed version.
        async def send_sync(chat_id: str) -> None:
            response = await http.post(f"/v1/chats/{chat_id}/messages", json={"message": "Add a footer"})
            _ok(response)
            assert response.json()["latestVersion"]["status"] == "completed"

        await _burst([lambda c=c: send_sync(c) for c in chats])
        versions += 1

        # v1 sendMessage, streamed.
        async def send_stream(chat_id: str) -> None:
            events = await _events(http, f"/v1/chats/{chat_id}/messages", {"message": "Add a button", "responseMode": "experimental_stream"})
            assert events[-1] == "[DONE]" and not any('"type":"error"' in e for e in events), events[-3:]

        await _burst([lambda c=c: send_stream(c) for c in chats])
        versions += 1
        await _all_completed(http, chats, versions)

        # v2 send, blocking.
        async def v2_blocking(chat_id: str) -> None:
            response = await http.post(f"/v2/chats/{chat_id}/messages", json={"message": "Make it blue"})
            _ok(response)
            assert response.json()["finishReason"] == "stop"

        await _burst([lambda c=c: v2_blocking(c) for c in chats])
        versions += 1

        # v2 send, streamed: each ends with its closing message snapshot.
        async def v2_stream(chat_id: str) -> None:
            events = await _events(http, f"/v2/chats/{chat_id}/messages/stream", {"message": "Make it red"})
            closing = json.loads(events[-1])
            assert closing["object"] == "message" and closing["finishReason"] == "stop", events[-2:]

        await _burst([lambda c=c: v2_stream(c) for c in chats])
        versions += 1
        await _all_completed(http, chats, versions)

        # v2 send, async.
        async def v2_async(chat_id: str) -> None:
            _ok(await http.post(f"/v2/chats/{chat_id}/messages/async", json={"message": "Make it green"}), 202)

        await _burst([lambda c=c: v2_async(c) for c in chats])
        versions += 1
        await _all_completed(http, chats, versions)

        # v2 resolve, in its three forms at once: the answer to a question the reply waits on.
        await _add_pending_tasks(http, server, store_url, chats)

        async def resolve(index: int, chat_id: str) -> None:
            path = f"/v2/chats/{chat_id}/messages/resolve"
            if index % 3 == 0:
                response = await http.post(path, json={"task": ANSWER})
                _ok(response)
                assert response.json()["finishReason"] == "stop"
            elif index % 3 == 1:
                events = await _events(http, path + "/stream", {"task": ANSWER})
                assert json.loads(events[-1])["finishReason"] == "stop"
            else:
                _ok(await http.post(path + "/async", json={"task": ANSWER}), 202)

        await _burst([lambda i=i, c=c: resolve(i, c) for i, c in enumerate(chats)])
        versions += 1
        await _all_completed(http, chats, versions)
        assert (await http.get("/healthz")).status_code == 200


async def test_a_pool_of_two_connections_does_not_deadlock(tmp_path: Any, model_server: FakeOpenAIServer) -> None:
    # Hundreds of starts, streams and reads share two connections: each takes one briefly and none waits holding one.
    model_server.reset()
    env = _env(model_server, VZERO_DB_POOL_SIZE="2", VZERO_DB_MAX_OVERFLOW="0", VZERO_DB_POOL_TIMEOUT="60")
    with VzeroServer(tmp_path / "data", env=env) as server:
        async with _client(server) as http:
            chats = await _chats(http)

            async def v2_stream(chat_id: str) -> None:
                events = await _events(http, f"/v2/chats/{chat_id}/messages/stream", {"message": "Make it red"})
                assert json.loads(events[-1])["finishReason"] == "stop"

            async def v1_sync(chat_id: str) -> None:
                response = await http.post(f"/v1/chats/{chat_id}/messages", json={"message": "Add a footer"})
                _ok(response)

            async def read(chat_id: str) -> None:
                _ok(await http.get(f"/v1/chats/{chat_id}"))
                _ok(await http.get(f"/v2/chats/{chat_id}/messages", params={"limit": 10}))

            half = len(chats) // 2
            calls = [lambda c=c: v2_stream(c) for c in chats[:half]] + [lambda c=c: v1_sync(c) for c in chats[half:]]
            calls += [lambda c=c: read(c) for c in chats]
            await asyncio.wait_for(_burst(calls), timeout=300)
            await _all_completed(http, chats, 2)
