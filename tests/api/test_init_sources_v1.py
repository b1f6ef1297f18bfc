"""v1 `chats.init` from every import source, served for real from 127.0.0.1: a git repository, a zip, a
registry item with a dependency, a template and files by URL (v2's from-zip/from-repo share the same path)."""

from __future__ import annotations

import base64
import io
import json
import os
import subprocess
import zipfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests import conformance
from tests.conftest import API_KEY
from tests.sources.test_fetch import LocalServer, send
from tests.sources.test_repo import GIT_ENV, GitHttpServer, git
from vzero.app import create_app
from vzero.config import Settings
from vzero.sources.templates import load_template

PNG = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" + bytes(32)
HERO = PNG + bytes(range(256)) * 400  # 100 KiB
MAIN_PAGE = "export default function Page() { return <h1>main</h1> }\n"
LOGIN_PAGE = "export default function Page() { return <form>login</form> }\n"


@pytest.fixture
def settings(tmp_path: Path, database_url: str | None) -> Settings:
    """The usual test settings, with loopback URLs allowed: every source here is served from 127.0.0.1."""
    return Settings(
        data_dir=tmp_path / "data", database_url=database_url, api_key=API_KEY, public_url="http://testserver",
        allow_private_urls=True,
    )


@pytest.fixture(scope="module")
def repo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GitHttpServer]:
    """A repository with `main` and a `feature/login` branch, a binary file, a lock file and node_modules."""
    base = tmp_path_factory.mktemp("init-git")
    work = base / "work"
    work.mkdir()
    git(work, "init", "-q", "-b", "main")
    (work / "app").mkdir()
    (work / "app/page.tsx").write_text(MAIN_PAGE)
    (work / "package.json").write_text('{"name": "shop", "dependencies": {"next": "15.0.0"}}\n')
    (work / "package-lock.json").write_text('{"lockfileVersion": 3}\n')
    (work / "public").mkdir()
    (work / "public/logo.png").write_bytes(PNG)
    (work / "node_modules/next").mkdir(parents=True)
    (work / "node_modules/next/index.js").write_text("module.exports = {}\n")
    git(work, "add", "-A", "-f")
    git(work, "commit", "-q", "-m", "main")
    git(work, "checkout", "-q", "-b", "feature/login")
    (work / "app/page.tsx").write_text(LOGIN_PAGE)
    (work / "app/login").mkdir()
    (work / "app/login/actions.ts").write_text("export async function login() {}\n")
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "login")
    git(work, "checkout", "-q", "main")
    root = base / "srv"
    root.mkdir()
    env = {**os.environ, **GIT_ENV}
    subprocess.run(["git", "clone", "-q", "--bare", str(work), str(root / "shop.git")], check=True, env=env, capture_output=True)
    server = GitHttpServer(root)
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()


def github_style_zip() -> bytes:
    """What GitHub's "Download ZIP" gives: one wrapper folder, plus litter an importer must drop."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("shop-main/app/page.tsx", MAIN_PAGE)
        archive.writestr("shop-main/components/ui/card.tsx", "export const Card = () => null\n")
        archive.writestr("shop-main/public/logo.png", PNG)
        archive.writestr("shop-main/node_modules/react/index.js", "module.exports = {}\n")
        archive.writestr("shop-main/.next/cache/x", "cache")
        archive.writestr("__MACOSX/shop-main/._page.tsx", "litter")
    return buffer.getvalue()


def registry_item(name: str, kind: str, files: list[dict[str, str]], **extra: Any) -> bytes:
    return json.dumps({"$schema": "https://ui.shadcn.com/schema/registry-item.json", "name": name, "type": kind, "files": files, **extra}).encode()


@pytest.fixture(scope="module")
def web_server() -> Iterator[LocalServer]:
    """Serves the zip, the registry items (the dependency by bare name, beside its parent) and a raw file."""
    server = LocalServer()
    archive = github_style_zip()
    login_form = registry_item(
        "login-form", "registry:block",
        [{"path": "registry/blocks/login-form.tsx", "content": "import { cn } from '@/lib/utils'\nexport function LoginForm() { return null }\n", "type": "registry:component"}],
        dependencies=["zod@^3.23.0"], registryDependencies=["utils"],
    )
    utils = registry_item(
        "utils", "registry:lib",
        [{"path": "registry/lib/utils.ts", "content": "export function cn(...c: string[]) { return c.join(' ') }\n", "type": "registry:lib"}],
        dependencies=["clsx"],
    )
    server.routes.update({
        "/shop.zip": lambda h: send(h, archive, Content_Type="application/zip"),
        "/r/login-form.json": lambda h: send(h, login_form, Content_Type="application/json"),
        "/r/utils.json": lambda h: send(h, utils, Content_Type="application/json"),
        "/raw/globals.css": lambda h: send(h, b"body { margin: 0 }\n", Content_Type="text/css"),
        "/raw/logo.png": lambda h: send(h, PNG, Content_Type="image/png"),
    })
    yield server
    server.close()


def files_of(chat: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The chat's latest files by name; ChatDetail.files and latestVersion.files must agree on names."""
    version_files = {f["name"]: f for f in chat["latestVersion"]["files"]}
    assert {f["meta"]["file"] for f in chat["files"]} == set(version_files)
    return version_files


