"""The v1 stream: a `chat` event, `delta` events that build `experimental_content`, then `[DONE]`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from vzero.api.sse import EventStream, frame
from vzero.engine.events import Changed, Ended, Event


class V1Stream(EventStream):
    def __init__(self, chat: dict[str, Any], replay: list[Any] | None = None) -> None:
        self.chat = chat
        self.replay = replay  # a finished message: its whole content as one delta

    def opening(self) -> Iterable[bytes]:
        yield frame(self.chat)
        if self.replay:
            yield frame({"delta": {"_t": "a", **{str(i): [node] for i, node in enumerate(self.replay)}}})

    def render(self, event: Event) -> bytes:
        if type(event) is bytes:  # a V1Delta: nearly every chunk
            return b'data: {"delta":' + event + b"}\n\n"  # = frame({"delta": d})
        if isinstance(event, Changed):
            v1 = event.v1
            if len(v1) == 1:  # one delta: nearly every chunk
                return b'data: {"delta":' + v1[0] + b"}\n\n"  # = frame({"delta": d})
            return b"".join(b'data: {"delta":' + d + b"}\n\n" for d in v1)
        if isinstance(event, Ended) and event.status != "completed":
            return frame({"type": "error", "error": {"type": event.status, "message": event.error or event.status}, "finishReason": event.finish_reason})
        return b""

    def closing(self) -> Iterable[bytes]:
        yield b"data: [DONE]\n\n"
