"""v1 views: rendered files of completed versions are cached, and never served stale."""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx

from tests import conformance
from vzero.api.deps import Caller
from vzero.api.v1.render import (
    RenderedFiles,
    SerialisedFiles,
    Urls,
    chat_detail,
    chat_detail_json,
    render_files,
    serialise_files,
    to_json,
)
from vzero.api.v1.views import ChatBodies, RenderedVersions, SerialisedVersions, V1Views
from vzero.core.files import FileEntry, FileSet
from vzero.core.ids import iso
from vzero.store import chats as store
from vzero.store.tables import Chat, Message, Version


def _rendered(chars: int) -> RenderedFiles:
    return render_files(FileSet([FileEntry("a.ts", b"x" * (chars - 4))]))


def test_render_files_shares_text_between_forms() -> None:
    rendered = render_files(FileSet([FileEntry("app/page.tsx", b"export {}\n", True), FileEntry("logo.png", b"\x89PNG\r\n")]))
    assert rendered.details[0] == {"object": "file", "name": "app/page.tsx", "content": "export {}\n", "locked": True}
    assert rendered.sources[0] == {"lang": "tsx", "meta": {"file": "app/page.tsx"}, "source": "export {}\n"}
    assert rendered.details[1]["content"].startswith("data:image/png;base64,")


def test_rendered_versions_drops_least_recently_used() -> None:
    cache = RenderedVersions(limit_chars=400)
    cache.put(("v1", "h1"), _rendered(100))
    cache.put(("v2", "h2"), _rendered(100))
    assert cache.get(("v1", "h1")) is not None  # v1 is now the most recently used
    cache.put(("v3", "h3"), _rendered(100))
    cache.put(("v4", "h4"), _rendered(100))
    cache.put(("v5", "h5"), _rendered(100))
    assert cache.get(("v2", "h2")) is None and cache.get(("v1", "h1")) is not None
    cache.put(("big", "h"), _rendered(101))  # more than a quarter of the limit: not kept
    assert cache.get(("big", "h")) is None


async def test_chat_detail_follows_new_versions(client: httpx.AsyncClient) -> None:
    files = [{"name": "app/page.tsx", "content": "one"}, {"name": "lib/util.ts", "content": "util", "locked": True}]
    chat = conformance.v1("chats.init", await client.post("/v1/chats/init", json={"type": "files", "files": files}))
    url = f"/v1/chats/{chat['id']}"
    for _ in range(2):  # the second read comes from the cache
        got = conformance.v1("chats.getById", await client.get(url))
        assert {f["name"]: f["content"] for f in got["latestVersion"]["files"]} == {"app/page.tsx": "one", "lib/util.ts": "util"}
        assert {f["meta"]["file"]: f["source"] for f in got["files"]} == {"app/page.tsx": "one", "lib/util.ts": "util"}
    first = chat["latestVersion"]["id"]
    edited = conformance.v1("chats.updateVersion", await client.patch(f"{url}/versions/{first}", json={"files": [{"name": "app/page.tsx", "content": "two"}]}))
    got = conformance.v1("chats.getById", await client.get(url))
    assert got["latestVersion"]["id"] == edited["id"]
    assert {f["name"]: (f["content"], f["locked"]) for f in got["latestVersion"]["files"]} == {"app/page.tsx": ("two", False), "lib/util.ts": ("util", True)}
    old = conformance.v1("chats.getVersion", await client.get(f"{url}/versions/{first}"))
    assert {f["name"]: f["content"] for f in old["files"]} == {"app/page.tsx": "one", "lib/util.ts": "util"}


# --- GET /v1/chats/{id}: served as bytes, the same bytes as the dict renderer ----------------------------------------

_T0 = datetime(2026, 11, 22, 5, 48, 51, 123456)


def _chat(**changes: Any) -> Chat:
    fields: dict[str, Any] = dict(
        id="chat1", owner_id="u1", project_id=None, name="Ünïcode “app” 🚀", privacy="team", favorite=True,
        meta={"env": "prod", "quote": 'a"b\\c'}, text="build me \u2028 an app", system=None,
        model_configuration={"modelId": "v0-mini", "thinking": True}, api_version="v1", latest_version_id="v1",
        created_at=_T0, updated_at=_T0 + timedelta(seconds=1),
    )
    fields.update(changes)
    return Chat(**fields)


def _version(status: str = "completed") -> Version:
    return Version(id="v1", chat_id="chat1", seq=1, status=status, manifest_hash="h", errors=[], created_at=_T0, updated_at=None)


