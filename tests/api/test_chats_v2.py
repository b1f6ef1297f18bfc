"""v2 chats without a model: from files, list, get, update, delete, files, duplicate, preview, hosted-only operations."""

from __future__ import annotations

import base64
import contextlib
import functools
import http.server
import io
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from tests import conformance
from tests.conftest import API_KEY
from vzero.store.users import DEFAULT_USER_ID

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(40))
FILES = [
    {"name": "app/page.tsx", "content": "export default function Page() { return <h1>Hi</h1> }\n"},
    {"name": "lib/data.ts", "content": "export const data = 1\n"},
]


async def from_files(client: httpx.AsyncClient, **extra: Any) -> dict[str, Any]:
    body = conformance.v2("chats.createFromFiles", await client.post("/v2/chats/from-files", json={"files": FILES, **extra}))
    assert body["usage"]["tokens"]["total"] == 0
    return body["chat"]  # type: ignore[no-any-return]


def error(response: httpx.Response, status: int, operation: str | None = None) -> str:
    """A v2 error: the status and the flat `{"message"}` body (validated against the operation's own error schema)."""
    assert response.status_code == status, (response.status_code, response.text)
    body = conformance.v2(operation, response, status) if operation else response.json()
    assert set(body) == {"message"} and body["message"], body
    return body["message"]  # type: ignore[no-any-return]


async def test_create_from_files_and_get(client: httpx.AsyncClient) -> None:
    chat = await from_files(client, title="Demo", privacy="unlisted", metadata={"env": "prod"})
    assert chat["title"] == "Demo" and chat["privacy"] == "unlisted" and chat["metadata"] == {"env": "prod"}
    got = conformance.v2("chats.get", await client.get(f"/v2/chats/{chat['id']}"))
    assert got == chat
    files = conformance.v2("chats.getFiles", await client.get(f"/v2/chats/{chat['id']}/files"))
    assert files == {"files": [{"path": f["name"], "content": f["content"], "encoding": "utf8"} for f in FILES]}
    messages = conformance.v2("messages.list", await client.get(f"/v2/chats/{chat['id']}/messages", params={"limit": 5}))
    assert messages == {"messages": [], "cursor": None}
    error(await client.get("/v2/chats/nope"), 404, "chats.get")
    error(await client.post("/v2/chats/from-files", json={"files": []}), 422, "chats.createFromFiles")
    error(await client.post("/v2/chats/from-files", json={"files": FILES, "extra": 1}), 422)
    error(await client.post("/v2/chats/from-files", json={"files": [{"name": "../x", "content": ""}]}), 422)


async def test_errors_are_flat_and_need_a_key(client: httpx.AsyncClient) -> None:
    anonymous = await client.get("/v2/chats", headers={"Authorization": ""})
    assert "vzero keys create" in error(anonymous, 401, "chats.list")
    assert error(await client.get("/v2/chats", headers={"Authorization": f"Bearer {API_KEY}x"}), 401) == "Invalid API key"
    error(await client.get("/v2/nowhere"), 404)
    error(await client.get("/v2/chats", params={"limit": 101}), 422)


async def test_list_with_cursor_and_filters(client: httpx.AsyncClient) -> None:
    made = [await from_files(client, metadata={"n": str(n), "env": "prod" if n % 2 else "dev"}) for n in range(5)]
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = conformance.v2("chats.list", await client.get("/v2/chats", params=params))
        assert len(page["chats"]) <= 2
        seen += [c["id"] for c in page["chats"]]
        cursor = page["cursor"]
        if cursor is None:
            break
    assert seen == [c["id"] for c in reversed(made)]
    prod = conformance.v2("chats.list", await client.get("/v2/chats", params={"metadata[env]": "prod"}))
    assert {c["id"] for c in prod["chats"]} == {made[1]["id"], made[3]["id"]}
    assert (await client.get("/v2/chats", params={"vercelProjectId": "prj_1"})).json() == {"chats": [], "cursor": None}
    error(await client.get("/v2/chats", params={"cursor": "!!"}), 422)


