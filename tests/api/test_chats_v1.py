"""v1 chats without a model: init, read, update, fork, versions, download."""

from __future__ import annotations

import io
import tarfile
import zipfile

import httpx

from tests import conformance

FILES = [
    {"name": "app/page.tsx", "content": "export default function Page() { return <h1>Hi</h1> }\n"},
    {"name": "components/ui/button.tsx", "content": "export const Button = () => null\n", "locked": True},
]


async def init_chat(client: httpx.AsyncClient, **extra: object) -> dict:
    body = {"type": "files", "files": FILES, "name": "demo", **extra}
    return conformance.v1("chats.init", await client.post("/v1/chats/init", json=body))


async def test_init_chat_from_files(client: httpx.AsyncClient) -> None:
    chat = await init_chat(client, metadata={"env": "prod"})
    assert chat["name"] == "demo" and chat["privacy"] == "private" and chat["metadata"] == {"env": "prod"}
    files = {f["name"]: f for f in chat["latestVersion"]["files"]}
    assert files["components/ui/button.tsx"]["locked"] is True
    assert files["app/page.tsx"]["locked"] is False
    assert chat["latestVersion"]["status"] == "completed"
    assert chat["apiUrl"] == f"http://testserver/v1/chats/{chat['id']}"
    got = conformance.v1("chats.getById", await client.get(f"/v1/chats/{chat['id']}"))
    assert got["latestVersion"]["id"] == chat["latestVersion"]["id"]


async def test_find_chats_filters(client: httpx.AsyncClient) -> None:
    a = await init_chat(client, metadata={"env": "prod"})
    b = await init_chat(client, metadata={"env": "dev"})
    await client.put(f"/v1/chats/{b['id']}/favorite", json={"isFavorite": True})
    listed = conformance.v1("chats.find", await client.get("/v1/chats"))
    assert {c["id"] for c in listed["data"]} == {a["id"], b["id"]}
    prod = conformance.v1("chats.find", await client.get("/v1/chats", params={"metadata[env]": "prod"}))
    assert [c["id"] for c in prod["data"]] == [a["id"]]
    fav = conformance.v1("chats.find", await client.get("/v1/chats", params={"isFavorite": "true"}))
    assert [c["id"] for c in fav["data"]] == [b["id"]]
    page = conformance.v1("chats.find", await client.get("/v1/chats", params={"limit": 1, "offset": 1}))
    assert len(page["data"]) == 1
    conformance.v1_error(await client.get("/v1/chats", params={"isFavorite": "yes"}), 422, "unprocessable_entity_error")
    conformance.v1_error(await client.get("/v1/chats", params={"limit": 61}), 422)


async def test_update_chat_metadata_merge(client: httpx.AsyncClient) -> None:
    chat = await init_chat(client, metadata={"a": "1", "b": "2"})
    url = f"/v1/chats/{chat['id']}"
    updated = conformance.v1("chats.update", await client.patch(url, json={"name": "renamed", "metadata": {"b": None, "c": "3"}}))
    assert updated["name"] == "renamed" and updated["metadata"] == {"a": "1", "c": "3"}
    cleared = conformance.v1("chats.update", await client.patch(url, json={"metadata": None}))
    assert cleared["metadata"] == {}
    public = conformance.v1("chats.update", await client.patch(url, json={"privacy": "public"}))
    assert public["privacy"] == "public" and public["shareable"] is True


async def test_delete_chat(client: httpx.AsyncClient) -> None:
    chat = await init_chat(client)
    gone = await client.delete(f"/v1/chats/{chat['id']}")
    assert conformance.v1("chats.delete", gone) == {"id": chat["id"], "object": "chat", "deleted": True}
    conformance.v1_error(await client.get(f"/v1/chats/{chat['id']}"), 404, "not_found_error")


async def test_update_version_creates_new_version_and_keeps_old(client: httpx.AsyncClient) -> None:
    chat = await init_chat(client)
    v1_id = chat["latestVersion"]["id"]
    url = f"/v1/chats/{chat['id']}/versions/{v1_id}"
    edited = conformance.v1(
        "chats.updateVersion",
        await client.patch(url, json={"files": [{"name": "app/page.tsx", "content": "new", "locked": True}, {"name": "lib/x.ts", "content": "x"}]}),
    )
    assert edited["id"] != v1_id
    files = {f["name"]: f for f in edited["files"]}
    assert files["app/page.tsx"] == {"object": "file", "name": "app/page.tsx", "content": "new", "locked": True}
    assert files["components/ui/button.tsx"]["locked"] is True  # lock kept on copy
    old = conformance.v1("chats.getVersion", await client.get(url))
    assert {f["name"]: f["content"] for f in old["files"]}["app/page.tsx"] == FILES[0]["content"]
    latest = conformance.v1("chats.getById", await client.get(f"/v1/chats/{chat['id']}"))
    assert latest["latestVersion"]["id"] == edited["id"]
    assert latest["messages"][-1]["type"] == "edited-file"


