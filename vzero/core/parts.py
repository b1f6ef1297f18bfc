"""A reply's parts (thinking, text, file reads and edits, tool calls, agent actions) and the events that change them,
in no API's terms.

A generation publishes these events in order. The commonest is a bare `str`: more text for whatever is open (a text
or thinking part, or the code of the file being written). `Parts` applies them and, when asked, describes each change
as a jsondiffpatch delta of the parts array: a client that applies the deltas in order to `[]` ends with `parts`.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, Literal

Delta = dict[str, Any]


@dataclass(frozen=True, slots=True)
class PartStarted:
    """A text or thinking part opens with its first text (whatever was open before ends)."""

    kind: Literal["text", "thinking"]
    text: str
    at: str


@dataclass(frozen=True, slots=True)
class ThinkingEnded:
    """The open thinking part ends: the whole thought and how long it took."""

    thought: str
    duration: float
    at: str


@dataclass(frozen=True, slots=True)
class FileStarted:
    """The model starts writing a file; its code follows as `str` events."""

    path: str
    lang: str
    operation: str  # what writing it will do: create, update, patch
    at: str


@dataclass(frozen=True, slots=True)
class FileEnded:
    """The file being written is complete, or was cut off (`operation` None and no note)."""

    path: str
    operation: str | None  # what writing it did; None: not written (`note` says why)
    note: str | None
    at: str


@dataclass(frozen=True, slots=True)
class FileChanged:
    """A file deleted or moved (`to_path`); `operation` None: refused, and `note` says why."""

    path: str
    to_path: str | None
    operation: str | None
    note: str | None
    at: str


@dataclass(frozen=True, slots=True)
class FilesRead:
    """The files the model was shown in full."""

    paths: tuple[str, ...]
    at: str


@dataclass(frozen=True, slots=True)
class PartsClosed:
    """The open part ends: the reply is over."""

    at: str


@dataclass(frozen=True, slots=True)
class ToolCallStarted:
    """The model called a tool with this input; its result follows (`ToolCallEnded`)."""

    call_id: str
    name: str
    input: Any
    at: str


@dataclass(frozen=True, slots=True)
class ToolCallEnded:
    """A tool call's result; with `permissions`, the call has not run: it waits for the user to allow it."""

    call_id: str
    output: Any
    status: Literal["ok", "error"]
    at: str
    permissions: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True, slots=True)
class ActionTaken:
    """An agent action (an image generated, questions for the user, ...); `waiting`: the reply waits for the user."""

    name: str
    summary: str
    data: dict[str, Any] | None
    at: str
    waiting: bool = False


PartEvent = (
    str | PartStarted | ThinkingEnded | FileStarted | FileEnded | FileChanged | FilesRead | PartsClosed | ToolCallStarted
    | ToolCallEnded | ActionTaken
)


