"""v2 message parts built as a generation goes, each change returned as a jsondiffpatch delta.

A client that applies the deltas in order to an empty array ends with exactly `parts`.
"""

from __future__ import annotations

from typing import Any

Delta = dict[str, Any]


class PartsBuilder:
    """The ordered parts of one assistant message (thinking, text, file-read, file-edit)."""

    def __init__(self, parts: list[dict[str, Any]] | None = None) -> None:
        self.parts: list[dict[str, Any]] = parts if parts is not None else []
        self._open: int | None = None  # index of the thinking/text part still growing

    def _insert(self, part: dict[str, Any]) -> Delta:
        index = len(self.parts)
        self.parts.append(part)
        return {"_t": "a", str(index): [part]}

    def _modify(self, index: int, change: dict[str, Any]) -> Delta:
        return {"_t": "a", str(index): change}

    def extend(self, kind: str, text: str) -> Delta | None:
        """Grow the open part if it is of `kind` (no timestamp needed); None if it is not, and `text` or `thinking`
        must open one."""
        if self._open is not None and self.parts[self._open]["type"] == kind:
            part = self.parts[self._open]
            old = part["text"]
            part["text"] = old + text
            return self._modify(self._open, {"text": [old, part["text"]]})
        return None

    def _grow(self, kind: str, text: str, now: str) -> Delta:
        grown = self.extend(kind, text)
        if grown is not None:
            return grown
        closing = self._close(now)
        self._open = len(self.parts)
        delta = self._insert({"type": kind, "text": text, "startedAt": now})
        return _merge(closing, delta)

    def _close(self, now: str) -> Delta | None:
        if self._open is None:
            return None
        index, self._open = self._open, None
        self.parts[index]["finishedAt"] = now
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
        index = len(self.parts)
        return index, _merge(closing, self._insert(part))

    def finish_part(self, index: int, now: str, operation: str | None = None) -> Delta:
        part = self.parts[index]
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
