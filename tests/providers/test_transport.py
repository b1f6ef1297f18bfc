"""vzero's HTTP/1.1 transport for the SDKs, against scripted servers on 127.0.0.1: framing, keep-alive, timeouts, errors."""

from __future__ import annotations

import asyncio
import ipaddress
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import httpx2
import pytest

from vzero.providers.transport import StreamingTransport, body_reader, client_for

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@asynccontextmanager
async def scripted(handler: Handler) -> AsyncIterator[tuple[str, list[int]]]:
    """A server running `handler` per connection; yields its base URL and a one-item list counting connections."""
    connections = [0]

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections[0] += 1
        try:
            await handler(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}", connections
    finally:
        server.close()
        await server.wait_closed()


async def read_request(reader: asyncio.StreamReader) -> tuple[bytes, bytes]:
    """One request: its head and its Content-Length body."""
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    return head, await reader.readexactly(length)


async def keep_alive_json(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Answers every request on the connection with a Content-Length body echoing the request body."""
    while True:
        _, body = await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
        await writer.drain()


def client(**kwargs: object) -> httpx2.AsyncClient:
    return httpx2.AsyncClient(transport=StreamingTransport(), **kwargs)  # type: ignore[arg-type]


async def test_keep_alive_connections_are_reused() -> None:
    async with scripted(keep_alive_json) as (url, connections), client() as http:
        for n in range(5):
            response = await http.post(url + "/echo", content=b'{"n":%d}' % n)
            assert response.status_code == 200 and response.json() == {"n": n}
        assert connections[0] == 1


async def test_chunked_body_is_read_as_it_arrives() -> None:
    release = asyncio.Event()

    async def chunked(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n")
        writer.write(b"6\r\ndata: \r\n")
        await writer.drain()
        await release.wait()
        writer.write(b"3\r\nhi\n\r\n0\r\n\r\n")
        await writer.drain()
        await reader.read()

    async with scripted(chunked) as (url, _), client() as http:
        async with http.stream("POST", url + "/s", content=b"{}") as response:
            body = body_reader(response)
            assert body is not None
            assert await body.read() == b"data: "  # before the rest exists
            release.set()
            assert await body.read() == b"hi\n"
            assert await body.read() == b""


async def test_a_body_delimited_by_the_connection_end() -> None:
    async def until_close(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nall of it")
        await writer.drain()

    async with scripted(until_close) as (url, _), client() as http:
        response = await http.get(url + "/")
        assert response.text == "all of it"


async def test_an_idle_connection_the_server_dropped_is_replaced() -> None:
    async def one_then_close(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        _, body = await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
        await writer.drain()
        # keep-alive was promised, but the connection is closed once idle

    async with scripted(one_then_close) as (url, connections), client() as http:
        assert (await http.post(url + "/", content=b"a")).text == "a"
        await asyncio.sleep(0.05)
        assert (await http.post(url + "/", content=b"b")).text == "b"
        assert connections[0] == 2


async def test_silence_longer_than_the_read_timeout_is_a_read_timeout() -> None:
    async def stall(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n")
        await writer.drain()
        await asyncio.sleep(5)

    async with scripted(stall) as (url, _), client(timeout=httpx2.Timeout(5, read=0.2)) as http:
        async with http.stream("GET", url + "/") as response:
            body = body_reader(response)
            assert body is not None and await body.read() == b"ok"
            with pytest.raises(httpx2.ReadTimeout):
                await body.read()


async def test_headers_that_never_come_are_a_read_timeout() -> None:
    async def mute(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        await asyncio.sleep(5)

    async with scripted(mute) as (url, _), client(timeout=httpx2.Timeout(5, read=0.2)) as http:
        with pytest.raises(httpx2.ReadTimeout):
            await http.get(url + "/")


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this", id="cut mid-body"),
        pytest.param(b"SSH-2.0-OpenSSH_9.6\r\n\r\n", id="not HTTP at all"),
    ],
)
async def test_a_broken_answer_is_a_protocol_error(answer: bytes) -> None:
    async def broken(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(answer)
        await writer.drain()
        await asyncio.sleep(0.5)  # the connection ends with the handler: a cut reply, or garbage that stays

    async with scripted(broken) as (url, _), client() as http:
        with pytest.raises(httpx2.RemoteProtocolError):
            await http.get(url + "/")


async def test_refused_connection_is_a_connect_error() -> None:
    async with scripted(keep_alive_json) as (url, _):
        pass  # closed: nothing listens on that port any more
    async with client() as http:
        with pytest.raises(httpx2.ConnectError):
            await http.get(url + "/")


def test_a_configured_proxy_leaves_the_sdk_its_own_client(monkeypatch: pytest.MonkeyPatch) -> None:
    import openai

    monkeypatch.delenv("HTTPS_PROXY", raising=False)
    monkeypatch.delenv("https_proxy", raising=False)
    assert client_for(openai) is not None
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    assert client_for(openai) is None


def _self_signed(tmp_path: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 / localhost and its key, as PEM files."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return cert_path, key_path


async def test_https_with_a_trusted_certificate_and_refusal_of_an_untrusted_one(tmp_path: Path) -> None:
    cert, key = _self_signed(tmp_path)
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert, key)

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await keep_alive_json(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0, ssl=server_context)
    url = f"https://localhost:{server.sockets[0].getsockname()[1]}"
    try:
        trusting = ssl.create_default_context(cafile=str(cert))
        async with httpx2.AsyncClient(transport=StreamingTransport(ssl_context=trusting)) as http:
            for n in range(2):
                assert (await http.post(url + "/echo", content=b'{"n":%d}' % n)).json() == {"n": n}
        async with client() as http:  # the default CAs do not know this certificate
            with pytest.raises(httpx2.ConnectError):
                await http.post(url + "/echo", content=b"{}")
    finally:
        server.close()
        await server.wait_closed()


async def test_a_slow_but_steady_body_never_times_out() -> None:
    # Each gap is shorter than the read timeout, the whole body takes far longer: the timeout is silence, not duration.
    async def trickle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        for _ in range(8):
            writer.write(b"1\r\n.\r\n")
            await writer.drain()
            await asyncio.sleep(0.1)
        writer.write(b"0\r\n\r\n")
        await writer.drain()
        await reader.read()

    async with scripted(trickle) as (url, _), client(timeout=httpx2.Timeout(5, read=0.25)) as http:
        response = await http.get(url + "/")
        assert response.text == "." * 8


# --- pumping: the body handed to a callback from the connection's own network callback ------------------------------


def sse_trickle(pieces: int, gap: float, then_silence: float = 0.0) -> Handler:
    """A chunked body of `pieces` one-line events `gap` s apart, then `then_silence` s of nothing before the end."""

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:  # every request the connection carries (keep-alive)
            await read_request(reader)
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n")
            for n in range(pieces):
                event = b"data: %d\n\n" % n
                writer.write(b"%x\r\n%s\r\n" % (len(event), event))
                await writer.drain()
                await asyncio.sleep(gap)
            await asyncio.sleep(then_silence)
            writer.write(b"0\r\n\r\n")
            await writer.drain()

    return handler


async def test_a_pumped_body_reaches_the_callback_as_it_arrives_and_the_connection_is_kept() -> None:
    got: list[bytes] = []
    async with scripted(sse_trickle(5, 0.02)) as (url, connections), client() as http:
        for _ in range(2):
            async with http.stream("POST", url + "/s", content=b"{}") as response:
                body = body_reader(response)
                assert body is not None
                assert await body.pump(lambda piece: got.append(piece) or False) is False  # type: ignore[func-returns-value]
        assert connections[0] == 1  # the first body was read to its end: its connection served the second
    assert b"".join(got) == b"".join(b"data: %d\n\n" % n for n in range(5)) * 2


async def test_a_pump_stops_when_the_callback_says_so() -> None:
    got: list[bytes] = []
    async with scripted(sse_trickle(50, 0.01)) as (url, _), client() as http:
        async with http.stream("POST", url + "/s", content=b"{}") as response:
            body = body_reader(response)
            assert body is not None
            assert await body.pump(lambda piece: got.append(piece) or len(got) == 3) is True  # type: ignore[func-returns-value]
    assert len(got) == 3


async def test_what_the_callback_raises_comes_out_of_the_pump_and_closes_the_connection() -> None:
    class Refused(Exception):
        pass

    def refuse(piece: bytes) -> bool:
        if piece.startswith(b"data: 2"):
            raise Refused(piece)
        return False

    async with scripted(sse_trickle(10, 0.01)) as (url, connections), client() as http:
        async with http.stream("POST", url + "/s", content=b"{}") as response:
            body = body_reader(response)
            assert body is not None
            with pytest.raises(Refused):
                await body.pump(refuse)
        async with http.stream("POST", url + "/s", content=b"{}") as response:  # a new connection, not the broken one
            assert (await response.aread()).count(b"data:") == 10
        assert connections[0] == 2


async def test_silence_while_pumping_is_a_read_timeout() -> None:
    got: list[bytes] = []
    async with scripted(sse_trickle(3, 0.05, then_silence=5)) as (url, _), client(timeout=httpx2.Timeout(5, read=0.3)) as http:
        async with http.stream("POST", url + "/s", content=b"{}") as response:
            body = body_reader(response)
            assert body is not None
            with pytest.raises(httpx2.ReadTimeout):
                await body.pump(lambda piece: got.append(piece) or False)  # type: ignore[func-returns-value]
    assert b"".join(got) == b"data: 0\n\ndata: 1\n\ndata: 2\n\n"  # gaps shorter than the timeout were fine
