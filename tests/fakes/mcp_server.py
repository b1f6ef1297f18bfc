"""A real MCP server for tests: the `mcp` SDK's own MCPServer over Streamable HTTP (and SSE), on 127.0.0.1.

It runs uvicorn in a background thread, optionally behind a bearer token, and records every tool call:

    with McpTestServer(token="s3cret") as server:
        server.url          # http://127.0.0.1:<port>/mcp  (server.sse_url: the SSE endpoint)
        server.calls        # [("lookup_price", {"item": "apple"}), ...]

Tools: `lookup_price` (read-only), `create_issue` (changes things: asks for permission), `slow_search` (read-only,
sleeps), `big_report` (read-only, a huge output).

With `oauth=True` the server is also its own OAuth authorization server, as the MCP authorization spec describes:
protected resource metadata (RFC 9728), authorization server metadata (RFC 8414), dynamic client registration
(RFC 7591), an authorization endpoint that redirects at once (the user always agrees) and a token endpoint that
checks PKCE (S256) and refreshes; /mcp accepts only the access tokens it issued and has not replaced.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import itertools
import json
import socket
import threading
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, Self
from urllib.parse import parse_qs, urlencode

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
                await _json(send, 401, {"error": "invalid_token"}, [(b"www-authenticate", b"Bearer")])
                return
        await app(scope, receive, send)

    return guarded


class OAuthProvider:
    """The authorization server side of the test MCP server."""

    def __init__(self, expires_in: int = 3600) -> None:
        self.expires_in = expires_in
        self.origin = ""
        self.valid: set[str] = set()  # access tokens /mcp accepts
        self.grants: list[dict[str, str]] = []  # token requests, as received
        self._codes: dict[str, dict[str, str]] = {}
        self._refresh: dict[str, str] = {}  # refresh token -> the access token it replaces
        self._n = itertools.count(1)

    async def __call__(self, scope: Scope, receive: Any, send: Any, app: ASGI) -> None:
        path, method = scope["path"], scope["method"]
        if path == "/.well-known/oauth-protected-resource/mcp":
            return await _json(send, 200, {"resource": f"{self.origin}/mcp", "authorization_servers": [self.origin]})
        if path == "/.well-known/oauth-authorization-server":
            return await _json(send, 200, {
                "issuer": self.origin, "authorization_endpoint": f"{self.origin}/authorize", "token_endpoint": f"{self.origin}/token",
                "registration_endpoint": f"{self.origin}/register", "code_challenge_methods_supported": ["S256"],
                "response_types_supported": ["code"],
            })
        if path == "/register" and method == "POST":
            body = json.loads(await _body(receive))
            assert body["redirect_uris"] and body["token_endpoint_auth_method"] == "none"
            return await _json(send, 201, {"client_id": "registered-client", "redirect_uris": body["redirect_uris"]})
        if path == "/authorize":
            query = {k: v[0] for k, v in parse_qs(scope["query_string"].decode()).items()}
            code = f"code-{next(self._n)}"
            self._codes[code] = query
            location = f"{query['redirect_uri']}?{urlencode({'code': code, 'state': query['state']})}"
            await send({"type": "http.response.start", "status": 302, "headers": [(b"location", location.encode())]})
            return await send({"type": "http.response.body", "body": b""})
        if path == "/token" and method == "POST":
            form = {k: v[0] for k, v in parse_qs((await _body(receive)).decode()).items()}
            self.grants.append(form)
            return await self._token(send, form)
        given = dict(scope["headers"]).get(b"authorization", b"").decode().removeprefix("Bearer ")
        if scope["type"] == "http" and given not in self.valid:
            challenge = b'Bearer resource_metadata="/.well-known/oauth-protected-resource/mcp"'
            return await _json(send, 401, {"error": "invalid_token"}, [(b"www-authenticate", challenge)])
        await app(scope, receive, send)

    async def _token(self, send: Any, form: dict[str, str]) -> None:
        if form.get("grant_type") == "authorization_code":
            asked = self._codes.pop(form.get("code", ""), None)
            verifier = form.get("code_verifier", "")
            challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
            if asked is None or challenge != asked.get("code_challenge") or form.get("redirect_uri") != asked["redirect_uri"]:
                return await _json(send, 400, {"error": "invalid_grant", "error_description": "code or PKCE verifier does not match"})
            replaced = None
        elif form.get("grant_type") == "refresh_token" and form.get("refresh_token") in self._refresh:
            replaced = self._refresh.pop(form["refresh_token"])
        else:
            return await _json(send, 400, {"error": "invalid_grant"})
        n = next(self._n)
        access, refresh = f"access-{n}", f"refresh-{n}"
        self.valid.discard(replaced or "")
        self.valid.add(access)
        self._refresh[refresh] = access
        await _json(send, 200, {"access_token": access, "token_type": "bearer", "refresh_token": refresh, "expires_in": self.expires_in})


async def _body(receive: Any) -> bytes:
    data = b""
    while True:
        message = await receive()
        data += message.get("body", b"")
        if not message.get("more_body"):
            return data


async def _json(send: Any, status: int, payload: Any, headers: list[tuple[bytes, bytes]] | None = None) -> None:
    await send({"type": "http.response.start", "status": status, "headers": [(b"content-type", b"application/json"), *(headers or [])]})
    await send({"type": "http.response.body", "body": json.dumps(payload).encode()})


class McpTestServer:
    """The SDK's MCPServer on a free port of 127.0.0.1 (Streamable HTTP at /mcp, SSE at /sse)."""

    def __init__(self, *, token: str | None = None, sse: bool = False, oauth: OAuthProvider | None = None) -> None:
        self.token = token
        self.sse = sse
        self.oauth = oauth
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
        if self.oauth is not None:
            provider, inner = self.oauth, app
            provider.origin = f"http://127.0.0.1:{self.port}"

            async def with_oauth(scope: Scope, receive: Any, send: Any) -> None:
                if scope["type"] != "http":
                    return await inner(scope, receive, send)
                await provider(scope, receive, send, inner)

            app = with_oauth
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
