"""Fake model servers: real HTTP on 127.0.0.1, scripted replies, every request recorded.

Each server runs uvicorn on its own event loop in a background thread and serves a raw ASGI app, so
hundreds of concurrent streams cost one coroutine each. Use one as a context manager or fixture:

    @pytest.fixture(scope="module")
    def fake_openai() -> Iterator[FakeOpenAIServer]:
        with FakeOpenAIServer() as server:  # FakeAnthropicServer() likewise
            yield server

    fake_openai.enqueue(FakeReply(text="hello", chunk_size=2), FakeReply(status=500))
    settings = Settings(provider="openai", openai_base_url=fake_openai.base_url, openai_api_key="test")
    ...
    assert fake_openai.requests[0].body["messages"][-1]["content"] == "..."

With nothing queued a server answers with `default_reply`, whose text (None) becomes a small v0-format
CodeProject about the last user message. `reset()` clears the queue and the recorded requests.

A reply may call tools (`FakeToolCall`: streamed as OpenAI `tool_calls` deltas or Anthropic `tool_use` blocks) and
may write its text from the request it answers (`text_from`), e.g. from the tool results it was sent
(`tool_results`). Both servers refuse a conversation whose tool calls and results do not pair up, as the real APIs do.
"""

from __future__ import annotations

import asyncio
import collections
import json
import re
import socket
import struct
import threading
import time
import zlib
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any, Self

import uvicorn

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

__all__ = [
    "FakeAnthropicServer", "FakeModelServer", "FakeOpenAIServer", "FakeReply", "FakeToolCall", "RecordedRequest", "default_answer",
    "tool_results",
]


@dataclass(frozen=True)
class FakeToolCall:
    """A tool call a scripted reply makes; `id` None: the server makes one up."""

    name: str
    arguments: dict[str, Any] = field(default_factory=dict)
    id: str | None = None
    raw_arguments: str | None = None  # sent instead of the JSON of `arguments` (e.g. broken JSON)


@dataclass(frozen=True)
class FakeReply:
    """One scripted reply; the defaults give a quick, successful, streamed answer."""

    text: str | None = None  # None: a small v0-format answer built from the last user message
    chunk_size: int = 5  # characters per streamed delta
    chunks: int | None = None  # split the text into this many deltas instead of by chunk_size
    delay: float = 0.0  # seconds between deltas
    first_token_delay: float = 0.0  # seconds between the response headers and the first delta
    include_usage: bool = True  # send usage (OpenAI: only when the request asked for it)
    usage: tuple[int, int] | None = None  # (input, output) tokens; None: the server counts its own
    cache_read: int = 0  # cached prompt tokens (OpenAI cached_tokens, Anthropic cache_read_input_tokens)
    cache_write: int = 0  # Anthropic cache_creation_input_tokens
    cut_after_chunks: int | None = None  # drop the connection after this many deltas
    cut_before_end: bool = False  # send every delta and the finish frame, then drop the connection
    error_event: str | None = None  # send an in-stream error with this message after cut_after_chunks deltas
    status: int = 200  # a non-200 status answers with an error body instead
    error_body: dict[str, Any] | str | None = None  # None: the API's usual error shape for `status`
    reasoning: str = ""  # native reasoning streamed before the text
    finish_reason: str | None = None  # wire value, e.g. "length" or "max_tokens"; None: a normal stop
    headers: dict[str, str] = field(default_factory=dict)  # extra response headers, e.g. retry-after
    tool_calls: tuple[FakeToolCall, ...] = ()  # called after the text
    text_from: Callable[[Any], str] | None = None  # the text, computed from the request body it answers

    def text_for(self, body: Any) -> str:
        """The reply's text for this request."""
        if self.text_from is not None:
            return self.text_from(body)
        return self.text if self.text is not None else default_answer(last_user_text(body["messages"]))


