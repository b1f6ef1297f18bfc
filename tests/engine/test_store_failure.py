"""A generation whose outcome cannot be stored ends failed and leaves the chat usable."""

from __future__ import annotations

import httpx
import pytest

from tests import conformance
from tests.engine.test_generate_v1 import COUNTER
from tests.fakes import FakeOpenAIServer, FakeReply


async def test_outcome_that_cannot_be_stored_fails_the_message(
    client: httpx.AsyncClient, fake_model: FakeOpenAIServer, runtime, monkeypatch: pytest.MonkeyPatch  # type: ignore[no-untyped-def]
) -> None:
    fake_model.enqueue(FakeReply(text=COUNTER))
    chat = conformance.v1("chats.create", await client.post("/v1/chats", json={"message": "counter"}))
    first = chat["latestVersion"]["id"]

    async def disk_full(*args: object, **kwargs: object) -> str:
        raise OSError("No space left on device")

    monkeypatch.setattr(runtime.blobs, "put_files", disk_full)
    fake_model.enqueue(FakeReply(text=COUNTER.replace("Count", "Lost")))
    after = conformance.v1("chats.sendMessage", await client.post(f"/v1/chats/{chat['id']}/messages", json={"message": "rename"}))
    assert after["messages"][-1]["finishReason"] == "error"
    assert after["latestVersion"]["id"] == first
    versions = conformance.v1("chats.findVersions", await client.get(f"/v1/chats/{chat['id']}/versions"))
    assert versions["data"][0]["status"] == "failed"

    monkeypatch.undo()
    fake_model.enqueue(FakeReply(text=COUNTER.replace("Count", "Back")))
    again = conformance.v1("chats.sendMessage", await client.post(f"/v1/chats/{chat['id']}/messages", json={"message": "again"}))
    assert again["messages"][-1]["finishReason"] == "stop" and "Back" in again["latestVersion"]["files"][0]["content"]
