"""The preview routes on the app: demoUrl pages built on first view, headers, errors recorded on the version."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fake_registry import FakeRegistry
from preview_apps import COUNTER_APP, require_runtime

from tests import conformance
from tests.conftest import API_KEY
from vzero.api.hosts import preview_csp
from vzero.config import Settings
from vzero.preview import PreviewBuilder, preview_headers
from vzero.preview.packages import PackagePolicy
from vzero.preview.page import script_hash
from vzero.preview.screenshots import find_chromium
from vzero.preview.service import MAX_ERRORS, PreviewService
from vzero.store import chats as chat_store
from vzero.store.tables import Chat, Version

BROKEN_PAGE = b'''import { FancyCard } from "@/components/ui/fancy-card"

export default function Page() {
  return <FancyCard>hello</FancyCard>
}
'''


@pytest.fixture
def settings(tmp_path: Path, database_url: str | None) -> Settings:
    return Settings(
        data_dir=tmp_path / "data", database_url=database_url, api_key=API_KEY, public_url="http://testserver",
        preview_runtime_dir=require_runtime(), screenshots=False,
    )


@pytest.fixture
async def anonymous(app: object) -> AsyncIterator[httpx.AsyncClient]:
    """A client with no API key: preview URLs are capabilities and need none."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as c:  # type: ignore[arg-type]
        yield c


def expected_headers(runtime: Any, script_hashes: list[str] | None = None) -> dict[str, str]:
    """preview_headers() as the app sends them: framed by the workspace, sandboxed on its host (vzero/api/hosts.py)."""
    headers = preview_headers(script_hashes or [])
    return {**headers, "Content-Security-Policy": preview_csp(runtime.settings.origins, headers["Content-Security-Policy"])}


def service_of(services: Any) -> PreviewService:
    return services.previews  # type: ignore[no-any-return]


def path_of(url: str) -> str:
    assert url.startswith("http://testserver/"), url
    return url[len("http://testserver"):]


async def init_chat(client: httpx.AsyncClient, files: dict[str, bytes], **extra: Any) -> dict[str, Any]:
    body = {"type": "files", "files": [{"name": k, "content": v.decode()} for k, v in files.items()], **extra}
    return conformance.v1("chats.init", await client.post("/v1/chats/init", json=body))


async def test_demo_url_serves_the_built_page(client: httpx.AsyncClient, anonymous: httpx.AsyncClient, runtime: Any, services: Any) -> None:
    chat = await init_chat(client, COUNTER_APP)
    demo = path_of(chat["latestVersion"]["demoUrl"])
    assert demo == f"/preview/{chat['id']}/{chat['latestVersion']['id']}/"
    page = await anonymous.get(demo)
    assert page.status_code == 200 and page.headers["content-type"] == "text/html; charset=utf-8"
    # The page's one inline script, its import map (next/font/google's Inter), is allowed by its hash.
    import_map = page.text.split('<script type="importmap">')[1].split("</script>")[0]
    for key, value in expected_headers(runtime, [script_hash(import_map)]).items():
        assert page.headers[key] == value
    font = json.loads(import_map)["imports"]["@vzero/font/Inter"]
    assert (await anonymous.get(demo + font.removeprefix("./"))).headers["content-type"].startswith("text/javascript")
    assert "set-cookie" not in page.headers and "x-vzero-build" not in page.headers
    assert '<script type="module" src="./app.js"></script>' in page.text
    script = await anonymous.get(demo + "app.js")
    assert script.status_code == 200 and script.headers["content-type"].startswith("text/javascript")
    assert b"Increment" in script.content
    assert (await anonymous.get(demo + "vendor/react.js")).status_code == 200
    assert (await anonymous.get(demo + "logo.svg")).content.startswith(b"<svg")  # public/ files at the preview's root
    placeholder = await anonymous.get(demo + "placeholder.svg", params={"height": 40, "width": 40})
    assert placeholder.status_code == 200 and placeholder.headers["content-type"] == "image/svg+xml"
    # revalidation answers 304 with the same headers and no body
    again = await anonymous.get(demo, headers={"If-None-Match": page.headers["etag"]})
    assert again.status_code == 304 and again.content == b"" and again.headers["content-security-policy"]
    # viewing it twice (and loading its files) built it once
    stats = service_of(services).stats
    assert stats["builds"] == 1 and stats["cache_hits"] >= 4
    # the folder URL without its slash redirects relatively, keeping the query (the v2 preview token)
    bare = await anonymous.get(demo.rstrip("/"), params={"token": "t"})
    assert bare.status_code == 308 and bare.headers["location"] == f"./{chat['latestVersion']['id']}/?token=t"


