"""Attacks through the API: SSRF URLs (direct, by name, by redirect), escaping and exploding archives, endless
and dripping downloads, and malformed, mistyped, huge and too many inputs.

Every attack must end in a clear 4xx in the envelope of the dialect called, and afterwards the server is
healthy, no chat was created and nothing was left in the temp directory (vzero's import scratch space).
The app runs with the DEFAULT address policy (loopback/private refused); a test stands in for public DNS
by mapping names under `.attacker.test` to 127.0.0.1, which is how a real attacker's host would be reached.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import ipaddress
import json
import os
import stat
import subprocess
import tempfile
import time
import tracemalloc
import zipfile
import zlib
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests import conformance
from tests.conftest import API_KEY
from tests.fakes import FakeOpenAIServer
from tests.sources.test_archives import raw_zip, stored, zero_bomb
from tests.sources.test_fetch import LocalServer, redirect, send
from tests.sources.test_repo import GIT_ENV, GitHttpServer, git
from vzero.app import create_app
from vzero.config import Settings
from vzero.sources.fetch import SafeFetcher

MiB = 1024 * 1024
FETCH_TIMEOUT = 1.0
FETCH_MAX_BYTES = 8 * MiB
SECRET = b"root:x:0:0:TOP SECRET"
PAGE = b"export default function Page() { return null }\n"


# --- the stage: a fake model, a web server and a git server on 127.0.0.1 --------------------------------


@pytest.fixture(scope="module")
def model_server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer() as server:
        yield server


def make_settings(data_dir: Path, database_url: str | None, model_server: FakeOpenAIServer, **overrides: Any) -> Settings:
    """Default limits and address policy; a short fetch deadline and a smaller download cap keep the attacks quick."""
    return Settings(
        data_dir=data_dir, database_url=database_url, api_key=API_KEY, public_url="http://testserver",
        provider="openai", openai_api_key="sk-test", openai_base_url=model_server.base_url, model="fake-model",
        provider_retries=0, fetch_timeout=FETCH_TIMEOUT, fetch_max_bytes=FETCH_MAX_BYTES, **overrides,
    )


@pytest.fixture
def settings(tmp_path: Path, database_url: str | None, model_server: FakeOpenAIServer) -> Settings:
    return make_settings(tmp_path / "data", database_url, model_server)


@functools.cache
def bomb_zip(lying: bool = False) -> bytes:
    """One member of 1 GiB of zeros, about 1 MiB compressed; a lying one declares its size as 10 bytes."""
    name, payload, method, crc, size, mode = zero_bomb(1024)
    return raw_zip([(name, payload, method, crc, 10 if lying else size, mode)])


def drip(handler: BaseHTTPRequestHandler) -> None:
    """Promise a megabyte, then send one byte every 50 ms: far slower than any deadline allows."""
    handler.send_response(200)
    handler.send_header("Content-Length", str(MiB))
    handler.end_headers()
    for _ in range(400):
        handler.wfile.write(b"x")
        handler.wfile.flush()
        time.sleep(0.05)


def endless(handler: BaseHTTPRequestHandler) -> None:
    """A body with no declared length that never ends (until the client hangs up)."""
    handler.send_response(200)
    handler.send_header("Content-Type", "application/zip")
    handler.end_headers()
    chunk = b"PK\x03\x04" + bytes(MiB - 4)
    for _ in range(4096):  # 4 GiB at most; the client must stop long before
        handler.wfile.write(chunk)


def declared_huge(handler: BaseHTTPRequestHandler) -> None:
    handler.send_response(200)
    handler.send_header("Content-Length", str(10**12))
    handler.end_headers()
    handler.wfile.write(b"PK\x03\x04")


def registry_item(name: str, dependencies: list[str]) -> bytes:
    files = [{"path": f"registry/{name}.tsx", "content": "export {}\n", "type": "registry:component"}]
    return json.dumps({"name": name, "type": "registry:component", "files": files, "registryDependencies": dependencies}).encode()


@pytest.fixture(scope="module")
def web() -> Iterator[LocalServer]:
    server = LocalServer()
    port = server.port
    secret_targets = {
        "loopback": f"http://127.0.0.1:{port}/secret",
        "localhost": f"http://localhost:{port}/secret",
        "metadata": "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
        "private": "http://10.0.0.7/admin",
        "ipv6-mapped": f"http://[::ffff:127.0.0.1]:{port}/secret",
    }
    # Built once, not per request: under load, building 5,001 members took part of the 1 s fetch timeout.
    many_members = raw_zip([stored(f"f{n}.txt", b"") for n in range(5001)])
    bomb, lying_bomb = bomb_zip(), bomb_zip(lying=True)
    routes = {
        "/secret": lambda h: send(h, SECRET),
        "/page.tsx": lambda h: send(h, PAGE),
        "/drip": drip,
        "/endless": endless,
        "/declared-huge": declared_huge,
        "/bomb.zip": lambda h: send(h, bomb, Content_Type="application/zip"),
        "/lying-bomb.zip": lambda h: send(h, lying_bomb, Content_Type="application/zip"),
        "/dotdot.zip": lambda h: send(h, raw_zip([stored("app/page.tsx", PAGE), stored("../../etc/cron.d/evil", b"* * * * * root sh")])),
        "/backslash.zip": lambda h: send(h, raw_zip([stored("app/page.tsx", PAGE), stored("..\\..\\evil.txt", b"x")])),
        "/absolute.zip": lambda h: send(h, raw_zip([stored("app/page.tsx", PAGE), stored("/etc/passwd", b"x")])),
        "/symlink.zip": lambda h: send(h, raw_zip([stored("app/page.tsx", PAGE), stored("passwd", b"/etc/passwd", stat.S_IFLNK | 0o777)])),
        "/only-links.zip": lambda h: send(h, raw_zip([
            stored("passwd", b"/etc/passwd", stat.S_IFLNK | 0o777), stored("tty", b"", stat.S_IFCHR | 0o666),
        ])),
        "/many-members.zip": lambda h: send(h, many_members),
        "/not-a-zip.zip": lambda h: send(h, b"<html>surprise</html>", Content_Type="text/html"),
        "/r/root.json": lambda h: send(h, registry_item("root", ["utils"])),
        "/r/utils.json": lambda h: send(h, registry_item("utils", [])),
    }
    for name, target in secret_targets.items():
        routes[f"/redirect/{name}"] = redirect(target)
        routes[f"/r/dep-{name}.json"] = functools.partial(send, body=registry_item("evil", [target + ".json"]))
    server.routes.update(routes)
    yield server
    server.close()


@pytest.fixture(scope="module")
def repos(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GitHttpServer]:
    base = tmp_path_factory.mktemp("hostile-git")
    work = base / "work"
    work.mkdir()
    git(work, "init", "-q", "-b", "main")
    (work / "page.tsx").write_bytes(PAGE)
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "one")
    (base / "srv").mkdir()
    subprocess.run(["git", "clone", "-q", "--bare", str(work), str(base / "srv/app.git")], check=True, capture_output=True, env={**os.environ, **GIT_ENV})
    server = GitHttpServer(base / "srv")
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()


@pytest.fixture(autouse=True)
def public_dns_stand_in(monkeypatch: pytest.MonkeyPatch) -> None:
    """`*.attacker.test` plays a public host that lives at 127.0.0.1; every other name and address is checked for real."""
    real = SafeFetcher.vetted_addresses

    async def vetted(self: SafeFetcher, url: httpx.URL, *, action: str = "fetch") -> list[str]:
        if url.host.endswith(".attacker.test"):
            return ["127.0.0.1"]
        return await real(self, url, action=action)

    monkeypatch.setattr(SafeFetcher, "vetted_addresses", vetted)


@pytest.fixture(autouse=True)
def only_loopback_traffic(monkeypatch: pytest.MonkeyPatch) -> None:
    """Should a check ever let an address through, fail loudly instead of sending anything off this machine."""
    original = httpx.AsyncClient.send

    async def guarded(self: httpx.AsyncClient, request: httpx.Request, **kwargs: Any) -> httpx.Response:
        if request.url.host != "testserver":
            assert ipaddress.ip_address(request.url.host).is_loopback, f"vzero connected to {request.url.host}"
        return await original(self, request, **kwargs)

    monkeypatch.setattr(httpx.AsyncClient, "send", guarded)


@pytest.fixture(autouse=True)
def scratch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private temp directory, so a leftover of an import is seen (and other test runs' files are not)."""
    path = tmp_path / "tmp"
    path.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(path))
    return path