async def test_update_and_delete(client: httpx.AsyncClient) -> None:
    chat = await from_files(client, metadata={"a": "1", "b": "2"})
    url = f"/v2/chats/{chat['id']}"
    updated = conformance.v2("chats.update", await client.patch(url, json={"title": "New", "privacy": "public", "metadata": {"b": None, "c": "3"}}))
    assert updated["title"] == "New" and updated["privacy"] == "public" and updated["metadata"] == {"a": "1", "c": "3"}
    cleared = conformance.v2("chats.update", await client.patch(url, json={"metadata": None}))
    assert cleared["metadata"] == {}
    error(await client.patch(url, json={"name": "v1 spelling"}), 422)
    assert conformance.v2("chats.delete", await client.delete(url)) == {"chatId": chat["id"]}
    error(await client.get(url), 404, "chats.get")
    error(await client.delete(url), 404, "chats.delete")


async def test_other_users_see_public_chats_read_only(client: httpx.AsyncClient, other_key: str) -> None:
    private = await from_files(client)
    public = await from_files(client, privacy="public")
    other = {"Authorization": f"Bearer {other_key}"}
    error(await client.get(f"/v2/chats/{private['id']}", headers=other), 404)
    seen = conformance.v2("chats.get", await client.get(f"/v2/chats/{public['id']}", headers=other))
    assert seen["writePermission"] is False
    error(await client.patch(f"/v2/chats/{public['id']}", json={"title": "mine"}, headers=other), 403, "chats.update")
    error(await client.patch(f"/v2/chats/{public['id']}/files", json={"files": [{"path": "x.ts", "content": ""}]}, headers=other), 403)
    copy = conformance.v2("chats.duplicate", await client.post(f"/v2/chats/{public['id']}/duplicate", json={"title": "Mine now"}, headers=other), 201)
    assert copy["authorId"] != public["authorId"] and copy["title"] == "Mine now" and copy["privacy"] == "private"
    files = (await client.get(f"/v2/chats/{copy['id']}/files", headers=other)).json()
    assert [f["path"] for f in files["files"]] == ["app/page.tsx", "lib/data.ts"]


async def test_update_files_writes_and_deletes(client: httpx.AsyncClient) -> None:
    chat = await from_files(client)
    url = f"/v2/chats/{chat['id']}/files"
    png = "data:image/png;base64," + base64.b64encode(PNG).decode()
    changes = {"files": [{"path": "app/page.tsx", "content": "export default 2\n"}, {"path": "lib/data.ts", "content": None}, {"path": "public/logo.txt", "content": png}]}
    result = conformance.v2("chats.updateFiles", await client.patch(url, json=changes))
    assert [m["role"] for m in result["messages"]] == ["user", "user"]
    assert all(m["finishReason"] == "stop" and m["restorable"] is False for m in result["messages"][1:])
    files = {f["path"]: f for f in conformance.v2("chats.getFiles", await client.get(url))["files"]}
    assert set(files) == {"app/page.tsx", "public/logo.txt"} and files["app/page.tsx"]["content"] == "export default 2\n"
    listed = (await client.get(f"/v2/chats/{chat['id']}/messages", params={"limit": 10})).json()["messages"]
    assert [m["id"] for m in listed] == [m["id"] for m in reversed(result["messages"])]
    # The first message restores the state before the delete.
    restored = conformance.v2("chats.restoreMessage", await client.post(f"/v2/chats/{chat['id']}/restore-message", json={"messageId": listed[1]["id"]}))
    assert len(restored["messages"]) == 1
    files = {f["path"] for f in (await client.get(url)).json()["files"]}
    assert files == {"app/page.tsx", "lib/data.ts", "public/logo.txt"}
    assert "lib/nope.ts" in error(await client.patch(url, json={"files": [{"path": "lib/nope.ts", "content": None}]}), 422)
    error(await client.patch(url, json={"files": []}), 422)
    error(await client.post(f"/v2/chats/{chat['id']}/restore-message", json={"messageId": "nope"}), 404)


