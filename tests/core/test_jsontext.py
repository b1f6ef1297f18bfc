"""The hot paths' JSON: orjson where it can, the json module where orjson refuses valid input."""

from __future__ import annotations

import json

import pytest

from vzero.core import jsontext


@pytest.mark.parametrize(
    "value",
    [
        {"delta": [[0, 1, 2, 2, "héllo 🙂 \"quoted\" \\ \n"], 9, 9]},
        [{"_t": "a", "0": [{"type": "text", "text": "x", "startedAt": "2026-11-22T09:00:00.000Z"}]}],
        {"n": 12345678901234567890123, "f": 0.25, "none": None, "t": True},  # an integer beyond 64 bits
        {1: "a key that is not a string"},
        "\ud83d half of a surrogate pair",
    ],
    ids=["unicode", "parts", "big-int", "int-key", "lone-surrogate"],
)
def test_dumps_is_compact_json_that_reads_back_as_the_json_module_reads_it(value: object) -> None:
    encoded = jsontext.dumps(value)
    encoded.decode("utf-8")  # always valid UTF-8: a lone surrogate is escaped, the only way it can be
    as_is = isinstance(value, str)  # the lone surrogate: ASCII with escapes
    assert encoded == json.dumps(value, separators=(",", ":"), ensure_ascii=as_is).encode()


def test_dumps_keeps_non_ascii_as_is() -> None:
    assert jsontext.dumps({"t": "é🙂"}) == '{"t":"é🙂"}'.encode()


@pytest.mark.parametrize(
    "text",
    ['{"a":[1,2.5,"x"],"b":null,"n":-9223372036854775808}', b'{"a":"\\u00e9"}', '{"e":"\\ud83d\\ude42"}'],
    ids=["plain", "bytes", "surrogate-pair"],
)
def test_loads_reads_what_the_json_module_reads(text: str | bytes) -> None:
    assert jsontext.loads(text) == json.loads(text)


def test_loads_replaces_a_lone_surrogate_escape() -> None:
    # json.loads would give a str that cannot be encoded as UTF-8 (the database and the stream would refuse it).
    parsed = jsontext.loads('{"choices":[{"delta":{"content":"a\\ud83d b"}}],"\\udc00":1}')
    assert parsed == {"choices": [{"delta": {"content": "a\ufffd b"}}], "\ufffd": 1}
    jsontext.dumps(parsed).decode("utf-8")


def test_loads_reads_an_integer_beyond_64_bits_as_a_float() -> None:
    # orjson's one lossy difference, documented in jsontext: providers' numbers are token counts, far below it.
    assert jsontext.loads('{"n":123456789012345678901234567890}') == {"n": 1.2345678901234568e29}


@pytest.mark.parametrize("text", ["{", '{"a":}', "", "nope"])
def test_loads_raises_the_json_modules_error_on_invalid_input(text: str) -> None:
    with pytest.raises(json.JSONDecodeError):
        jsontext.loads(text)


def test_dumps_refuses_what_json_cannot_hold() -> None:
    with pytest.raises(TypeError):
        jsontext.dumps({"x": object()})


def test_small_outputs_hold_only_their_own_size() -> None:
    # A generation's log keeps the JSON of every chunk's delta: orjson's own output holds a 4 KiB buffer whatever
    # its length, which made every streamed chunk cost a page of memory for as long as the log lived.
    import tracemalloc

    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        kept = [jsontext.dumps([[0, 1, i, 2, "a chunk of text"], 9, 9]) for i in range(1000)]
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert len(kept) == 1000
    assert held < 1000 * 200, f"1,000 deltas of ~35 bytes hold {held:,} bytes"