def public(server: LocalServer | GitHttpServer, path: str) -> str:
    return f"http://files.attacker.test:{server.port}{path}"


# --- what must hold after every attack ---------------------------------------------------------------


def data_files(settings: Settings) -> set[str]:
    """Files in the data directory, without the database's own journal files."""
    root = settings.data_dir
    found = {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}
    return {name for name in found if not name.endswith(("-wal", "-shm", "-journal"))}


@pytest.fixture
async def unharmed(client: httpx.AsyncClient, settings: Settings, scratch: Path, web: LocalServer) -> AsyncIterator[None]:
    """After the attack: healthy, no chat created, nothing left in temp, nothing new in the data dir, no secret read."""
    before_files = data_files(settings)
    before_chats = (await client.get("/v1/chats")).json()["data"]
    web.seen.clear()
    yield
    assert (await client.get("/healthz")).status_code == 200
    assert (await client.get("/v1/chats")).json()["data"] == before_chats
    assert list(scratch.iterdir()) == [], f"left in temp: {list(scratch.iterdir())}"
    assert data_files(settings) == before_files
    assert "/secret" not in web.paths()


@contextlib.asynccontextmanager
async def client_for(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """A client on a second app with other limits."""
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    headers = {"Authorization": f"Bearer {API_KEY}"}
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport, base_url="http://testserver", headers=headers) as c:
        yield c


