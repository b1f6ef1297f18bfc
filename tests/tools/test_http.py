"""The vetted httpx2 client the MCP SDK is given: addresses checked on every request, answers size-limited."""

from __future__ import annotations

import httpx2
import pytest

from tests.sources.test_fetch import LocalServer, send
from vzero.config import Settings
from vzero.errors import UnsafeSource
from vzero.sources.fetch import SafeFetcher
from vzero.tools.http import VettedTransport, vetted_client


async def test_answers_are_cut_off_past_the_limit_and_errors_are_noted() -> None:
    local = LocalServer()
    local.routes["/big"] = lambda h: send(h, b"x" * 3000)
    local.routes["/small"] = lambda h: send(h, b"ok")
    refusals: list[int] = []
    try:
        async with vetted_client(SafeFetcher(Settings(allow_private_urls=True)), action="test", refusals=refusals) as client:
            transport = client._transport
            assert isinstance(transport, VettedTransport)
            transport.max_bytes = 1000
            small = await client.get(local.url("/small"))
            assert small.content == b"ok" and small.request.headers["host"] == f"127.0.0.1:{local.port}"
            with pytest.raises(httpx2.ReadError, match="larger than 1000 bytes"):
                await client.get(local.url("/big"))
            assert (await client.get(local.url("/missing"))).status_code == 404
        assert refusals == [404]
    finally:
        local.close()


async def test_private_addresses_are_refused_unless_allowed() -> None:
    async def private(host: str, port: int) -> list[str]:
        return ["192.168.1.20"]

    async with vetted_client(SafeFetcher(Settings(), resolver=private), action="connect to the MCP server at") as client:
        with pytest.raises(UnsafeSource, match=r"mcp\.example resolves to 192\.168\.1\.20"):
            await client.get("https://mcp.example/mcp")
