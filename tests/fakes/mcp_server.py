"""A real MCP server for tests: the `mcp` SDK's own MCPServer over Streamable HTTP (and SSE), on 127.0.0.1.

It runs uvicorn in a background thread, optionally behind a bearer token, and records every tool call:

    with McpTestServer(token="s3cret") as server:
        server.url          # http://127.0.0.1:<port>/mcp  (server.sse_url: the SSE endpoint)
        server.calls        # [("lookup_price", {"item": "apple"}), ...]

Tools: `lookup_price` (read-only), `create_issue` (changes things: asks for permission), `slow_search` (read-only,
sleeps), `big_report` (read-only, a huge output).
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, Self

import uvicorn
from mcp.server.mcpserver import MCPServer
from mcp.types import ToolAnnotations

Scope = MutableMapping[str, Any]
ASGI = Callable[[Scope, Any, Any], Awaitable[None]]

PRICES = {"apple": "1.25 EUR", "pear": "0.90 EUR"}


def build(calls: list[tuple[str, dict[str, Any]]]) -> MCPServer:
    server = MCPServer("shop-tools", log_level="WARNING")
    read_only = ToolAnnotations(read_only_hint=True)

    @server.tool(description="The price of an item in the shop", annotations=read_only)
    def lookup_price(item: str) -> str:
        calls.append(("lookup_price", {"item": item}))
        return f"The price of {item} is {PRICES.get(item, 'unknown')}"

    @server.tool(description="Create an issue in the tracker", annotations=ToolAnnotations(destructive_hint=False))
    def create_issue(title: str) -> str:
        calls.append(("create_issue", {"title": title}))
        return f"Created issue #17: {title}"

    @server.tool(description="A search that takes its time", annotations=read_only)
    async def slow_search(query: str, seconds: float = 30.0) -> str:
        calls.append(("slow_search", {"query": query}))
        await asyncio.sleep(seconds)
        return f"results for {query}"

    @server.tool(description="A very long report", annotations=read_only)
    def big_report() -> str:
        calls.append(("big_report", {}))
        return "line of the report\n" * 50_000

    return server


def _bearer(app: ASGI, token: str) -> ASGI:
    """Refuse requests without `Authorization: Bearer <token>` with a 401, as an authenticated server does."""

    async def guarded(scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            given = dict(scope["headers"]).get(b"authorization", b"").decode()
            if given != f"Bearer {token}":
                await send({"type": "http.response.start", "status": 401, "headers": [(b"content-type", b"application/json"), (b"www-authenticate", b"Bearer")]})
                await send({"type": "http.response.body", "body": b'{"error":"invalid_token"}'})
                return
        await app(scope, receive, send)

    return guarded


class McpTestServer:
    """The SDK's MCPServer on a free port of 127.0.0.1 (Streamable HTTP at /mcp, SSE at /sse)."""

    def __init__(self, *, token: str | None = None, sse: bool = False) -> None:
        self.token = token
        self.sse = sse
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.port = 0
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/sse" if self.sse else f"http://127.0.0.1:{self.port}/mcp"

    def start(self) -> None:
        mcp = build(self.calls)
        app: ASGI = mcp.sse_app() if self.sse else mcp.streamable_http_app()  # type: ignore[assignment]
        if self.token is not None:
            app = _bearer(app, self.token)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(app, lifespan="on", access_log=False, log_level="critical", timeout_graceful_shutdown=1)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [sock]}, daemon=True, name="McpTestServer")
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the MCP test server did not start on port {self.port}")
            time.sleep(0.01)

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