async def test_binary_files_are_base64(client: httpx.AsyncClient, runtime: Any) -> None:
    from vzero.core.files import FileEntry, FileSet
    from vzero.store import chats as store

    async with runtime.db.session() as session:
        chat = await store.create_chat(session, DEFAULT_USER_ID, api_version="v2")
        await store.add_version(session, runtime.blobs, chat, FileSet([FileEntry("public/logo.png", PNG), FileEntry("a.txt", b"hi")]))
        await session.commit()
    files = conformance.v2("chats.getFiles", await client.get(f"/v2/chats/{chat.id}/files"))
    assert files["files"] == [
        {"path": "a.txt", "content": "hi", "encoding": "utf8"},
        {"path": "public/logo.png", "content": base64.b64encode(PNG).decode(), "encoding": "base64"},
    ]
    download = await client.get(f"/v2/chats/{chat.id}/files/download")
    assert download.status_code == 200 and download.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(download.content)) as archive:
        assert archive.read("public/logo.png") == PNG and archive.read("a.txt") == b"hi"


async def test_preview_url_and_token(client: httpx.AsyncClient, runtime: Any) -> None:
    from vzero.api.v2.preview import check_preview_token

    chat = await from_files(client)
    preview = conformance.v2("chats.getPreview", await client.get(f"/v2/chats/{chat['id']}/preview"))
    version = (await client.get(f"/v1/chats/{chat['id']}")).json()["latestVersion"]["id"]
    assert preview["url"] == f"http://testserver/preview/{chat['id']}/{version}/"
    box = runtime.secret_box
    assert check_preview_token(box, preview["token"], chat["id"], version)
    assert not check_preview_token(box, preview["token"], chat["id"], "other")
    token = preview["token"]
    middle = len(token) // 2
    tampered = token[:middle] + ("A" if token[middle] != "A" else "B") + token[middle + 1 :]
    assert not check_preview_token(box, tampered, chat["id"], version)
    assert not check_preview_token(box, preview["token"], chat["id"], version, now=4_000_000_000)


async def test_hosted_only_operations_are_refused(client: httpx.AsyncClient) -> None:
    chat = await from_files(client)
    for method, path, operation in [
        ("POST", f"/v2/chats/{chat['id']}/deploy", "chats.deploy"),
        ("POST", f"/v2/chats/{chat['id']}/vercel-project", "chats.createVercelProject"),
        ("GET", f"/v2/chats/{chat['id']}/connect/status?requestId=r1", "chats.getConnectStatus"),
        ("GET", "/v2/settings/preview-hosts", "settings.getPreviewHosts"),
        ("PUT", "/v2/settings/preview-hosts", "settings.setPreviewHosts"),
    ]:
        assert "self-hosted" in error(await client.request(method, path), 403, operation)
    error(await client.post("/v2/chats/nope/deploy"), 404, "chats.deploy")


async def test_from_zip_and_repo_refuse_private_addresses(client: httpx.AsyncClient) -> None:
    for path, body in [("/v2/chats/from-zip", {"url": "http://127.0.0.1:9/x.zip"}), ("/v2/chats/from-repo", {"repo": {"url": "http://127.0.0.1:9/r.git"}})]:
        message = error(await client.post(path, json=body), 422)
        assert "127.0.0.1" in message and "VZERO_ALLOW_PRIVATE_URLS" in message
    error(await client.post("/v2/chats/from-zip", json={}), 422)


@contextlib.contextmanager
def static_server(root: Path) -> Iterator[str]:
    """Serves a folder over HTTP on 127.0.0.1 from a thread."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *args: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        thread.join(5)


async def test_from_zip_imports_the_archive(tmp_path: Path, database_url: str | None) -> None:
    from vzero.app import create_app
    from vzero.config import Settings

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app/page.tsx", "export default 1\n")
        archive.writestr("node_modules/x/index.js", "ignored\n")
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "app.zip").write_bytes(buffer.getvalue())
    settings = Settings(data_dir=tmp_path / "data", database_url=database_url, api_key=API_KEY, allow_private_urls=True)
    app = create_app(settings)
    with static_server(tmp_path / "site") as base:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t", headers={"Authorization": f"Bearer {API_KEY}"}) as c:
                made = conformance.v2("chats.createFromZip", await c.post("/v2/chats/from-zip", json={"url": f"{base}/app.zip", "title": "Zipped"}))
                assert made["chat"]["title"] == "Zipped"
                files = (await c.get(f"/v2/chats/{made['chat']['id']}/files")).json()["files"]
                assert files == [{"path": "app/page.tsx", "content": "export default 1\n", "encoding": "utf8"}]
                missing = await c.post("/v2/chats/from-zip", json={"url": f"{base}/missing.zip"})
                assert missing.status_code == 422 and "404" in missing.json()["message"]
