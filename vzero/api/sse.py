"""Server-sent events from a generation's log; each dialect overrides only how an event is rendered."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from typing import Any

from fastapi.responses import StreamingResponse

from vzero.core import jsontext
from vzero.engine.events import Event
from vzero.engine.generation import Generation

# For the OpenAPI document: routes that answer with an event stream (always, or in one response mode).
SSE_RESPONSE: dict[int | str, dict[str, Any]] = {200: {"content": {"text/event-stream": {"schema": {"description": "one JSON object per data: line"}}}}}
ARCHIVE_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}, "application/gzip": {"schema": {"type": "string", "format": "binary"}}}}
}
SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no", "Connection": "keep-alive"}


def frame(payload: Any) -> bytes:
    return b"data: " + jsontext.dumps(payload) + b"\n\n"


class EventStream:
    """Renders a generation's events as SSE bytes; subclasses implement `opening`, `render` and `closing`."""

    def opening(self) -> Iterable[bytes]:
        return ()

    def render(self, event: Event) -> bytes:
        raise NotImplementedError

    def closing(self) -> Iterable[bytes]:
        return ()

    def start(self, generation: Generation, start: int) -> tuple[Event | None, int]:
        """Where this dialect's listener starts in the generation's log: an event to send first (or None) and the
        index of the logged events that follow it. The whole log from `start`, by default."""
        return None, start

    async def body(self, generation: Generation | None, start: int = 0) -> AsyncIterator[bytes]:
        for chunk in self.opening():
            yield chunk
        if generation is not None:
            # Reads the log itself (a generator per layer is one more frame to resume for every chunk): everything
            # already logged goes out as one write, and so does each burst that arrives together.
            first, index = self.start(generation, start)
            events, render = generation.events, self.render
            if first is not None:
                yield render(first)
            while True:
                end = len(events)
                if index < end:
                    end = min(end, index + 256)
                    data = b"".join(map(render, events[index:end])) if end - index > 1 else render(events[index])
                    index = end
                    if data:  # (usage, for one, is not part of every dialect's stream)
                        yield data
                    continue
                waiter = generation.changed_since(index)
                if waiter is None:
                    break  # ended, and everything it logged was sent
                await waiter
        for chunk in self.closing():
            yield chunk

    def response(self, generation: Generation | None, start: int = 0) -> StreamingResponse:
        return StreamingResponse(self.body(generation, start), media_type="text/event-stream", headers=SSE_HEADERS)
