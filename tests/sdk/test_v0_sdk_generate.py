"""The official npm client, v0-sdk 0.16.7, generating through a real `vzero serve` and a fake model server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests import deltas
from tests.engine.test_generate_v1 import COUNTER
from tests.fakes import FakeOpenAIServer, FakeReply, FakeToolCall, tool_results
from tests.sdk.conftest import Sdk
from tests.sdk.test_v0_sdk import conforms
from tests.server import VzeroServer


@pytest.fixture(scope="module")
def model() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer() as server:
        yield server


@pytest.fixture(scope="module")
def served(model: FakeOpenAIServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[VzeroServer]:
    env = {"VZERO_PROVIDER": "openai", "OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": model.base_url, "VZERO_MODEL": "fake", "VZERO_PROVIDER_RETRIES": "0"}
    with VzeroServer(tmp_path_factory.mktemp("sdk-generate") / "data", env=env) as server:
        yield server


@pytest.fixture(scope="module")
def run(sdk: Sdk, served: VzeroServer, model: FakeOpenAIServer) -> dict[str, Any]:
    model.enqueue(
        FakeReply(text=COUNTER),
        FakeReply(text=COUNTER.replace("Count", "Clicks")),
        FakeReply(text=COUNTER.replace("Count", "Total"), delay=0.005),
        FakeReply(text=COUNTER.replace("Count", "Blue"), chunk_size=4),
        FakeReply(text=COUNTER.replace("Count", "Never"), chunk_size=1, delay=0.05),
    )
    return sdk.run(served, "generate")


def test_create_sync_returns_the_generated_version(run: dict[str, Any]) -> None:
    chat = conforms("chats.create", run["create"])
    assert chat["latestVersion"]["status"] == "completed"
    assert "useState" in {f["name"]: f for f in chat["latestVersion"]["files"]}["app/page.tsx"]["content"]
    assert chat["messages"][-1]["finishReason"] == "stop"


def test_send_sync_and_async_with_polling(run: dict[str, Any]) -> None:
    sync = conforms("chats.sendMessage", run["sendSync"])
    assert "Clicks" in sync["latestVersion"]["files"][0]["content"]
    pending = conforms("chats.sendMessage", run["sendAsync"])
    assert pending["latestVersion"]["status"] == "pending" and "finishReason" not in pending["messages"][-1]
    assert conforms("chats.getMessage", run["polled"])["finishReason"] == "stop"


def test_stream_parsed_by_the_sdk(run: dict[str, Any]) -> None:
    events = run["streamEvents"]
    datas = [json.loads(e["data"]) for e in events if e["event"] == "message" and e["data"]]
    assert datas[0]["object"] == "chat"
    content: list = []
    for data in datas[1:]:
        if "delta" in data:
            content = deltas.apply(content, data["delta"])
    assert any(node[0] == "Codeblock" and "Blue" in node[2] for node in content[0][1])


def test_stop_keeps_the_previous_version(run: dict[str, Any]) -> None:
    assert run["stop"] == {"success": True}
    stopped = conforms("chats.getMessage", run["stopped"])
    assert stopped["finishReason"] != "stop"
    after = conforms("chats.getById", run["afterStop"])
    assert after["latestVersion"]["status"] == "completed"
    assert "Never" not in after["latestVersion"]["files"][0]["content"]


def test_resolve_task(run: dict[str, Any], sdk: Sdk, served: VzeroServer, model: FakeOpenAIServer) -> None:
    refused = run["resolveWithoutTask"]
    assert refused["threw"] and refused["status"] == 409 and refused["body"]["error"]["type"] == "conflict_error"
    # The model asks which colour, as a tool call: the reply ends waiting for the answer.
    chat_id = run["create"]["id"]
    question = {"questions": [{"question": "Which color?", "header": "Color", "options": [{"label": "Blue"}, {"label": "Red"}]}]}
    model.enqueue(FakeReply(text="One question first.", tool_calls=(FakeToolCall("ask_user_questions", question, id="call_q"),)))
    with httpx.Client(base_url=served.base_url, headers=served.headers, timeout=60) as client:
        asked = client.post(f"/v1/chats/{chat_id}/messages", json={"message": "Make it colourful"}).json()
    assert asked["messages"][-1]["finishReason"] == "tool-calls"
    model.enqueue(FakeReply(text_from=lambda body: COUNTER.replace("Count", "Answered " + ("Blue" if "Blue" in tool_results(body)["call_q"] else "?"))))
    resolved = conforms("chats.resolveTask", sdk.run(served, "resolve", env={"SCENARIO_CHAT_ID": chat_id})["resolved"])
    assert resolved["messages"][-2]["type"] == "answered-questions"
    assert "Blue" in resolved["messages"][-2]["content"]
    assert "Answered Blue" in resolved["latestVersion"]["files"][0]["content"]
