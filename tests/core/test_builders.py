"""A reply's events, rendered as v1 content and as v2 parts: the deltas, applied in order, rebuild exactly what the
builders hold, whether the open node's text was read mid-way or not, whether a v2 listener joined at the start or
later, and whether it took the text that grew while it was behind as one delta or one per chunk."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from tests.deltas import apply
from vzero.api.v1.content import V1Content
from vzero.core.parts import FileChanged, FileEnded, FilesRead, FileStarted, PartEvent, Parts, PartsClosed, PartStarted, ThinkingEnded

NOW = "2026-12-03T09:00:00.000Z"

# One step of a reply: more prose, more thinking, a file that opens, more of its text, its end, files read, a note
# (a refused operation: a line of its own in v1, nothing in v2), a read of the state.
steps = st.lists(
    st.one_of(
        st.tuples(st.just("text"), st.text(min_size=1, max_size=6)),
        st.tuples(st.just("thinking"), st.text(min_size=1, max_size=6)),
        st.tuples(st.just("file"), st.sampled_from(["app/page.tsx", "lib/a.ts"])),
        st.tuples(st.just("file_text"), st.text(min_size=1, max_size=6)),
        st.tuples(st.just("file_end"), st.just("")),
        st.tuples(st.just("files_read"), st.just("")),
        st.tuples(st.just("note"), st.text(min_size=1, max_size=6)),
        st.tuples(st.just("read"), st.just("")),
    ),
    max_size=60,
)


def events_of(reply: list[tuple[str, str]]) -> list[PartEvent | None]:
    """The events a generation publishes for these steps (None: a read of the state here), opening and closing
    parts as the engine does: a bare str only ever grows what is open."""
    events: list[PartEvent | None] = []
    open_kind: str | None = None
    thought: list[str] = []
    writing: str | None = None

    def end_thinking() -> None:
        nonlocal open_kind
        if open_kind == "thinking":
            events.append(ThinkingEnded("".join(thought), 0.5, NOW))
            open_kind = None

    for kind, value in reply:
        if kind == "read":
            events.append(None)
        elif kind == "thinking":
            if writing is not None:
                continue  # reasoning in the middle of a file's code is left out
            if open_kind == "thinking":
                thought.append(value)
                events.append(value)
            else:
                thought[:] = [value]
                events.append(PartStarted("thinking", value, NOW))
                open_kind = "thinking"
        elif kind == "text" and writing is None:
            if open_kind == "text":
                events.append(value)
            else:
                end_thinking()
                events.append(PartStarted("text", value, NOW))
                open_kind = "text"
        elif kind == "file" and writing is None:
            end_thinking()
            events.append(FileStarted(value, "tsx", "create", NOW))
            open_kind, writing = None, value
        elif kind == "file_text" and writing is not None:
            events.append(value)
        elif kind == "file_end" and writing is not None:
            events.append(FileEnded(writing, "create", None, NOW))
            writing = None
        elif kind == "files_read" and writing is None:
            end_thinking()
            events.append(FilesRead(("app/page.tsx",), NOW))
            open_kind = None
        elif kind == "note" and writing is None:
            end_thinking()
            events.append(FileChanged("lib/x.ts", None, None, value, NOW))
    end_thinking()
    if open_kind is not None:
        events.append(PartsClosed(NOW))
    if writing is not None:
        events.append(FileEnded(writing, None, None, NOW))
    return events


def frames_to_deltas(frames: bytes) -> list[Any]:
    return [json.loads(line[len(b"data: "):])["delta"] for line in frames.split(b"\n\n") if line]


@given(steps)
def test_v1_frames_rebuild_the_content(reply: list[tuple[str, str]]) -> None:
    view = V1Content()
    document: Any = []
    for event in events_of(reply):
        if event is None:
            assert view.builder.content == document  # read mid-way: the open node's pieces joined, nothing lost
            continue
        view.add(event)
        for delta in frames_to_deltas(view.frames[-1]):
            document = apply(document, delta)
    assert view.builder.content == document
    assert view.columns() == {"experimental_content": document}


@given(steps, st.integers(min_value=0, max_value=60), st.booleans())
def test_v2_deltas_rebuild_the_parts_from_any_point(reply: list[tuple[str, str]], joins_at: int, coalesce: bool) -> None:
    # The engine keeps its parts without deltas; a listener that joins at `joins_at` copies them, applies the snapshot
    # to [] and then every delta of its own copy, taking consecutive text as one grow when `coalesce`.
    engine = Parts()
    listener: Parts | None = None
    document: Any = None
    pending: list[str] = []

    def flush() -> None:
        nonlocal document
        if listener is not None and pending:
            delta = listener.grow("".join(pending))
            if delta is not None:
                document = apply(document, json.loads(json.dumps(delta)))
            pending.clear()

    for index, event in enumerate(events_of(reply)):
        if listener is None and index >= joins_at:
            listener = engine.copy(deltas=True)
            snapshot = listener.snapshot()
            document = apply([], json.loads(json.dumps(snapshot))) if snapshot else []
        if event is None:
            engine.parts  # noqa: B018 - reading joins the open part's pieces
            continue
        engine.apply(event)
        if listener is None:
            continue
        if type(event) is str:
            pending.append(event)
            if not coalesce:
                flush()
            continue
        flush()
        delta = listener.apply(event)
        if delta is not None:
            document = apply(document, json.loads(json.dumps(delta)))
    flush()
    if listener is not None:
        assert listener.parts == document == engine.parts
    texts = "".join(v for k, v in reply if k in ("text", "thinking"))
    shown = "".join(p.get("text", "") for p in engine.parts)
    assert len(shown) <= len(texts)  # text written while a file was open is the file's, not a part's
