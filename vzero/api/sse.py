"""Server-sent events from a generation's log; each dialect overrides only how an event is rendered."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from typing import Any

from fastapi.responses import StreamingResponse

from vzero.core import jsontext
from vzero.engine.events import Event, PartsSnapshot
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

    def events(self, generation: Generation, start: int) -> AsyncIterator[Event]:
        """The generation's events this dialect renders: its whole log from `start`."""
        return generation.follow(start)

    async def body(self, generation: Generation | None, start: int = 0) -> AsyncIterator[bytes]:
        for chunk in self.opening():
            yield chunk
        if generation is not None:
            # Everything already in the log goes out as one write; so does each burst that arrives together.
            pending: list[bytes] = []
            async for event in self.events(generation, start):
                pending.append(self.render(event))
                logged = generation.events
                if logged and event is not logged[-1] and not isinstance(event, PartsSnapshot) and len(pending) < 256:
                    continue  # more is already logged: send it in the same write
                yield b"".join(pending)
                pending = []
            if pending:
                yield b"".join(pending)
        for chunk in self.closing():
            yield chunk

    def response(self, generation: Generation | None, start: int = 0) -> StreamingResponse:
        return StreamingResponse(self.body(generation, start), media_type="text/event-stream", headers=SSE_HEADERS)
