"""SafeFetcher against a real HTTP server on 127.0.0.1: private addresses, redirects, size and time limits."""

from __future__ import annotations

import datetime
import gzip
import ipaddress
import ssl
import threading
import time
import tracemalloc
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from vzero.config import Settings
from vzero.errors import PayloadTooLarge, SourceError, UnsafeSource
from vzero.sources.fetch import SafeFetcher, address_problem

Route = Callable[[BaseHTTPRequestHandler], None]


class LocalServer:
    """A threaded HTTP server on 127.0.0.1 whose paths run test-provided handlers and are recorded."""

    def __init__(self, ssl_context: ssl.SSLContext | None = None) -> None:
        self.routes: dict[str, Route] = {}
        self.seen: list[tuple[str, str]] = []  # (path, Host header)
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                server.seen.append((self.path, self.headers.get("Host", "")))
                route = server.routes.get(self.path)
                if route is None:
                    self.send_error(404)
                    return
                try:
                    route(self)
                except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
                    pass  # the client hung up on purpose

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        if ssl_context is not None:
            self.httpd.socket = ssl_context.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def url(self, path: str, host: str = "127.0.0.1", scheme: str = "http") -> str:
        return f"{scheme}://{host}:{self.port}{path}"

    def paths(self) -> list[str]:
        return [path for path, _ in self.seen]

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def send(handler: BaseHTTPRequestHandler, body: bytes, status: int = 200, **headers: str) -> None:
    handler.send_response(status)
    handler.send_header("Content-Length", str(len(body)))
    for name, value in headers.items():
        handler.send_header(name.replace("_", "-"), value)
    handler.end_headers()
    handler.wfile.write(body)


def redirect(location: str) -> Route:
    return lambda h: send(h, b"", 302, Location=location)


@pytest.fixture(scope="module")
def shared_server() -> Iterator[LocalServer]:
    local = LocalServer()
    yield local
    local.close()


@pytest.fixture
def server(shared_server: LocalServer) -> LocalServer:
    shared_server.routes.clear()
    shared_server.seen.clear()
    return shared_server


