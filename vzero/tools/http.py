"""An httpx2 client for the SDKs that talk to untrusted servers (MCP), vetted like every fetch.

Every request's host is resolved and checked by the SafeFetcher (no private or loopback address unless
VZERO_ALLOW_PRIVATE_URLS=true), and the connection goes to the address that was checked (no DNS rebinding between
the check and the connect), with the host name kept for the Host header and TLS. Proxies are never used.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import httpx2

from vzero.sources.fetch import SafeFetcher, is_ip_literal, tls_context


class _Capped(httpx2.AsyncByteStream):
    """A response body that fails once it grows past a limit (an untrusted server may send without end)."""

    def __init__(self, inner: httpx2.AsyncByteStream, limit: int) -> None:
        self.inner = inner
        self.limit = limit

    async def __aiter__(self) -> AsyncIterator[bytes]:
        received = 0
        async for chunk in self.inner:
            received += len(chunk)
            if received > self.limit:
                raise httpx2.ReadError(f"the answer is larger than {self.limit} bytes")
            yield chunk

    async def aclose(self) -> None:
        await self.inner.aclose()


class VettedTransport(httpx2.AsyncBaseTransport):
    """Sends each request to a vetted address of its host; each answer's body is cut off past `max_bytes`."""

    def __init__(self, fetcher: SafeFetcher, action: str, refusals: list[int] | None = None, max_bytes: int = 16 * 1024 * 1024) -> None:
        self.fetcher = fetcher
        self.action = action
        self.refusals = refusals  # where the status of each 4xx/5xx answer is noted (SDKs often hide it)
        self.max_bytes = max_bytes
        self._inner = httpx2.AsyncHTTPTransport(verify=tls_context(), trust_env=False)

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        host = request.url.host
        addresses = await self.fetcher.vetted_addresses(httpx.URL(str(request.url)), action=self.action)
        request.url = request.url.copy_with(host=addresses[0])
        if not is_ip_literal(host):
            request.extensions["sni_hostname"] = host  # the Host header was set from the URL when it was built
        response = await self._inner.handle_async_request(request)
        if response.status_code >= 400 and self.refusals is not None:
            self.refusals.append(response.status_code)
        response.stream = _Capped(response.stream, self.max_bytes)  # type: ignore[arg-type]
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()


def vetted_client(
    fetcher: SafeFetcher,
    *,
    action: str,
    headers: dict[str, str] | None = None,
    timeout: httpx2.Timeout | float = 30.0,
    auth: httpx2.Auth | None = None,
    refusals: list[int] | None = None,
) -> httpx2.AsyncClient:
    """A client whose every request goes to a vetted address; it never follows redirects on its own. `refusals`
    collects the status of every error answer."""
    options: dict[str, Any] = {"timeout": timeout, "trust_env": False, "follow_redirects": False}
    if headers:
        options["headers"] = headers
    if auth is not None:
        options["auth"] = auth
    return httpx2.AsyncClient(transport=VettedTransport(fetcher, action, refusals), **options)
