"""The v2 streams on a real server: deltas rebuild the parts (checked by jsondiffpatch itself), stop, failure, resume."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests import conformance, deltas
from tests.fakes import FakeOpenAIServer, FakeReply
from tests.server import VzeroServer

JSONDIFFPATCH_DIR = Path(__file__).resolve().parent / "jsondiffpatch"

REPLY = '''<Thinking>A page and a helper; then explain.</Thinking>

Here is the plan: a page that uses a helper.

<CodeProject id="demo">

```tsx file="app/page.tsx"
import { greet } from "@/lib/greet"

export default function Page() {
  return <h1>{greet("world")}</h1>
}
```

```ts file="lib/greet.ts"
export function greet(name: string) {
  return `Hello, ${name}!`
}
```

</CodeProject>

The page greets the **world** with the helper.'''

EDIT = '''I'll rename the helper.

<CodeProject id="demo">

<MoveFile from="lib/greet.ts" to="lib/hello.ts" />

```tsx file="app/page.tsx"
import { greet } from "@/lib/hello"

export default function Page() {
  return <h1>{greet("you")}</h1>
}
```

</CodeProject>

Renamed and updated.'''


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, model_server: FakeOpenAIServer) -> Iterator[VzeroServer]:
    env = {
        "VZERO_PROVIDER": "openai", "OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": model_server.base_url,
        "VZERO_MODEL": "fake", "VZERO_PROVIDER_RETRIES": "0",
    }
    with VzeroServer(tmp_path_factory.mktemp("stream-v2") / "data", env=env) as running:
        yield running


@pytest.fixture
def client(server: VzeroServer) -> Iterator[httpx.Client]:
    with server.client(timeout=30) as c:
        yield c


def read_events(response: httpx.Response, operation: str) -> list[dict[str, Any]]:
    """Every `data:` line as JSON, each validated against the operation's stream event schema; no `event:` lines."""
    assert response.status_code == 200, response.read()
    assert response.headers["content-type"].startswith("text/event-stream")
    validator = conformance._validator("v2", operation, "200", "text/event-stream")
    events = []
    for line in response.iter_lines():
        assert not line.startswith("event:"), line
        if not line.startswith("data: "):
            assert line == "", line
            continue
        event = json.loads(line[6:])  # a v2 stream has no [DONE]: every data line is JSON
        problems = [f"{list(e.absolute_path)}: {e.message[:200]}" for e in validator.iter_errors(event)]
        assert not problems, (event, problems)
        events.append(event)
    return events


def stream(client: httpx.Client, path: str, body: dict[str, Any] | None, operation: str) -> list[dict[str, Any]]:
    with client.stream("POST", path, json=body) as response:
        return read_events(response, operation)


def python_parts(events: list[dict[str, Any]]) -> list[Any]:
    parts: list[Any] = []
    for event in events:
        if event["object"] == "message.parts.chunk":
            parts = deltas.apply(parts, event["delta"])
    return parts


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("true", "1")


@pytest.fixture(scope="session")
def node_patch() -> str:
    """The node executable, with the pinned jsondiffpatch installed in tests/engine/jsondiffpatch."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        if _in_ci():
            pytest.fail("node and npm are needed for the jsondiffpatch reconstruction check")
        pytest.skip("install Node.js and npm to check the stream with the reference jsondiffpatch")
    if not (JSONDIFFPATCH_DIR / "node_modules" / "jsondiffpatch" / "package.json").exists():
        done = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"], cwd=JSONDIFFPATCH_DIR, capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL
        )
        if done.returncode != 0:
            message = f"`npm ci` in {JSONDIFFPATCH_DIR} failed (exit {done.returncode}): {done.stderr[-2000:]}"
            if _in_ci():
                pytest.fail(message)
            pytest.skip(message + "; the check needs the npm registry once")
    return node


def jsondiffpatch_parts(node: str, events: list[dict[str, Any]]) -> list[Any]:
    """The parts the npm jsondiffpatch package builds from the stream's deltas, applied in order to []."""
    payload = json.dumps({"deltas": [e["delta"] for e in events if e["object"] == "message.parts.chunk"]})
    done = subprocess.run([node, "patch.mjs"], cwd=JSONDIFFPATCH_DIR, input=payload, capture_output=True, text=True, timeout=60, check=True)
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def new_chat(client: httpx.Client, fake: FakeOpenAIServer) -> dict[str, Any]:
    fake.enqueue(FakeReply(text=REPLY))
    return conformance.v2("chats.create", client.post("/v2/chats", json={"message": "greeting page"}))["chat"]  # type: ignore[no-any-return]


