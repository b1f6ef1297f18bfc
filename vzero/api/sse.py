"""Server-sent events from a generation's log; each dialect says how it opens, renders its events and closes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from typing import Any

from fastapi.responses import StreamingResponse

from vzero.core import jsontext
from vzero.engine.generation import Generation

# For the OpenAPI document: routes that answer with an event stream (always, or in one response mode).
SSE_RESPONSE: dict[int | str, dict[str, Any]] = {200: {"content": {"text/event-stream": {"schema": {"description": "one JSON object per data: line"}}}}}
ARCHIVE_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {
            "application/zip": {"schema": {"type": "string", "format": "binary"}},
            "application/gzip": {"schema": {"type": "string", "format": "binary"}},
        }
    }
}
SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no", "Connection": "keep-alive"}
_BATCH = 256  # events sent in one write at most, when a listener is behind


def frame(payload: Any) -> bytes:
    return b"data: " + jsontext.dumps(payload) + b"\n\n"


class EventStream:
    """A generation's events as one dialect's SSE: `opening`, then each event as `render` writes it, then `closing`."""

    def opening(self) -> Iterable[bytes]:
        return ()

    def attach(self, generation: Generation) -> tuple[bytes, int]:
        """Join the generation's log: what to send first, and the index of the first event to render after it.
        Called once, synchronously, so nothing is published in between. From the start, by default."""
        return b"", 0

    def render(self, generation: Generation, start: int, end: int) -> bytes:
        """The frames of events[start:end]."""
        raise NotImplementedError

    async def closing(self) -> bytes:
        return b""

    async def body(self, generation: Generation | None) -> AsyncIterator[bytes]:
        for chunk in self.opening():
            yield chunk
        if generation is not None:
            # Reads the log itself (a generator per layer is one more frame to resume for every chunk): everything
            # already logged goes out as one write, and so does each burst that arrives together.
            first, index = self.attach(generation)
            if first:
                yield first
            events, render = generation.events, self.render
            while True:
                end = len(events)
                if index < end:
                    end = min(end, index + _BATCH)
                    data = render(generation, index, end)
                    index = end
                    if data:  # (usage, for one, is not part of every dialect's stream)
                        yield data
                    continue
                waiter = generation.changed_since(index)
                if waiter is None:
                    break  # ended, and everything it logged was sent
                await waiter
        last = await self.closing()
        if last:
            yield last

    def response(self, generation: Generation | None) -> StreamingResponse:
        return StreamingResponse(self.body(generation), media_type="text/event-stream", headers=SSE_HEADERS)
