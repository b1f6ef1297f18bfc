"""The v2 stream writes a growing text's delta from the JSON it sent last time: what encoding the delta whole would
give (byte for byte but where a lone surrogate is escaped), for any text and however it grows."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from tests.deltas import apply
from vzero.api.v2.stream import MessageStream
from vzero.core import jsontext
from vzero.core.parts import FileEnded, FileStarted, PartEvent, Parts, PartStarted, ThinkingEnded

NOW = "2026-12-06T00:00:00.000Z"
texts = st.text(alphabet=st.characters(blacklist_categories=("Cs",)) | st.sampled_from(['"', "\\", "\n", "\u2028", "\ud800"]), min_size=1, max_size=8)


def _stream() -> MessageStream:
    return MessageStream(None, {"id": "m1"}, None)  # type: ignore[arg-type]  # nothing here reads the views or the generation


def _delta(frame: bytes) -> Any:
    prefix = b'data: {"object":"message.parts.chunk","id":"m1","delta":'
    assert frame.startswith(prefix) and frame.endswith(b"}\n\n")
    return json.loads(frame[len(prefix) : -3])


@given(st.lists(st.one_of(texts.map(lambda t: ("grow", t)), st.sampled_from([("text", "A"), ("thinking", "T"), ("file", ""), ("end", "")])), max_size=40))
def test_written_deltas_are_the_encoded_ones(steps: list[tuple[str, str]]) -> None:
    stream = _stream()
    whole = Parts(deltas=True)  # the reference: every delta encoded whole
    document: Any = []
    writing = False
    for kind, value in steps:
        event: PartEvent
        if kind == "grow":
            written = stream.grow(value)
            expected = whole.grow(value)
            if expected is None:
                assert written == b""
                continue
            # the same bytes (a lone surrogate's fallback encoding may escape other characters too: the same JSON)
            assert _delta(written) == json.loads(jsontext.dumps(expected))
            if "\ud800" not in stream.parts.open_text():
                assert written == stream._chunk_head + jsontext.dumps(expected) + b"}\n\n"
            document = apply(document, _delta(written))
            continue
        if kind in ("text", "thinking") and not writing:
            event = PartStarted(kind, value, NOW)  # type: ignore[arg-type]
        elif kind == "file" and not writing:
            event, writing = FileStarted("a.ts", "ts", "create", NOW), True
        elif kind == "end" and writing:
            event, writing = FileEnded("a.ts", "create", None, NOW), False
        elif kind == "end" and whole.open_kind == "thinking":
            event = ThinkingEnded("", 0.1, NOW)
        else:
            continue
        written = stream._other(None, event)  # type: ignore[arg-type]
        expected = whole.apply(event)
        assert written == (stream._chunk_head + jsontext.dumps(expected) + b"}\n\n" if expected is not None else b"")
        if expected is not None:
            document = apply(document, _delta(written))
    assert document == whole.parts == stream.parts.parts
