"""v1 `experimental_content`: a reply as a v0 content AST, built from the generation's events with the v1 stream's
deltas.

The AST is `[[0, [node, ...]]]`; a node is `["p", {}, text]`, `["Codeblock", {"lang", "file"}, code]` or
`["AssistantMessageContentPart", {"part": {...}}]` (a thought, a tool call, an agent action: the latter two shaped as
v2's parts). Text grows through v0's append delta `[[0, 1, i, 2, "more"], 9, 9]`; new nodes arrive as jsondiffpatch
array inserts, and a tool call's node is replaced by its finished form when its result comes.
"""

from __future__ import annotations

from typing import Any

from vzero.core import jsontext
from vzero.core.parts import ActionTaken, FileChanged, FileEnded, FileStarted, PartStarted, ThinkingEnded, ToolCallEnded, ToolCallStarted
from vzero.engine.events import Ended, Event

Delta = Any


class ContentBuilder:
    """Builds the v1 AST of one reply and the delta of each change.

    The open node's string grows by pieces, joined when the content is read or the node closes: growing it by string
    concatenation copied the whole text (a file being written, say) on every chunk.
    """

    def __init__(self) -> None:
        self._content: list[Any] = []
        self._nodes: list[Any] = []
        self._open: int | None = None  # index of the node whose string still grows
        self._open_kind: str | None = None  # and its kind, "p" or "Codeblock"
        self._append_head = b""  # the start of its append frame: `data: {"delta":[[0,1,<index>,2,`
        self._pieces: list[str] = []  # text of the open node not yet joined into it

    @property
    def content(self) -> list[Any]:
        """The AST as it is now."""
        if self._pieces:
            self._join()
        return self._content

    def _join(self) -> None:
        node = self._nodes[self._open]  # type: ignore[index]
        node[2] = node[2] + "".join(self._pieces)
        self._pieces.clear()

    def _start(self) -> list[Delta]:
        if self._content:
            return []
        self._content.append([0, self._nodes])
        return [{"_t": "a", "0": [[0, []]]}]

    def _insert(self, node: list[Any], grows: bool) -> list[Delta]:
        deltas = self._start()
        if self._pieces:
            self._join()
        index = len(self._nodes)
        self._nodes.append(node)
        self._open = index if grows else None
        self._open_kind = node[0] if grows else None
        self._append_head = b'data: {"delta":[[0,1,%d,2,' % index
        deltas.append({"_t": "a", "0": {"_t": "a", "1": {"_t": "a", str(index): [_copy(node)]}}})
        return deltas

    def grow_frame(self, text: str) -> bytes:
        """More text for the open node: its append delta as a whole SSE frame (what nearly every chunk costs);
        nothing if no node grows (the text of a thinking part, which v1 shows only when it ends)."""
        if self._open_kind is None:
            return b""
        self._pieces.append(text)
        return self._append_head + jsontext.dumps_str(text) + b'],9,9]}\n\n'

    def text(self, text: str) -> list[Delta]:
        if self._open_kind == "p":
            self._pieces.append(text)
            return [[[0, 1, self._open, 2, text], 9, 9]]
        return self._insert(["p", {}, text], grows=True)

    def file_start(self, path: str, lang: str) -> list[Delta]:
        return self._insert(["Codeblock", {"lang": lang or "plaintext", "file": path}, ""], grows=True)

    def file_end(self) -> None:
        if self._pieces:
            self._join()
        self._open = self._open_kind = None

    def thinking(self, thought: str, duration_s: float) -> list[Delta]:
        part = {"type": "task-thinking-v1", "parts": [{"type": "thinking-end", "duration": round(duration_s, 3), "thought": thought}]}
        return self._insert(["AssistantMessageContentPart", {"part": part}], grows=False)

    def note(self, text: str) -> list[Delta]:
        """A line of its own (a deleted or moved file, a skipped locked file)."""
        return self._insert(["p", {}, text], grows=False)

    def part(self, part: dict[str, Any]) -> tuple[int, list[Delta]]:
        """A content part node (a tool call, an agent action): its index, and the delta that inserts it."""
        deltas = self._insert(["AssistantMessageContentPart", {"part": part}], grows=False)
        return len(self._nodes) - 1, deltas

    def replace_part(self, index: int, part: dict[str, Any]) -> list[Delta]:
        """The part of node `index` becomes `part`."""
        node = self._nodes[index]
        old = node[1]["part"]
        node[1] = {"part": part}
        return [{"_t": "a", "0": {"_t": "a", "1": {"_t": "a", str(index): {"_t": "a", "1": {"part": [old, part]}}}}}]