async def init(client: httpx.AsyncClient, body: dict[str, Any]) -> dict[str, Any]:
    return conformance.v1("chats.init", await client.post("/v1/chats/init", json=body))  # type: ignore[no-any-return]


async def test_init_from_a_repository_branch_with_every_file_locked(client: httpx.AsyncClient, repo_server: GitHttpServer) -> None:
    chat = await init(client, {
        "type": "repo", "repo": {"url": repo_server.url("/shop.git"), "branch": "feature/login"}, "lockAllFiles": True,
        "name": "shop",
    })
    files = files_of(chat)
    assert set(files) == {"app/page.tsx", "app/login/actions.ts", "package.json", "package-lock.json", "public/logo.png"}
    assert files["app/page.tsx"]["content"] == LOGIN_PAGE
    assert all(f["locked"] is True for f in files.values())
    assert files["public/logo.png"]["content"] == "data:image/png;base64," + base64.b64encode(PNG).decode()
    assert chat["name"] == "shop" and chat["latestVersion"]["status"] == "completed"
    again = conformance.v1("chats.getVersion", await client.get(f"/v1/chats/{chat['id']}/versions/{chat['latestVersion']['id']}"))
    assert {f["name"]: f["locked"] for f in again["files"]} == {name: True for name in files}


async def test_init_from_a_repository_default_branch_unlocked(client: httpx.AsyncClient, repo_server: GitHttpServer) -> None:
    chat = await init(client, {"type": "repo", "repo": {"url": repo_server.url("/shop.git")}})
    files = files_of(chat)
    assert files["app/page.tsx"]["content"] == MAIN_PAGE and "app/login/actions.ts" not in files
    assert not any(name.startswith("node_modules/") for name in files)
    assert all(f["locked"] is False for f in files.values())


async def test_init_from_a_missing_branch_is_a_clear_422(client: httpx.AsyncClient, repo_server: GitHttpServer) -> None:
    response = await client.post("/v1/chats/init", json={"type": "repo", "repo": {"url": repo_server.url("/shop.git"), "branch": "nope"}})
    body = conformance.v1_error(response, 422, "unprocessable_entity_error")
    assert "nope" in body["error"]["message"]


async def test_init_from_a_zip_unwraps_filters_and_locks(client: httpx.AsyncClient, web_server: LocalServer) -> None:
    chat = await init(client, {"type": "zip", "zip": {"url": web_server.url("/shop.zip")}, "lockAllFiles": True})
    files = files_of(chat)
    assert set(files) == {"app/page.tsx", "components/ui/card.tsx", "public/logo.png"}
    assert files["app/page.tsx"]["content"] == MAIN_PAGE
    assert files["public/logo.png"]["content"].startswith("data:image/png;base64,")
    assert all(f["locked"] is True for f in files.values())
    unlocked = files_of(await init(client, {"type": "zip", "zip": {"url": web_server.url("/shop.zip")}, "lockAllFiles": False}))
    assert all(f["locked"] is False for f in unlocked.values())


async def test_init_from_a_registry_item_resolves_its_dependency(client: httpx.AsyncClient, web_server: LocalServer) -> None:
    chat = await init(client, {"type": "registry", "registry": {"url": web_server.url("/r/login-form.json")}, "lockAllFiles": True})
    files = files_of(chat)
    assert set(files) == {"components/login-form.tsx", "lib/utils.ts", "package.json"}
    assert "LoginForm" in files["components/login-form.tsx"]["content"]
    assert "export function cn" in files["lib/utils.ts"]["content"]
    manifest = json.loads(files["package.json"]["content"])
    assert manifest["dependencies"] == {"clsx": "latest", "zod": "^3.23.0"}
    assert all(f["locked"] is True for f in files.values())


async def test_init_from_the_nextjs_starter_template(client: httpx.AsyncClient) -> None:
    chat = await init(client, {"type": "template", "templateId": "nextjs-starter", "chatPrivacy": "unlisted"})
    files = files_of(chat)
    shipped = {f.path: f.content for f in load_template("nextjs-starter")}
    assert set(files) == set(shipped)
    assert {"package.json", "app/page.tsx", "app/layout.tsx"} <= set(files)
    assert files["package.json"]["content"].encode() == shipped["package.json"]
    assert chat["privacy"] == "unlisted"


