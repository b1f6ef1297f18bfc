"""Tool calls as they stream in, put together; tool turns written as text for a model that takes no tools."""

from __future__ import annotations

import itertools
from typing import Any

from vzero.core import jsontext
from vzero.providers.types import ChatTurn, ToolCall

_ids = itertools.count(1)


class ToolCallAssembler:
    """The calls of one reply, by the index the stream gives them, each growing by pieces of its JSON arguments."""

    def __init__(self) -> None:
        self._calls: dict[int, tuple[list[str], list[str], list[Any]]] = {}  # index -> (id, name, argument pieces)

    def __len__(self) -> int:
        return len(self._calls)

    def add(self, index: int, *, call_id: str | None = None, name: str | None = None, arguments: Any = None) -> None:
        """A piece of call `index`: its id and name (first piece, usually) and more of its arguments."""
        ids, names, pieces = self._calls.setdefault(index, ([], [], []))
        if call_id:
            ids[:] = [call_id]
        if name:
            names[:] = [name]  # servers that repeat it send the whole name each time
        if arguments is not None and arguments != "":
            pieces.append(arguments)

    def complete(self) -> list[ToolCall]:
        """The calls, in index order; their arguments read as a JSON object (`problem` says why one could not be)."""
        calls = []
        for index in sorted(self._calls):
            ids, names, pieces = self._calls[index]
            name = "".join(names)
            if not name:
                continue
            arguments, problem = read_arguments(pieces)
            calls.append(ToolCall(ids[0] if ids else f"call_{next(_ids)}", name, arguments, problem))
        self._calls.clear()
        return calls


def read_arguments(pieces: list[Any]) -> tuple[dict[str, Any], str | None]:
    """A call's arguments from its streamed pieces: JSON text in parts, or (some servers) one object."""
    if len(pieces) == 1 and isinstance(pieces[0], dict):
        return pieces[0], None
    text = "".join(piece if isinstance(piece, str) else jsontext.dumps(piece).decode() for piece in pieces).strip()
    if not text:
        return {}, None
    try:
        value = jsontext.loads(text)
    except ValueError as exc:
        return {}, f"the arguments are not valid JSON ({exc}): {text[:200]}"
    if not isinstance(value, dict):
        return {}, f"the arguments must be a JSON object, not {type(value).__name__}"
    return value, None


def tool_turn_text(turn: ChatTurn) -> str:
    """A turn with tool calls or results as plain text, for a model that was not given tools."""
    lines = [turn.text] if turn.text else []
    for call in turn.tool_calls:
        lines.append(f"[called the tool {call.name} with {jsontext.dumps(call.arguments).decode()}]")
    for result in turn.tool_results:
        state = "failed" if result.is_error else "returned"
        lines.append(f"[the tool {result.name} {state}: {result.output}]")
    return "\n".join(lines)
