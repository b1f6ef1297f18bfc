"""v2 webhooks: CRUD shared with v1, and real delivery to a local receiver: signed, retried, refused when private."""

from __future__ import annotations

import asyncio
import collections
import json
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from tests import conformance
from tests.conftest import API_KEY
from tests.engine.conftest import fake_model, model_server  # noqa: F401 - fixtures
from tests.fakes import (
    FakeModelServer,
    FakeOpenAIServer,
    FakeReply,
    Receive,
    Scope,
    Send,
    send_json,
)
from vzero.config import Settings
from vzero.hooks import (
    SECRET_HEADER,
    SIGNATURE_HEADER,
    Delivery,
    HookDispatcher,
    sign,
    verify,
)

ALL_EVENTS = ["chat.created", "chat.updated", "chat.deleted", "message.created", "message.finished"]
FILES = {"files": [{"name": "app/page.tsx", "content": "export default 1\n"}]}


class Receiver(FakeModelServer):
    """A webhook receiver on 127.0.0.1: records raw bodies and answers the scripted statuses (then 200)."""

    def __init__(self) -> None:
        super().__init__()
        self.statuses: collections.deque[int] = collections.deque()
        self.received: list[tuple[dict[str, str], bytes]] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        raw = bytearray()
        while True:
            message = await receive()
            raw += message.get("body", b"")
            if not message.get("more_body"):
                break
        self.received.append(({k.decode().lower(): v.decode() for k, v in scope["headers"]}, bytes(raw)))
        status = self.statuses.popleft() if self.statuses else 200
        await send_json(send, status, {"received": status == 200})

    def events(self) -> list[dict[str, Any]]:
        return [json.loads(body) for _, body in self.received]


@pytest.fixture(scope="module")
def receiver_server() -> Iterator[Receiver]:
    with Receiver() as server:
        yield server


@pytest.fixture
def receiver(receiver_server: Receiver) -> Receiver:
    receiver_server.statuses.clear()
    receiver_server.received.clear()
    return receiver_server


@pytest.fixture
def settings(tmp_path: Path, database_url: str | None, fake_model: FakeOpenAIServer) -> Settings:  # noqa: F811
    return Settings(
        data_dir=tmp_path / "data", database_url=database_url, api_key=API_KEY, public_url="http://testserver",
        provider="openai", openai_api_key="sk-test", openai_base_url=fake_model.base_url, model="fake-model", provider_retries=0,
        allow_private_urls=True, hook_retry_base_seconds=0.05, hook_max_attempts=3,
    )


async def until(condition: Any, timeout: float = 10.0) -> None:
    for _ in range(int(timeout / 0.02)):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("timed out waiting for webhook deliveries")


async def make_hook(client: httpx.AsyncClient, url: str, events: list[str], chat_id: str | None = None) -> tuple[dict[str, Any], str]:
    response = await client.post("/v2/hooks", json={"name": "receiver", "events": events, "url": url, "chatId": chat_id})
    hook = conformance.v2("webhooks.create", response)
    secret = response.headers[SECRET_HEADER]
    assert secret.startswith("whsec_")
    return hook, secret


async def test_crud_is_shared_with_v1(client: httpx.AsyncClient, receiver: Receiver) -> None:
    hook, _ = await make_hook(client, receiver.url + "/hooks", ["chat.created"])
    assert hook["chatId"] is None and hook["events"] == ["chat.created"] and hook["url"] == receiver.url + "/hooks"
    assert conformance.v2("webhooks.get", await client.get(f"/v2/hooks/{hook['id']}")) == hook
    v1 = conformance.v1("hooks.getById", await client.get(f"/v1/hooks/{hook['id']}"))
    assert v1["name"] == "receiver" and v1["url"] == hook["url"]
    made_in_v1 = conformance.v1("hooks.create", await client.post("/v1/hooks", json={"name": "old", "events": ["chat.deleted"], "url": receiver.url}))
    listed = conformance.v2("webhooks.list", await client.get("/v2/hooks"))
    assert {h["id"] for h in listed} == {hook["id"], made_in_v1["id"]}
    updated = conformance.v2("webhooks.update", await client.patch(f"/v2/hooks/{hook['id']}", json={"name": "renamed", "events": ["chat.updated", "chat.created"]}))
    assert updated["name"] == "renamed" and updated["events"] == ["chat.updated", "chat.created"]
    assert conformance.v2("webhooks.delete", await client.delete(f"/v2/hooks/{hook['id']}")) == {"id": hook["id"], "deleted": True}
    missing = await client.get(f"/v2/hooks/{hook['id']}")
    assert missing.status_code == 404 and set(missing.json()) == {"message"}
    bad = await client.post("/v2/hooks", json={"name": "x", "events": ["chat.exploded"], "url": receiver.url, "chatId": None})
    assert bad.status_code == 422
    bad_scheme = await client.post("/v2/hooks", json={"name": "x", "events": ["chat.created"], "url": "ftp://example.com/", "chatId": None})
    assert bad_scheme.status_code == 422 and "http" in bad_scheme.json()["message"]


