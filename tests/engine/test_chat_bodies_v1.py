"""GET /v1/chats/{id} serves whole cached bodies: after every kind of write, what it serves is what an uncached read renders.

Each test reads a chat (filling the cache, and checking the next read would be served from it), changes it through one
writer, and reads it again: a stale body would differ from the uncached rendering, which every read is compared with.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
from sqlalchemy import text

from tests import conformance
from tests.conftest import API_KEY
from tests.engine.test_generate_v1 import COUNTER, wait_finished
from tests.fakes import FakeOpenAIServer, FakeReply
from vzero.api.v1.render import to_json
from vzero.api.v1.views import V1Views
from vzero.core.access import Principal
from vzero.store import chats as store
from vzero.store import revisions
from vzero.store.users import create_user_with_key

OWNER = Principal("default", None)  # the bootstrap key's user
FILES = [
    {"name": "app/page.tsx", "content": "export default function Page() { return <h1>Hi “there” 🚀</h1> }\n"},
    {"name": "lib/util.ts", "content": "export const x = 1\n", "locked": True},
]


async def uncached(runtime: Any, principal: Principal, chat_id: str) -> bytes:
    """The ChatDetail as the dict renderer renders it from the database now (no cache), serialised as FastAPI would."""
    async with runtime.db.session() as session:
        return to_json(await V1Views(runtime).chat_detail(session, await store.chat_for(session, principal, chat_id)))


async def served_from_cache(views: V1Views, principal: Principal, chat_id: str) -> bytes | None:
    """What the next read by this caller would get from the cache (None: it would be rendered)."""
    return views.bodies.get(chat_id, await store.chat_stamp(views.runtime.db, principal, chat_id))


async def read(client: httpx.AsyncClient, v1_views: V1Views, chat_id: str, principal: Principal = OWNER, headers: dict[str, str] | None = None) -> bytes:
    """Read the chat twice as the uncached renderer renders it; a completed version's body is then cached, a pending one's not."""
    url = f"/v1/chats/{chat_id}"
    first = await client.get(url, headers=headers)
    conformance.v1("chats.getById", first)
    want = await uncached(v1_views.runtime, principal, chat_id)
    assert first.content == want
    completed = json.loads(want).get("latestVersion", {}).get("status") == "completed"
    assert await served_from_cache(v1_views, principal, chat_id) == (want if completed else None)
    second = await client.get(url, headers=headers)
    assert second.content == want
    return want


async def init_chat(client: httpx.AsyncClient, **extra: Any) -> dict[str, Any]:
    body = {"type": "files", "files": FILES, "name": "demo", "metadata": {"k": "v"}, **extra}
    return conformance.v1("chats.init", await client.post("/v1/chats/init", json=body))


async def test_chat_updates(client: httpx.AsyncClient, runtime: Any, v1_views: Any) -> None:
    chat = await init_chat(client)
    url = f"/v1/chats/{chat['id']}"
    seen = [await read(client, v1_views, chat["id"])]
    for change in ({"name": "renamed"}, {"privacy": "team"}, {"metadata": {"k": None, "n": "1"}}, {"metadata": None}):
        conformance.v1("chats.update", await client.patch(url, json=change))
        seen.append(await read(client, v1_views, chat["id"]))
        assert seen[-1] != seen[-2], change
    got = json.loads(seen[-1])
    assert got["name"] == "renamed" and got["privacy"] == "team" and got["metadata"] == {}


async def test_favorite(client: httpx.AsyncClient, runtime: Any, v1_views: Any) -> None:
    """Favoriting does not touch updated_at: only the revision tells the cache."""
    chat = await init_chat(client)
    before = await read(client, v1_views, chat["id"])
    await client.put(f"/v1/chats/{chat['id']}/favorite", json={"isFavorite": True})
    after = await read(client, v1_views, chat["id"])
    assert json.loads(after)["favorite"] is True and json.loads(before)["favorite"] is False
    assert json.loads(after)["updatedAt"] == json.loads(before)["updatedAt"]


async def test_version_writers(client: httpx.AsyncClient, runtime: Any, v1_views: Any) -> None:
    chat = await init_chat(client)
    url = f"/v1/chats/{chat['id']}"
    first = chat["latestVersion"]["id"]
    seen = [await read(client, v1_views, chat["id"])]
    edited = conformance.v1("chats.updateVersion", await client.patch(f"{url}/versions/{first}", json={"files": [{"name": "app/page.tsx", "content": "two"}]}))
    seen.append(await read(client, v1_views, chat["id"]))
    trimmed = conformance.v1("chats.deleteVersionFiles", await client.post(f"{url}/versions/{edited['id']}/files/delete", json={"filePaths": ["lib/util.ts"]}))
    seen.append(await read(client, v1_views, chat["id"]))
    restored = (await client.post(f"{url}/versions/{first}/restore")).json()
    seen.append(await read(client, v1_views, chat["id"]))
    assert [json.loads(s)["latestVersion"]["id"] for s in seen] == [first, edited["id"], trimmed["id"], restored["id"]]
    assert {f["name"] for f in json.loads(seen[2])["latestVersion"]["files"]} == {"app/page.tsx"}
    assert json.loads(seen[3])["latestVersion"]["files"] == json.loads(seen[0])["latestVersion"]["files"]


async def test_projects(client: httpx.AsyncClient, runtime: Any, v1_views: Any) -> None:
    chat = await init_chat(client)
    before = await read(client, v1_views, chat["id"])
    project = conformance.v1("projects.create", await client.post("/v1/projects", json={"name": "Shop"}))
    await client.post(f"/v1/projects/{project['id']}/assign", json={"chatId": chat["id"]})
    assigned = await read(client, v1_views, chat["id"])
    assert json.loads(assigned)["projectId"] == project["id"]
    await client.delete(f"/v1/projects/{project['id']}")  # unlinks the chat with one bulk UPDATE
    unlinked = await read(client, v1_views, chat["id"])
    assert "projectId" not in json.loads(unlinked)
    assert json.loads(unlinked)["updatedAt"] == json.loads(before)["updatedAt"]


async def test_fork_leaves_the_source_cached_and_delete_ends_it(client: httpx.AsyncClient, runtime: Any, v1_views: Any) -> None:
    chat = await init_chat(client)
    source = await read(client, v1_views, chat["id"])
    fork = conformance.v1("chats.fork", await client.post(f"/v1/chats/{chat['id']}/fork", json={}))
    assert await served_from_cache(v1_views, OWNER, chat["id"]) == source  # nothing of the source changed
    assert await read(client, v1_views, chat["id"]) == source
    forked = await read(client, v1_views, fork["id"])
    assert json.loads(forked)["id"] == fork["id"] and forked != source
    await client.delete(f"/v1/chats/{chat['id']}")
    conformance.v1_error(await client.get(f"/v1/chats/{chat['id']}"), 404, "not_found_error")
    assert await read(client, v1_views, fork["id"]) == forked


async def test_permissions_are_part_of_the_key(client: httpx.AsyncClient, runtime: Any, v1_views: Any) -> None:
    async with runtime.db.session() as session:
        alice = await create_user_with_key(session, "alice", team_id="acme")
        bob = await create_user_with_key(session, "bob", team_id="acme")
        eve = await create_user_with_key(session, "eve")
        await session.commit()
    as_ = {name: {"Authorization": f"Bearer {key.key}"} for name, key in (("alice", alice), ("bob", bob), ("eve", eve))}
    who = {name: Principal(key.user_id, team) for name, key, team in (("alice", alice, "acme"), ("bob", bob, "acme"), ("eve", eve, None))}
    chat = conformance.v1("chats.init", await client.post("/v1/chats/init", json={"type": "files", "files": FILES, "chatPrivacy": "public"}, headers=as_["alice"]))
    url = f"/v1/chats/{chat['id']}"
    owner = await read(client, v1_views, chat["id"], who["alice"], as_["alice"])
    stranger = await read(client, v1_views, chat["id"], who["eve"], as_["eve"])
    assert json.loads(owner)["permissions"] == {"write": True} and json.loads(stranger)["permissions"] == {"write": False}
    await client.patch(url, json={"privacy": "team-edit"}, headers=as_["alice"])
    mate = await read(client, v1_views, chat["id"], who["bob"], as_["bob"])
    assert json.loads(mate)["permissions"] == {"write": True}
    conformance.v1_error(await client.get(url, headers=as_["eve"]), 404, "not_found_error")  # checked on every read
    await client.patch(url, json={"privacy": "private"}, headers=as_["alice"])
    conformance.v1_error(await client.get(url, headers=as_["bob"]), 404, "not_found_error")
    assert json.loads(await read(client, v1_views, chat["id"], who["alice"], as_["alice"]))["privacy"] == "private"
    async with runtime.db.session() as session:  # the owner moves to another team: bob's access goes with it
        await session.execute(text("UPDATE users SET team_id = 'initech' WHERE id = :id"), {"id": alice.user_id})
        await session.commit()
    await client.patch(url, json={"privacy": "team"}, headers=as_["alice"])
    conformance.v1_error(await client.get(url, headers=as_["bob"]), 404, "not_found_error")


async def test_v2_writers(client: httpx.AsyncClient, runtime: Any, v1_views: Any) -> None:
    chat = await init_chat(client)
    seen = [await read(client, v1_views, chat["id"])]
    v2 = f"/v2/chats/{chat['id']}"
    assert (await client.patch(v2, json={"title": "v2 title"})).status_code == 200
    seen.append(await read(client, v1_views, chat["id"]))
    assert (await client.patch(f"{v2}/files", json={"files": [{"path": "app/new.ts", "content": "new"}, {"path": "lib/util.ts", "content": None}]})).status_code == 200
    seen.append(await read(client, v1_views, chat["id"]))
    first_message = json.loads(seen[-1])["messages"][0]["id"]
    assert (await client.post(f"{v2}/restore-message", json={"messageId": first_message})).status_code == 200
    seen.append(await read(client, v1_views, chat["id"]))
    assert len(set(seen)) == len(seen)
    assert (await client.delete(v2)).status_code == 200
    conformance.v1_error(await client.get(f"/v1/chats/{chat['id']}"), 404, "not_found_error")


async def test_raw_sql_writes(client: httpx.AsyncClient, runtime: Any, v1_views: Any) -> None:
    """A writer outside vzero's code (a migration, an operator's UPDATE) is seen at once: the database raises the revision."""
    chat = await init_chat(client)
    seen = [await read(client, v1_views, chat["id"])]
    for statement in (
        "UPDATE chats SET text = 'edited by hand' WHERE id = :id",
        "UPDATE versions SET screenshot = 'shot.png' WHERE chat_id = :id",
        "INSERT INTO messages (id, chat_id, seq, role, type, content, parts, attachments, status, input_tokens, output_tokens, "
        "cache_read_tokens, cache_write_tokens, created_at) VALUES ('handmade', :id, 99, 'user', 'message', 'by hand', '[]', '[]', "
        "'completed', 0, 0, 0, 0, '2026-11-22 07:00:00')",
        "UPDATE messages SET content = 'changed by hand' WHERE id = 'handmade'",
        "DELETE FROM messages WHERE id = 'handmade'",
    ):
        async with runtime.db.session() as session:
            await session.execute(text(statement), {"id": chat["id"]})
            await session.commit()
        seen.append(await read(client, v1_views, chat["id"]))
        assert seen[-1] != seen[-2], statement
    assert seen[-1] != seen[0] and json.loads(seen[-1])["text"] == "edited by hand"


async def test_without_triggers_a_cache_would_be_stale(client: httpx.AsyncClient, runtime: Any, v1_views: Any) -> None:
    """The control: with the triggers gone (and the server not told), the comparison above catches the stale body.

    So a writer the triggers missed could not go unnoticed by these tests. And a database without the triggers at
    start-up gets no cache at all.
    """
    chat = await init_chat(client)
    before = await read(client, v1_views, chat["id"])
    async with runtime.db.engine.begin() as connection:
        await connection.run_sync(revisions.drop_triggers)
    try:
        async with runtime.db.session() as session:
            await session.execute(text("UPDATE chats SET name = 'changed' WHERE id = :id"), {"id": chat["id"]})
            await session.commit()
        stale = (await client.get(f"/v1/chats/{chat['id']}")).content
        assert stale == before != await uncached(runtime, OWNER, chat["id"])
    finally:
        async with runtime.db.engine.begin() as connection:
            await connection.run_sync(revisions.create_triggers)
            assert await connection.run_sync(revisions.triggers_present)


async def test_no_cache_without_triggers(tmp_path: Any, database_url: str | None) -> None:
    from vzero.app import create_app
    from vzero.config import Settings

    app = create_app(Settings(data_dir=tmp_path / "d", database_url=database_url, api_key=API_KEY, public_url="http://testserver"))
    async with app.router.lifespan_context(app):
        runtime = app.state.runtime
        runtime.db.revisions_tracked = False  # as `Database.open` finds a database without them
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver", headers={"Authorization": f"Bearer {API_KEY}"}) as c:
            chat = await init_chat(c)
            for _ in range(2):
                assert (await c.get(f"/v1/chats/{chat['id']}")).content == await uncached(runtime, OWNER, chat["id"])
        assert not app.state.v1_views.bodies._items  # nothing was kept


# --- generations -------------------------------------------------------------------------------------------------------

async def test_send_message_sync(client: httpx.AsyncClient, runtime: Any, fake_model: FakeOpenAIServer, v1_views: Any) -> None:
    chat = await init_chat(client)
    before = await read(client, v1_views, chat["id"])
    fake_model.enqueue(FakeReply(text=COUNTER))
    conformance.v1("chats.sendMessage", await client.post(f"/v1/chats/{chat['id']}/messages", json={"message": "a counter"}))
    after = await read(client, v1_views, chat["id"])
    assert json.loads(after)["latestVersion"]["id"] != json.loads(before)["latestVersion"]["id"]
    assert json.loads(after)["messages"][-1]["role"] == "assistant"


async def test_generation_pending_then_completed(client: httpx.AsyncClient, runtime: Any, fake_model: FakeOpenAIServer, v1_views: Any) -> None:
    """Started: the pending version is shown and never cached; completed: the new version, cached again."""
    chat = await init_chat(client)
    before = await read(client, v1_views, chat["id"])
    fake_model.enqueue(FakeReply(text=COUNTER, first_token_delay=1.0))
    sent = conformance.v1("chats.sendMessage", await client.post(f"/v1/chats/{chat['id']}/messages", json={"message": "a counter", "responseMode": "async"}))
    pending = await read(client, v1_views, chat["id"])  # the reply's first token is a second away: still pending
    assert json.loads(pending)["latestVersion"]["status"] == "pending" and pending != before
    await wait_finished(client, chat["id"], sent["messages"][-1]["id"])
    done = await read(client, v1_views, chat["id"])
    assert json.loads(done)["latestVersion"]["status"] == "completed" and done not in (before, pending)


async def test_failed_generation_and_resolve_task(client: httpx.AsyncClient, runtime: Any, fake_model: FakeOpenAIServer, v1_views: Any) -> None:
    chat = await init_chat(client)
    fake_model.enqueue(FakeReply(text=COUNTER, cut_after_chunks=5))
    await client.post(f"/v1/chats/{chat['id']}/messages", json={"message": "a counter"})
    failed = await read(client, v1_views, chat["id"])
    assert json.loads(failed)["messages"][-1]["finishReason"] == "error"
    # The latest reply asks a question (the models do not block on tasks yet: put the waiting action there by hand).
    question = {"type": "agent-action", "name": "ask_user_questions", "summary": "Which color?", "data": {"taskType": "answered-questions"}, "startedAt": "2026-01-01T00:00:00.000Z"}
    async with runtime.db.session() as session:
        await session.execute(
            text("UPDATE messages SET parts = :parts WHERE id = :id"), {"parts": json.dumps([question]), "id": json.loads(failed)["messages"][-1]["id"]}
        )
        await session.commit()
    asked = await read(client, v1_views, chat["id"])
    fake_model.enqueue(FakeReply(text=COUNTER.replace("Count", "Answered")))
    answer = {"questionId": "q", "questionText": "Which color?", "selectedLabels": ["Blue"]}
    resolved = await client.post(f"/v1/chats/{chat['id']}/tasks/resolve", json={"task": {"type": "answered-questions", "answers": [answer]}})
    assert resolved.status_code == 200, resolved.text
    answered = await read(client, v1_views, chat["id"])
    assert answered != asked and json.loads(answered)["messages"][-2]["type"] == "answered-questions"
    assert "Answered" in json.loads(answered)["latestVersion"]["files"][0]["content"]


async def test_concurrent_reads_during_writes(client: httpx.AsyncClient, runtime: Any, v1_views: Any) -> None:
    """Reads racing renames: whatever a read served, the last read after the writes is the current chat."""
    chat = await init_chat(client)
    url = f"/v1/chats/{chat['id']}"

    async def reader() -> None:
        for _ in range(15):
            assert (await client.get(url)).status_code == 200

    async def writer() -> None:
        for n in range(15):
            await client.patch(url, json={"name": f"name {n}"})

    await asyncio.gather(reader(), reader(), writer())
    assert json.loads(await read(client, v1_views, chat["id"]))["name"] == "name 14"
