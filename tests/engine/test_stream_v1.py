"""The v1 stream on a real server: deltas rebuild the message, stop, resume, disconnects and crashes."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests import conformance, deltas
from tests.engine.test_generate_v1 import COUNTER
from tests.fakes import FakeOpenAIServer, FakeReply
from tests.server import VzeroServer


@pytest.fixture
def server(tmp_path: Path, fake_model: FakeOpenAIServer) -> Iterator[VzeroServer]:
    env = {"VZERO_PROVIDER": "openai", "OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": fake_model.base_url, "VZERO_MODEL": "fake", "VZERO_PROVIDER_RETRIES": "0"}
    with VzeroServer(tmp_path / "data", env=env) as running:
        yield running


def sse_events(response: httpx.Response) -> Iterator[str]:
    for line in response.iter_lines():
        if line.startswith("data: "):
            yield line[6:]


def wait_for(client: httpx.Client, chat_id: str, message_id: str, timeout: float = 20) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        message = client.get(f"/v1/chats/{chat_id}/messages/{message_id}").json()
        if "finishReason" in message:
            return message
        time.sleep(0.05)
    raise AssertionError("the generation did not finish")


def test_stream_deltas_rebuild_the_message(server: VzeroServer, fake_model: FakeOpenAIServer) -> None:
    fake_model.enqueue(FakeReply(text=COUNTER, chunk_size=3))
    with server.client(timeout=30) as client:
        with client.stream("POST", "/v1/chats", json={"message": "counter", "responseMode": "experimental_stream"}) as response:
            assert response.headers["content-type"].startswith("text/event-stream")
            events = list(sse_events(response))
        assert events[-1] == "[DONE]"
        chat = json.loads(events[0])
        assert chat["object"] == "chat" and chat["id"]
        content: list = []
        for raw in events[1:-1]:
            content = deltas.apply(content, json.loads(raw)["delta"])
        assistant = chat["messages"][-1]
        message = conformance.v1("chats.getMessage", client.get(f"/v1/chats/{chat['id']}/messages/{assistant['id']}"))
        assert message["experimental_content"] == content
        nodes = content[0][1]
        assert any(n[0] == "Codeblock" and n[1]["file"] == "app/page.tsx" and "useState" in n[2] for n in nodes)
        assert any(n[0] == "AssistantMessageContentPart" for n in nodes)
        assert "I built a counter." in "".join(n[2] for n in nodes if n[0] == "p")
        detail = client.get(f"/v1/chats/{chat['id']}").json()
        assert detail["latestVersion"]["status"] == "completed"


def test_stop_keeps_previous_version(server: VzeroServer, fake_model: FakeOpenAIServer) -> None:
    with server.client(timeout=30) as client:
        fake_model.enqueue(FakeReply(text=COUNTER))
        chat = client.post("/v1/chats", json={"message": "counter"}).json()
        first = chat["latestVersion"]["id"]
        fake_model.enqueue(FakeReply(text=COUNTER.replace("Count", "Clicks"), chunk_size=2, delay=0.05))
        pending = client.post(f"/v1/chats/{chat['id']}/messages", json={"message": "rename", "responseMode": "async"}).json()
        assistant = pending["messages"][-1]["id"]
        busy = client.post(f"/v1/chats/{chat['id']}/messages", json={"message": "again"})
        conformance.v1_error(busy, 409, "conflict_error")
        time.sleep(0.5)
        assert conformance.v1("chats.stop", client.post(f"/v1/chats/{chat['id']}/messages/{assistant}/stop")) == {"success": True}
        message = wait_for(client, chat["id"], assistant)
        assert message["finishReason"] != "stop"
        after = client.get(f"/v1/chats/{chat['id']}").json()
        assert after["latestVersion"]["id"] == first
        versions = client.get(f"/v1/chats/{chat['id']}/versions").json()["data"]
        assert versions[0]["status"] == "failed"


def test_resume_replays_from_the_start_and_survives_disconnect(server: VzeroServer, fake_model: FakeOpenAIServer) -> None:
    fake_model.enqueue(FakeReply(text=COUNTER, chunk_size=4, delay=0.01))
    with server.client(timeout=30) as client:
        with client.stream("POST", "/v1/chats", json={"message": "counter", "responseMode": "experimental_stream"}) as response:
            first = next(sse_events(response))  # read the chat event, then hang up
        chat = json.loads(first)
        assistant = chat["messages"][-1]["id"]
        with client.stream("POST", f"/v1/chats/{chat['id']}/messages/{assistant}/resume") as response:
            events = list(sse_events(response))
        content: list = []
        for raw in events[1:-1]:
            content = deltas.apply(content, json.loads(raw)["delta"])
        message = wait_for(client, chat["id"], assistant)
        assert message["finishReason"] == "stop"  # the generation went on without its first client
        assert message["experimental_content"] == content


def test_crash_mid_generation_marks_message_failed(server: VzeroServer, fake_model: FakeOpenAIServer) -> None:
    with server.client(timeout=30) as client:
        fake_model.enqueue(FakeReply(text=COUNTER))
        chat = client.post("/v1/chats", json={"message": "counter"}).json()
        first = chat["latestVersion"]["id"]
        fake_model.enqueue(FakeReply(text=COUNTER, chunk_size=1, delay=0.05))
        pending = client.post(f"/v1/chats/{chat['id']}/messages", json={"message": "slow", "responseMode": "async"}).json()
        assistant = pending["messages"][-1]["id"]
        time.sleep(0.5)
    server.kill()
    server.start()
    with server.client(timeout=30) as client:
        message = conformance.v1("chats.getMessage", client.get(f"/v1/chats/{chat['id']}/messages/{assistant}"))
        assert message["finishReason"] == "error"
        after = conformance.v1("chats.getById", client.get(f"/v1/chats/{chat['id']}"))
        assert after["latestVersion"]["id"] == first and after["latestVersion"]["status"] == "completed"
        versions = client.get(f"/v1/chats/{chat['id']}/versions").json()["data"]
        assert versions[0]["status"] == "failed"