async def init(client: httpx.AsyncClient, body: Any) -> httpx.Response:
    return await client.post("/v1/chats/init", json=body)


def refused(response: httpx.Response, status: int = 422, *words: str) -> str:
    """A v1 error that conforms to the spec's schema for that status, naming what was wrong."""
    conformance.v1("chats.init", response, status) if response.request.url.path == "/v1/chats/init" else None
    kind = {413: "payload_too_large_error", 422: "unprocessable_entity_error"}[status]
    message: str = conformance.v1_error(response, status, kind)["error"]["message"]
    for word in words:
        assert word in message, message
    return message


def v2_refused(response: httpx.Response, status: int, operation: str | None = None) -> str:
    """A v2 error: the flat envelope (and the official schema where the spec declares that status)."""
    assert response.status_code == status, response.text[:300]
    body = response.json()
    assert set(body) == {"message"} and body["message"], body
    if operation is not None:
        conformance.v2(operation, response, status)
    return body["message"]  # type: ignore[no-any-return]


# --- SSRF: private, loopback and metadata addresses --------------------------------------------------

DIRECT_URLS = {
    "loopback": "http://127.0.0.1:{port}/secret",
    "localhost": "http://localhost:{port}/secret",
    "loopback-short": "http://127.1:{port}/secret",
    "loopback-decimal": "http://2130706433:{port}/secret",
    "octal-loopback": "http://0177.0.0.1:{port}/secret",  # httpx refuses the spelling itself
    "ipv6-loopback": "http://[::1]:{port}/secret",
    "ipv6-mapped": "http://[::ffff:127.0.0.1]:{port}/secret",
    "unspecified": "http://0.0.0.0:{port}/secret",
    "metadata": "http://169.254.169.254/latest/meta-data/",
    "private-10": "http://10.0.0.7/admin",
    "private-172": "http://172.16.5.4/admin",
    "private-192": "http://192.168.1.1/admin",
    "cgnat": "http://100.64.0.1/admin",
    "ipv6-ula": "http://[fd00::1]/admin",
    "ipv6-link-local": "http://[fe80::1]/admin",
    "file-scheme": "file:///etc/passwd",
    "gopher-scheme": "gopher://127.0.0.1:6379/_FLUSHALL",
    "no-scheme": "//127.0.0.1:{port}/secret",
}


@pytest.mark.parametrize("name", sorted(DIRECT_URLS))
async def test_file_urls_to_private_places_are_refused(client: httpx.AsyncClient, web: LocalServer, unharmed: None, name: str) -> None:
    url = DIRECT_URLS[name].format(port=web.port)
    message = refused(await init(client, {"type": "files", "files": [{"name": "x.txt", "url": url}]}))
    assert "Refused" in message
    if name.startswith(("loopback", "localhost", "ipv6", "metadata", "private", "cgnat", "unspecified")):
        assert "VZERO_ALLOW_PRIVATE_URLS" in message