def test_send_stream_rebuilds_the_parts(client: httpx.Client, fake_model: FakeOpenAIServer, node_patch: str) -> None:
    chat = new_chat(client, fake_model)
    # paced: a listener that is behind gets what it missed as one delta per text, not one per chunk
    fake_model.enqueue(FakeReply(text=EDIT, chunk_size=3, usage=(300, 40), cache_read=25, delay=0.002))
    events = stream(client, f"/v2/chats/{chat['id']}/messages/stream", {"message": "rename the helper"}, "messages.sendStream")
    opening, closing = events[0], events[-1]
    assert opening["object"] == "message" and opening["role"] == "assistant" and opening["finishReason"] is None and opening["parts"] == []
    assert closing["object"] == "message" and closing["id"] == opening["id"] and closing["finishReason"] == "stop"
    kinds = {e["object"] for e in events[1:-1]}
    assert kinds == {"message.parts.chunk", "message.usage"}
    assert all(e["id"] == opening["id"] for e in events[1:-1])
    assert len([e for e in events if e["object"] == "message.parts.chunk"]) > 10  # it really streamed
    # A client applying the deltas in order ends with exactly the closing snapshot's parts.
    assert python_parts(events) == closing["parts"]
    assert jsondiffpatch_parts(node_patch, events) == closing["parts"]
    edits = [(p["operation"], p["path"], p.get("toPath")) for p in closing["parts"] if p["type"] == "file-edit"]
    assert edits == [("rename", "lib/greet.ts", "lib/hello.ts"), ("update", "app/page.tsx", None)]
    assert closing["parts"][0]["type"] == "file-read"  # the engine showed the model the current files
    usage = [e["usage"] for e in events if e["object"] == "message.usage"][-1]
    # What the provider reported: 300 prompt tokens of which 25 were cached, 40 completion tokens.
    assert usage["tokens"] == {"input": 275, "output": 40, "cacheRead": 25, "cacheWrite": 0, "total": 340}
    assert usage["creditsCost"]["total"] == pytest.approx(sum(usage["creditsCost"][k] for k in ("input", "output", "cacheRead", "cacheWrite")))
    assert closing["usage"] == usage
    assert conformance.v2("messages.get", client.get(f"/v2/chats/{chat['id']}/messages/{opening['id']}")) == {k: v for k, v in closing.items() if k != "object"}
    files = {f["path"] for f in client.get(f"/v2/chats/{chat['id']}/files").json()["files"]}
    assert files == {"app/page.tsx", "lib/hello.ts"}


def test_create_stream_sends_chat_title_and_deltas(client: httpx.Client, fake_model: FakeOpenAIServer, node_patch: str) -> None:
    fake_model.enqueue(FakeReply(text=REPLY, chunk_size=4, reasoning="Native thoughts first. ", usage=(100, 50)))
    events = stream(client, "/v2/chats/stream", {"message": "A greeting page please", "metadata": {"via": "stream"}}, "chats.createStream")
    opening, title, closing = events[0], events[1], events[-1]
    assert opening["object"] == "chat" and opening["metadata"] == {"via": "stream"} and opening["writePermission"] is True
    assert title == {"object": "chat.title", "id": opening["id"], "delta": "A greeting page please"}
    assert closing["object"] == "chat" and closing["id"] == opening["id"]
    chunks = [e for e in events if e["object"] == "message.parts.chunk"]
    message_id = chunks[0]["id"]
    message = conformance.v2("messages.get", client.get(f"/v2/chats/{opening['id']}/messages/{message_id}"))
    assert message["finishReason"] == "stop"
    assert python_parts(events) == message["parts"] == jsondiffpatch_parts(node_patch, events)
    assert [p["type"] for p in message["parts"]][:2] == ["thinking", "text"]
    assert message["parts"][0]["text"].startswith("Native thoughts first.")
    assert message["usage"]["tokens"]["total"] == 150
    assert [e["usage"] for e in events if e["object"] == "message.usage"][-1] == message["usage"]


