"""MCP servers as sources of tools, through the official `mcp` SDK: Streamable HTTP, and SSE for older servers.

A reply connects to each of its servers when it starts (`McpSource.open`), lists their tools and keeps the sessions
until it ends. Every request goes through a vetted client (`tools/http.py`) with the server's stored credentials as
headers; connecting and each call are time-limited, and what a server sends is size-limited.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack
from dataclasses import dataclass, field
from typing import Any, ClassVar

import httpx2

from vzero.core import jsontext
from vzero.errors import VzeroError
from vzero.providers import ToolSpec
from vzero.sources.fetch import SafeFetcher, display_url
from vzero.tools.base import Presentation, Tool, ToolOutput, ToolSourceDown, Workspace
from vzero.tools.http import vetted_client

log = logging.getLogger("vzero.mcp")

MAX_TOOLS = 128  # per server
MAX_PAGES = 10
MAX_SCHEMA_BYTES = 16 * 1024  # a tool's input schema, as the model is sent it
MAX_EVENT_BYTES = 4 * 1024 * 1024  # one SSE event from a server
_ACTION = "connect to the MCP server at"


@dataclass(frozen=True, slots=True)
class McpServerConfig:
    """A server a reply uses: where it is and the headers its stored authentication becomes."""

    id: str
    name: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class McpLimits:
    connect_timeout: float = 10.0  # connecting and listing the tools
    call_timeout: float = 60.0
    auto_approve: str = "read-only"  # read-only | all | none (see Settings.mcp_auto_approve)


class McpSource:
    """One MCP server: connected for a reply's length, its tools listed once."""

    def __init__(self, config: McpServerConfig, fetcher: SafeFetcher, limits: McpLimits) -> None:
        self.config = config
        self.fetcher = fetcher
        self.limits = limits
        self.label = f"the MCP server '{config.name}' ({display_url(config.url)})"

    async def open(self, stack: AsyncExitStack) -> Sequence[Tool]:
        import mcp

        errors: list[str] = []
        refusals: list[int] = []
        for transport in self._transports(refusals):
            client = mcp.Client(transport, read_timeout_seconds=self.limits.call_timeout, cache=None)
            inner = AsyncExitStack()
            try:
                async with asyncio.timeout(self.limits.connect_timeout):
                    await inner.enter_async_context(client)
                    listed = await self._list(client)
            except TimeoutError:
                await _close(inner)
                raise ToolSourceDown(
                    f"Could not connect to {self.label}: no answer within {self.limits.connect_timeout:g} s "
                    "(VZERO_MCP_CONNECT_TIMEOUT); its tools are not available in this reply"
                ) from None
            except Exception as exc:  # noqa: BLE001 - whatever the SDK or the network raised: the server is down
                await _close(inner)
                errors.append(_refused(refusals, self.config.id) or _reason(exc))
                refusals.clear()
                continue
            stack.push_async_callback(_close, inner)
            return [McpTool(self, client, tool, self.limits) for tool in listed[:MAX_TOOLS]]
        raise ToolSourceDown(f"Could not connect to {self.label}: {errors[0]}; its tools are not available in this reply")

    def _transports(self, refusals: list[int]) -> list[AbstractAsyncContextManager[Any]]:
        """Streamable HTTP, then SSE (older servers); an `/sse` endpoint is SSE only."""
        from mcp.client.sse import sse_client
        from mcp.client.streamable_http import streamable_http_client

        timeout = httpx2.Timeout(self.limits.connect_timeout, read=self.limits.call_timeout + 5)

        def factory(headers: dict[str, str] | None = None, timeout: httpx2.Timeout | None = None, auth: httpx2.Auth | None = None) -> httpx2.AsyncClient:
            merged = {**self.config.headers, **(headers or {})}
            return vetted_client(self.fetcher, action=_ACTION, headers=merged, timeout=timeout or 30.0, auth=auth, refusals=refusals)

        sse = sse_client(self.config.url, headers=dict(self.config.headers), timeout=self.limits.connect_timeout,
                         sse_read_timeout=self.limits.call_timeout + 5, httpx_client_factory=factory)
        if self.config.url.rstrip("/").endswith("/sse"):
            return [sse]
        http = vetted_client(self.fetcher, action=_ACTION, headers=self.config.headers, timeout=timeout, refusals=refusals)
        return [_Owned(streamable_http_client(self.config.url, http_client=http, max_sse_event_size=MAX_EVENT_BYTES), http), sse]

    async def _list(self, client: Any) -> list[Any]:
        tools: list[Any] = []
        cursor = None
        for _ in range(MAX_PAGES):
            page = await client.list_tools(cursor=cursor)
            tools.extend(page.tools)
            cursor = page.next_cursor
            if cursor is None or len(tools) >= MAX_TOOLS:
                break
        return tools