async def test_v2_preview_url_is_the_same_page(client: httpx.AsyncClient, anonymous: httpx.AsyncClient, runtime: Any) -> None:
    chat = await init_chat(client, COUNTER_APP)
    preview = (await client.get(f"/v2/chats/{chat['id']}/preview")).json()
    assert preview["url"] == chat["latestVersion"]["demoUrl"]
    page = await anonymous.get(path_of(preview["url"]), params={"token": preview["token"]})
    assert page.status_code == 200 and "./app.js" in page.text


async def test_preview_addresses_must_match(client: httpx.AsyncClient, anonymous: httpx.AsyncClient, runtime: Any, services: Any) -> None:
    first = await init_chat(client, COUNTER_APP)
    second = await init_chat(client, {"app/page.tsx": b"export default function Page() { return <p>two</p> }\n"})
    version = first["latestVersion"]["id"]
    for path in (
        f"/preview/{second['id']}/{version}/",  # a version of another chat
        f"/preview/{first['id']}/NoSuchVersion1/",
        f"/preview/{first['id']}/{version}/missing.js",
        f"/preview/{first['id']}/{version}/vendor/..%2F..%2Fpackage.json",
        f"/preview/{first['id']}/{version}/..%2F..%2Fetc/passwd",
        "/preview/bad$id/x/",
    ):
        response = await anonymous.get(path)
        assert response.status_code == 404, path
        assert response.headers["content-security-policy"] == expected_headers(runtime)["Content-Security-Policy"]
    assert service_of(services).stats["builds"] == 1  # only the real version was built


async def test_pending_version_asks_to_wait(client: httpx.AsyncClient, anonymous: httpx.AsyncClient, runtime: Any) -> None:
    chat = await init_chat(client, COUNTER_APP)
    async with runtime.db.session() as session:
        row = await session.get(Chat, chat["id"])
        pending = await chat_store.add_version(session, runtime.blobs, row, None, status="pending")
        await session.commit()
    response = await anonymous.get(f"/preview/{chat['id']}/{pending.id}/")
    assert response.status_code == 503 and response.headers["retry-after"] == "3"
    assert '<meta http-equiv="refresh" content="3">' in response.text and "still being generated" in response.text


async def test_failed_build_shows_and_records_its_errors(client: httpx.AsyncClient, anonymous: httpx.AsyncClient, runtime: Any) -> None:
    chat = await init_chat(client, {**COUNTER_APP, "app/page.tsx": BROKEN_PAGE})
    demo = path_of(chat["latestVersion"]["demoUrl"])
    page = await anonymous.get(demo)
    assert page.status_code == 200 and page.headers["x-vzero-build"] == "failed"
    embedded = json.loads(page.text.split('id="vzero-build-errors">')[1].split("</script>")[0])
    assert embedded[0]["file"] == "app/page.tsx" and "fancy-card" in embedded[0]["message"]
    assert "./app.js" not in page.text and "./vendor/overlay.js" in page.text
    await anonymous.get(demo)
    async with runtime.db.session() as session:
        version = await session.get(Version, chat["latestVersion"]["id"])
        assert version is not None
    assert len(version.errors) == 1  # viewing twice records the build's errors once
    error = version.errors[0]
    assert error["source"] == "build" and error["file"] == "app/page.tsx" and error["line"] == 1 and "fancy-card" in error["message"]
    # the page's own report of the build error adds nothing: the server located it already
    posted = await anonymous.post(demo + "__errors", json={"message": "app/page.tsx:1:26: " + error["message"], "stack": "", "source": "build"})
    assert posted.status_code == 204
    async with runtime.db.session() as session:
        assert len((await session.get(Version, version.id)).errors) == 1  # type: ignore[union-attr]


async def errors_of(runtime: Any, version_id: str) -> list[dict[str, Any]]:
    async with runtime.db.session() as session:
        version = await session.get(Version, version_id)
        assert version is not None
        return list(version.errors)