def test_stop_during_a_stream(client: httpx.Client, fake_model: FakeOpenAIServer) -> None:
    chat = new_chat(client, fake_model)
    before = client.get(f"/v2/chats/{chat['id']}/files").json()
    fake_model.enqueue(FakeReply(text=EDIT, chunk_size=2, delay=0.03))
    events: list[dict[str, Any]] = []
    with client.stream("POST", f"/v2/chats/{chat['id']}/messages/stream", json={"message": "slowly"}) as response:
        lines = response.iter_lines()
        for line in lines:
            if line.startswith("data: "):
                events.append(json.loads(line[6:]))
                if len(events) == 6:
                    break
        message_id = events[0]["id"]
        stopper = threading.Thread(target=lambda: client.post(f"/v2/chats/{chat['id']}/messages/{message_id}/stop"))
        stopper.start()
        events += [json.loads(line[6:]) for line in lines if line.startswith("data: ")]
        stopper.join(10)
    closing = events[-1]
    assert closing["object"] == "message" and closing["finishReason"] == "other"
    assert python_parts(events) == closing["parts"]
    assert client.get(f"/v2/chats/{chat['id']}/files").json() == before


def test_provider_failure_mid_reply_sends_an_error(client: httpx.Client, fake_model: FakeOpenAIServer) -> None:
    chat = new_chat(client, fake_model)
    before = client.get(f"/v2/chats/{chat['id']}/files").json()
    fake_model.enqueue(FakeReply(text=EDIT, chunk_size=4, cut_after_chunks=30))
    events = stream(client, f"/v2/chats/{chat['id']}/messages/stream", {"message": "break"}, "messages.sendStream")
    errors = [e for e in events if e["object"] == "error"]
    assert len(errors) == 1 and errors[0]["id"] == events[0]["id"] and errors[0]["message"]
    closing = events[-1]
    assert closing["object"] == "message" and closing["finishReason"] == "error"
    assert python_parts(events) == closing["parts"]
    assert client.get(f"/v2/chats/{chat['id']}/files").json() == before


def test_resume_replays_a_running_reply_after_a_disconnect(client: httpx.Client, fake_model: FakeOpenAIServer) -> None:
    # The model holds its first token long enough for the resume to arrive while the reply is running.
    fake_model.enqueue(FakeReply(text=REPLY, chunk_size=10, delay=0.01, first_token_delay=1.5))
    with client.stream("POST", "/v2/chats/stream", json={"message": "greeting page"}) as response:
        first = json.loads(next(line for line in response.iter_lines() if line.startswith("data: "))[6:])  # then hang up
    chat_id = first["id"]
    events = stream(client, f"/v2/chats/{chat_id}/resume", None, "chats.resume")
    assert events[0]["object"] == "chat" and events[1]["object"] == "chat.title" and events[-1]["object"] == "chat"
    message_id = next(e["id"] for e in events if e["object"] == "message.parts.chunk")
    deadline = time.monotonic() + 20
    while (message := client.get(f"/v2/chats/{chat_id}/messages/{message_id}").json())["finishReason"] is None:
        assert time.monotonic() < deadline, "the generation did not finish"
        time.sleep(0.05)
    assert message["finishReason"] == "stop"  # the generation went on without its first client
    assert python_parts(events) == message["parts"]
    # Nothing runs any more: resume answers the closing chat snapshot only.
    done = stream(client, f"/v2/chats/{chat_id}/resume", None, "chats.resume")
    assert [e["object"] for e in done] == ["chat"]
    missing = client.post("/v2/chats/nope/resume")
    assert missing.status_code == 404 and set(missing.json()) == {"message"}


def test_a_v2_listener_joining_a_v1_generation_mid_way_gets_the_parts_so_far_then_deltas(
    client: httpx.Client, fake_model: FakeOpenAIServer, node_patch: str
) -> None:
    # Started through v1, nobody follows in v2 at first: no v2 delta is logged until the resume joins, which then
    # gets the parts written so far as one delta against the empty array, then the live deltas.
    fake_model.enqueue(FakeReply(text=EDIT, chunk_size=3, delay=0.01))
    started = client.post("/v1/chats", json={"message": "rename the helper", "responseMode": "async"})
    assert started.status_code == 200, started.text
    chat_id = started.json()["id"]
    time.sleep(0.4)  # part of the reply is written by now
    events = stream(client, f"/v2/chats/{chat_id}/resume", None, "chats.resume")
    chunks = [e for e in events if e["object"] == "message.parts.chunk"]
    assert len(chunks) > 5  # a snapshot, then it really streamed
    message_id = chunks[0]["id"]
    deadline = time.monotonic() + 20
    while (message := client.get(f"/v2/chats/{chat_id}/messages/{message_id}").json())["finishReason"] is None:
        assert time.monotonic() < deadline, "the generation did not finish"
        time.sleep(0.05)
    assert python_parts(events) == message["parts"]
    assert jsondiffpatch_parts(node_patch, events) == message["parts"]
