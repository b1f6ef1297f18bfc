"""JSON on the hot paths (a streamed chunk is decoded once and its deltas encoded once): orjson, several times faster
than the json module for a provider's chunk and for a delta. Where orjson refuses what the json module accepts (lone surrogates such as a `\\ud83d` escape;
when encoding, also integers beyond 64 bits and keys that are not strings), the json module answers instead, and a
lone surrogate read is replaced (see `loads`). One difference remains: orjson reads an integer beyond 64 bits as a
float (the numbers of a provider's chunk are token counts, far below that).
"""

from __future__ import annotations

import json
from typing import Any

import orjson

# ASCII with escapes: the only form in which text holding a lone surrogate is valid UTF-8.
_encode_ascii = json.JSONEncoder(separators=(",", ":")).encode


def loads(text: str | bytes) -> Any:
    """Parse JSON; raises json.JSONDecodeError (a ValueError) on invalid input, like json.loads.

    A lone surrogate escape (`"\\ud83d"` without its pair: a model or server that split an emoji's escape) becomes
    U+FFFD: it is not text, and kept as is it could not be written to the database or to a UTF-8 stream.
    """
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return _valid_text(json.loads(text))


def _valid_text(value: Any) -> Any:
    if isinstance(value, str):
        return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    if isinstance(value, list):
        return [_valid_text(item) for item in value]
    if isinstance(value, dict):
        return {_valid_text(key): _valid_text(item) for key, item in value.items()}
    return value


# orjson writes into a buffer of at least 4 KiB and hands that buffer back as the bytes object, unshrunk: a 40-byte
# delta holds 4,089 bytes of memory (tracemalloc, orjson 3.13). A generation's log keeps the JSON of every event it
# published, so each streamed chunk held a page of its own: 280 MB for 200 replies of 300 chunks, and a fresh page to
# fault in and zero for every chunk (12 % of the server's CPU at 200 streams, in the kernel's clear_page). Smaller
# outputs are copied into bytes of their own size (~0.1 us); larger ones waste at most half of what they hold.
_RIGHT_SIZE_BELOW = 4096


def dumps_str(text: str) -> bytes:
    """The JSON of a string, for a caller that copies it into bytes of its own anyway (concatenation): the right-size
    copy of `dumps` would be a second one."""
    try:
        return orjson.dumps(text)
    except orjson.JSONEncodeError:  # a lone surrogate
        return _encode_ascii(text).encode()


def dumps(value: Any) -> bytes:
    """Compact UTF-8 JSON (no spaces, non-ASCII as is); raises TypeError for what JSON cannot hold."""
    try:
        out = orjson.dumps(value)
    except orjson.JSONEncodeError:
        return _encode_ascii(value).encode()
    return bytes(memoryview(out)) if len(out) < _RIGHT_SIZE_BELOW else out