async def test_runtime_error_reports_are_validated_and_capped(client: httpx.AsyncClient, anonymous: httpx.AsyncClient, runtime: Any) -> None:
    chat = await init_chat(client, COUNTER_APP)
    version = chat["latestVersion"]["id"]
    url = path_of(chat["latestVersion"]["demoUrl"]) + "__errors"
    report = {"message": "Cannot read properties of null (reading 'boom')", "stack": "TypeError: ...\n    at Page (app.js:3:9)", "source": "react"}
    assert (await anonymous.post(url, json=report)).status_code == 204
    assert (await anonymous.post(url, json=report)).status_code == 204  # a repeat is not stored again
    stored = await errors_of(runtime, version)
    assert [(e["source"], e["message"]) for e in stored] == [("react", report["message"])] and "at Page" in stored[0]["stack"]

    huge = {"message": "x" * 10_000, "stack": "y" * 20_000, "source": "window"}
    assert (await anonymous.post(url, json=huge)).status_code == 204
    cut = (await errors_of(runtime, version))[-1]
    assert len(cut["message"]) == 2000 and len(cut["stack"]) == 8000  # cut to size
    assert (await anonymous.post(url, content=b"{" + b" " * 40_000 + b"}", headers={"content-type": "application/json"})).status_code == 413
    for bad in ({"message": "m", "source": "sql"}, {"message": "", "source": "window"}, {"message": 3, "source": "window"}, ["m"]):
        assert (await anonymous.post(url, json=bad)).status_code == 422, bad
    refused = await anonymous.post(url, content=json.dumps(report), headers={"content-type": "text/plain"})
    assert refused.status_code == 422  # a cross-site form or beacon cannot post reports
    assert (await anonymous.post(f"/preview/{chat['id']}/NoSuchVersion1/__errors", json=report)).status_code == 404

    for n in range(MAX_ERRORS + 5):
        await anonymous.post(url, json={"message": f"error {n}", "source": "promise"})
    assert len(await errors_of(runtime, version)) == MAX_ERRORS
    statuses = [(await anonymous.post(url, json={"message": "again", "source": "window"})).status_code for _ in range(40)]
    assert statuses[-1] == 429  # at most 30 reports a minute per version
    limited = await anonymous.post(url, json={"message": "again", "source": "window"})
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1


async def test_first_view_while_the_runtime_installs(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient, runtime: Any, monkeypatch: pytest.MonkeyPatch, services: Any
) -> None:
    service = service_of(services)
    release = asyncio.Event()
    installed = False

    async def slow_install(data_dir: Path, *, runtime_dir: Path | None = None) -> Path:
        nonlocal installed
        await release.wait()
        installed = True
        return service.runtime_dir

    monkeypatch.setattr("vzero.preview.service.is_installed", lambda path: installed)
    monkeypatch.setattr("vzero.preview.service.ensure_runtime", slow_install)
    chat = await init_chat(client, COUNTER_APP)
    demo = path_of(chat["latestVersion"]["demoUrl"])
    waiting = await anonymous.get(demo)
    assert waiting.status_code == 503 and "being installed" in waiting.text and '<meta http-equiv="refresh" content="5">' in waiting.text
    assert service.installing and service.stats["builds"] == 0
    assert (await anonymous.get(demo)).status_code == 503  # one install, however many views
    release.set()
    while service.installing:
        await asyncio.sleep(0.01)
    assert (await anonymous.get(demo)).status_code == 200


@pytest.mark.skipif(find_chromium() is None, reason="install Debian's chromium (apt-get install chromium) to take screenshots")
async def test_screenshot_of_a_version(settings: Settings, client: httpx.AsyncClient, anonymous: httpx.AsyncClient, runtime: Any, services: Any) -> None:
    service = service_of(services)
    service.chromium = find_chromium()  # the fixture turned screenshots off for the other tests
    chat = await init_chat(client, COUNTER_APP)
    version_url = f"/v1/chats/{chat['id']}/versions/{chat['latestVersion']['id']}"
    assert "screenshotUrl" not in conformance.v1("chats.getVersion", await client.get(version_url))
    assert (await anonymous.get(path_of(chat["latestVersion"]["demoUrl"]) + "__screenshot.png")).status_code == 404
    assert (await anonymous.get(path_of(chat["latestVersion"]["demoUrl"]))).status_code == 200
    await service.idle()
    assert service.stats["screenshots"] == 1
    version = conformance.v1("chats.getVersion", await client.get(version_url))
    shot = await anonymous.get(path_of(version["screenshotUrl"]))
    assert shot.status_code == 200 and shot.headers["content-type"] == "image/png"
    assert shot.content.startswith(b"\x89PNG\r\n\x1a\n") and len(shot.content) > 2000


