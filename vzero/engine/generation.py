"""One generation: model calls turned into part events, file operations and, at its end, a stored version.

A reply is one model call, or a loop (model -> tools -> model) when the model calls tools, within a budget; a call
that needs the user ends the reply waiting for the task that answers it. The hot path (one provider chunk) parses
the chunk, keeps its text, appends one event to an in-memory log, passes it to the views (each API dialect's
rendering) and wakes the listeners. Nothing touches the database until the generation ends.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, TypeVar

from vzero.core.apply import EditApplier
from vzero.core.apply import Outcome as FileOutcome
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
from vzero.core.parts import (
    ActionTaken,
    FileChanged,
    FileEnded,
    FilesRead,
    FileStarted,
    PartEvent,
    Parts,
    PartsClosed,
    PartStarted,
    ThinkingEnded,
)
from vzero.engine.calls import ModelCall
from vzero.engine.events import Ended, Event, UsageChanged, View
from vzero.engine.prompt import full_file_request
from vzero.engine.toolbox import Blocked, Budget, Resume, Toolbox, ToolPlan
from vzero.engine.usage import Tally
from vzero.errors import ProviderError
from vzero.providers import ChatTurn, Finish, GenerationRequest, StreamEvent, TextChunk, ThinkingChunk, ToolCall, ToolResult, Usage
from vzero.store.db import assert_released
from vzero.store.generations import StartRows
from vzero.tools.actions import answer_text
from vzero.tools.images import GenerateImage

log = logging.getLogger("vzero.engine")

V = TypeVar("V")


@dataclass(frozen=True, slots=True)
class Outcome:
    """How a generation ended, handed to the code that stores it."""

    status: str  # completed | failed | stopped
    finish_reason: str
    error: str | None
    raw: str
    content: str
    parts: list[dict[str, Any]]
    files: FileSet
    tally: Tally
    columns: dict[str, Any]  # what the views keep of the reply (v1's content AST)
    rounds: list[dict[str, Any]] | None = None  # its tool rounds, when it called tools (see `Generation.rounds`)
    images: int = 0  # images generated


@dataclass
class Generation:
    """A running generation and the log of what it has published (listeners replay it from any point)."""

    chat_id: str
    message_id: str
    version_id: str
    request: GenerationRequest
    base_files: FileSet
    model: ModelCall
    rows: StartRows  # the rows its start wrote, updated to what its end wrote before `Ended` is published
    author_id: str = ""  # who asked: the usage ledger's user
    chat_owner_id: str = ""  # whose chat it is: webhooks are the owner's
    files_read: list[str] = field(default_factory=list)
    tools: ToolPlan | None = None  # what the model may call; None: one model call, no tools
    views: tuple[View, ...] = ()
    events: list[Event] = field(default_factory=list)
    done: bool = False
    task: asyncio.Task[None] | None = None
    _waiters: list[asyncio.Future[None]] = field(default_factory=list)
    _stopping: bool = False

    def __post_init__(self) -> None:
        self.parts = Parts()
        self.applier = EditApplier(self.base_files)
        self.raw: list[str] = []
        self.tally = Tally()
        self.finish_reason = "stop"
        self._thinking_started = 0.0  # when the open thinking part started (monotonic)
        self._loop: asyncio.AbstractEventLoop | None = None
        # The model-level transcript of a reply that called tools, stored with it (the next reply's history): each
        # round's text, calls and results; the last may hold the call that waits for the user (`pending`). The
        # first may be `resumed`: the results this reply gave the calls of the reply it answers.
        self.rounds: list[dict[str, Any]] = []

    # --- the log ------------------------------------------------------------------------

    def publish(self, event: Event) -> None:
        self.events.append(event)
        for view in self.views:
            view.add(event)
        # Wake whoever waits; a future is made only for a listener that has caught up.
        if self._waiters:
            waiters, self._waiters = self._waiters, []
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_result(None)

    def view(self, kind: type[V]) -> V:
        """This generation's view of that kind (one the manager was given)."""
        for view in self.views:
            if isinstance(view, kind):
                return view
        raise LookupError(f"generation {self.message_id} has no {kind.__name__} view")

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
        """Until the generation has ended and stored its outcome."""
        assert_released("a generation's end")
        if self.task is not None:
            await asyncio.shield(self.task)

    async def _run(self, store: Callable[[Generation, Outcome], Awaitable[None]]) -> None:
        status, reason, error = "completed", "stop", None
        try:
            if self.files_read:
                self._part(FilesRead(tuple(self.files_read), _now()))
            await self._generate()
            reason = self.finish_reason
        except asyncio.CancelledError:
            status, reason, error = "stopped", "other", "Stopped by the user"
        except ProviderError as exc:
            status, reason, error = "failed", "error", exc.message
        except Exception as exc:
            log.exception("generation %s failed", self.message_id)
            status, reason, error = "failed", "error", f"Internal error during generation: {exc.__class__.__name__}"
        outcome = self._outcome(status, reason, error)
        try:
            # Storing must finish even if a stop arrives now: shield it from cancellation.
            await asyncio.shield(store(self, outcome))
        except Exception:
            log.exception("storing generation %s failed", self.message_id)
        finally:
            self.done = True
            self.publish(Ended(outcome.status, outcome.finish_reason, outcome.error))

    async def _generate(self) -> None:
        plan = self.tools
        if plan is None:
            await self._model_round(self.request)
        else:
            async with AsyncExitStack() as stack:
                await self._agent_loop(plan, await Toolbox.open(plan, stack))
        await self._complete_ambiguous_edits()

    async def _model_round(self, request: GenerationRequest) -> tuple[str, list[ToolCall]]:
        """One model call: its text parsed into parts and files as it streams; returns the text and the tool calls."""
        parser = OutputParser()
        raw, handle = self.raw, self._handle
        start = len(raw)
        calls: list[ToolCall] = []

        def on_event(event: StreamEvent) -> None:
            # Runs for every chunk, inside the provider's network callback: no task switch between socket and log.
            if isinstance(event, TextChunk):
                raw.append(event.text)
                for parsed in parser.feed(event.text):
                    handle(parsed)
            elif isinstance(event, ThinkingChunk):
                self._think(event.text)
            elif isinstance(event, Usage):
                self._usage(event)
            elif isinstance(event, Finish):
                self.finish_reason = event.reason
            elif isinstance(event, ToolCall):
                calls.append(event)

        await self.model.run(request, on_event)
        for parsed in parser.close():
            handle(parsed)
        return "".join(raw[start:]), calls

    async def _agent_loop(self, plan: ToolPlan, toolbox: Toolbox) -> None:
        """Model -> tools -> model until the model stops calling tools, a call waits for the user, or the budget
        (rounds, time, tokens) runs out: then the reply ends as it stands, finish reason `length`."""
        deadline = time.monotonic() + plan.budget.seconds
        system = self.request.system
        for problem in toolbox.unavailable:
            self._part(ActionTaken("connect_mcp_server", problem, None, _now()))
            self.applier.notes.append(problem)
            system += f"\n\nNote: {problem}. Tell the user if the request needed it."
        turns = list(self.request.turns)
        if plan.resume is not None:
            turns.append(await self._resume(plan.resume, toolbox, deadline))
        request = replace(self.request, system=system, tools=toolbox.specs)
        budget = plan.budget
        for number in range(1, budget.rounds + 1):
            if number > 1 and (over := self._over_budget(deadline, budget)):
                return self._stop_for_budget(over)
            text, calls = await self._model_round(replace(request, turns=tuple(turns)))
            entry: dict[str, Any] = {"text": text}
            self.rounds.append(entry)
            if not calls:
                return
            entry["calls"] = [_call_record(c) for c in calls]
            if number == budget.rounds:
                return self._stop_for_budget(f"The reply stopped after {budget.rounds} rounds of tool calls (VZERO_AGENT_MAX_ROUNDS)", entry)
            if over := self._over_budget(deadline, budget):
                return self._stop_for_budget(over, entry)
            results: list[ToolResult] = []
            entry["results"] = []
            for call in calls:
                outcome = await toolbox.call(call, self, seconds=deadline - time.monotonic())
                if isinstance(outcome, Blocked):
                    entry["pending"] = {**_call_record(call), "task": outcome.task}
                    self.finish_reason = "tool-calls"
                    return
                results.append(outcome)
                entry["results"].append(_result_record(outcome))
            turns += [ChatTurn("assistant", text, tool_calls=tuple(calls)), ChatTurn("user", "", tool_results=tuple(results))]

    async def _resume(self, resume: Resume, toolbox: Toolbox, deadline: float) -> ChatTurn:
        """The results the calls of the reply that waited get now: the user's answer (or the allowed call's output)
        for the one that waited, and a note for those after it, which never ran."""
        pending = resume.pending
        if resume.task.get("type") == "confirmed-permissions":
            answer = await toolbox.run_allowed(pending, self, seconds=deadline - time.monotonic())
        else:
            answer = ToolResult(pending.id, pending.name, answer_text(resume.task))
        answered = {r.call_id for r in resume.results} | {pending.id}
        results = [*resume.results, answer]
        results += [ToolResult(c.id, c.name, NOT_RUN, is_error=True) for c in resume.calls if c.id not in answered]
        self.rounds.append({"resumed": [_result_record(r) for r in results]})
        return ChatTurn("user", "", tool_results=tuple(results))

    def _over_budget(self, deadline: float, budget: Budget) -> str | None:
        if time.monotonic() >= deadline:
            return f"The reply stopped: its tool calls used the time budget of {budget.seconds:g} s (VZERO_AGENT_BUDGET_SECONDS)"
        used = self.tally.input + self.tally.output + self.tally.cache_read
        if used >= budget.tokens:
            return f"The reply stopped: its model calls used {used} tokens, the budget is {budget.tokens} (VZERO_AGENT_MAX_TOKENS)"
        return None

    def _stop_for_budget(self, note: str, entry: dict[str, Any] | None = None) -> None:
        """The reply ends as it stands; calls of the last round that will not run get that as their result."""
        self.finish_reason = "length"
        self.applier.notes.append(note)
        if entry is not None:
            entry["results"] = [{"id": c["id"], "name": c["name"], "output": f"Not run: {note}", "error": True} for c in entry["calls"]]

    # --- what tools may do to the reply (engine.toolbox Workspace) ----------------------

    def show(self, event: PartEvent) -> None:
        self._part(event)

    def write_file(self, path: str, content: bytes) -> str | None:
        written = self.applier.write_bytes(path, content)
        self._part(FileChanged(path, None, written.operation, written.note, _now()))
        return written.operation

    def now(self) -> str:
        return _now()

    def _usage(self, usage: Usage) -> None:
        self.tally = self.tally.add(usage)
        self.publish(UsageChanged(usage))

    async def _complete_ambiguous_edits(self) -> None:
        """A partial edit that could not be placed: ask the model once for the whole file."""
        for path in list(self.applier.needs_full_file):
            request = full_file_request(self.request, "".join(self.raw), path)
            reply: list[str] = []

            def collect(event: StreamEvent, reply: list[str] = reply) -> None:
                if isinstance(event, TextChunk):
                    reply.append(event.text)
                elif isinstance(event, Usage):
                    self._usage(event)

            await self.model.run(request, collect)
            whole = next((f for f in parse_complete("".join(reply)).files if f.path == path and not f.partial), None)
            if whole is None:
                self.applier.notes.append(f"The edit of {path} was not applied: it could not be placed and the model did not send the whole file.")
                self.applier.needs_full_file.pop(path, None)
                continue
            self.applier.write(path, whole.content, partial=False)

    # --- one parsed event ---------------------------------------------------------------

    def _part(self, event: PartEvent) -> None:
        """A change of the parts: applied to this generation's own, then published."""
        if self.parts.open_kind == "thinking" and not isinstance(event, (ThinkingEnded, str)):
            self._end_thinking(None)  # native thinking ends where anything else begins
        self.parts.apply(event)
        self.publish(event)

    def _grow(self, text: str) -> None:
        self.parts.grow(text)
        self.publish(text)

    def _think(self, text: str) -> None:
        if self.parts.writing:
            return  # native reasoning in the middle of a file's code: the code is what grows, so it is left out
        if self.parts.open_kind == "thinking":
            self._grow(text)
            return
        self._part(PartStarted("thinking", text, _now()))
        self._thinking_started = time.monotonic()

    def _end_thinking(self, thought: str | None) -> None:
        """The open thinking part ends; `thought` is the parser's whole thought (None: the part's own text)."""
        if self.parts.open_kind != "thinking":
            return
        if thought is None:
            thought = self.parts.parts[-1]["text"]
        self._part(ThinkingEnded(thought, time.monotonic() - self._thinking_started, _now()))

    def _handle(self, event: ParseEvent) -> None:
        # Most events are more text for what is already open: those need no timestamp.
        if isinstance(event, TextDelta):
            if self.parts.open_kind == "text":
                self._grow(event.text)
            else:
                self._part(PartStarted("text", event.text, _now()))
            return
        if isinstance(event, FileDelta):
            self.publish(event.text)  # the code of the file being written: no part grows with it
            return
        if isinstance(event, ThinkingDelta):
            self._think(event.text)
            return
        now = _now()
        if isinstance(event, ThinkingEnd):
            self._end_thinking(event.text)
        elif isinstance(event, FileStart):
            self._part(FileStarted(event.path, event.lang, self.applier.operation_for(event.path), now))
        elif isinstance(event, FileEnd):
            written = self.applier.write(event.path, event.content, event.partial)
            self._part(FileEnded(event.path, written.operation, written.note if written.operation is None else None, now))
        elif isinstance(event, DeleteFile):
            self._file_changed(self.applier.delete(event.path), event.path, None, now)
        elif isinstance(event, MoveFile):
            self._file_changed(self.applier.move(event.src, event.dst), event.src, event.dst, now)
        elif isinstance(event, ParseWarning):
            self.applier.notes.append(event.message)

    def _file_changed(self, outcome: FileOutcome, path: str, to_path: str | None, now: str) -> None:
        self._part(FileChanged(path, to_path, outcome.operation, outcome.note, now))

    # --- the end ------------------------------------------------------------------------

    def _outcome(self, status: str, reason: str, error: str | None) -> Outcome:
        now = _now()
        self._end_thinking(None)
        if self.parts.open_kind is not None:
            self._part(PartsClosed(now))
        for path in self.parts.unfinished_files():  # a file cut off by a stop or an error
            self._part(FileEnded(path, None, None, now))
            self.applier.notes.append(f"{path} was cut off before it was complete and was not written.")
        notes = list(self.applier.notes)
        if error:
            notes.append(error)
        raw = "".join(self.raw)
        content = self.parts.trailing_text()
        if notes:
            extra = "\n".join(f"- {n}" for n in notes)
            raw = f"{raw}\n\n{extra}" if raw else extra
            content = f"{content}\n\n{extra}" if content else extra
        columns: dict[str, Any] = {}
        for view in self.views:
            columns.update(view.columns())
        return Outcome(
            status=status, finish_reason=reason, error=error, raw=raw, content=content,
            parts=self.parts.parts, files=self.applier.files, tally=self.tally, columns=columns,
            rounds=self.rounds if any("calls" in r or "resumed" in r for r in self.rounds) else None,
            images=sum(t.made for t in (self.tools.tools if self.tools else ()) if isinstance(t, GenerateImage)),
        )


NOT_RUN = "Not run: the reply stopped to wait for the user before this call; call the tool again if it is still needed."


def _call_record(call: ToolCall) -> dict[str, Any]:
    return {"id": call.id, "name": call.name, "input": call.arguments}


def _result_record(result: ToolResult) -> dict[str, Any]:
    record: dict[str, Any] = {"id": result.call_id, "name": result.name, "output": result.output}
    if result.is_error:
        record["error"] = True
    return record


_last_stamp: tuple[int, str] = (0, "")


def _now() -> str:
    """The current time as the API writes it; formatted at most once per millisecond (it is called per chunk)."""
    global _last_stamp
    ms = time.time_ns() // 1_000_000
    if ms != _last_stamp[0]:
        _last_stamp = (ms, iso(datetime.fromtimestamp(ms / 1000, UTC)))
    return _last_stamp[1]