def _messages() -> list[Message]:
    return [
        Message(
            id="m1", chat_id="chat1", role="user", type="message", content="make it blue <script>", raw=None, experimental_content=None,
            attachments=[], finish_reason=None, parent_id=None, author_id="u1", created_at=_T0, updated_at=_T0,
        ),
        Message(
            id="m2", chat_id="chat1", role="assistant", type="message", content="done", raw="```tsx file=\"a.tsx\"\nx\n``` done",
            experimental_content=[[0, [{"type": "text", "value": "done"}]]], attachments=[{"url": "https://x/y.png", "size": 3, "name": "y.png"}],
            finish_reason="stop", parent_id="m1", author_id=None, created_at=_T0.replace(tzinfo=timezone(timedelta(hours=2))), updated_at=None,
        ),
    ]


_FILES = FileSet([
    FileEntry("app/page.tsx", "export default () => <p>“hi” \\ \u2028 🚀</p>\n".encode(), False),
    FileEntry("lib/util.ts", b"export const x = 1\n", True),
    FileEntry("public/logo.png", b"\x89PNG\r\n\x00"),
])


def test_chat_detail_json_is_chat_detail_byte_for_byte() -> None:
    urls = Urls("http://testserver/")
    cases: list[tuple[Chat, Version | None, FileSet]] = [
        (_chat(), _version(), _FILES),
        (_chat(name=None, updated_at=None, project_id="p1", meta={}, model_configuration=None), _version("pending"), _FILES),
        (_chat(), _version(), FileSet()),  # a version without files: no top-level "files"
        (_chat(latest_version_id=None), None, FileSet()),
    ]
    for chat, latest, files in cases:
        for writable in (True, False):
            want = to_json(chat_detail(urls, chat, latest=latest, latest_files=files, messages=_messages(), writable=writable))
            got = chat_detail_json(
                urls, chat, latest=latest, latest_files=serialise_files(files) if latest is not None else None,
                messages=_messages(), writable=writable,
            )
            assert got == want
    assert json.loads(want) == chat_detail(urls, chat, latest=None, latest_files=None, messages=_messages(), writable=False)


def test_serialised_files_are_the_rendered_lists() -> None:
    rendered = render_files(_FILES)
    serialised = serialise_files(rendered)
    assert json.loads(serialised.details) == list(rendered.details)
    assert json.loads(serialised.sources) == list(rendered.sources)
    assert serialise_files(_FILES) == serialised
    assert serialised.size == len(serialised.details) + len(serialised.sources)


def test_serialised_versions_are_bounded_by_bytes() -> None:
    cache = SerialisedVersions(limit_bytes=100)
    for n in range(5):
        cache.put((f"v{n}", "h"), SerialisedFiles(b"[" + b"1" * 10 + b"]", b"[]"))  # 14 bytes each
    assert all(cache.get((f"v{n}", "h")) is not None for n in range(5))
    cache.put(("v5", "h"), SerialisedFiles(b"[" + b"1" * 20 + b"]", b"[]"))  # 24 bytes: 94 in all, still fits
    cache.put(("v6", "h"), SerialisedFiles(b"[" + b"1" * 20 + b"]", b"[]"))  # 24 more: the two oldest go
    assert cache.get(("v0", "h")) is None and cache.get(("v1", "h")) is None and cache.get(("v6", "h")) is not None
    cache.put(("huge", "h"), SerialisedFiles(b"[" + b"1" * 30 + b"]", b"[]"))  # over a quarter of the limit
    assert cache.get(("huge", "h")) is None


def test_chat_bodies_keep_the_newest_stamp_and_are_bounded_by_bytes() -> None:
    cache = ChatBodies(limit_bytes=100)
    stamp = store.ChatStamp(3, "v1", "completed", True)
    cache.put("c1", stamp, b"x" * 20)
    assert cache.get("c1", stamp) == b"x" * 20
    assert cache.get("c1", stamp._replace(revision=4)) is None  # any other stamp misses
    assert cache.get("c1", stamp._replace(version_id="v2")) is None
    assert cache.get("c1", stamp._replace(writable=False)) is None  # bodies differ by permission
    cache.put("c1", stamp._replace(revision=2), b"old")  # an older reading does not replace a newer one
    assert cache.get("c1", stamp) == b"x" * 20
    cache.put("c1", stamp._replace(revision=5), b"y" * 20)  # a newer one does, and frees the older's bytes
    assert cache.get("c1", stamp) is None and cache.get("c1", stamp._replace(revision=5)) == b"y" * 20
    cache.put("c2", stamp._replace(version_status="pending"), b"p")  # a pending version's body is never kept
    assert cache.get("c2", stamp._replace(version_status="pending")) is None
    for n in range(2, 6):
        cache.put(f"c{n}", stamp, b"z" * 20)  # 100 bytes in all: still fits
    assert cache.get("c1", stamp._replace(revision=5)) is not None
    cache.put("c6", stamp, b"z" * 20)  # the least recently used (c2) goes
    assert cache.get("c2", stamp) is None and cache.get("c6", stamp) is not None
    cache.put("big", stamp, b"b" * 26)  # over a quarter of the limit: not kept
    assert cache.get("big", stamp) is None