@dataclass(frozen=True)
class RecordedRequest:
    """A request as the server received it."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any  # parsed JSON, or None when the body was empty or not JSON


def split_text(text: str, reply: FakeReply) -> list[str]:
    """The deltas `text` is streamed as."""
    if not text:
        return []
    if reply.chunks:
        # Exactly `chunks` deltas (fewer only when the text is shorter), sizes differing by at most one.
        count = min(reply.chunks, len(text))
        size, extra = divmod(len(text), count)
        bounds = [n * size + min(n, extra) for n in range(count + 1)]
        return [text[bounds[n] : bounds[n + 1]] for n in range(count)]
    size = max(1, reply.chunk_size)
    return [text[i : i + size] for i in range(0, len(text), size)]


def default_answer(prompt: str) -> str:
    """A small valid v0-format reply (one CodeProject writing app/page.tsx) about `prompt`."""
    first_line = next((line.strip() for line in prompt.splitlines() if line.strip()), "") or "Hello"
    title = re.sub(r"[^\w .,!?'-]", "", first_line)[:80].strip() or "Hello"
    return (
        f"I'll build a page for: {title}.\n\n"
        '<CodeProject id="app">\n\n'
        '```tsx file="app/page.tsx"\n'
        "export default function Page() {\n"
        "  return (\n"
        '    <main className="flex min-h-screen flex-col items-center justify-center gap-4 p-8">\n'
        f'      <h1 className="text-3xl font-bold">{title}</h1>\n'
        '      <p className="text-muted-foreground">Generated by the fake model server.</p>\n'
        "    </main>\n"
        "  )\n"
        "}\n"
        "```\n\n"
        "</CodeProject>\n\n"
        "The page shows the title in the middle of the screen.\n"
    )


def content_text(content: Any) -> str:
    """The text of a message's content: a string, or the text parts of a list of blocks."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = [part.get("text", "") for part in content if isinstance(part, dict) and part.get("type") == "text"]
        return "\n".join(str(text) for text in texts)
    return ""


def last_user_text(messages: Any) -> str:
    """The text of the last user message in an OpenAI or Anthropic message list."""
    if isinstance(messages, list):
        for message in reversed(messages):
            if isinstance(message, dict) and message.get("role") == "user":
                return content_text(message.get("content"))
    return ""


def tool_results(body: Any) -> dict[str, str]:
    """The tool results a request carries, by call id: OpenAI `tool` messages and Anthropic `tool_result` blocks."""
    found: dict[str, str] = {}
    for message in body.get("messages", []) if isinstance(body, dict) else []:
        if not isinstance(message, dict):
            continue
        if message.get("role") == "tool":
            found[str(message.get("tool_call_id"))] = content_text(message.get("content")) or str(message.get("content"))
        content = message.get("content")
        if isinstance(content, list):
            for block in content:
                if isinstance(block, dict) and block.get("type") == "tool_result":
                    inner = block.get("content")
                    found[str(block.get("tool_use_id"))] = inner if isinstance(inner, str) else content_text(inner)
    return found


def png(width: int = 8, height: int = 8, rgb: tuple[int, int, int] = (13, 148, 136)) -> bytes:
    """A real PNG image (8-bit RGB, one colour) that any decoder reads."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def count_tokens(text: str) -> int:
    """The fake servers' own token count: one per whitespace-separated word, at least one."""
    return max(1, len(text.split()))


