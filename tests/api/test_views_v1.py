"""v1 views: rendered files of completed versions are cached, and never served stale."""

from __future__ import annotations

import httpx

from tests import conformance
from vzero.api.v1.render import RenderedFiles, render_files
from vzero.api.v1.views import RenderedVersions
from vzero.core.files import FileEntry, FileSet


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
