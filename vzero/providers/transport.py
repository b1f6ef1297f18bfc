"""A small HTTP/1.1 transport for the providers' SDKs, built for long streamed replies.

The SDKs build, sign and send requests and map HTTP errors; this transport only moves the bytes, with
keep-alive connections per origin, TLS, and the SDK's timeouts. Not the SDKs' own transports: they put a cancel
scope and nested async generators between the socket and each chunk, several times the CPU of a plain asyncio
protocol (figures in bench/README.md). So the body of a response is readable here as a coroutine,
`ResponseBody.read()`, one await per network read; it is also an ordinary httpx byte stream for everything else the
SDKs do with a response.

httptools (already installed with uvicorn's standard extras) parses responses: status, headers, chunked and
Content-Length bodies. Proxies are not spoken here: `client_for` hands the SDK its default client when the
environment configures one.
"""

from __future__ import annotations

import asyncio
import os
import ssl
import time
from collections import deque
from collections.abc import Callable
from typing import Any

import httptools
import httpx2

# Idle keep-alive connections kept per origin, and for how long.
MAX_IDLE_PER_ORIGIN = 256
KEEPALIVE_SECONDS = 30.0
_PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy")


def proxy_configured() -> bool:
    """Whether the environment asks for an HTTP proxy (the SDKs' default client then handles it)."""
    return any(os.environ.get(name) or os.environ.get(name.upper()) for name in _PROXY_VARIABLES)


def client_for(sdk: Any) -> Any:
    """The HTTP client an SDK module (`openai`, `anthropic`) should be given: its default client on this transport.

    None (the SDK builds its own) when a proxy is configured.
    """
    if proxy_configured():
        return None
    return sdk.DefaultAsyncHttpxClient(transport=StreamingTransport())


class _Connection(asyncio.Protocol):
    """One HTTP/1.1 connection: one request at a time, its response parsed as it arrives."""

    def __init__(self, origin: tuple[str, str, int]) -> None:
        self.origin = origin
        self.loop = asyncio.get_running_loop()
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.idle_since = 0.0
        self.watchdog: asyncio.TimerHandle | None = None
        self.wait_started = 0.0
        self.read_timeout = 0.0
        self._reset()

    def _reset(self) -> None:
        self.parser = httptools.HttpResponseParser(self)
        self.received = 0  # bytes of the current response so far
        self.status = 0
        self.reason = b""
        self.headers: list[tuple[bytes, bytes]] = []
        self.headers_done = False
        self.complete = False
        self.keep_alive = False
        self.until_eof = False  # a body delimited by the end of the connection (no length, not chunked)
        self.error: BaseException | None = None
        self.body: deque[bytes] = deque()
        # Set while a reader pumps the body (`ResponseBody.pump`): each piece goes to it from on_body, none is queued.
        self.push: Callable[[bytes], bool] | None = None
        self.pushed_to_end = False  # the pump's callback asked to read no further
        self.waiter: asyncio.Future[None] | None = None
        self.last_data = self.loop.time()

    # --- asyncio.Protocol ------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.received += len(data)
        self.last_data = self.loop.time()
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(httpx2.RemoteProtocolError(f"malformed HTTP response: {exc}"))
            self.close()

    def eof_received(self) -> bool:
        return False  # close our side too

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.complete or self.error is not None:
            return
        if self.until_eof and self.headers_done:
            self.on_message_complete()
        elif self.received == 0 and not self.headers_done:
            self._fail(_ConnectionClosedEarly("the server closed the connection without answering"))
        else:
            self._fail(httpx2.RemoteProtocolError("the server closed the connection before the response was complete"))

    # --- httptools callbacks -------------------------------------------------------------

    def on_status(self, reason: bytes) -> None:
        self.reason += reason

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name, value))

    def on_headers_complete(self) -> None:
        self.status = self.parser.get_status_code()
        names = {name.lower() for name, _ in self.headers}
        self.until_eof = b"content-length" not in names and b"transfer-encoding" not in names and self.status not in (204, 304)
        self.headers_done = True
        self._wake()

    def on_body(self, body: bytes) -> None:
        push = self.push
        if push is None:
            self.body.append(body)
            self._wake()
            return
        try:
            done = push(body)
        except BaseException as exc:  # noqa: BLE001 - raised again where the pump is awaited
            self.push = None
            self._fail(exc)
            self.close()  # nobody reads the rest
            return
        if done:
            self.push, self.pushed_to_end = None, True
            self._wake()

    def on_message_complete(self) -> None:
        # Asked now: once this callback returns the parser has moved on and no longer knows.
        self.keep_alive = self.parser.should_keep_alive() and not self.until_eof
        self.complete = True
        self._wake()

    # --- for the transport and the body --------------------------------------------------

    def _fail(self, error: BaseException) -> None:
        self.error = error
        self._wake()

    def _wake(self) -> None:
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def wait(self, timeout: float | None) -> asyncio.Future[None]:
        """To await until something arrives (headers, body, the end or an error); ReadTimeout after `timeout` s of
        silence. A plain method returning the future, not a coroutine: one frame fewer per chunk."""
        loop = self.loop
        self.waiter = waiter = loop.create_future()
        if timeout is not None:
            self.wait_started = loop.time()
            if self.watchdog is not None and timeout < self.read_timeout:
                self.watchdog.cancel()  # armed for a longer timeout than this request's
                self.watchdog = None
            self.read_timeout = timeout
            if self.watchdog is None:
                self.watchdog = loop.call_at(self.wait_started + timeout, self._watch)
        return waiter

    def _watch(self) -> None:
        """The read timeout: one timer per connection, re-armed while data keeps coming (not one per read)."""
        self.watchdog = None
        waiter = self.waiter
        if waiter is None or waiter.done() or self.closed:
            return  # nobody waits: the next wait arms it again
        quiet_since = max(self.last_data, self.wait_started)
        if self.loop.time() - quiet_since >= self.read_timeout:
            waiter.set_exception(httpx2.ReadTimeout(f"no data from the server for {self.read_timeout:g} s"))
        else:
            self.watchdog = self.loop.call_at(quiet_since + self.read_timeout, self._watch)

    def reusable(self) -> bool:
        return self.complete and self.keep_alive and not self.closed and self.error is None

    def send(self, head: bytes, body: bytes) -> None:
        assert self.transport is not None
        self._reset()
        self.transport.writelines((head, body))  # one write, no copy of a large body

    def close(self) -> None:
        self.closed = True
        if self.watchdog is not None:
            self.watchdog.cancel()
            self.watchdog = None
        if self.transport is not None:
            self.transport.close()