REDIRECTS = ["loopback", "localhost", "metadata", "private", "ipv6-mapped"]


@pytest.mark.parametrize("target", REDIRECTS)
async def test_redirects_to_private_places_are_refused(client: httpx.AsyncClient, web: LocalServer, unharmed: None, target: str) -> None:
    url = public(web, f"/redirect/{target}")
    refused(await init(client, {"type": "files", "files": [{"name": "x.txt", "url": url}]}), 422, "Refused")
    refused(await init(client, {"type": "zip", "zip": {"url": url}}), 422, "Refused")
    assert web.paths().count(f"/redirect/{target}") == 2


@pytest.mark.parametrize("source", ["zip", "registry", "repo"])
@pytest.mark.parametrize("target", ["loopback", "localhost", "metadata"])
async def test_every_source_refuses_private_addresses(
    client: httpx.AsyncClient, web: LocalServer, repos: GitHttpServer, unharmed: None, source: str, target: str
) -> None:
    repos.requests.clear()
    host = {"loopback": "127.0.0.1", "localhost": "localhost", "metadata": "169.254.169.254"}[target]
    port = repos.port if source == "repo" else web.port
    url = f"http://{host}:{port}" + {"zip": "/bomb.zip", "registry": "/r/root.json", "repo": "/app.git"}[source]
    body = {"type": source, source: {"url": url}, "lockAllFiles": True}
    refused(await init(client, body), 422, "Refused", "VZERO_ALLOW_PRIVATE_URLS")
    assert repos.requests == [] and web.seen == []


@pytest.mark.parametrize("target", REDIRECTS)
async def test_registry_dependency_pointing_inside_is_refused(client: httpx.AsyncClient, web: LocalServer, unharmed: None, target: str) -> None:
    response = await init(client, {"type": "registry", "registry": {"url": public(web, f"/r/dep-{target}.json")}})
    refused(response, 422, "Refused")


async def test_registry_from_a_public_host_still_works(client: httpx.AsyncClient, web: LocalServer) -> None:
    """The stand-in for public DNS is not itself what refuses: a public registry item imports fine."""
    chat = conformance.v1("chats.init", await init(client, {"type": "registry", "registry": {"url": public(web, "/r/root.json")}}))
    assert {f["name"] for f in chat["latestVersion"]["files"]} == {"components/root.tsx", "components/utils.tsx"}


async def test_repository_redirect_inside_is_not_followed(client: httpx.AsyncClient, repos: GitHttpServer, unharmed: None) -> None:
    repos.redirect_to = f"http://127.0.0.1:{repos.port}/elsewhere"
    repos.requests.clear()
    try:
        response = await init(client, {"type": "repo", "repo": {"url": public(repos, "/app.git")}})
    finally:
        repos.redirect_to = None
    refused(response, 422, "redirects elsewhere")
    assert repos.requests and not any(path.startswith("/elsewhere") for path in repos.requests)


async def test_repository_from_a_public_host_still_works(client: httpx.AsyncClient, repos: GitHttpServer, scratch: Path) -> None:
    chat = conformance.v1("chats.init", await init(client, {"type": "repo", "repo": {"url": public(repos, "/app.git")}}))
    assert [f["name"] for f in chat["latestVersion"]["files"]] == ["page.tsx"]
    assert list(scratch.iterdir()) == []  # the clone's scratch directory is gone