class McpTool(Tool):
    """A tool of an MCP server; calls that may change things wait for the user's permission (see `needs_permission`)."""

    presentation: ClassVar[Presentation] = "tool-call"

    def __init__(self, source: McpSource, client: Any, tool: Any, limits: McpLimits) -> None:
        schema = tool.input_schema if isinstance(tool.input_schema, dict) else {"type": "object", "properties": {}}
        if len(jsontext.dumps(schema)) > MAX_SCHEMA_BYTES:
            schema = {"type": "object"}  # a server's schema is untrusted: one this large would crowd the prompt out
        description = (tool.description or tool.title or tool.name)[:2000]
        super().__init__(ToolSpec(tool.name, f"{description} (from the MCP server {source.config.name})", schema))
        self.source = source
        self.client = client
        self.tool_name = tool.name
        annotations = tool.annotations
        self.read_only = bool(annotations is not None and annotations.read_only_hint)
        self.limits = limits

    def needs_permission(self, arguments: dict[str, Any]) -> bool:
        policy = self.limits.auto_approve
        return policy == "none" or (policy == "read-only" and not self.read_only)

    async def run(self, arguments: dict[str, Any], workspace: Workspace) -> ToolOutput:
        try:
            result = await self.client.call_tool(self.tool_name, arguments, read_timeout_seconds=self.limits.call_timeout)
        except Exception as exc:
            if isinstance(exc, VzeroError):
                raise
            raise McpCallFailed(f"{self.source.label} failed the call: {_reason(exc)}") from exc
        return ToolOutput(result_text(result), is_error=bool(result.is_error))


class McpCallFailed(VzeroError):
    """An MCP server did not complete a tool call."""


def result_text(result: Any) -> str:
    """A CallToolResult as text: its text contents, described non-text contents, else its structured content."""
    parts: list[str] = []
    for content in result.content or []:
        kind = getattr(content, "type", "")
        if kind == "text":
            parts.append(content.text)
        elif kind in ("image", "audio"):
            parts.append(f"[{kind} ({content.mime_type}), {len(content.data) * 3 // 4} bytes]")
        elif kind == "resource_link":
            parts.append(f"[resource {content.uri}]")
        elif kind == "resource":
            resource = content.resource
            parts.append(getattr(resource, "text", None) or f"[resource {resource.uri}]")
    if not parts and result.structured_content is not None:
        parts.append(jsontext.dumps(result.structured_content).decode())
    return "\n".join(parts) or "(no output)"


class _Owned:
    """A transport whose HTTP client is closed with it (the SDK leaves a client it was given open)."""

    def __init__(self, transport: AbstractAsyncContextManager[Any], client: httpx2.AsyncClient) -> None:
        self.transport = transport
        self.client = client

    async def __aenter__(self) -> Any:
        try:
            return await self.transport.__aenter__()
        except BaseException:
            await self.client.aclose()
            raise

    async def __aexit__(self, *exc_info: Any) -> bool | None:
        try:
            return await self.transport.__aexit__(*exc_info)
        finally:
            await self.client.aclose()


async def _close(stack: AsyncExitStack) -> None:
    """Close a server's session; a server that hangs or errs on the way out does not hold the reply up."""
    try:
        async with asyncio.timeout(5):
            await stack.aclose()
    except Exception:
        log.debug("closing an MCP session failed", exc_info=True)


def _refused(statuses: list[int], server_id: str) -> str | None:
    """What the HTTP status of a refused connection says, if the server answered with one."""
    if not statuses:
        return None
    status = statuses[0]
    if status in (401, 403):
        return f"the server refused the credentials ({status}): check the server's auth (PATCH /v1/mcp-servers/{server_id})"
    if status in (404, 405):
        return f"the server answered {status}: is this the URL of its MCP endpoint?"
    return f"the server answered {status}"


def _reason(exc: BaseException) -> str:
    """The most telling message of an error the SDK raised (often an exception group around the real one)."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    if isinstance(exc, VzeroError):
        return exc.message
    if isinstance(exc, httpx2.HTTPStatusError):
        return f"the server answered {exc.response.status_code}"
    cause = exc.__cause__ or exc.__context__
    text = str(exc) or type(exc).__name__
    if isinstance(exc, httpx2.ConnectError) or (cause is not None and isinstance(cause, OSError)):
        return f"connection failed ({text})"
    return text[:300]
