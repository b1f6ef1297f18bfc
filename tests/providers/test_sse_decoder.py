"""The byte-level server-sent-events decoder: any split of the body into reads gives the same events."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vzero.providers.sse import SSEDecoder

EVENTS = [("message", '{"a":1}'), ("content_block_delta", "line one\nline two"), ("message", "héllo ✓ 日本"), ("ping", "{}")]


def encode(events: list[tuple[str, str]], newline: bytes) -> bytes:
    body = b": keep-alive" + newline
    for name, data in events:
        if name != "message":
            body += b"event: " + name.encode() + newline
        for line in data.split("\n"):
            body += b"data: " + line.encode() + newline
        body += newline
    return body


def decode(body: bytes, cuts: list[int]) -> list[tuple[str, str]]:
    decoder = SSEDecoder()
    events: list[tuple[str, str]] = []
    start = 0
    for cut in sorted(set(cuts)):
        events += decoder.feed(body[start:cut])
        start = cut
    events += decoder.feed(body[start:])
    return events + decoder.close()


@settings(max_examples=300, deadline=None)
@given(newline=st.sampled_from([b"\n", b"\r\n", b"\r"]), cuts=st.lists(st.integers(min_value=0, max_value=400), max_size=40))
def test_any_split_and_line_ending_gives_the_same_events(newline: bytes, cuts: list[int]) -> None:
    body = encode(EVENTS, newline)
    assert decode(body, [c for c in cuts if c <= len(body)]) == EVENTS


def test_every_single_byte_read() -> None:
    body = encode(EVENTS, b"\r\n")
    assert decode(body, list(range(len(body)))) == EVENTS


def test_a_last_event_without_its_blank_line_is_kept() -> None:
    assert decode(b"data: [DONE]", []) == [("message", "[DONE]")]
    assert decode(b"data: x\n\ndata: y\r", [8]) == [("message", "x"), ("message", "y")]


def test_comments_unknown_fields_and_no_space_after_colon() -> None:
    body = b": hi\nid: 7\nretry: 10\ndata:no-space\nevent:named\n\n\n\ndata\n\n"
    assert decode(body, [3, 17]) == [("named", "no-space"), ("message", "")]


def test_a_named_event_split_from_its_data_line_keeps_its_name() -> None:
    # A read of exactly one `data:` line and its blank line is decoded without the line machinery, unless an
    # earlier read left part of the event (its name, a data line or part of a line).
    assert decode(b"event: ping\ndata: {}\n\n", [12]) == [("ping", "{}")]
    assert decode(b"data: a\ndata: b\n\n", [8]) == [("message", "a\nb")]
    assert decode(b'data: {"a":1}\n\ndata: x\n\n', [15, 16]) == [("message", '{"a":1}'), ("message", "x")]
    assert decode(b"data: x\r\n\r\n", []) == [("message", "x")]


async def test_pumping_without_vzero_transport_reads_through_httpx() -> None:
    # The path a configured proxy takes: the SDK's own client, whose response carries no direct body reader.
    import httpx2

    from vzero.providers.sse import pump_sse

    body = encode(EVENTS, b"\r\n")

    class Pieces(httpx2.AsyncByteStream):
        async def __aiter__(self):  # type: ignore[no-untyped-def, override]
            for start in range(0, len(body), 7):
                yield body[start : start + 7]

    events: list[tuple[str, str]] = []
    await pump_sse(httpx2.Response(200, stream=Pieces()), lambda name, data: events.append((name, data)))  # type: ignore[func-returns-value]
    assert events == EVENTS
    # The callback ends the reading by returning True, or by raising (what it raises comes out as it was).
    events.clear()
    await pump_sse(httpx2.Response(200, stream=Pieces()), lambda name, data: events.append((name, data)) or name == "content_block_delta")  # type: ignore[func-returns-value]
    assert events == EVENTS[:2]

    class Refused(Exception):
        pass

    def refuse(name: str, data: str) -> bool:
        raise Refused(data)

    with pytest.raises(Refused, match="a"):
        await pump_sse(httpx2.Response(200, stream=Pieces()), refuse)
