"""The v2 streams: `data: <JSON>` events with an `object` discriminator, closed by a final snapshot (no [DONE]).

A message stream (sendStream, resolveStream) opens with the assistant message's snapshot and closes with it
again; a chat stream (createStream, resume) opens with the chat and its title and closes with the chat. Between
them both carry `message.parts.chunk` (a jsondiffpatch delta against the running `parts`, replayed from the
empty array the opening snapshot shows), `message.usage` (the message's usage so far) and `error`.

Each listener renders the deltas itself, from its own copy of the parts taken when it joins: a growing text's
delta holds its whole old and new text (the official format), so what a listener that is behind has missed goes
out as one delta per text, not one per chunk.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from vzero.api.sse import EventStream, frame
from vzero.api.v2 import render
from vzero.api.v2.views import V2Views
from vzero.core import jsontext
from vzero.core.parts import Delta, Parts
from vzero.engine.events import Ended, Event, UsageChanged
from vzero.engine.generation import Generation
from vzero.engine.usage import Tally
from vzero.store.tables import Chat


class _V2Stream(EventStream):
    """What both v2 streams carry between their opening and closing snapshots."""

    def __init__(self, views: V2Views, message_id: str | None, generation: Generation | None) -> None:
        self.views = views
        self.message_id = message_id
        self.generation = generation
        self.tally = Tally()
        self.parts = Parts(deltas=True)
        self._chunk_head = frame({"object": "message.parts.chunk", "id": message_id, "delta": None})[: -len(b"null}\n\n")]
        self._text_json: bytes | None = None  # the JSON of the open part's text, while it only grows

    def _chunk(self, delta: Delta | None) -> bytes:
        # = frame({"object": "message.parts.chunk", "id": ..., "delta": delta})
        return b"" if delta is None else self._chunk_head + jsontext.dumps(delta) + b"}\n\n"

    def attach(self, generation: Generation) -> tuple[bytes, int]:
        """The parts so far, as one delta against the empty array, then the events that follow."""
        index = len(generation.events)  # taken with the copy, in one step: nothing can be published in between
        self.parts = generation.parts.copy(deltas=True)
        return self._chunk(self.parts.snapshot()), index

    def render(self, generation: Generation, start: int, end: int) -> bytes:
        events = generation.events
        if end - start == 1:
            event = events[start]
            if type(event) is str:  # nearly every wakeup: one more chunk of text
                return self.grow(event)
            return self._other(generation, event)
        out: list[bytes] = []
        grown: list[str] = []
        for index in range(start, end):
            event = events[index]
            if type(event) is str:
                grown.append(event)
                continue
            if grown:
                out.append(self.grow("".join(grown)))
                grown.clear()
            out.append(self._other(generation, event))
        if grown:
            out.append(self.grow("".join(grown)))
        return b"".join(out)

    def grow(self, text: str) -> bytes:
        """The delta of more text for the open part: `{"N": {"text": [old, new]}}`, written from the JSON of the old
        text kept from the previous delta (a JSON string grows by the escaped new piece), not encoded again."""
        index = self.parts.open_index
        if index is None:
            return b""  # the code of a file being written: no part grows
        old = self._text_json
        if old is None:
            old = jsontext.dumps_str(self.parts.open_text())
        new = old[:-1] + jsontext.dumps_str(text)[1:]
        self.parts.keep(text)
        self._text_json = new
        return self._chunk_head + b'{"_t":"a","%d":{"text":[' % index + old + b"," + new + b"]}}}\n\n"

    def _other(self, generation: Generation, event: Event) -> bytes:
        self._text_json = None  # what is open may change
        if isinstance(event, UsageChanged):
            self.tally = self.tally.add(event.usage)
            return frame({"object": "message.usage", "id": self.message_id, "usage": self.views.tally_usage(generation, self.tally)})
        if isinstance(event, Ended):
            if event.status == "failed":
                return frame({"object": "error", "id": self.message_id, "message": event.error or "The generation failed", "code": "generation_failed"})
            return b""
        return self._chunk(self.parts.apply(event))

    def final_message(self) -> dict[str, Any] | None:
        """The reply as its end stored it (the generation's rows, updated when it was stored: nothing to read)."""
        if self.generation is None or not self.generation.done:
            return None
        return render.message(self.generation.rows.assistant, restorable=False)

    def final_usage(self, message: dict[str, Any] | None) -> bytes:
        """The message's stored usage (every model call, priced once), sent last even if the provider reported none."""
        if message is None:
            return b""
        return frame({"object": "message.usage", "id": message["id"], "usage": message["usage"]})


class MessageStream(_V2Stream):
    """sendStream / resolveStream: message snapshot, deltas, usage, error, closing message snapshot."""

    def __init__(self, views: V2Views, snapshot: dict[str, Any], generation: Generation) -> None:
        super().__init__(views, snapshot["id"], generation)
        # The deltas replay from the start of the reply, so the opening snapshot shows it empty.
        self.snapshot = {"object": "message", **snapshot, "parts": [], "content": "", "finishReason": None}

    def opening(self) -> Iterable[bytes]:
        yield frame(self.snapshot)

    async def closing(self) -> bytes:
        message = self.final_message()
        return self.final_usage(message) + frame({"object": "message", **(message or self.snapshot)})


class ChatStream(_V2Stream):
    """createStream / resume: chat snapshot and title, deltas, usage, error, closing chat snapshot."""

    def __init__(
        self, views: V2Views, chat: dict[str, Any], message_id: str | None, generation: Generation | None, *, announce: bool = True
    ) -> None:
        super().__init__(views, message_id, generation)
        self.chat = chat
        self.announce = announce  # False: a finished chat answers only its closing snapshot

    def opening(self) -> Iterable[bytes]:
        if not self.announce:
            return
        yield frame({"object": "chat", **self.chat})
        if self.chat.get("title"):
            yield frame({"object": "chat.title", "id": self.chat["id"], "delta": self.chat["title"]})

    async def closing(self) -> bytes:
        # The chat is read again: it may have been renamed or moved while the reply was written.
        async with self.views.runtime.db.session() as session:
            row = await session.get(Chat, self.chat["id"])
            closing = render.chat(row, self.chat["writePermission"]) if row is not None else self.chat
        return self.final_usage(self.final_message()) + frame({"object": "chat", **closing})
