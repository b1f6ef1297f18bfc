"""The v1 content and v2 parts builders: their deltas, applied in order, rebuild exactly what they hold, whether the
open node's text was read mid-way or not, and whether v2 deltas were asked for from the start or only later."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from tests.deltas import apply
from vzero.core.content import ContentBuilder
from vzero.core.parts import PartsBuilder

NOW = "2026-12-03T09:00:00.000Z"

# One step of a reply: more prose, more thinking, a file that opens, more of its text, its end, a read of the state,
# a note (a line of its own; not a part).
steps = st.lists(
    st.one_of(
        st.tuples(st.just("text"), st.text(min_size=1, max_size=6)),
        st.tuples(st.just("thinking"), st.text(min_size=1, max_size=6)),
        st.tuples(st.just("file"), st.sampled_from(["app/page.tsx", "lib/a.ts"])),
        st.tuples(st.just("file_text"), st.text(min_size=1, max_size=6)),
        st.tuples(st.just("file_end"), st.just("")),
        st.tuples(st.just("read"), st.just("")),
        st.tuples(st.just("note"), st.text(min_size=1, max_size=6)),
    ),
    max_size=60,
)


@given(steps)
def test_content_deltas_rebuild_the_content(reply: list[tuple[str, str]]) -> None:
    builder = ContentBuilder()
    document: Any = []
    for kind, value in reply:
        if kind == "text":
            # As the generation does: more of the open prose as JSON already, else a new paragraph.
            grown = builder.grow("p", value)
            deltas = [json.loads(grown)] if grown is not None else builder.text(value)
        elif kind == "file":
            deltas = builder.file_start(value, "tsx")
        elif kind == "file_text":
            grown = builder.grow("Codeblock", value)
            deltas = [json.loads(grown)] if grown is not None else []  # no file open: nothing to grow
        elif kind == "file_end":
            builder.file_end()
            deltas = []
        elif kind == "read":
            assert builder.content == document  # read mid-way: the open node's pieces joined, nothing lost
            deltas = []
        elif kind == "note":
            deltas = builder.note(value)
        else:
            deltas = []  # thinking: a part of v2 only
        for delta in deltas:
            document = apply(document, json.loads(json.dumps(delta)))
    assert builder.content == document


@given(steps, st.integers(min_value=0, max_value=60))
def test_parts_deltas_rebuild_the_parts_when_asked_for_from_any_point(reply: list[tuple[str, str]], joins_at: int) -> None:
    # Before `joins_at` nobody follows in v2 (no deltas are asked for); a listener that joins then gets the parts so
    # far as its first document, then every delta.
    builder = PartsBuilder()
    document: Any = None
    for index, (kind, value) in enumerate(reply):
        following = index >= joins_at
        if following and document is None:
            document = json.loads(json.dumps(builder.parts))
        delta = None
        if kind in ("text", "thinking"):
            if builder.open_kind == kind:
                delta = builder.extend(kind, value, following)
            else:
                delta = builder.text(value, NOW) if kind == "text" else builder.thinking(value, NOW)
        elif kind == "file":
            _, delta = builder.file_edit("edit", value, NOW)
        elif kind == "read":
            builder.parts  # noqa: B018 - reading joins the open part's pieces
        if following and delta is not None:
            document = apply(document, json.loads(json.dumps(delta)))
    closing = builder.close(NOW)
    if document is not None:
        if closing is not None:
            document = apply(document, json.loads(json.dumps(closing)))
        assert builder.parts == document
    texts = "".join(v for k, v in reply if k in ("text", "thinking"))
    assert "".join(p.get("text", "") for p in builder.parts) == texts
