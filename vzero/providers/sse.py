"""Server-sent events read from a provider's response body as it arrives."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from vzero.providers.network import body_reader


class SSEDecoder:
    """Server-sent events decoded incrementally from the raw bytes of a response body.

    Works on bytes, one network read at a time: decoding text and splitting lines through the HTTP
    client's line iterator cost more CPU per event than everything else vzero does with a chunk.
    Lines may end in LF, CRLF or CR (the SSE grammar allows all three), split anywhere across reads.
    """

    __slots__ = ("_data", "_event", "_tail")

    def __init__(self) -> None:
        self._tail = b""
        self._event = ""
        self._data: list[str] = []

    def feed(self, chunk: bytes) -> list[tuple[str, str]]:
        """The (event name, data) pairs completed by `chunk`."""
        if (
            not self._tail and not self._data and not self._event and chunk.startswith(b"data: ")
            and chunk.find(b"\n") == len(chunk) - 2 and chunk.endswith(b"\n\n") and b"\r" not in chunk
        ):
            # One whole unnamed event of one line in one read: what a streaming model sends per token.
            return [("message", chunk[6:-2].decode("utf-8", "replace"))]
        buffer = self._tail + chunk if self._tail else chunk
        if b"\r" in buffer:
            # A CR at the very end may be the first half of a CRLF: keep it for the next read.
            held = buffer.endswith(b"\r")
            if held:
                buffer = buffer[:-1]
            buffer = buffer.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
            if held:
                buffer += b"\r"
        lines = buffer.split(b"\n")
        self._tail = lines.pop()
        events: list[tuple[str, str]] = []
        for raw in lines:
            self._line(raw, events)
        return events

    def close(self) -> list[tuple[str, str]]:
        """What the body's end completes: a last line and event without their terminating newline."""
        events: list[tuple[str, str]] = []
        if self._tail:
            tail, self._tail = self._tail.rstrip(b"\r"), b""
            self._line(tail, events)
        if self._data:
            events.append((self._event or "message", "\n".join(self._data)))
        self._event, self._data = "", []
        return events

    def _line(self, raw: bytes, events: list[tuple[str, str]]) -> None:
        if not raw:
            if self._data:
                events.append((self._event or "message", "\n".join(self._data)))
            self._event, self._data = "", []
            return
        line = raw.decode("utf-8", "replace")
        if line.startswith(":"):  # a comment, often a keep-alive
            return
        name, _, value = line.partition(":")
        if value.startswith(" "):
            value = value[1:]
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value


async def pump_sse(response: Any, on_event: Callable[[str, str], bool | None]) -> None:
    """Hand every server-sent event of an SDK's (httpx) response to `on_event(name, data)` as it arrives, until the
    body ends or `on_event` returns True.

    On vzero's transport `on_event` runs inside the connection's own network callback, with no task switch, future
    or generator between the socket and it; through any other client (a proxy's) it runs as each read arrives. What
    `on_event` raises ends the reading and is raised here, unchanged.
    """
    decoder = SSEDecoder()

    def on_bytes(chunk: bytes) -> bool:
        return any(on_event(name, data) for name, data in decoder.feed(chunk))

    body = body_reader(response)
    if body is not None:
        if await body.pump(on_bytes):
            return
    else:
        async for chunk in response.aiter_bytes():
            if chunk and on_bytes(chunk):
                return
    for name, data in decoder.close():
        if on_event(name, data):
            return