async def test_template_init_takes_no_lock_all_files_as_the_spec_says(client: httpx.AsyncClient) -> None:
    # The spec's template variant has no lockAllFiles (and closes its properties), so it is refused, not ignored.
    response = await client.post("/v1/chats/init", json={"type": "template", "templateId": "nextjs-starter", "lockAllFiles": True})
    conformance.v1_error(response, 422, "unprocessable_entity_error")
    unknown = await client.post("/v1/chats/init", json={"type": "template", "templateId": "no-such-template"})
    assert "nextjs-starter" in conformance.v1_error(unknown, 422)["error"]["message"]


async def test_init_from_files_given_by_url_and_inline(client: httpx.AsyncClient, web_server: LocalServer) -> None:
    chat = await init(client, {"type": "files", "files": [
        {"name": "app/globals.css", "url": web_server.url("/raw/globals.css"), "locked": True},
        {"name": "public/logo.png", "url": web_server.url("/raw/logo.png")},
        {"name": "app/page.tsx", "content": MAIN_PAGE},
        {"name": "public/hero.png", "url": "data:image/png;base64," + base64.b64encode(HERO).decode()},
    ]})
    files = files_of(chat)
    assert files["app/globals.css"]["content"] == "body { margin: 0 }\n" and files["app/globals.css"]["locked"] is True
    assert files["public/logo.png"]["content"] == "data:image/png;base64," + base64.b64encode(PNG).decode()
    assert files["app/page.tsx"]["locked"] is False
    # A data: URI is a whole file in the URL, so it may be far longer than any http(s) URL.
    assert files["public/hero.png"]["content"] == "data:image/png;base64," + base64.b64encode(HERO).decode()


async def test_v2_imports_share_the_same_sources(client: httpx.AsyncClient, web_server: LocalServer, repo_server: GitHttpServer) -> None:
    zipped = conformance.v2("chats.createFromZip", await client.post("/v2/chats/from-zip", json={"url": web_server.url("/shop.zip")}))
    files = conformance.v2("chats.getFiles", await client.get(f"/v2/chats/{zipped['chat']['id']}/files"))
    by_path = {f["path"]: f for f in files["files"]}
    assert set(by_path) == {"app/page.tsx", "components/ui/card.tsx", "public/logo.png"}
    assert by_path["public/logo.png"]["encoding"] == "base64" and base64.b64decode(by_path["public/logo.png"]["content"]) == PNG
    cloned = conformance.v2("chats.createFromRepo", await client.post(
        "/v2/chats/from-repo", json={"repo": {"url": repo_server.url("/shop.git"), "branch": "feature/login"}}
    ))
    files = conformance.v2("chats.getFiles", await client.get(f"/v2/chats/{cloned['chat']['id']}/files"))
    assert "app/login/actions.ts" in {f["path"] for f in files["files"]}


@pytest.fixture
async def strict_client(tmp_path: Path, database_url: str | None) -> AsyncIterator[httpx.AsyncClient]:
    """A client on an app with the DEFAULT settings: private and loopback URLs are refused."""
    app = create_app(Settings(data_dir=tmp_path / "strict", database_url=database_url, api_key=API_KEY, public_url="http://testserver"))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver", headers={"Authorization": f"Bearer {API_KEY}"}) as c:
            yield c


@pytest.mark.parametrize("source", ["files", "repo", "zip", "registry"])
async def test_default_settings_refuse_loopback_sources(
    strict_client: httpx.AsyncClient, web_server: LocalServer, repo_server: GitHttpServer, source: str
) -> None:
    web_server.seen.clear()
    repo_server.requests.clear()
    body = {
        "files": {"type": "files", "files": [{"name": "a.css", "url": web_server.url("/raw/globals.css")}]},
        "repo": {"type": "repo", "repo": {"url": repo_server.url("/shop.git")}},
        "zip": {"type": "zip", "zip": {"url": web_server.url("/shop.zip")}},
        "registry": {"type": "registry", "registry": {"url": web_server.url("/r/login-form.json")}},
    }[source]
    response = await strict_client.post("/v1/chats/init", json=body)
    message = conformance.v1_error(response, 422, "unprocessable_entity_error")["error"]["message"]
    assert "loopback" in message and "VZERO_ALLOW_PRIVATE_URLS" in message
    assert web_server.seen == [] and repo_server.requests == []  # refused before any connection
    listed = conformance.v1("chats.find", await strict_client.get("/v1/chats"))
    assert listed["data"] == []
