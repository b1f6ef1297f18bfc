"""lockAllFiles holding through a generation: the model rewrites an imported, locked file and adds a new one."""

from __future__ import annotations

import io
import os
import subprocess
import zipfile
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests import conformance
from tests.fakes import FakeOpenAIServer, FakeReply
from tests.sources.test_fetch import LocalServer, send
from tests.sources.test_repo import GIT_ENV, GitHttpServer, git
from vzero.config import Settings

PAGE = "export default function Page() { return <h1>Imported</h1> }\n"
DATA = "export const prices = [1, 2, 3]\n"
REPLY = """<Thinking>Change the prices and add a banner.</Thinking>

<CodeProject id="shop">

```ts file="lib/data.ts"
export const prices = [0, 0, 0]
```

```tsx file="components/banner.tsx"
export function Banner() { return <p>Sale</p> }
```

</CodeProject>

I zeroed the prices and added a banner."""


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The engine's settings (fake model), with loopback sources allowed: the imports are served from 127.0.0.1."""
    return settings.model_copy(update={"allow_private_urls": True})


@pytest.fixture(scope="module")
def zip_server() -> Iterator[LocalServer]:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("shop/app/page.tsx", PAGE)
        archive.writestr("shop/lib/data.ts", DATA)
    server = LocalServer()
    server.routes["/shop.zip"] = lambda h: send(h, buffer.getvalue(), Content_Type="application/zip")
    yield server
    server.close()


@pytest.fixture(scope="module")
def repo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GitHttpServer]:
    base = tmp_path_factory.mktemp("locked-git")
    work = base / "work"
    (work / "app").mkdir(parents=True)
    (work / "lib").mkdir()
    git(work, "init", "-q", "-b", "main")
    (work / "app/page.tsx").write_text(PAGE)
    (work / "lib/data.ts").write_text(DATA)
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "shop")
    (base / "srv").mkdir()
    subprocess.run(
        ["git", "clone", "-q", "--bare", str(work), str(base / "srv/shop.git")],
        check=True, capture_output=True, env={**os.environ, **GIT_ENV},
    )
    server = GitHttpServer(base / "srv")
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()


def files_by_name(chat: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["name"]: f for f in chat["latestVersion"]["files"]}


@pytest.mark.parametrize("source", ["zip", "repo"])
async def test_locked_import_survives_a_generation_that_rewrites_it(
    client: httpx.AsyncClient, fake_model: FakeOpenAIServer, zip_server: LocalServer, repo_server: GitHttpServer, source: str
) -> None:
    body: dict[str, Any] = (
        {"type": "zip", "zip": {"url": zip_server.url("/shop.zip")}}
        if source == "zip"
        else {"type": "repo", "repo": {"url": repo_server.url("/shop.git"), "branch": "main"}}
    )
    chat = conformance.v1("chats.init", await client.post("/v1/chats/init", json={**body, "lockAllFiles": True}))
    imported = files_by_name(chat)
    assert {name: f["locked"] for name, f in imported.items()} == {"app/page.tsx": True, "lib/data.ts": True}

    fake_model.enqueue(FakeReply(text=REPLY, chunk_size=9))
    updated = conformance.v1(
        "chats.sendMessage", await client.post(f"/v1/chats/{chat['id']}/messages", json={"message": "zero the prices, add a banner"})
    )
    files = files_by_name(updated)
    assert files["lib/data.ts"]["content"] == DATA and files["lib/data.ts"]["locked"] is True
    assert files["app/page.tsx"]["content"] == PAGE and files["app/page.tsx"]["locked"] is True
    assert files["components/banner.tsx"]["content"].strip() == "export function Banner() { return <p>Sale</p> }"
    assert files["components/banner.tsx"]["locked"] is False
    assert updated["latestVersion"]["id"] != chat["latestVersion"]["id"]
    reply = updated["messages"][-1]
    assert reply["role"] == "assistant" and reply["finishReason"] == "stop"
    assert "Skipped lib/data.ts" in reply["content"] and "locked" in reply["content"]

    system = fake_model.requests[-1].body["messages"][0]["content"]
    assert "LOCKED" in system and "lib/data.ts" in system and "app/page.tsx" in system

    version = conformance.v1(
        "chats.getVersion", await client.get(f"/v1/chats/{chat['id']}/versions/{updated['latestVersion']['id']}")
    )
    assert {f["name"]: f["locked"] for f in version["files"]} == {
        "app/page.tsx": True, "lib/data.ts": True, "components/banner.tsx": False,
    }
