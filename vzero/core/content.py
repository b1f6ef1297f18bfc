"""v1 `experimental_content`: the message as a v0 content AST, with deltas as the v1 stream sends them.

The AST is `[[0, [node, ...]]]`; a node is `["p", {}, text]`, `["Codeblock", {"lang", "file"}, code]` or
`["AssistantMessageContentPart", {"part": {...}}]`. Text grows through v0's append delta
`[[0, 1, i, 2, "more"], 9, 9]`; new nodes arrive as jsondiffpatch array inserts.
"""

from __future__ import annotations

from typing import Any

from vzero.core import jsontext

Delta = Any


class ContentBuilder:
    """Builds the v1 AST of one assistant message and the delta of each change.

    The open node's string grows by pieces, joined when the content is read or the node closes: growing it by string
    concatenation copied the whole text (a file being written, say) on every chunk.
    """

    def __init__(self) -> None:
        self._content: list[Any] = []
        self._nodes: list[Any] = []
        self._open: int | None = None  # index of the node whose string still grows
        self._open_kind: str | None = None  # and its kind, "p" or "Codeblock"
        self._append_head = b""  # the start of its append delta's JSON
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
        self._append_head = b"[[0,1,%d,2," % index
        deltas.append({"_t": "a", "0": {"_t": "a", "1": {"_t": "a", str(index): [_copy(node)]}}})
        return deltas

    def _append(self, text: str) -> list[Delta]:
        assert self._open is not None
        self._pieces.append(text)
        return [[[0, 1, self._open, 2, text], 9, 9]]

    def grow(self, kind: str, text: str) -> bytes | None:
        """More text for the open node if it is a `kind` node ("p" or "Codeblock"): the append delta, already as JSON
        (what every chunk of prose or code costs; no list built and encoded); None if no such node is open."""
        if self._open_kind != kind:
            return None
        self._pieces.append(text)
        return self._append_head + jsontext.dumps_str(text) + b"],9,9]"  # = JSON of [[0, 1, open node, 2, text], 9, 9]

    def text(self, text: str) -> list[Delta]:
        if self._open_kind == "p":
            return self._append(text)
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


def _copy(node: list[Any]) -> list[Any]:
    return [node[0], dict(node[1]), *node[2:]]