async def test_delete_version_files_and_restore(client: httpx.AsyncClient) -> None:
    chat = await init_chat(client)
    first = chat["latestVersion"]["id"]
    base = f"/v1/chats/{chat['id']}/versions"
    trimmed = conformance.v1("chats.deleteVersionFiles", await client.post(f"{base}/{first}/files/delete", json={"filePaths": ["app/page.tsx"]}))
    assert [f["name"] for f in trimmed["files"]] == ["components/ui/button.tsx"]
    conformance.v1_error(await client.post(f"{base}/{first}/files/delete", json={"filePaths": ["nope.ts"]}), 422)
    restored = conformance.v1("chats.restore", await client.post(f"{base}/{first}/restore"))
    assert sorted(f["name"] for f in restored["files"]) == ["app/page.tsx", "components/ui/button.tsx"]
    versions = conformance.v1("chats.findVersions", await client.get(base))
    assert versions["meta"]["totalCount"] == 3
    assert [v["id"] for v in versions["data"]][0] == restored["id"]


async def test_versions_pagination(client: httpx.AsyncClient) -> None:
    chat = await init_chat(client)
    base = f"/v1/chats/{chat['id']}/versions"
    version = chat["latestVersion"]["id"]
    for i in range(4):
        version = (await client.patch(f"{base}/{version}", json={"files": [{"name": "n.txt", "content": str(i)}]})).json()["id"]
    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = conformance.v1("chats.findVersions", await client.get(base, params=params))
        seen += [v["id"] for v in page["data"]]
        if not page["pagination"]["hasMore"]:
            assert "nextCursor" not in page["pagination"]
            break
        cursor = page["pagination"]["nextCursor"]
    assert len(seen) == 5 == len(set(seen)) and seen[0] == version
    conformance.v1_error(await client.get(base, params={"cursor": "!!garbage"}), 422)
    conformance.v1_error(await client.get(base, params={"limit": 0}), 422)
    conformance.v1_error(await client.get(base, params={"limit": 151}), 422)
    messages = conformance.v1("chats.findMessages", await client.get(f"/v1/chats/{chat['id']}/messages", params={"limit": 3}))
    assert len(messages["data"]) == 3 and messages["pagination"]["hasMore"] is True
    one = messages["data"][0]
    detail = conformance.v1("chats.getMessage", await client.get(f"/v1/chats/{chat['id']}/messages/{one['id']}"))
    assert detail["chatId"] == chat["id"]


async def test_fork_copies_history_and_files(client: httpx.AsyncClient) -> None:
    chat = await init_chat(client)
    first = chat["latestVersion"]["id"]
    await client.patch(f"/v1/chats/{chat['id']}/versions/{first}", json={"files": [{"name": "later.txt", "content": "later"}]})
    fork = conformance.v1("chats.fork", await client.post(f"/v1/chats/{chat['id']}/fork", json={"versionId": first}))
    assert fork["id"] != chat["id"]
    assert sorted(f["name"] for f in fork["latestVersion"]["files"]) == sorted(f["name"] for f in FILES)
    latest_fork = conformance.v1("chats.fork", await client.post(f"/v1/chats/{chat['id']}/fork", json={}))
    assert "later.txt" in {f["name"] for f in latest_fork["latestVersion"]["files"]}
    assert len(latest_fork["messages"]) == 1
    # the fork is independent: editing it leaves the source alone
    fv = latest_fork["latestVersion"]["id"]
    await client.post(f"/v1/chats/{latest_fork['id']}/versions/{fv}/files/delete", json={"filePaths": ["later.txt"]})
    source = (await client.get(f"/v1/chats/{chat['id']}")).json()
    assert "later.txt" in {f["name"] for f in source["latestVersion"]["files"]}
    conformance.v1_error(await client.post(f"/v1/chats/{chat['id']}/fork", json={"versionId": "nope"}), 404)


async def test_download_zip_and_tarball(client: httpx.AsyncClient) -> None:
    chat = await init_chat(client)
    url = f"/v1/chats/{chat['id']}/versions/{chat['latestVersion']['id']}/download"
    response = await client.get(url)
    assert response.status_code == 200 and response.headers["content-type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(response.content)).namelist()
    assert sorted(names) == sorted(f["name"] for f in FILES)
    response = await client.get(url, params={"format": "tarball", "includeDefaultFiles": "true"})
    assert response.headers["content-type"] == "application/gzip"
    members = tarfile.open(fileobj=io.BytesIO(response.content)).getnames()
    assert "package.json" in members and "app/page.tsx" in members


async def test_bad_input_gets_envelopes(client: httpx.AsyncClient) -> None:
    conformance.v1_error(await client.post("/v1/chats/init", content=b"{not json", headers={"content-type": "application/json"}), 422)
    conformance.v1_error(await client.post("/v1/chats/init", json={"type": "files", "files": "x"}), 422)
    conformance.v1_error(await client.post("/v1/chats/init", json={"type": "files", "files": [], "surprise": 1}), 422)
    conformance.v1_error(await client.post("/v1/chats/init", json={"type": "files", "files": [{"name": "../etc/passwd", "content": "x"}]}), 422)
    conformance.v1_error(await client.post("/v1/chats/init", json={"type": "files", "files": [{"name": "/abs", "content": "x"}]}), 422)
    conformance.v1_error(await client.get("/v1/chats/does-not-exist"), 404, "not_found_error")
    conformance.v1_error(await client.get("/v1/nowhere"), 404)
    conformance.v1_error(await client.put("/v1/chats/x/favorite", json={"isFavorite": "maybe"}), 422)


async def test_auth_required(client: httpx.AsyncClient) -> None:
    for headers in ({"Authorization": ""}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic abc"}):
        conformance.v1_error(await client.get("/v1/chats", headers=headers), 401, "unauthorized_error")
