"""One generation: a provider stream turned into parts, file operations and, at its end, a stored version.

The hot path (one provider chunk) does: parse, update the two dialect views, append one event to an
in-memory log and wake the listeners. Nothing touches the database until the generation ends.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime, timezone
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from vzero.core import jsontext
from vzero.core.apply import EditApplier
from vzero.core.content import ContentBuilder
from vzero.core.files import FileSet
from vzero.core.ids import iso
from vzero.core.parser import (
    DeleteFile,
    FileDelta,
    FileEnd,
    FileStart,
    MoveFile,
    OutputParser,
    ParseEvent,
    ParseWarning,
    TextDelta,
    ThinkingDelta,
    ThinkingEnd,
    parse_complete,
)
from vzero.core.parts import PartsBuilder
from vzero.engine.events import Changed, Ended, Event, PartsSnapshot, UsageChanged
from vzero.engine.prompt import full_file_request
from vzero.engine.usage import Tally
from vzero.errors import ProviderError
from vzero.providers import Finish, GenerationRequest, Provider, StreamEvent, TextChunk, ThinkingChunk, Usage

log = logging.getLogger("vzero.engine")


@dataclass(frozen=True, slots=True)
class Outcome:
    """How a generation ended, handed to the code that stores it."""

    status: str  # completed | failed | stopped
    finish_reason: str
    error: str | None
    raw: str
    content: str
    parts: list[dict[str, Any]]
    experimental_content: list[Any]
    files: FileSet
    tally: Tally


@dataclass
class Generation:
    """A running generation and the log of what it has published (listeners replay it from any point)."""

    chat_id: str
    message_id: str
    version_id: str
    request: GenerationRequest
    base_files: FileSet
    provider: Provider
    author_id: str = ""  # who asked: the usage ledger's user
    chat_owner_id: str = ""  # whose chat it is: webhooks are the owner's
    files_read: list[str] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    done: bool = False
    task: asyncio.Task[None] | None = None
    _waiters: list[asyncio.Future[None]] = field(default_factory=list)
    _stopping: bool = False
    parts_deltas: bool = False  # log v2 deltas (set once anyone follows in v2, or from the start for a v2 request)

    def __post_init__(self) -> None:
        self.parts = PartsBuilder()
        self.content = ContentBuilder()
        self.applier = EditApplier(self.base_files)
        self.raw: list[str] = []
        self.tally = Tally()
        self.finish_reason = "stop"
        self._thinking_started: float | None = None
        self._edit_parts: dict[str, int] = {}
        self._writing: str | None = None
        self._parts_deltas_from = 0  # the log index from which v2 deltas are logged
        self._loop: asyncio.AbstractEventLoop | None = None

    # --- the log ------------------------------------------------------------------------

    def publish(self, event: Event) -> None:
        self.events.append(event)
        # Wake whoever waits; a future is made only for a listener that has caught up (per chunk, an
        # asyncio.Event per publish cost more than the rest of this method).
        if self._waiters:
            waiters, self._waiters = self._waiters, []
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_result(None)

    def changed_since(self, index: int) -> asyncio.Future[None] | None:
        """None if the log has more than `index` events or the generation has ended; else a future that is done once
        either is true. A listener reads the log itself and awaits this when it has caught up."""
        if index < len(self.events) or self.done:
            return None
        loop = self._loop
        if loop is None:
            # Looked up once: on Python 3.11 every get_running_loop() is a getpid() system call (a fork check).
            loop = self._loop = asyncio.get_running_loop()
        waiter = loop.create_future()
        self._waiters.append(waiter)
        return waiter

    async def follow(self, start: int = 0) -> AsyncIterator[Event]:
        """Every event from `start` on, live, until the generation has ended."""
        index = start
        events = self.events
        while True:
            while index < len(events):
                yield events[index]
                index += 1
            waiter = self.changed_since(index)
            if waiter is None:
                return  # ended, and everything it logged was yielded
            await waiter

    def parts_start(self) -> tuple[PartsSnapshot | None, int]:
        """Where a v2 listener starts: the parts so far as one delta (against the empty array), if any, and the log
        index of the live events that follow it.

        v2 deltas are logged only once someone listens in that dialect: a growing text part's delta carries the
        whole old and new text (the official format), so encoding it for every chunk nobody reads would cost time
        quadratic in the reply's length.
        """
        if self.parts_deltas and self._parts_deltas_from == 0:
            return None, 0  # logged from the first event: replay them all, as they came
        if not self.parts_deltas:
            self.parts_deltas, self._parts_deltas_from = True, len(self.events)
        index = len(self.events)  # taken with the snapshot, in one step: nothing can be published in between
        parts = self.parts.parts
        snapshot = PartsSnapshot((), (_json({"_t": "a", **{str(i): [part] for i, part in enumerate(parts)}}),)) if parts else None
        return snapshot, index

    def _changed(self, v1: list[Any] | None = None, v2: Any = None) -> None:
        if v2 and not self.parts_deltas:
            v2 = None
        if v1 or v2:
            self.publish(Changed(tuple(map(_json, v1)) if v1 else (), (_json(v2),) if v2 else ()))

    # --- running ------------------------------------------------------------------------

    def start(self, store: Callable[[Generation, Outcome], Awaitable[None]]) -> None:
        self.task = asyncio.create_task(self._run(store), name=f"generation {self.message_id}")

    def stop(self) -> bool:
        """Ask the generation to stop; what it wrote so far is kept as a failed version."""
        if self.done or self.task is None or self._stopping:
            return False
        self._stopping = True
        self.task.cancel()
        return True

    async def wait(self) -> None:
        if self.task is not None:
            await asyncio.shield(self.task)

    async def _run(self, store: Callable[[Generation, Outcome], Awaitable[None]]) -> None:
        status, reason, error = "completed", "stop", None
        try:
            if self.files_read:
                self._changed(v2=self.parts.file_read(self.files_read, _now()))
            await self._generate()
            reason = self.finish_reason
        except asyncio.CancelledError:
            status, reason, error = "stopped", "other", "Stopped by the user"
        except ProviderError as exc:
            status, reason, error = "failed", "error", exc.message
        except Exception as exc:  # noqa: BLE001 - a bug must still end the message as failed, never hang it
            log.exception("generation %s failed", self.message_id)
            status, reason, error = "failed", "error", f"Internal error during generation: {exc.__class__.__name__}"
        outcome = self._outcome(status, reason, error)
        try:
            # Storing must finish even if a stop arrives now: shield it from cancellation.
            await asyncio.shield(store(self, outcome))
        except Exception:  # noqa: BLE001
            log.exception("storing generation %s failed", self.message_id)
        finally:
            self.done = True
            self.publish(Ended(outcome.status, outcome.finish_reason, outcome.error))

    async def _generate(self) -> None:
        parser = OutputParser()
        raw, handle = self.raw, self._handle

        def on_event(event: StreamEvent) -> None:
            # Runs for every chunk, inside the provider's network callback: no task switch between socket and log.
            if isinstance(event, TextChunk):
                raw.append(event.text)
                for parsed in parser.feed(event.text):
                    handle(parsed)
            elif isinstance(event, ThinkingChunk):
                self._thinking(event.text)
            elif isinstance(event, Usage):
                self._usage(event)
            elif isinstance(event, Finish):
                self.finish_reason = event.reason

        await self.provider.run(self.request, on_event)
        for parsed in parser.close():
            handle(parsed)
        self._end_native_thinking()
        await self._complete_ambiguous_edits()

    def _usage(self, usage: Usage) -> None:
        self.tally = self.tally.add(usage)
        self.publish(UsageChanged(usage))

    async def _complete_ambiguous_edits(self) -> None:
        """A partial edit that could not be placed: ask the model once for the whole file."""
        for path in list(self.applier.needs_full_file):
            request = full_file_request(self.request, "".join(self.raw), path)
            reply: list[str] = []

            def collect(event: StreamEvent) -> None:
                if isinstance(event, TextChunk):
                    reply.append(event.text)
                elif isinstance(event, Usage):
                    self._usage(event)

            await self.provider.run(request, collect)
            whole = next((f for f in parse_complete("".join(reply)).files if f.path == path and not f.partial), None)
            if whole is None:
                self.applier.notes.append(f"The edit of {path} was not applied: it could not be placed and the model did not send the whole file.")
                self.applier.needs_full_file.pop(path, None)
                continue
            self.applier.write(path, whole.content, partial=False)

    # --- one parsed event ---------------------------------------------------------------

    def _thinking(self, text: str) -> None:
        if self._thinking_started is None:
            self._thinking_started = time.monotonic()
        parts = self.parts
        self._changed(v2=parts.extend("thinking", text, self.parts_deltas) if parts.open_kind == "thinking" else parts.thinking(text, _now()))

    def _end_native_thinking(self) -> None:
        if self._thinking_started is not None:
            self._end_thinking("".join(p["text"] for p in self.parts.parts if p["type"] == "thinking"))

    def _end_thinking(self, thought: str) -> None:
        duration = time.monotonic() - (self._thinking_started or time.monotonic())
        self._thinking_started = None
        self._changed(self.content.thinking(thought, duration), self.parts.close(_now()))

    def _handle(self, event: ParseEvent) -> None:
        # Most events are more text for what is already open: those need no timestamp.
        if isinstance(event, TextDelta):
            text = event.text
            parts = self.parts
            if parts.open_kind == "text" and not self.parts_deltas:
                grown = self.content.grow("p", text)  # more of the prose under way: nearly every chunk of it
                if grown is not None:
                    parts.keep(text)
                    self.publish(grown)  # a V1Delta
                    return
            self._changed(self.content.text(text), parts.extend("text", text, self.parts_deltas) if parts.open_kind == "text" else parts.text(text, _now()))
            return
        if isinstance(event, FileDelta):
            grown = self.content.grow("Codeblock", event.text)
            if grown is not None:
                self.publish(grown)  # a V1Delta: no v2 part grows with a file's text
            return
        if isinstance(event, ThinkingDelta):
            self._thinking(event.text)
            return
        now = _now()
        if isinstance(event, ThinkingEnd):
            self._end_thinking(event.text)
        elif isinstance(event, FileStart):
            index, delta = self.parts.file_edit(self.applier.operation_for(event.path), event.path, now, finished=False)
            self._edit_parts[event.path] = index
            self._changed(self.content.file_start(event.path, event.lang), delta)
        elif isinstance(event, FileEnd):
            self.content.file_end()
            outcome = self.applier.write(event.path, event.content, event.partial)
            index = self._edit_parts.pop(event.path, None)
            if index is not None:
                self._changed(v2=self.parts.finish_part(index, now, outcome.operation))
            if outcome.operation is None and outcome.note:
                self._changed(self.content.note(outcome.note))
        elif isinstance(event, DeleteFile):
            self._file_operation(self.applier.delete(event.path), event.path, None, now)
        elif isinstance(event, MoveFile):
            self._file_operation(self.applier.move(event.src, event.dst), event.src, event.dst, now)
        elif isinstance(event, ParseWarning):
            self.applier.notes.append(event.message)

    def _file_operation(self, outcome: Any, path: str, to_path: str | None, now: str) -> None:
        if outcome.operation is None:
            self._changed(self.content.note(outcome.note))
            return
        _, delta = self.parts.file_edit(outcome.operation, path, now, to_path=to_path)
        label = f"Moved {path} to {to_path}" if to_path else f"Deleted {path}"
        self._changed(self.content.note(label), delta)

    # --- the end ------------------------------------------------------------------------

    def _outcome(self, status: str, reason: str, error: str | None) -> Outcome:
        now = _now()
        closing = self.parts.close(now)
        if closing:
            self._changed(v2=closing)
        for path, index in list(self._edit_parts.items()):  # a file cut off by a stop or an error
            self._changed(v2=self.parts.finish_part(index, now))
            self.applier.notes.append(f"{path} was cut off before it was complete and was not written.")
        self._edit_parts.clear()
        notes = list(self.applier.notes)
        if error:
            notes.append(error)
        raw = "".join(self.raw)
        content = self.parts.trailing_text()
        if notes:
            extra = "\n".join(f"- {n}" for n in notes)
            raw = f"{raw}\n\n{extra}" if raw else extra
            content = f"{content}\n\n{extra}" if content else extra
        return Outcome(
            status=status, finish_reason=reason, error=error, raw=raw, content=content,
            parts=self.parts.parts, experimental_content=self.content.content, files=self.applier.files, tally=self.tally,
        )


# The wire's JSON: compact UTF-8 bytes (what api/sse.py writes).
_json = jsontext.dumps

_last_stamp: tuple[int, str] = (0, "")


def _now() -> str:
    """The current time as the API writes it; formatted at most once per millisecond (it is called per chunk)."""
    global _last_stamp
    ms = time.time_ns() // 1_000_000
    if ms != _last_stamp[0]:
        _last_stamp = (ms, iso(datetime.fromtimestamp(ms / 1000, timezone.utc)))
    return _last_stamp[1]
