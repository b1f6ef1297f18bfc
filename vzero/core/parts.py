"""v2 message parts built as a generation goes, each change returned as a jsondiffpatch delta.

A client that applies the deltas in order to an empty array ends with exactly `parts`.
"""

from __future__ import annotations

from typing import Any

Delta = dict[str, Any]


class PartsBuilder:
    """The ordered parts of one assistant message (thinking, text, file-read, file-edit).

    The open thinking or text part grows by pieces, joined only when the parts are read: growing it by string
    concatenation copied the whole text on every chunk, so a reply cost time quadratic in its length.
    """

    def __init__(self, parts: list[dict[str, Any]] | None = None) -> None:
        self._parts: list[dict[str, Any]] = parts if parts is not None else []
        self._open: int | None = None  # index of the thinking/text part still growing
        self.open_kind: str | None = None  # its type, "thinking" or "text"
        self._pieces: list[str] = []  # text of the open part not yet joined into its "text"

    @property
    def parts(self) -> list[dict[str, Any]]:
        """The parts as they are now (the open part's text joined)."""
        if self._pieces:
            self._join()
        return self._parts

    def _join(self) -> None:
        part = self._parts[self._open]  # type: ignore[index]
        part["text"] = part["text"] + "".join(self._pieces)
        self._pieces.clear()

    def keep(self, text: str) -> None:
        """More text for the open part, with no delta (nobody follows the v2 deltas): see `open_kind`."""
        self._pieces.append(text)

    def _insert(self, part: dict[str, Any]) -> Delta:
        index = len(self._parts)
        self._parts.append(part)
        return {"_t": "a", str(index): [part]}

    def _modify(self, index: int, change: dict[str, Any]) -> Delta:
        return {"_t": "a", str(index): change}

    def extend(self, kind: str, text: str, delta: bool = True) -> Delta | None:
        """Grow the open part if it is of `kind` (no timestamp needed); None if it is not, and `text` or `thinking`
        must open one. With `delta=False` (nobody follows the v2 deltas) the text is only kept, and None returned."""
        if self._open is None or self._parts[self._open]["type"] != kind:
            return None
        if not delta:
            self._pieces.append(text)
            return None
        if self._pieces:
            self._join()
        part = self._parts[self._open]
        old = part["text"]
        part["text"] = old + text
        return self._modify(self._open, {"text": [old, part["text"]]})

    def _grow(self, kind: str, text: str, now: str) -> Delta:
        if self.open_kind == kind:
            return self.extend(kind, text)  # type: ignore[return-value]
        closing = self._close(now)
        self._open, self.open_kind = len(self._parts), kind
        delta = self._insert({"type": kind, "text": text, "startedAt": now})
        return _merge(closing, delta)

    def _close(self, now: str) -> Delta | None:
        if self._open is None:
            return None
        if self._pieces:
            self._join()
        index, self._open, self.open_kind = self._open, None, None
        self._parts[index]["finishedAt"] = now
        return self._modify(index, {"finishedAt": [now]})

    def thinking(self, text: str, now: str) -> Delta:
        return self._grow("thinking", text, now)

    def text(self, text: str, now: str) -> Delta:
        return self._grow("text", text, now)

    def close(self, now: str) -> Delta | None:
        """End the growing thinking or text part (at a file, or at the end of the reply)."""
        return self._close(now)

    def file_read(self, paths: list[str], now: str) -> Delta:
        closing = self._close(now)
        return _merge(closing, self._insert({"type": "file-read", "paths": paths, "startedAt": now, "finishedAt": now}))

    def file_edit(self, operation: str, path: str, now: str, to_path: str | None = None, finished: bool = True) -> tuple[int, Delta]:
        closing = self._close(now)
        part: dict[str, Any] = {"type": "file-edit", "operation": operation, "path": path, "startedAt": now}
        if to_path is not None:
            part["toPath"] = to_path
        if finished:
            part["finishedAt"] = now
        index = len(self._parts)
        return index, _merge(closing, self._insert(part))

    def finish_part(self, index: int, now: str, operation: str | None = None) -> Delta:
        part = self._parts[index]
        change: dict[str, Any] = {"finishedAt": [now]}
        part["finishedAt"] = now
        if operation is not None and operation != part.get("operation"):
            change["operation"] = [part["operation"], operation]
            part["operation"] = operation
        return self._modify(index, change)

    def trailing_text(self) -> str:
        """The prose after the last non-text part: the v2 message `content`."""
        trailing = []
        for part in reversed(self.parts):
            if part["type"] != "text":
                break
            trailing.append(part["text"])
        return "".join(reversed(trailing)).strip()


def _merge(first: Delta | None, second: Delta) -> Delta:
    """Two array deltas at different indexes combine into one."""
    if first is None:
        return second
    return {**first, **second}