class _ConnectionClosedEarly(httpx2.RemoteProtocolError):
    """A reused keep-alive connection that the server had already closed: safe to retry on a new one."""


class ResponseBody(httpx2.AsyncByteStream):
    """The body of one response; `read()` returns what has arrived (b"" at the end)."""

    def __init__(self, transport: StreamingTransport, connection: _Connection, read_timeout: float | None) -> None:
        self._transport = transport
        self._connection = connection
        self._read_timeout = read_timeout
        self._done = False

    async def read(self) -> bytes:
        connection = self._connection
        while True:
            if connection.body:
                if len(connection.body) == 1:
                    return connection.body.popleft()
                data = b"".join(connection.body)
                connection.body.clear()
                return data
            if connection.complete:
                await self.aclose()
                return b""
            if connection.error is not None:
                error = connection.error
                await self.aclose()
                raise error
            await connection.wait(self._read_timeout)

    async def pump(self, callback: Callable[[bytes], bool]) -> bool:
        """Hand each piece of the body to `callback` as it arrives, from the connection's own network callback (no
        future, task switch or frame to resume per piece), until the body ends or `callback` returns True (then
        True: the rest is not read). What `callback` raises is raised here; so are the connection's errors and the
        read timeout (silence, not duration)."""
        connection = self._connection
        try:
            while connection.body:  # what arrived before
                if callback(connection.body.popleft()):
                    return True
            if connection.complete or connection.error is not None:
                return await self._end()
            connection.push = callback
            while True:
                await connection.wait(self._read_timeout)
                if connection.pushed_to_end:
                    return True
                if connection.complete or connection.error is not None:
                    return await self._end()
        finally:
            connection.push = None

    async def _end(self) -> bool:
        connection = self._connection
        await self.aclose()
        if connection.error is not None and not connection.complete:
            raise connection.error
        return False

    async def __aiter__(self):  # type: ignore[no-untyped-def]
        while chunk := await self.read():
            yield chunk

    async def aclose(self) -> None:
        if self._done:
            return
        self._done = True
        self._transport._release(self._connection)