class FakeModelServer:
    """Base of the fake servers: the thread, the reply queue, the request log and the streaming loop."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        api_key: str | None = None,
        default_reply: FakeReply | None = None,
        reject_fields: tuple[str, ...] = (),
        log_config: dict[str, Any] | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.api_key = api_key  # when set, requests without it get the API's 401
        self.default_reply = default_reply or FakeReply()
        self.reject_fields = reject_fields  # request fields answered with a 400, like an older server
        self.requests: list[RecordedRequest] = []
        self._replies: collections.deque[FakeReply] = collections.deque()
        self._log_config = log_config
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.active_streams = 0

    # --- scripting ------------------------------------------------------------------------

    def enqueue(self, *replies: FakeReply) -> None:
        """Queue replies for the next requests, in order; the default reply is used once they run out."""
        self._replies.extend(replies)

    def reset(self) -> None:
        """Forget queued replies and recorded requests."""
        self._replies.clear()
        self.requests.clear()

    def next_reply(self) -> FakeReply:
        """The next scripted reply, or the default one."""
        try:
            return self._replies.popleft()
        except IndexError:
            return self.default_reply

    @property
    def url(self) -> str:
        """Root URL of the server."""
        return f"http://{self.host}:{self.port}"

    # --- lifecycle ------------------------------------------------------------------------

    def start(self) -> None:
        """Bind a port (a free one when port is 0) and serve in a background thread."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            self,
            interface="asgi3",
            lifespan="off",
            access_log=False,
            log_config=self._log_config,
            backlog=4096,
            timeout_keep_alive=30,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, daemon=True, name=type(self).__name__
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"{type(self).__name__} did not start on {self.url}")
            time.sleep(0.005)

    def stop(self) -> None:
        """Stop serving, dropping open connections."""
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._server.force_exit = True
            self._thread.join(timeout=10)
        self._server = None
        self._thread = None

    def serve_forever(self) -> None:
        """Serve in the foreground until interrupted (for the command line)."""
        if self._server is None:
            self.start()
        try:
            while self._thread is not None and self._thread.is_alive():
                self._thread.join(timeout=0.5)
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # --- HTTP -----------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The ASGI entry point: record the request, then let the subclass answer it."""
        if scope["type"] != "http":
            return
        raw = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            raw += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        request = RecordedRequest(scope["method"], scope["path"], headers, body)
        self.requests.append(request)
        await self.handle(request, receive, send)

    async def handle(self, request: RecordedRequest, receive: Receive, send: Send) -> None:
        """Answer one request (subclasses)."""
        await send_json(send, 404, {"error": {"message": "not found"}})

    async def stream(
        self,
        send: Send,
        receive: Receive,
        reply: FakeReply,
        head: list[bytes],
        pieces: list[bytes],
        tail: list[bytes],
        error: bytes,
    ) -> None:
        """Stream SSE frames: head at once, pieces paced by the reply, then tail (or error, or a cut)."""
        headers = [(b"content-type", b"text/event-stream; charset=utf-8"), (b"cache-control", b"no-cache")]
        headers += [(k.lower().encode(), v.encode()) for k, v in reply.headers.items()]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        streaming = asyncio.current_task()
        state = {"gone": False, "finishing": False}

        async def watch() -> None:
            # A client that hangs up stops the stream at once, even in the middle of a pause.
            while (await receive())["type"] != "http.disconnect":
                pass
            if not state["finishing"] and streaming is not None:
                state["gone"] = True
                streaming.cancel()

        watcher = asyncio.ensure_future(watch())
        self.active_streams += 1
        try:
            if head:
                await send({"type": "http.response.body", "body": b"".join(head), "more_body": True})
            if reply.first_token_delay:
                await asyncio.sleep(reply.first_token_delay)
            stop_at = reply.cut_after_chunks
            for index, piece in enumerate(pieces):
                if stop_at is not None and index >= stop_at:
                    break
                if index and reply.delay:
                    await asyncio.sleep(reply.delay)
                await send({"type": "http.response.body", "body": piece, "more_body": True})
            if reply.cut_before_end and tail:
                await send({"type": "http.response.body", "body": tail[0], "more_body": True})
                return
            state["finishing"] = True
            if reply.error_event is not None:
                await send({"type": "http.response.body", "body": error, "more_body": False})
                return
            if stop_at is not None and stop_at <= len(pieces):
                # Returning without finishing the body makes uvicorn drop the connection mid-reply.
                return
            await send({"type": "http.response.body", "body": b"".join(tail), "more_body": False})
        except asyncio.CancelledError:
            if not state["gone"]:
                raise  # the server is shutting down
        finally:
            self.active_streams -= 1
            watcher.cancel()


async def send_json(send: Send, status: int, payload: Any, extra_headers: dict[str, str] | None = None) -> None:
    """Send a complete JSON (or, for a str payload, plain text) response."""
    if isinstance(payload, str):
        data, kind = payload.encode(), b"text/plain; charset=utf-8"
    else:
        data, kind = json.dumps(payload).encode(), b"application/json"
    headers = [(b"content-type", kind), (b"content-length", str(len(data)).encode())]
    headers += [(k.lower().encode(), v.encode()) for k, v in (extra_headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": data, "more_body": False})


def __getattr__(name: str) -> Any:
    """Import the servers lazily, so `python -m tests.fakes.openai_server` does not load itself twice."""
    if name == "FakeOpenAIServer":
        from tests.fakes.openai_server import FakeOpenAIServer

        return FakeOpenAIServer
    if name == "FakeAnthropicServer":
        from tests.fakes.anthropic_server import FakeAnthropicServer

        return FakeAnthropicServer
    raise AttributeError(name)