async def test_delivery_is_signed_and_retried(client: httpx.AsyncClient, receiver: Receiver, fake_model: FakeOpenAIServer) -> None:  # noqa: F811
    _, secret = await make_hook(client, receiver.url + "/hooks", ALL_EVENTS)
    receiver.statuses.extend([503])  # the first delivery fails once
    chat = (await client.post("/v2/chats/from-files", json=FILES)).json()["chat"]
    await until(lambda: len(receiver.received) >= 2)
    (first_headers, first_body), (second_headers, second_body) = receiver.received[:2]
    assert first_body == second_body and first_headers["x-vzero-delivery"] == second_headers["x-vzero-delivery"]
    assert (first_headers["x-vzero-attempt"], second_headers["x-vzero-attempt"]) == ("1", "2")
    assert verify(secret, second_body, second_headers[SIGNATURE_HEADER.lower()])
    assert not verify(secret, second_body + b" ", second_headers[SIGNATURE_HEADER.lower()])
    assert second_headers["content-type"] == "application/json"
    event = json.loads(second_body)
    assert event["type"] == "chat.created" and event["data"] == {"chatId": chat["id"]} and event["createdAt"].endswith("Z")

    fake_model.enqueue(FakeReply(text="Nothing to change."))
    sent = (await client.post(f"/v2/chats/{chat['id']}/messages", json={"message": "hello"})).json()
    await client.patch(f"/v2/chats/{chat['id']}", json={"title": "Renamed"})
    await client.delete(f"/v2/chats/{chat['id']}")
    await until(lambda: {"chat.deleted", "message.finished"} <= {e["type"] for e in receiver.events()})
    await until(lambda: len(receiver.received) >= 7)
    events = receiver.events()[1:]
    for headers, body in receiver.received:
        assert headers[SIGNATURE_HEADER.lower()] == sign(secret, body)
    kinds = collections.Counter(e["type"] for e in events)
    assert kinds == {"chat.created": 1, "message.created": 2, "message.finished": 1, "chat.updated": 1, "chat.deleted": 1}
    finished = next(e for e in events if e["type"] == "message.finished")
    assert finished["data"] == {"chatId": chat["id"], "messageId": sent["id"], "role": "assistant", "finishReason": "stop"}


async def test_chat_hook_hears_only_its_chat(client: httpx.AsyncClient, receiver: Receiver) -> None:
    watched = (await client.post("/v2/chats/from-files", json=FILES)).json()["chat"]
    other = (await client.post("/v2/chats/from-files", json=FILES)).json()["chat"]
    await make_hook(client, receiver.url, ["chat.updated"], chat_id=watched["id"])
    for chat in (other, watched):
        await client.patch(f"/v2/chats/{chat['id']}", json={"title": "changed"})
    await until(lambda: len(receiver.received) >= 1)
    await asyncio.sleep(0.2)
    assert [e["data"]["chatId"] for e in receiver.events()] == [watched["id"]]
    missing = await client.post("/v2/hooks", json={"name": "x", "events": ["chat.updated"], "url": receiver.url, "chatId": "nope"})
    assert missing.status_code == 404


async def test_gives_up_after_the_last_attempt(client: httpx.AsyncClient, receiver: Receiver, runtime: Any, services: Any) -> None:
    await make_hook(client, receiver.url, ["chat.created"])
    receiver.statuses.extend([500, 500, 500, 500])
    await client.post("/v2/chats/from-files", json=FILES)
    dispatcher: HookDispatcher = services.hooks
    await until(lambda: any(a.final for a in dispatcher.attempts))
    assert [(a.number, a.status, a.final) for a in dispatcher.attempts] == [(1, 500, False), (2, 500, False), (3, 500, True)]
    assert len(receiver.received) == 3


async def test_private_addresses_are_refused_unless_allowed(tmp_path: Path, receiver: Receiver) -> None:
    settings = Settings(data_dir=tmp_path / "d", allow_private_urls=False)
    dispatcher = HookDispatcher(SimpleNamespace(settings=settings))  # type: ignore[arg-type]
    await dispatcher.start()
    try:
        for url in (f"http://localhost:{receiver.port}/", f"http://127.0.0.1:{receiver.port}/", "http://169.254.169.254/latest"):
            attempt = await dispatcher.send(Delivery("h", url, "whsec_x", "evt_1", "chat.created", b"{}"))
            assert not attempt.ok and attempt.final and "VZERO_ALLOW_PRIVATE_URLS" in (attempt.error or "")
    finally:
        await dispatcher.stop()
    assert receiver.received == []
    from vzero.errors import UnsafeSource
    from vzero.store.hooks import outbound_url

    with pytest.raises(UnsafeSource):
        outbound_url("http://127.0.0.1/", allow_private=False, purpose="send webhooks to")