@pytest.fixture
async def chat_id(client: httpx.AsyncClient) -> str:
    chat = conformance.v1("chats.init", await init(client, {"type": "files", "files": [{"name": "app/page.tsx", "content": PAGE.decode()}]}))
    return chat["id"]  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:{port}/secret", "http://localhost:{port}/secret", "http://169.254.169.254/latest/meta-data/",
        "http://10.1.2.3/x", "file:///etc/passwd", "PUBLIC/redirect/loopback", "PUBLIC/redirect/metadata",
    ],
)
async def test_message_attachments_to_private_places_are_refused(
    client: httpx.AsyncClient, web: LocalServer, model_server: FakeOpenAIServer, chat_id: str, url: str
) -> None:
    target = public(web, url[len("PUBLIC"):]) if url.startswith("PUBLIC") else url.format(port=web.port)
    asked = len(model_server.requests)
    web.seen.clear()
    response = await client.post(f"/v1/chats/{chat_id}/messages", json={"message": "look", "attachments": [{"url": target}]})
    message = conformance.v1_error(response, 422, "unprocessable_entity_error")["error"]["message"]
    assert "Refused" in message
    assert len(model_server.requests) == asked  # the model was never called
    messages = conformance.v1("chats.findMessages", await client.get(f"/v1/chats/{chat_id}/messages"))
    assert messages["data"] == []
    assert "/secret" not in web.paths()
    assert (await client.get("/healthz")).status_code == 200


# --- archives that try to escape or explode ---------------------------------------------------------


@pytest.mark.parametrize(("path", "words"), [
    ("/dotdot.zip", ("climbs out",)), ("/backslash.zip", ("climbs out",)), ("/absolute.zip", ("absolute",)),
])
async def test_escaping_zip_members_are_refused(client: httpx.AsyncClient, web: LocalServer, unharmed: None, path: str, words: tuple[str, ...]) -> None:
    refused(await init(client, {"type": "zip", "zip": {"url": public(web, path)}}), 422, *words)


async def test_zip_symlinks_are_never_followed(client: httpx.AsyncClient, web: LocalServer) -> None:
    chat = conformance.v1("chats.init", await init(client, {"type": "zip", "zip": {"url": public(web, "/symlink.zip")}}))
    files = {f["name"]: f["content"] for f in chat["latestVersion"]["files"]}
    assert files == {"app/page.tsx": PAGE.decode()}  # the link is left out; /etc/passwd was never read


async def test_zip_of_only_links_and_devices_is_a_clear_422(client: httpx.AsyncClient, web: LocalServer, unharmed: None) -> None:
    refused(await init(client, {"type": "zip", "zip": {"url": public(web, "/only-links.zip")}}), 422, "no files to import")


@pytest.mark.parametrize(("path", "status", "words"), [
    ("/bomb.zip", 413, ("VZERO_MAX_FILE_BYTES",)),  # its declared size gives it away
    ("/lying-bomb.zip", 422, ("damaged",)),  # claims 10 bytes: read no further than that, the CRC fails
])
async def test_zip_bomb_is_refused_with_bounded_memory(
    client: httpx.AsyncClient, web: LocalServer, unharmed: None, path: str, status: int, words: tuple[str, ...]
) -> None:
    tracemalloc.start()
    try:
        response = await init(client, {"type": "zip", "zip": {"url": public(web, path)}, "lockAllFiles": True})
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    refused(response, status, *words)
    assert peak < 32 * MiB, f"a 1 GiB bomb peaked at {peak / MiB:.0f} MiB"


async def test_zip_with_too_many_members_is_413(client: httpx.AsyncClient, web: LocalServer, unharmed: None) -> None:
    refused(await init(client, {"type": "zip", "zip": {"url": public(web, "/many-members.zip")}}), 413, "VZERO_ARCHIVE_MAX_MEMBERS")


async def test_download_that_is_not_a_zip_is_422(client: httpx.AsyncClient, web: LocalServer, unharmed: None) -> None:
    refused(await init(client, {"type": "zip", "zip": {"url": public(web, "/not-a-zip.zip")}}), 422, "not a zip")


