"""An independent applier of the deltas vzero streams: jsondiffpatch's array/object rules and v0's string append."""

from __future__ import annotations

import copy
from typing import Any


def apply(document: Any, delta: Any) -> Any:
    """Apply one delta; returns the new document (the input is not modified)."""
    return _apply(copy.deepcopy(document), delta)


def _apply(target: Any, delta: Any) -> Any:
    if isinstance(delta, list):
        if len(delta) == 3 and delta[1:] == [9, 9] and isinstance(delta[0], list):
            return _append(target, delta[0])  # v0: [[i0, i1, ..., "text"], 9, 9]
        if len(delta) == 1:
            return delta[0]  # added
        if len(delta) == 2:
            return delta[1]  # replaced
        raise AssertionError(f"unsupported delta {delta!r}")
    assert isinstance(delta, dict), delta
    if delta.get("_t") == "a":
        assert isinstance(target, list), (target, delta)
        removals = sorted((int(k[1:]) for k, v in delta.items() if k.startswith("_") and k != "_t" and v[2] == 0), reverse=True)
        for index in removals:
            target.pop(index)
        inserts = sorted((int(k), v[0]) for k, v in delta.items() if k != "_t" and not k.startswith("_") and isinstance(v, list) and len(v) == 1)
        for index, value in inserts:
            target.insert(index, value)
        for key, value in delta.items():
            if key == "_t" or key.startswith("_") or (isinstance(value, list) and len(value) == 1):
                continue
            target[int(key)] = _apply(target[int(key)], value)
        return target
    assert isinstance(target, dict), (target, delta)
    for key, value in delta.items():
        if isinstance(value, list) and len(value) == 3 and value[1:] == [0, 0]:
            target.pop(key, None)
        elif isinstance(value, list) and len(value) == 1:
            target[key] = value[0]
        else:
            target[key] = _apply(target.get(key), value)
    return target


def _append(target: Any, path: list[Any]) -> Any:
    *indexes, text = path
    node = target
    for position, index in enumerate(indexes):
        if isinstance(node[index], str):
            node[index] += text
            return target
        node = node[index]
    raise AssertionError(f"no string along {indexes}")
