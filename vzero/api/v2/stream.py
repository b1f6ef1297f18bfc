"""The v2 streams: `data: <JSON>` events with an `object` discriminator, closed by a final snapshot (no [DONE]).

A message stream (sendStream, resolveStream) opens with the assistant message's snapshot and closes with it
again; a chat stream (createStream, resume) opens with the chat and its title and closes with the chat. Between
them both carry `message.parts.chunk` (a jsondiffpatch delta against the running `parts`, replayed from the
empty array the opening snapshot shows), `message.usage` (the message's usage so far) and `error`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from typing import Any

from vzero.api.sse import EventStream, frame
from vzero.api.v2.views import stored_chat, stored_message, tally_usage
from vzero.engine.events import Changed, Ended, Event, UsageChanged
from vzero.engine.generation import Generation
from vzero.engine.usage import Tally
from vzero.runtime import Runtime


class _V2Stream(EventStream):
    """What both v2 streams carry between their opening and closing snapshots."""

    def __init__(self, runtime: Runtime, message_id: str | None, generation: Generation | None) -> None:
        self.runtime = runtime
        self.message_id = message_id
        self.generation = generation
        self.tally = Tally()
        self._chunk_head = frame({"object": "message.parts.chunk", "id": message_id, "delta": None})[: -len(b"null}\n\n")]

    def render(self, event: Event) -> bytes:
        if isinstance(event, Changed):
            # = frame({"object": "message.parts.chunk", "id": ..., "delta": d}), with d already JSON
            head = self._chunk_head
            return b"".join(head + d + b"}\n\n" for d in event.v2)
        if isinstance(event, UsageChanged) and self.generation is not None:
            self.tally = self.tally.add(event.usage)
            return frame({"object": "message.usage", "id": self.message_id, "usage": tally_usage(self.runtime, self.generation, self.tally)})
        if isinstance(event, Ended) and event.status == "failed":
            return frame({"object": "error", "id": self.message_id, "message": event.error or "The generation failed", "code": "generation_failed"})
        return b""

    def start(self, generation: Generation, start: int) -> tuple[Event | None, int]:
        return generation.parts_start()  # v2 always follows from the start: a snapshot of the parts, then live

    async def final(self) -> bytes:
        raise NotImplementedError

    def final_usage(self, message: dict[str, Any] | None) -> bytes:
        """The message's stored usage (every model call, priced once), sent last even if the provider reported none."""
        if self.generation is None or message is None:
            return b""
        return frame({"object": "message.usage", "id": message["id"], "usage": message["usage"]})

    async def body(self, generation: Generation | None, start: int = 0) -> AsyncIterator[bytes]:
        async for chunk in super().body(generation, start):
            yield chunk
        yield await self.final()


class MessageStream(_V2Stream):
    """sendStream / resolveStream: message snapshot, deltas, usage, error, closing message snapshot."""

    def __init__(self, runtime: Runtime, snapshot: dict[str, Any], generation: Generation | None) -> None:
        super().__init__(runtime, snapshot["id"], generation)
        # The deltas replay from the start of the reply, so the opening snapshot shows it empty.
        self.snapshot = {"object": "message", **snapshot, "parts": [], "content": "", "finishReason": None} if generation else {"object": "message", **snapshot}

    def opening(self) -> Iterable[bytes]:
        yield frame(self.snapshot)

    async def final(self) -> bytes:
        closing = await stored_message(self.runtime, self.snapshot["id"])
        return self.final_usage(closing) + frame({"object": "message", **(closing or self.snapshot)})


class ChatStream(_V2Stream):
    """createStream / resume: chat snapshot and title, deltas, usage, error, closing chat snapshot."""

    def __init__(
        self, runtime: Runtime, chat: dict[str, Any], message_id: str | None, generation: Generation | None, *, announce: bool = True
    ) -> None:
        super().__init__(runtime, message_id, generation)
        self.chat = chat
        self.announce = announce  # False: a finished chat answers only its closing snapshot

    def opening(self) -> Iterable[bytes]:
        if not self.announce:
            return
        yield frame({"object": "chat", **self.chat})
        if self.chat.get("title"):
            yield frame({"object": "chat.title", "id": self.chat["id"], "delta": self.chat["title"]})

    async def final(self) -> bytes:
        closing = await stored_chat(self.runtime, self.chat["id"], self.chat["writePermission"])
        message = await stored_message(self.runtime, self.message_id) if self.message_id else None
        return self.final_usage(message) + frame({"object": "chat", **(closing or self.chat)})