def many_full_members(count: int, size: int) -> bytes:
    """`count` deflated members of `size` zeros each: every one under the per-file limit, together far over the total."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    payload = compressor.compress(bytes(size)) + compressor.flush()
    crc = zlib.crc32(bytes(size))
    return raw_zip([(f"f{n}.bin", payload, zipfile.ZIP_DEFLATED, crc, size, stat.S_IFREG | 0o644) for n in range(count)])


async def test_archive_total_is_bounded_while_unpacking(
    tmp_path: Path, database_url: str | None, model_server: FakeOpenAIServer, web: LocalServer
) -> None:
    web.routes["/many-full.zip"] = lambda h: send(h, many_full_members(40, MiB))
    async with client_for(make_settings(tmp_path / "small", database_url, model_server, max_total_file_bytes=4 * MiB)) as small:
        tracemalloc.start()
        try:
            response = await init(small, {"type": "zip", "zip": {"url": public(web, "/many-full.zip")}})
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    refused(response, 413, "VZERO_MAX_TOTAL_FILE_BYTES")
    assert peak < 16 * MiB, f"40 MiB unpacked into memory (peak {peak / MiB:.0f} MiB) for a 4 MiB total limit"


# --- downloads that never end or never arrive ---------------------------------------------------------


@pytest.mark.parametrize("path", ["/endless", "/declared-huge"])
async def test_huge_download_is_413_while_streaming(client: httpx.AsyncClient, web: LocalServer, unharmed: None, path: str) -> None:
    tracemalloc.start()
    try:
        response = await init(client, {"type": "zip", "zip": {"url": public(web, path)}})
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    refused(response, 413, "VZERO_FETCH_MAX_BYTES")
    assert peak < 3 * FETCH_MAX_BYTES, f"peaked at {peak / MiB:.0f} MiB for a {FETCH_MAX_BYTES // MiB} MiB cap"


async def test_huge_file_url_is_413_at_the_per_file_limit(client: httpx.AsyncClient, web: LocalServer, unharmed: None) -> None:
    refused(await init(client, {"type": "files", "files": [{"name": "big.bin", "url": public(web, "/endless")}]}), 413)


@pytest.mark.parametrize("source", ["zip", "files"])
async def test_slow_drip_hits_the_fetch_deadline(client: httpx.AsyncClient, web: LocalServer, unharmed: None, source: str) -> None:
    url = public(web, "/drip")
    body = {"type": "zip", "zip": {"url": url}} if source == "zip" else {"type": "files", "files": [{"name": "a.txt", "url": url}]}
    started = time.monotonic()
    response = await init(client, body)
    elapsed = time.monotonic() - started
    refused(response, 422, "took longer than 1 s", "VZERO_FETCH_TIMEOUT")
    assert FETCH_TIMEOUT * 0.9 <= elapsed < FETCH_TIMEOUT + 1.5


async def test_slow_git_server_hits_the_fetch_deadline(client: httpx.AsyncClient, repos: GitHttpServer, unharmed: None) -> None:
    repos.stall = 4.0
    try:
        started = time.monotonic()
        response = await init(client, {"type": "repo", "repo": {"url": public(repos, "/app.git")}})
        elapsed = time.monotonic() - started
    finally:
        repos.stall = 0.0
    refused(response, 422, "took longer than 1 s")
    assert elapsed < FETCH_TIMEOUT + 1.5


async def test_slow_attachment_hits_the_fetch_deadline(client: httpx.AsyncClient, web: LocalServer, chat_id: str) -> None:
    started = time.monotonic()
    response = await client.post(f"/v1/chats/{chat_id}/messages", json={"message": "look", "attachments": [{"url": public(web, "/drip")}]})
    conformance.v1_error(response, 422, "unprocessable_entity_error")
    assert time.monotonic() - started < FETCH_TIMEOUT + 1.5


# --- request bodies: malformed, mistyped, huge, too many ----------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        b'{"type": "files", "files": [', b"\xff\xfe{}", b"", b"null", b"[1, 2]", b'"files"', b"[" * 100_000,
        b'{"a":' * 50_000 + b"1" + b"}" * 50_000, b'{"type": "template", "templateId": "nextjs-starter", "name": NaN}',
        b'{"type": "files", "files": [{"name": "a.ts", "content": "\\ud800"}]}',
    ],
    ids=["truncated", "not-utf8", "empty", "null", "list", "string", "deep-arrays", "deep-objects", "nan", "lone-surrogate"],
)
async def test_malformed_json_is_422(client: httpx.AsyncClient, unharmed: None, raw: bytes) -> None:
    response = await client.post("/v1/chats/init", content=raw, headers={"Content-Type": "application/json"})
    refused(response, 422)


@pytest.mark.parametrize(
    "body",
    [
        {"type": "files", "files": "app/page.tsx"},
        {"type": "files", "files": [{"name": 7, "content": "x"}]},
        {"type": "files", "files": [{"name": "a.ts", "content": ["x"]}]},
        {"type": "files", "files": [{"name": "a.ts", "content": "x", "url": "http://x.attacker.test/"}]},
        {"type": "zip", "zip": "http://x.attacker.test/a.zip"},
        {"type": "zip", "zip": {"url": "http://x.attacker.test/a.zip"}, "lockAllFiles": "yes"},
        {"type": "repo", "repo": {"url": "http://x.attacker.test/r.git", "branch": ["main"]}},
        {"type": "repo", "repo": {"url": "http://x.attacker.test/r.git", "branch": "--upload-pack=touch /tmp/pwned"}},
        {"type": "registry", "registry": {"url": 12}},
        {"type": 5},
        {"type": "ftp", "url": "x"},
        {"type": "template", "templateId": {"$ne": ""}},
        {"type": "template", "templateId": "../../etc"},
        {"type": "template", "templateId": "nextjs-starter", "chatPrivacy": "everyone"},
        {"type": "template", "templateId": "nextjs-starter", "metadata": {"k": 1}},
        {"type": "template", "templateId": "nextjs-starter", "extra": True},
        {"type": "files", "files": [{"name": "../outside.ts", "content": "x"}]},
        {"type": "files", "files": [{"name": "/etc/passwd", "content": "x"}]},
        {"type": "files", "files": [{"name": "a\u0000b.ts", "content": "x"}]},
        {"type": "files", "files": [{"name": "a.ts", "url": "data:text/plain;base64,@@@not base64@@@"}]},
    ],
)
async def test_wrong_types_and_values_are_422(client: httpx.AsyncClient, unharmed: None, body: Any) -> None:
    refused(await init(client, body), 422)


async def test_body_over_the_limit_is_413_declared_or_streamed(client: httpx.AsyncClient, unharmed: None) -> None:
    big = b'{"type": "files", "files": [{"name": "a.txt", "content": "' + b"x" * (30 * MiB) + b'"}]}'
    declared = await client.post("/v1/chats/init", content=big, headers={"Content-Type": "application/json"})
    refused(declared, 413, "VZERO_MAX_REQUEST_BYTES")

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(big), MiB):
            yield big[start : start + MiB]

    streamed = await client.post("/v1/chats/init", content=chunks(), headers={"Content-Type": "application/json"})
    refused(streamed, 413, "VZERO_MAX_REQUEST_BYTES")


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"type": "files", "files": [{"name": "big.txt", "content": "x" * (6 * MiB)}]}, 413, ("VZERO_MAX_FILE_BYTES",)),
        ({"type": "files", "files": [{"name": "a" * (2 * MiB), "content": "x"}]}, 422, ()),
        ({"type": "template", "templateId": "nextjs-starter", "name": "n" * (5 * MiB)}, 422, ()),
        ({"type": "template", "templateId": "t" * (5 * MiB)}, 422, ()),
        ({"type": "template", "templateId": "nextjs-starter", "metadata": {"k": "v" * (5 * MiB)}}, 422, ()),
        ({"type": "zip", "zip": {"url": "http://x.attacker.test/" + "a" * (5 * MiB)}}, 422, ()),
        ({"type": "repo", "repo": {"url": "http://x.attacker.test/r.git", "branch": "b" * (5 * MiB)}}, 422, ()),
        ({"type": "files", "files": [{"name": "a.ts", "url": "data:text/plain;base64," + "QUFB" * (2 * MiB)}]}, 413, ("VZERO_MAX_FILE_BYTES",)),
    ],
    ids=["file-content", "file-name", "chat-name", "template-id", "metadata", "url", "branch", "data-uri"],
)
async def test_huge_strings_under_the_body_limit_are_clear_errors(
    client: httpx.AsyncClient, unharmed: None, body: Any, status: int, words: tuple[str, ...]
) -> None:
    refused(await init(client, body), status, *words)


async def test_too_many_files_is_413(client: httpx.AsyncClient, settings: Settings, unharmed: None) -> None:
    files = [{"name": f"src/f{n}.ts", "content": ""} for n in range(settings.max_files + 1)]
    refused(await init(client, {"type": "files", "files": files}), 413, "VZERO_MAX_FILES")


async def test_files_adding_up_past_the_total_is_413(tmp_path: Path, database_url: str | None, model_server: FakeOpenAIServer) -> None:
    """VZERO_MAX_TOTAL_FILE_BYTES, shown with a small total so the request stays small."""
    async with client_for(make_settings(tmp_path / "small", database_url, model_server, max_total_file_bytes=64 * 1024)) as small:
        files = [{"name": f"f{n}.txt", "content": "x" * 20_000} for n in range(4)]
        refused(await init(small, {"type": "files", "files": files}), 413, "VZERO_MAX_TOTAL_FILE_BYTES")


# --- v2 speaks its own flat envelope for the same attacks ---------------------------------------------


async def test_v2_imports_refuse_with_the_flat_envelope(client: httpx.AsyncClient, web: LocalServer, repos: GitHttpServer, unharmed: None) -> None:
    message = v2_refused(await client.post("/v2/chats/from-zip", json={"url": f"http://localhost:{web.port}/bomb.zip"}), 422, "chats.createFromZip")
    assert "VZERO_ALLOW_PRIVATE_URLS" in message
    v2_refused(await client.post("/v2/chats/from-zip", json={"url": public(web, "/redirect/metadata")}), 422, "chats.createFromZip")
    v2_refused(await client.post("/v2/chats/from-repo", json={"repo": {"url": f"http://127.0.0.1:{repos.port}/app.git"}}), 422, "chats.createFromRepo")
    assert "VZERO_MAX_FILE_BYTES" in v2_refused(await client.post("/v2/chats/from-zip", json={"url": public(web, "/bomb.zip")}), 413)
    assert "climbs out" in v2_refused(await client.post("/v2/chats/from-zip", json={"url": public(web, "/dotdot.zip")}), 422)


async def test_v2_bodies_get_the_flat_envelope(client: httpx.AsyncClient, unharmed: None) -> None:
    big = b'{"files": [{"name": "a.txt", "content": "' + b"x" * (30 * MiB) + b'"}]}'
    huge = await client.post("/v2/chats/from-files", content=big, headers={"Content-Type": "application/json"})
    assert "VZERO_MAX_REQUEST_BYTES" in v2_refused(huge, 413)
    headers = {"Content-Type": "application/json"}
    v2_refused(await client.post("/v2/chats/from-files", content=b'{"files": [', headers=headers), 422, "chats.createFromFiles")
    v2_refused(await client.post("/v2/chats/from-files", content=b"\xff\xff", headers=headers), 422, "chats.createFromFiles")
    too_many = {"files": [{"name": f"f{n}.ts", "content": ""} for n in range(21)]}
    v2_refused(await client.post("/v2/chats/from-files", json=too_many), 422, "chats.createFromFiles")
    v2_refused(await client.post("/v2/chats/from-files", json={"files": [{"name": "a.ts", "content": 5}]}), 422, "chats.createFromFiles")
    surrogate = b'{"files": [{"name": "a.ts", "content": "\\ud800"}]}'
    v2_refused(await client.post("/v2/chats/from-files", content=surrogate, headers=headers), 422, "chats.createFromFiles")
    big_file = {"files": [{"name": "a.txt", "content": "x" * (6 * MiB)}]}
    assert "VZERO_MAX_FILE_BYTES" in v2_refused(await client.post("/v2/chats/from-files", json=big_file), 413)


async def test_attacks_in_parallel_leave_the_server_responsive(client: httpx.AsyncClient, web: LocalServer, unharmed: None) -> None:
    """A burst of slow and heavy imports at once: all refused, and a plain request is answered meanwhile."""
    attacks = [
        init(client, {"type": "zip", "zip": {"url": public(web, path)}})
        for path in ("/drip", "/endless", "/bomb.zip", "/drip", "/dotdot.zip", "/bomb.zip")
    ]
    started = time.monotonic()
    pending = [asyncio.ensure_future(attack) for attack in attacks]
    await asyncio.sleep(0.2)
    assert (await client.get("/healthz")).status_code == 200
    responses = await asyncio.gather(*pending)
    assert sorted(r.status_code for r in responses) == [413, 413, 413, 422, 422, 422]
    assert time.monotonic() - started < FETCH_TIMEOUT + 3
