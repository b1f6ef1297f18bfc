"""One chat, two dialects: what v1 writes v2 reads and continues, and the other way round."""

from __future__ import annotations

from typing import Any

import httpx

from tests import conformance
from tests.engine.test_generate_v1 import COUNTER
from tests.fakes import FakeOpenAIServer, FakeReply

RENAME = COUNTER.replace("Count", "Clicks")


def v1_files(version: dict[str, Any]) -> dict[str, str]:
    return {f["name"]: f["content"] for f in version["files"]}


async def v2_files(client: httpx.AsyncClient, chat_id: str) -> dict[str, str]:
    files = conformance.v2("chats.getFiles", await client.get(f"/v2/chats/{chat_id}/files"))["files"]
    assert all(f["encoding"] == "utf8" for f in files)
    return {f["path"]: f["content"] for f in files}


async def test_create_in_v1_continue_in_v2_read_in_v1(client: httpx.AsyncClient, fake_model: FakeOpenAIServer) -> None:
    fake_model.enqueue(FakeReply(text=COUNTER, usage=(100, 20)))
    chat = conformance.v1("chats.create", await client.post("/v1/chats", json={"message": "Build a counter"}))
    first = chat["latestVersion"]
    assert await v2_files(client, chat["id"]) == v1_files(first)
    seen = conformance.v2("chats.get", await client.get(f"/v2/chats/{chat['id']}"))
    assert seen["title"] == chat["name"] and seen["authorId"] == chat["authorId"]
    old = conformance.v2("messages.list", await client.get(f"/v2/chats/{chat['id']}/messages", params={"limit": 10}))["messages"]
    assert [m["role"] for m in old] == ["assistant", "user"] and old[0]["content"] == "I built a counter."
    assert old[0]["usage"]["tokens"]["total"] == 120

    fake_model.enqueue(FakeReply(text=RENAME))
    reply = conformance.v2("messages.send", await client.post(f"/v2/chats/{chat['id']}/messages", json={"message": "Rename it"}))
    assert reply["finishReason"] == "stop"
    history = fake_model.requests[-1].body["messages"]
    assert any("Build a counter" in str(m["content"]) for m in history)  # the v2 send sees the v1 turn

    detail = conformance.v1("chats.getById", await client.get(f"/v1/chats/{chat['id']}"))
    latest = detail["latestVersion"]
    assert latest["id"] != first["id"] and latest["status"] == "completed"
    assert v1_files(latest) == await v2_files(client, chat["id"])
    assert "Clicks" in v1_files(latest)["app/page.tsx"]
    assert detail["messages"][-1]["id"] == reply["id"] and detail["messages"][-1]["finishReason"] == "stop"
    assert "```tsx" in detail["messages"][-1]["content"]  # v1 shows the reply as written, v2 only its prose
    versions = conformance.v1("chats.findVersions", await client.get(f"/v1/chats/{chat['id']}/versions"))
    assert [v["id"] for v in versions["data"]] == [latest["id"], first["id"]]


async def test_create_in_v2_continue_in_v1(client: httpx.AsyncClient, fake_model: FakeOpenAIServer) -> None:
    fake_model.enqueue(FakeReply(text=COUNTER))
    created = conformance.v2("chats.create", await client.post("/v2/chats", json={"message": "Build a counter", "privacy": "team"}))
    chat_id = created["chat"]["id"]
    detail = conformance.v1("chats.getById", await client.get(f"/v1/chats/{chat_id}"))
    assert detail["privacy"] == "team" and v1_files(detail["latestVersion"]) == await v2_files(client, chat_id)
    fake_model.enqueue(FakeReply(text=RENAME))
    after = conformance.v1("chats.sendMessage", await client.post(f"/v1/chats/{chat_id}/messages", json={"message": "Rename it"}))
    assert v1_files(after["latestVersion"]) == await v2_files(client, chat_id)
    messages = conformance.v2("messages.list", await client.get(f"/v2/chats/{chat_id}/messages", params={"limit": 10}))["messages"]
    assert [m["id"] for m in reversed(messages)] == [m["id"] for m in after["messages"]]


async def test_file_edits_in_v2_are_versions_in_v1(client: httpx.AsyncClient) -> None:
    files = [{"name": "app/page.tsx", "content": "export default 1\n"}, {"name": "lib/a.ts", "content": "export const a = 1\n", "locked": True}]
    chat = conformance.v1("chats.init", await client.post("/v1/chats/init", json={"type": "files", "files": files}))
    first = chat["latestVersion"]
    changes = {"files": [{"path": "app/page.tsx", "content": "export default 2\n"}, {"path": "lib/b.ts", "content": "export const b = 2\n"}]}
    edited = conformance.v2("chats.updateFiles", await client.patch(f"/v2/chats/{chat['id']}/files", json=changes))
    detail = conformance.v1("chats.getById", await client.get(f"/v1/chats/{chat['id']}"))
    latest = detail["latestVersion"]
    assert v1_files(latest) == {"app/page.tsx": "export default 2\n", "lib/a.ts": "export const a = 1\n", "lib/b.ts": "export const b = 2\n"}
    assert {f["name"]: f["locked"] for f in latest["files"]}["lib/a.ts"] is True  # a v2 edit keeps v1 locks
    assert detail["messages"][-1]["id"] == edited["messages"][-1]["id"] and detail["messages"][-1]["type"] == "edited-file"
    # v1 deletes a file; v2 sees it gone.
    conformance.v1("chats.deleteVersionFiles", await client.post(f"/v1/chats/{chat['id']}/versions/{latest['id']}/files/delete", json={"filePaths": ["lib/b.ts"]}))
    assert set(await v2_files(client, chat["id"])) == {"app/page.tsx", "lib/a.ts"}
    # v2 restores the files of the edit message; v1 shows them as a new latest version.
    restored = conformance.v2("chats.restoreMessage", await client.post(f"/v2/chats/{chat['id']}/restore-message", json={"messageId": edited["messages"][-1]["id"]}))
    detail = conformance.v1("chats.getById", await client.get(f"/v1/chats/{chat['id']}"))
    assert "lib/b.ts" in v1_files(detail["latestVersion"]) and detail["messages"][-1]["id"] == restored["messages"][0]["id"]
    versions = conformance.v1("chats.findVersions", await client.get(f"/v1/chats/{chat['id']}/versions"))
    assert versions["meta"]["totalCount"] == 4 and versions["data"][-1]["id"] == first["id"]
    # A v2 duplicate is a v1 chat with the same files.
    copy = conformance.v2("chats.duplicate", await client.post(f"/v2/chats/{chat['id']}/duplicate"), 201)
    assert v1_files(conformance.v1("chats.getById", await client.get(f"/v1/chats/{copy['id']}"))["latestVersion"]) == v1_files(detail["latestVersion"])