async def test_get_chat_serves_what_the_dict_renderer_renders(client: httpx.AsyncClient, runtime: Any, other_key: str, v1_views: Any) -> None:
    files = [{"name": "app/page.tsx", "content": "one “two” 🚀"}, {"name": "lib/util.ts", "content": "util", "locked": True}]
    chat = conformance.v1("chats.init", await client.post("/v1/chats/init", json={"type": "files", "files": files, "metadata": {"k": "v"}}))
    url = f"/v1/chats/{chat['id']}"
    await client.patch(f"{url}/versions/{chat['latestVersion']['id']}", json={"files": [{"name": "app/page.tsx", "content": "two"}]})
    caller = Caller("default", None, "test")

    async def expected() -> bytes:
        async with runtime.db.session() as session:
            return to_json(await V1Views(runtime).chat_detail(session, await store.chat_for(session, caller, chat["id"])))

    for _ in range(2):  # the second read is the cached body (the first spliced in the cached lists)
        response = await client.get(url)
        conformance.v1("chats.getById", response)
        assert response.headers["content-type"] == "application/json"
        assert response.content == await expected()
    stamp = await store.chat_stamp(runtime.db, caller, chat["id"])
    assert stamp.version_status == "completed" and stamp.writable
    assert v1_views.bodies.get(chat["id"], stamp) == response.content

    # A generation in progress: its pending version is what a reader sees, with the parent's files, never cached.
    async with runtime.db.session() as session:
        row = await session.get(Chat, chat["id"])
        pending = await store.add_version(session, runtime.blobs, row, None, status="pending", parent_id=row.latest_version_id)
        message = await store.add_message(session, row, role="assistant", status="running", type="message")
        message.raw, message.experimental_content = "partial ```", [[0, [{"type": "text", "value": "x"}]]]
        message.attachments = [{"url": "https://example.com/a.png", "size": 5, "contentType": "image/png"}]
        await session.commit()
    for _ in range(2):
        response = await client.get(url)
        got = conformance.v1("chats.getById", response)
        assert got["latestVersion"]["id"] == pending.id and got["latestVersion"]["status"] == "pending" and "demo" not in got
        assert {f["name"]: f["content"] for f in got["latestVersion"]["files"]} == {"app/page.tsx": "two", "lib/util.ts": "util"}
        assert response.content == await expected()
    stamp = await store.chat_stamp(runtime.db, caller, chat["id"])
    assert stamp.version_id == pending.id and v1_views.bodies.get(chat["id"], stamp) is None

    async with runtime.db.session() as session:
        reading = await store.chat_for(session, caller, chat["id"], shown=True)
        row = await session.get(Chat, chat["id"])
        assert reading.shown is not None and reading.shown.id == (await store.latest_version(session, row)).id
        assert (reading.revision, reading.shown.id, reading.shown.status, reading.writable) == stamp

    stranger = {"Authorization": f"Bearer {other_key}"}
    conformance.v1_error(await client.get(url, headers=stranger), 404, "not_found_error")
    conformance.v1_error(await client.get("/v1/chats/nope"), 404, "not_found_error")
    await client.patch(url, json={"privacy": "public"})
    shared = await client.get(url, headers=stranger)
    assert conformance.v1("chats.getById", shared)["permissions"] == {"write": False}


def _iso_reference(moment: datetime) -> str:
    """`iso` written plainly: the UTC moment, a four-digit year, milliseconds truncated, Z."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    utc = moment.astimezone(timezone.utc)
    return f"{utc.year:04d}" + utc.strftime("-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def test_iso_writes_the_form_the_spec_accepts() -> None:
    rng = random.Random(5)
    zones = [None, timezone.utc, timezone(timedelta(0)), timezone(timedelta(hours=-5, minutes=-30)), timezone(timedelta(hours=14))]
    for _ in range(5000):
        moment = datetime(
            rng.choice((rng.randint(2, 9998), rng.randint(1990, 2100))), rng.randint(1, 12), rng.randint(1, 28),
            rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59), rng.choice((0, 999, 1000, 999999, rng.randint(0, 999999))),
        )
        zone = rng.choice(zones + [timezone(timedelta(seconds=rng.randint(-50000, 50000)))])
        moment = moment.replace(tzinfo=zone)
        assert iso(moment) == _iso_reference(moment), moment
    assert iso(datetime(2026, 1, 2, 3, 4, 5, 6789)) == "2026-01-02T03:04:05.006Z"
    assert iso(datetime(261, 1, 28, 3, 56, 19)) == "0261-01-28T03:56:19.000Z"  # the spec's pattern wants four digits
