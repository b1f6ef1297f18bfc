"""v1 hooks CRUD, URL checks, and which hooks an event reaches."""

from __future__ import annotations

from typing import Any

import httpx

from tests import conformance
from tests.conftest import API_KEY
from vzero.app import create_app
from vzero.store import hooks as hook_store
from vzero.store.tables import Chat, Hook
from vzero.store.users import create_user_with_key

FILES = {"type": "files", "files": [{"name": "a.txt", "content": "a"}]}


async def create_hook(client: httpx.AsyncClient, **extra: Any) -> dict[str, Any]:
    body = {"name": "deploys", "events": ["chat.created", "message.finished"], "url": "https://hooks.example.com/v0", **extra}
    return conformance.v1("hooks.create", await client.post("/v1/hooks", json=body))


async def test_hook_crud(client: httpx.AsyncClient, runtime: Any) -> None:
    chat = conformance.v1("chats.init", await client.post("/v1/chats/init", json=FILES))
    hook = await create_hook(client, chatId=chat["id"], events=["message.finished", "message.finished"])
    assert hook == {"id": hook["id"], "object": "hook", "name": "deploys", "events": ["message.finished"], "chatId": chat["id"], "url": "https://hooks.example.com/v0"}
    plain = await create_hook(client, name="all")
    assert "chatId" not in plain
    listed = conformance.v1("hooks.find", await client.get("/v1/hooks"))
    assert listed["data"] == [{"id": plain["id"], "object": "hook", "name": "all"}, {"id": hook["id"], "object": "hook", "name": "deploys"}]
    assert conformance.v1("hooks.getById", await client.get(f"/v1/hooks/{hook['id']}")) == hook
    updated = conformance.v1("hooks.update", await client.patch(f"/v1/hooks/{hook['id']}", json={"name": "renamed", "events": ["chat.deleted"], "url": "http://hooks.example.com/x"}))
    assert (updated["name"], updated["events"], updated["url"], updated["chatId"]) == ("renamed", ["chat.deleted"], "http://hooks.example.com/x", chat["id"])
    partial = conformance.v1("hooks.update", await client.patch(f"/v1/hooks/{hook['id']}", json={"name": "again"}))
    assert partial["events"] == ["chat.deleted"]
    async with runtime.db.session() as session:  # each hook has its own signing secret
        secrets = [(await session.get(Hook, h["id"])).secret for h in (hook, plain)]
    assert all(s.startswith("whsec_") and len(s) > 40 for s in secrets) and secrets[0] != secrets[1]
    gone = await client.delete(f"/v1/hooks/{hook['id']}")
    assert conformance.v1("hooks.delete", gone) == {"id": hook["id"], "object": "hook", "deleted": True}
    conformance.v1_error(await client.get(f"/v1/hooks/{hook['id']}"), 404, "not_found_error")
    conformance.v1_error(await client.delete(f"/v1/hooks/{hook['id']}"), 404)


async def test_hook_input_is_checked(client: httpx.AsyncClient) -> None:
    for extra in (
        {"url": "ftp://hooks.example.com/"},
        {"url": "not a url"},
        {"url": "http://127.0.0.1:8080/hook"},
        {"url": "http://[::1]/hook"},
        {"url": "http://169.254.169.254/latest/meta-data"},
        {"url": "https://x.example/" + "a" * 3000},
        {"events": []},
        {"events": ["chat.exploded"]},
        {"name": ""},
        {"secret": "mine"},
    ):
        body = {"name": "h", "events": ["chat.created"], "url": "https://hooks.example.com/", **extra}
        conformance.v1_error(await client.post("/v1/hooks", json=body), 422, "unprocessable_entity_error")
    conformance.v1_error(await client.post("/v1/hooks", json={"name": "h", "events": ["chat.created"], "url": "https://h.example/", "chatId": "nope"}), 404)
    hook = await create_hook(client)
    conformance.v1_error(await client.patch(f"/v1/hooks/{hook['id']}", json={"url": "http://10.0.0.1/"}), 422)
    conformance.v1_error(await client.patch(f"/v1/hooks/{hook['id']}", json={"events": []}), 422)
    assert conformance.v1("hooks.getById", await client.get(f"/v1/hooks/{hook['id']}")) == hook  # unchanged


async def test_private_hook_urls_allowed_when_configured(settings: Any) -> None:
    app = create_app(settings.model_copy(update={"allow_private_urls": True}))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver", headers={"Authorization": f"Bearer {API_KEY}"}) as c:
            hook = await create_hook(c, url="http://127.0.0.1:9000/hook")
            assert hook["url"] == "http://127.0.0.1:9000/hook"


async def test_hooks_for_event(client: httpx.AsyncClient, runtime: Any) -> None:
    async with runtime.db.session() as session:
        mate = await create_user_with_key(session, "mate", team_id="acme")
        owner = await create_user_with_key(session, "owner", team_id="acme")
        await session.commit()
    as_owner = {"Authorization": f"Bearer {owner.key}"}
    as_mate = {"Authorization": f"Bearer {mate.key}"}
    chat = conformance.v1("chats.init", await client.post("/v1/chats/init", json={**FILES, "chatPrivacy": "team"}, headers=as_owner))
    other = conformance.v1("chats.init", await client.post("/v1/chats/init", json=FILES, headers=as_owner))
    account = (await client.post("/v1/hooks", headers=as_owner, json={"name": "all", "events": ["message.finished"], "url": "https://a.example/"})).json()
    this_chat = (await client.post("/v1/hooks", headers=as_owner, json={"name": "one", "events": ["message.finished", "chat.updated"], "url": "https://b.example/", "chatId": chat["id"]})).json()
    watcher = (await client.post("/v1/hooks", headers=as_mate, json={"name": "mate", "events": ["message.finished"], "url": "https://c.example/", "chatId": chat["id"]})).json()
    mates_all = (await client.post("/v1/hooks", headers=as_mate, json={"name": "mine", "events": ["message.finished"], "url": "https://d.example/"})).json()

    async def reached(chat_id: str | None, event: str) -> set[str]:
        async with runtime.db.session() as session:
            return {h.id for h in await hook_store.hooks_for_event(session, owner.user_id, chat_id, event)}

    assert await reached(chat["id"], "message.finished") == {account["id"], this_chat["id"], watcher["id"]}
    assert await reached(chat["id"], "chat.updated") == {this_chat["id"]}
    assert await reached(other["id"], "message.finished") == {account["id"]}
    assert await reached(None, "message.finished") == {account["id"]}
    assert await reached(chat["id"], "chat.created") == set()
    # once the chat turns private the mate's hook no longer hears about it
    async with runtime.db.session() as session:
        row = await session.get(Chat, chat["id"])
        row.privacy = "private"
        await session.commit()
    assert await reached(chat["id"], "message.finished") == {account["id"], this_chat["id"]}
    assert mates_all["id"] not in await reached(chat["id"], "message.finished")  # account-wide hooks hear only their own chats