def _copy(node: list[Any]) -> list[Any]:
    return [node[0], dict(node[1]), *node[2:]]


def frames(deltas: list[Delta]) -> bytes:
    """Deltas as v1 stream events: `data: {"delta": ...}` each."""
    return b"".join(b'data: {"delta":' + jsontext.dumps(delta) + b"}\n\n" for delta in deltas)


class V1Content:
    """One generation as v1 sees it: its content AST, and each of its events rendered as v1 stream frames, once for
    every listener (`frames[i]` is event i's; empty when v1 shows nothing of it).

    The engine keeps one per generation from its start (the app gives it this class), so that the stored message
    gets its `experimental_content` (`columns`) whoever listens, and a listener can join at any point.
    """

    __slots__ = ("_calls", "_thinking", "builder", "frames")

    def __init__(self) -> None:
        self.builder = ContentBuilder()
        self.frames: list[bytes] = []
        self._thinking = False  # a thinking part is open: v1 shows it only when it ends
        self._calls: dict[str, tuple[int, dict[str, Any]]] = {}  # tool calls waiting for their result: node and part

    def add(self, event: Event) -> None:
        if type(event) is str:  # nearly every event: more prose or code
            self.frames.append(b"" if self._thinking else self.builder.grow_frame(event))
            return
        self.frames.append(self._render(event))

    def _render(self, event: Event) -> bytes:
        builder = self.builder
        if isinstance(event, PartStarted):
            self._thinking = event.kind == "thinking"
            return b"" if self._thinking else frames(builder.text(event.text))
        if isinstance(event, ThinkingEnded):
            self._thinking = False
            return frames(builder.thinking(event.thought, event.duration))
        if isinstance(event, FileStarted):
            self._thinking = False
            return frames(builder.file_start(event.path, event.lang))
        if isinstance(event, FileEnded):
            builder.file_end()
            return frames(builder.note(event.note)) if event.operation is None and event.note else b""
        if isinstance(event, FileChanged):
            if event.operation is None:
                return frames(builder.note(event.note or f"{event.path} was left as it was"))
            if event.to_path:
                return frames(builder.note(f"Moved {event.path} to {event.to_path}"))
            done = {"delete": "Deleted", "create": "Created", "update": "Updated"}.get(event.operation, "Changed")
            return frames(builder.note(f"{done} {event.path}"))
        if isinstance(event, ToolCallStarted):
            self._thinking = False
            part = {"type": "tool-call", "name": event.name, "input": event.input, "status": "ok"}
            index, deltas = builder.part(part)
            self._calls[event.call_id] = (index, part)
            return frames(deltas)
        if isinstance(event, ToolCallEnded):
            called = self._calls.pop(event.call_id, None)
            if called is None:
                return b""
            index, part = called
            if event.permissions:
                return frames(builder.replace_part(index, {**part, "suggestedPermissions": list(event.permissions)}))
            return frames(builder.replace_part(index, {**part, "output": event.output, "status": event.status}))
        if isinstance(event, ActionTaken):
            self._thinking = False
            action: dict[str, Any] = {"type": "agent-action", "name": event.name, "summary": event.summary}
            if event.data is not None:
                action["data"] = event.data
            return frames(builder.part(action)[1])
        if isinstance(event, Ended) and event.status != "completed":
            error = {"type": event.status, "message": event.error or event.status}
            return b"data: " + jsontext.dumps({"type": "error", "error": error, "finishReason": event.finish_reason}) + b"\n\n"
        return b""  # files read, usage, the closing of a part: nothing v1 shows

    def columns(self) -> dict[str, Any]:
        """What the stored message keeps of this view."""
        return {"experimental_content": self.builder.content}