async def test_public_env_vars_of_the_project_reach_the_preview(client: httpx.AsyncClient, anonymous: httpx.AsyncClient) -> None:
    env = [{"key": "NEXT_PUBLIC_GREETING", "value": "Hello from env"}, {"key": "SECRET_TOKEN", "value": "s3cret-value"}]
    project = conformance.v1("projects.create", await client.post("/v1/projects", json={"name": "p", "environmentVariables": env}))
    page = b'export default function Page() { return <p>{process.env.NEXT_PUBLIC_GREETING} {process.env.SECRET_TOKEN}</p> }\n'
    chat = await init_chat(client, {"app/page.tsx": page}, projectId=project["id"])
    script = await anonymous.get(path_of(chat["latestVersion"]["demoUrl"]) + "app.js")
    assert script.status_code == 200
    assert b"Hello from env" in script.content and b"s3cret-value" not in script.content  # only NEXT_PUBLIC_* is public


WIDGET_PAGE = b'''import Widget from "slow-widget"
export default function Page() { return <main>{Widget()}</main> }
'''


def with_registry(service: PreviewService, registry: FakeRegistry, packages: Path) -> PreviewBuilder:
    """Point the service's builder at a registry on 127.0.0.1 with its own package cache."""
    old = service.builder
    service.builder = PreviewBuilder(old.data_dir, runtime_dir=old.runtime_dir, packages_dir=packages, policy=PackagePolicy(registry=registry.url))
    return old


def widget_app() -> dict[str, bytes]:
    return {**COUNTER_APP, "app/page.tsx": WIDGET_PAGE, "package.json": b'{"dependencies": {"slow-widget": "^1.0.0"}}'}


async def test_a_view_waiting_for_packages_says_so(client: httpx.AsyncClient, anonymous: httpx.AsyncClient, runtime: Any, tmp_path: Path, services: Any) -> None:
    slow = FakeRegistry(delay=2.5)  # longer than a view waits for an install
    slow.publish("slow-widget", "1.0.0", {"index.js": "export default function Widget() { return 'a widget' }\n"})
    service = service_of(services)
    old = with_registry(service, slow, tmp_path / "packages")
    try:
        chat = await init_chat(client, widget_app())
        demo = path_of(chat["latestVersion"]["demoUrl"])
        waiting = await anonymous.get(demo)
        assert waiting.status_code == 503 and waiting.headers["retry-after"] == "3"
        assert re.search(r"Installing slow-widget(@1\.0\.0)? from the npm registry", waiting.text), waiting.text
        assert '<meta http-equiv="refresh" content="3">' in waiting.text
        for _ in range(100):
            page = await anonymous.get(demo)
            if page.status_code == 200:
                break
            await asyncio.sleep(0.1)
        assert page.status_code == 200 and '"slow-widget":"./vendor/npm/slow-widget@1.0.0/' in page.text
        assert slow.tarball_fetches("slow-widget") == 1  # the views shared one install
    finally:
        await old.aclose()
        slow.close()


async def test_a_deployment_keeps_the_packages_it_loads(client: httpx.AsyncClient, anonymous: httpx.AsyncClient, runtime: Any, tmp_path: Path, services: Any) -> None:
    registry = FakeRegistry()
    registry.publish("slow-widget", "1.0.0", {"index.js": "export default function Widget() { return 'a widget' }\n"})
    service = service_of(services)
    old = with_registry(service, registry, tmp_path / "packages")
    try:
        chat = await init_chat(client, widget_app())
        body = {"chatId": chat["id"], "versionId": chat["latestVersion"]["id"]}
        deployment = conformance.v1("deployments.create", await client.post("/v1/deployments", json=body))
        web = path_of(deployment["webUrl"])
        shutil.rmtree(tmp_path / "packages")  # the package cache evicts everything
        service.frozen._memory.clear()
        page = await anonymous.get(web)
        import_map = page.text.split('<script type="importmap">')[1].split("</script>")[0]
        assert script_hash(import_map) in page.headers["content-security-policy"]
        bundle = json.loads(import_map)["imports"]["slow-widget"]
        served = await anonymous.get(web + bundle.removeprefix("./"))
        assert served.status_code == 200 and b"a widget" in served.content
    finally:
        await old.aclose()
        registry.close()
