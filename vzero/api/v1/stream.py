"""The v1 stream: a `chat` event, `delta` events that build `experimental_content`, then `[DONE]`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from vzero.api.sse import EventStream, frame
from vzero.api.v1.content import V1Content
from vzero.engine.generation import Generation


class V1Stream(EventStream):
    def __init__(self, chat: dict[str, Any], replay: list[Any] | None = None) -> None:
        self.chat = chat
        self.replay = replay  # a finished message: its whole content as one delta
        self._frames: list[bytes] = []

    def opening(self) -> Iterable[bytes]:
        yield frame(self.chat)
        if self.replay:
            yield frame({"delta": {"_t": "a", **{str(i): [node] for i, node in enumerate(self.replay)}}})

    def attach(self, generation: Generation) -> tuple[bytes, int]:
        # Every event's frames were rendered once, for all listeners, when it was published (V1Content).
        self._frames = generation.view(V1Content).frames
        return b"", 0  # from the reply's start

    def render(self, generation: Generation, start: int, end: int) -> bytes:
        frames = self._frames
        return frames[start] if end - start == 1 else b"".join(frames[start:end])

    async def closing(self) -> bytes:
        return b"data: [DONE]\n\n"