class Parts:
    """The ordered parts of one reply, built by applying its events.

    The open thinking or text part grows by pieces, joined only when the parts are read: growing it by string
    concatenation copied the whole text on every chunk, so a reply cost time quadratic in its length. With
    `deltas=True`, `apply` and `grow` return each change as a jsondiffpatch delta (a growing text's delta holds its
    whole old and new text: that is the format).
    """

    def __init__(self, *, deltas: bool = False) -> None:
        self.deltas = deltas
        self._parts: list[dict[str, Any]] = []
        self._open: int | None = None  # index of the thinking/text part still growing
        self.open_kind: str | None = None  # its type, "thinking" or "text"
        self._pieces: list[str] = []  # text of the open part not yet joined into its "text"
        self._editing: dict[str, int] = {}  # files being written: path -> index of their file-edit part
        self._calls: dict[str, int] = {}  # tool calls without a result: call id -> index of their tool-call part

    @property
    def parts(self) -> list[dict[str, Any]]:
        """The parts as they are now (the open part's text joined)."""
        if self._pieces:
            self._join()
        return self._parts

    def copy(self, *, deltas: bool) -> Parts:
        """An independent copy of the parts and what is open, from which changes are described (or not) anew."""
        twin = Parts(deltas=deltas)
        twin._parts = copy.deepcopy(self.parts)
        twin._open, twin.open_kind, twin._editing, twin._calls = self._open, self.open_kind, dict(self._editing), dict(self._calls)
        return twin

    def snapshot(self) -> Delta | None:
        """All parts so far as one delta against the empty array (None if there are none)."""
        parts = self.parts
        return {"_t": "a", **{str(i): [part] for i, part in enumerate(parts)}} if parts else None

    @property
    def open_index(self) -> int | None:
        """The index of the text or thinking part that grows, if one does."""
        return self._open

    def open_text(self) -> str:
        """The whole text of the open part so far ("" if none is open)."""
        if self._open is None:
            return ""
        if self._pieces:
            self._join()
        return str(self._parts[self._open]["text"])

    def keep(self, text: str) -> None:
        """More text for the open part, with no delta (its caller describes the change itself)."""
        if self._open is not None:
            self._pieces.append(text)

    @property
    def writing(self) -> bool:
        """Whether a file is being written (its code, not a part, is what grows)."""
        return bool(self._editing)

    def unfinished_files(self) -> list[str]:
        """Files whose writing started and never ended."""
        return list(self._editing)

    def trailing_text(self) -> str:
        """The prose after the last non-text part (what a message's `content` shows)."""
        trailing = []
        for part in reversed(self.parts):
            if part["type"] != "text":
                break
            trailing.append(part["text"])
        return "".join(reversed(trailing)).strip()

    # --- applying events --------------------------------------------------------------------------------------------

    def grow(self, text: str) -> Delta | None:
        """More text for the open thinking or text part (a file's code is not a part's: nothing changes)."""
        if self._open is None:
            return None
        if not self.deltas:
            self._pieces.append(text)
            return None
        if self._pieces:
            self._join()
        part = self._parts[self._open]
        old = part["text"]
        part["text"] = old + text
        return {"_t": "a", str(self._open): {"text": [old, part["text"]]}}

    def apply(self, event: PartEvent) -> Delta | None:
        """Apply one event; its delta when `deltas` is on and the parts changed, else None."""
        if type(event) is str:
            return self.grow(event)
        if isinstance(event, PartStarted):
            closing = self._close(event.at)
            self._open, self.open_kind = len(self._parts), event.kind
            return self._merge(closing, self._insert({"type": event.kind, "text": event.text, "startedAt": event.at}))
        if isinstance(event, FileStarted):
            closing = self._close(event.at)
            self._editing[event.path] = len(self._parts)
            part = {"type": "file-edit", "operation": event.operation, "path": event.path, "startedAt": event.at}
            return self._merge(closing, self._insert(part))
        if isinstance(event, FileEnded):
            index = self._editing.pop(event.path, None)
            return None if index is None else self._finish(index, event.at, event.operation)
        if isinstance(event, FileChanged):
            if event.operation is None:
                return None
            closing = self._close(event.at)
            part = {"type": "file-edit", "operation": event.operation, "path": event.path, "startedAt": event.at}
            if event.to_path is not None:
                part["toPath"] = event.to_path
            part["finishedAt"] = event.at
            return self._merge(closing, self._insert(part))
        if isinstance(event, FilesRead):
            closing = self._close(event.at)
            return self._merge(closing, self._insert({"type": "file-read", "paths": list(event.paths), "startedAt": event.at, "finishedAt": event.at}))
        if isinstance(event, ToolCallStarted):
            closing = self._close(event.at)
            self._calls[event.call_id] = len(self._parts)
            call = {"type": "tool-call", "name": event.name, "input": event.input, "status": "ok", "startedAt": event.at}
            return self._merge(closing, self._insert(call))
        if isinstance(event, ToolCallEnded):
            index = self._calls.pop(event.call_id, None)
            return None if index is None else self._tool_result(index, event)
        if isinstance(event, ActionTaken):
            closing = self._close(event.at)
            action: dict[str, Any] = {"type": "agent-action", "name": event.name, "summary": event.summary}
            if event.data is not None:
                action["data"] = event.data
            action["startedAt"] = event.at
            if not event.waiting:
                action["finishedAt"] = event.at
            return self._merge(closing, self._insert(action))
        if isinstance(event, (ThinkingEnded, PartsClosed)):
            return self._close(event.at)
        raise TypeError(f"not a part event: {event!r}")

    # --- the changes themselves -------------------------------------------------------------------------------------

    def _join(self) -> None:
        part = self._parts[self._open]  # type: ignore[index]
        part["text"] = part["text"] + "".join(self._pieces)
        self._pieces.clear()

    def _insert(self, part: dict[str, Any]) -> Delta | None:
        index = len(self._parts)
        self._parts.append(part)
        return {"_t": "a", str(index): [part]} if self.deltas else None

    def _close(self, now: str) -> Delta | None:
        if self._open is None:
            return None
        if self._pieces:
            self._join()
        index, self._open, self.open_kind = self._open, None, None
        self._parts[index]["finishedAt"] = now
        return {"_t": "a", str(index): {"finishedAt": [now]}} if self.deltas else None

    def _finish(self, index: int, now: str, operation: str | None) -> Delta | None:
        part = self._parts[index]
        change: dict[str, Any] = {"finishedAt": [now]}
        part["finishedAt"] = now
        if operation is not None and operation != part.get("operation"):
            change["operation"] = [part["operation"], operation]
            part["operation"] = operation
        return {"_t": "a", str(index): change} if self.deltas else None

    def _tool_result(self, index: int, event: ToolCallEnded) -> Delta | None:
        part = self._parts[index]
        change: dict[str, Any] = {}
        if event.permissions:
            part["suggestedPermissions"] = list(event.permissions)
            change["suggestedPermissions"] = [part["suggestedPermissions"]]
        else:
            part["output"] = event.output
            change["output"] = [event.output]
            if event.status != part["status"]:
                change["status"] = [part["status"], event.status]
                part["status"] = event.status
            part["finishedAt"] = event.at
            change["finishedAt"] = [event.at]
        return {"_t": "a", str(index): change} if self.deltas else None

    @staticmethod
    def _merge(first: Delta | None, second: Delta | None) -> Delta | None:
        """Two array deltas at different indexes combine into one."""
        if first is None:
            return second
        return first if second is None else {**first, **second}