class StreamingTransport(httpx2.AsyncBaseTransport):
    """Keep-alive HTTP/1.1 connections per origin (scheme, host, port); no limit on how many are open at once."""

    def __init__(self, ssl_context: ssl.SSLContext | None = None) -> None:
        self._ssl_context = ssl_context
        self._idle: dict[tuple[str, str, int], list[_Connection]] = {}
        self._closed = False

    def _ssl(self) -> ssl.SSLContext:
        if self._ssl_context is None:
            # httpx's own default: certifi's CAs, or SSL_CERT_FILE / SSL_CERT_DIR when set.
            self._ssl_context = httpx2.create_ssl_context()
        return self._ssl_context

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        url = request.url
        scheme = url.scheme
        if scheme not in ("http", "https"):
            raise httpx2.UnsupportedProtocol(f"the URL scheme {scheme!r} is not supported")
        host = url.host
        port = url.port or (443 if scheme == "https" else 80)
        origin = (scheme, host, port)
        timeouts = request.extensions.get("timeout") or {}
        try:
            body = request.content
        except httpx2.RequestNotRead:
            body = await request.aread()
        head = [request.method.encode(), b" ", url.raw_path, b" HTTP/1.1\r\n"]
        for name, value in request.headers.raw:
            head += [name, b": ", value, b"\r\n"]
        head.append(b"\r\n")
        head_bytes = b"".join(head)

        while True:
            connection, reused = self._take_idle(origin), True
            if connection is None:
                connection, reused = await self._connect(origin, timeouts.get("connect")), False
            connection.send(head_bytes, body)
            try:
                while not connection.headers_done:
                    if connection.error is not None:
                        raise connection.error
                    await connection.wait(timeouts.get("read"))
            except _ConnectionClosedEarly:
                connection.close()
                if reused:
                    continue  # the server had dropped this idle connection: once more on a new one
                raise
            except BaseException:
                connection.close()
                raise
            break
        stream = ResponseBody(self, connection, timeouts.get("read"))
        extensions = {"http_version": b"HTTP/1.1", "reason_phrase": connection.reason, "vzero_body": stream}
        return httpx2.Response(connection.status, headers=connection.headers, stream=stream, extensions=extensions)

    def _take_idle(self, origin: tuple[str, str, int]) -> _Connection | None:
        idle = self._idle.get(origin)
        now = time.monotonic()
        while idle:
            connection = idle.pop()
            if not connection.closed and now - connection.idle_since < KEEPALIVE_SECONDS:
                return connection
            connection.close()
        return None

    async def _connect(self, origin: tuple[str, str, int], timeout: float | None) -> _Connection:
        scheme, host, port = origin
        loop = asyncio.get_running_loop()
        secure = scheme == "https"
        try:
            async with asyncio.timeout(timeout):
                _, connection = await loop.create_connection(
                    lambda: _Connection(origin), host, port, ssl=self._ssl() if secure else None, server_hostname=host if secure else None
                )
        except TimeoutError:
            raise httpx2.ConnectTimeout(f"connecting to {host}:{port} took longer than {timeout:g} s") from None
        except (OSError, ssl.SSLError) as exc:
            raise httpx2.ConnectError(f"could not connect to {host}:{port}: {exc}") from exc
        return connection

    def _release(self, connection: _Connection) -> None:
        if self._closed or not connection.reusable():
            connection.close()
            return
        idle = self._idle.setdefault(connection.origin, [])
        if len(idle) >= MAX_IDLE_PER_ORIGIN:
            connection.close()
            return
        connection.idle_since = time.monotonic()
        idle.append(connection)

    async def aclose(self) -> None:
        self._closed = True
        for idle in self._idle.values():
            for connection in idle:
                connection.close()
        self._idle.clear()


def body_reader(response: httpx2.Response) -> ResponseBody | None:
    """The transport's body of `response` when it can be read directly (no content encoding to undo)."""
    body = response.extensions.get("vzero_body")
    if isinstance(body, ResponseBody) and response.headers.get("content-encoding", "identity").lower() in ("identity", ""):
        return body
    return None