@pytest.fixture(autouse=True)
def only_loopback_traffic(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail loudly instead of sending anything off this machine, should a check ever let an address through."""
    original = httpx.AsyncClient.send

    async def guarded(self: httpx.AsyncClient, request: httpx.Request, **kwargs: object) -> httpx.Response:
        host = request.url.host
        assert ipaddress.ip_address(host).is_loopback, f"the fetcher tried to connect to {host}"
        return await original(self, request, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(httpx.AsyncClient, "send", guarded)


def open_settings(**overrides: object) -> Settings:
    return Settings(allow_private_urls=True, **overrides)  # type: ignore[arg-type]


def pretend_public(fetcher: SafeFetcher, *names: str) -> None:
    """Make `names` pass the address check while pointing at 127.0.0.1; every other host is checked for real."""
    real = fetcher.vetted_addresses

    async def vetted(url: httpx.URL, *, action: str = "fetch") -> list[str]:
        if url.host in names:
            return ["127.0.0.1"]
        return await real(url, action=action)

    fetcher.vetted_addresses = vetted  # type: ignore[method-assign]


async def test_fetch_returns_body_status_and_type(server: LocalServer) -> None:
    server.routes["/hello"] = lambda h: send(h, b"hello", Content_Type="text/plain")
    fetched = await SafeFetcher(open_settings()).fetch(server.url("/hello", host="localhost"))
    assert (fetched.status, fetched.content_type, fetched.body) == (200, "text/plain", b"hello")
    assert fetched.url == server.url("/hello", host="localhost")


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1:{port}/secret", "it resolves to a loopback address"),
        ("http://localhost:{port}/secret", "localhost resolves to 127.0.0.1, a loopback address"),
        ("http://[::1]:{port}/secret", "loopback"),
        ("http://[::ffff:127.0.0.1]:{port}/secret", "loopback"),
        ("http://2130706433:{port}/secret", "loopback"),
        ("http://0x7f.1:{port}/secret", "loopback"),
        ("http://0.0.0.0:{port}/secret", "unspecified"),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://10.0.0.1/", "private"),
        ("http://192.168.1.1/", "private"),
        ("http://172.16.0.1/", "private"),
        ("http://100.64.0.1/", "carrier-grade NAT"),
        ("http://[fd12::1]/", "private"),
        ("http://[fe80::1]/", "link-local"),
        ("http://224.0.0.1/", "multicast"),
        ("http://240.0.0.1/", "reserved"),
    ],
)
async def test_private_addresses_are_refused(server: LocalServer, url: str, reason: str) -> None:
    server.routes["/secret"] = lambda h: send(h, b"secret")
    with pytest.raises(UnsafeSource) as caught:
        await SafeFetcher(Settings()).fetch(url.format(port=server.port))
    assert reason in caught.value.message
    assert "VZERO_ALLOW_PRIVATE_URLS=true" in caught.value.message
    assert server.seen == []


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "ftp://127.0.0.1/x", "gopher://127.0.0.1:70/", "javascript:alert(1)", "//example.com/x", "http://", ""]
)
async def test_other_schemes_and_malformed_urls_are_refused(url: str) -> None:
    with pytest.raises(UnsafeSource, match="Refused to fetch"):
        await SafeFetcher(open_settings()).fetch(url)


@pytest.mark.parametrize(
    "target",
    [
        "http://127.0.0.1:{port}/secret",
        "http://localhost:{port}/secret",
        "http://169.254.169.254/latest/meta-data/iam/",
        "http://[::ffff:169.254.169.254]/",
        "file:///etc/passwd",
    ],
)
async def test_redirect_from_public_host_to_private_address_is_refused(server: LocalServer, target: str) -> None:
    server.routes["/start"] = redirect(target.format(port=server.port))
    server.routes["/secret"] = lambda h: send(h, b"secret")
    fetcher = SafeFetcher(Settings())
    pretend_public(fetcher, "public.test")
    with pytest.raises(UnsafeSource, match="Refused to fetch"):
        await fetcher.fetch(server.url("/start", host="public.test"))
    assert server.paths() == ["/start"]


async def test_client_connects_to_the_checked_address_and_keeps_the_host_name(server: LocalServer) -> None:
    # "public.test" does not exist: the request only works because the client never resolves it again.
    server.routes["/page"] = lambda h: send(h, b"ok")
    fetcher = SafeFetcher(Settings())
    pretend_public(fetcher, "public.test")
    fetched = await fetcher.fetch(server.url("/page", host="public.test"))
    assert fetched.body == b"ok"
    assert server.seen == [("/page", f"public.test:{server.port}")]


async def test_every_hop_is_resolved_and_checked(server: LocalServer) -> None:
    asked: list[str] = []

    async def resolver(host: str, port: int) -> list[str]:
        asked.append(host)
        return ["127.0.0.1"]

    server.routes["/a"] = redirect("http://second.test:{}/b".format(server.port))
    server.routes["/b"] = redirect("/c")
    server.routes["/c"] = lambda h: send(h, b"done")
    fetched = await SafeFetcher(open_settings(), resolver=resolver).fetch(server.url("/a", host="first.test"))
    assert fetched.body == b"done"
    assert asked == ["first.test", "second.test", "second.test"]
    assert fetched.url == server.url("/c", host="second.test")


async def test_https_verifies_the_certificate_against_the_host_name(tmp_path: Path) -> None:
    server_context, client_context = _tls_contexts(tmp_path, "public.test")
    local = LocalServer(server_context)
    local.routes["/tls"] = lambda h: send(h, b"secure")
    try:
        fetcher = SafeFetcher(Settings(), verify=client_context)
        pretend_public(fetcher, "public.test", "other.test")
        fetched = await fetcher.fetch(local.url("/tls", host="public.test", scheme="https"))
        assert fetched.body == b"secure"
        with pytest.raises(SourceError, match="other.test"):
            await fetcher.fetch(local.url("/tls", host="other.test", scheme="https"))
    finally:
        local.close()


async def test_declared_content_length_over_the_limit_is_refused_before_reading(server: LocalServer) -> None:
    def huge(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Length", str(10**12))
        handler.end_headers()
        time.sleep(2)  # never sends the body: the refusal must not wait for it

    server.routes["/huge"] = huge
    started = time.monotonic()
    with pytest.raises(PayloadTooLarge, match="VZERO_FETCH_MAX_BYTES"):
        await SafeFetcher(open_settings()).fetch(server.url("/huge"), max_bytes=1024)
    assert time.monotonic() - started < 1.5


async def test_endless_body_stops_at_the_limit_with_bounded_memory(server: LocalServer) -> None:
    sent = [0]

    def endless(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Connection", "close")  # no length: the body ends only when the server stops
        handler.end_headers()
        chunk = b"\0" * 65536
        while sent[0] < 512 * 1024 * 1024:  # a bound so this server stops by itself
            handler.wfile.write(chunk)
            sent[0] += len(chunk)

    server.routes["/endless"] = endless
    tracemalloc.start()
    try:
        with pytest.raises(PayloadTooLarge):
            await SafeFetcher(open_settings()).fetch(server.url("/endless"), max_bytes=2 * 1024 * 1024)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 * 1024 * 1024
    assert sent[0] < 64 * 1024 * 1024


async def test_compressed_bomb_is_stopped_while_inflating(server: LocalServer) -> None:
    bomb = gzip.compress(bytes(16 * 1024 * 1024))  # 16 MiB of zeros in about 16 KiB
    assert len(bomb) < 100_000
    server.routes["/bomb"] = lambda h: send(h, bomb, Content_Encoding="gzip")
    with pytest.raises(PayloadTooLarge):
        await SafeFetcher(open_settings()).fetch(server.url("/bomb"), max_bytes=1024 * 1024)


async def test_gzip_body_within_the_limit_is_decoded(server: LocalServer) -> None:
    server.routes["/gz"] = lambda h: send(h, gzip.compress(b"x" * 100_000), Content_Encoding="gzip")
    fetched = await SafeFetcher(open_settings()).fetch(server.url("/gz"), max_bytes=200_000)
    assert fetched.body == b"x" * 100_000


async def test_slow_drip_server_hits_the_total_deadline(server: LocalServer) -> None:
    def drip(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Length", "1000")
        handler.end_headers()
        for _ in range(100):  # one byte every 50 ms: each read is quick, the whole never ends in time
            handler.wfile.write(b"x")
            handler.wfile.flush()
            time.sleep(0.05)

    server.routes["/drip"] = drip
    started = time.monotonic()
    with pytest.raises(SourceError, match="took longer than 0.6 s"):
        await SafeFetcher(open_settings()).fetch(server.url("/drip"), timeout=0.6)
    assert time.monotonic() - started < 1.5


async def test_redirect_loop_is_detected(server: LocalServer) -> None:
    server.routes["/loop"] = redirect("/loop2")
    server.routes["/loop2"] = redirect("/loop")
    with pytest.raises(SourceError, match="redirect loop"):
        await SafeFetcher(open_settings()).fetch(server.url("/loop"))


async def test_too_many_redirects(server: LocalServer) -> None:
    for n in range(10):
        server.routes[f"/r{n}"] = redirect(f"/r{n + 1}")
    with pytest.raises(SourceError, match="more than 3 times"):
        await SafeFetcher(open_settings(fetch_max_redirects=3)).fetch(server.url("/r0"))
    assert server.paths() == ["/r0", "/r1", "/r2", "/r3"]


async def test_error_status_is_reported(server: LocalServer) -> None:
    with pytest.raises(SourceError, match="answered 404"):
        await SafeFetcher(open_settings()).fetch(server.url("/missing"))


async def test_closed_port_is_a_source_error() -> None:
    probe = LocalServer()
    port = probe.port
    probe.close()
    with pytest.raises(SourceError, match="Could not connect"):
        await SafeFetcher(open_settings()).fetch(f"http://127.0.0.1:{port}/")


async def test_credentials_never_appear_in_messages() -> None:
    with pytest.raises(UnsafeSource) as caught:
        await SafeFetcher(Settings()).fetch("http://admin:hunter2@127.0.0.1/")
    assert "hunter2" not in caught.value.message


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("8.8.8.8", None),
        ("2606:4700:4700::1111", None),
        ("::ffff:8.8.8.8", None),
        ("127.0.0.53", "a loopback address"),
        ("::ffff:10.1.2.3", "a private address"),
        ("2002:7f00:1::", "a loopback address"),  # 6to4 wrapping 127.0.0.1
        ("64:ff9b::a9fe:a9fe", "a link-local address (where cloud metadata services live)"),  # NAT64 of 169.254.169.254
        ("fe80::1%eth0", "a link-local address (where cloud metadata services live)"),
        ("198.18.0.1", "a private address"),
        ("192.0.0.8", "a reserved address"),
    ],
)
def test_address_problem(address: str, expected: str | None) -> None:
    assert address_problem(address) == expected


def _tls_contexts(tmp_path: Path, hostname: str) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A self-signed certificate for hostname: the server's context and a client context trusting it."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostname)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(hostname)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert_file, key_file)
    client_context = ssl.create_default_context(cafile=str(cert_file))
    return server_context, client_context
