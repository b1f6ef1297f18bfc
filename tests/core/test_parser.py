"""Tests for vzero.core.parser: events, robustness, and the same result for any chunking."""

from __future__ import annotations

import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vzero.core.parser import (
    DeleteFile,
    FileDelta,
    FileEnd,
    FileStart,
    MoveFile,
    OutputParser,
    ParseEvent,
    ParseWarning,
    TextDelta,
    ThinkingDelta,
    ThinkingEnd,
    normalize_path,
    parse_complete,
)
from vzero.errors import VzeroError

FULL = """<Thinking>
The user wants a counter. I'll write <CodeProject> with a page.
</Thinking>

I'll build a counter app.

<CodeProject id="counter-app" taskNameActive="Building counter" taskNameComplete="Built counter">

```tsx file="app/page.tsx"
"use client"

import { useState } from "react"

export default function Page() {
  const [count, setCount] = useState(0)
  const md = `text with
```not a closing fence`
  return <button onClick={() => setCount(count + 1)}>{count}</button>
}
```

```css file='app/globals.css'
body { margin: 0 }
```

<DeleteFile file="components/old.tsx" />
<MoveFile from="lib/a.ts" to="lib/utils/a.ts" />

</CodeProject>

The page shows a button; `<Thinking>` is how I plan. If a < b then c > d.
"""

PARTIAL = """<thinking>Small change.</thinking>
<CodeProject id="x">
```tsx file="app/page.tsx"
// ... existing code ...
  // <CHANGE> start at ten
  const [count, setCount] = useState(10)
  {/* <CHANGE> styled */}
// ... existing code ...
```
</CodeProject>
"""

UNCLOSED_FENCE = """Here you go:
<CodeProject id="p">
```ts file="lib/math.ts"
export const add = (a: number, b: number) => a + b
export const sub = (a: number, b: number) =>"""

MISSING_PROJECT_END = """<CodeProject id="p">
```tsx file="app/page.tsx"
export default function Page() { return null }
```
Done."""

THINKING_NOT_CLOSED = """<Thinking>
I need a page.
<CodeProject id="p">
```tsx file="app/page.tsx"
export default function Page() { return <main /> }
```
</CodeProject>
"""

FENCE_WITHOUT_FILE = """<CodeProject id="p">
```tsx
// app/about/page.tsx
export default function About() { return <p>About</p> }
```

```tsx
// file: components/nav.tsx
export function Nav() { return <nav /> }
```

```bash
npm install
```

```tsx components/footer.tsx
export function Footer() { return <footer /> }
```
</CodeProject>
"""

OUTSIDE_PROJECT = """Sure.

```ts file="lib/x.ts"
export const x = 1
```

Run it with:

```bash
npm run dev
```
"""

LONG_FENCES = """<CodeProject id="p">
````md file="docs/guide.md"
# Guide

```tsx file="example.tsx"
const a = 1
```

```
plain
```
````

```md file="README.md"
# Readme
```bash
npm i
```
Use it.
```
</CodeProject>
"""

WINDOWS = (
    '<CodeProject id="p">\r\n```tsx file="app/page.tsx"\r\nline one\r\nline two\r\n```\r\n</CodeProject>\r\n'
    "Bye\r\n"
)

UNSAFE = """<CodeProject id="p">
```ts file="../../etc/passwd"
root:x:0:0
```
```ts file="/app/abs.ts"
export {}
```
```ts file="lib\\win.ts"
export {}
```
```ts file="./lib/./dot.ts"
export {}
```
```ts file="C:/x.ts"
export {}
```
<DeleteFile file="../secret" />
<MoveFile from="a.ts" />
</CodeProject>
"""

MALFORMED = """<Thinking
no close bracket for a while < and > stuff
<CodeProject>
</CodeProject>
</Thinking>
<codeproject id=p>
<CodeProject id="nested">
```tsx file=app/page.tsx
ok
```
</codeproject>
</CodeProject>
<DeleteFile>
<DeleteFile path="a.ts"></DeleteFile>
<think>short</think>
a line with ``` in the middle
~~~
tilde block <DeleteFile file="not-a-delete.ts" />
~~~
"""

IMPLICIT_ENDS = """<CodeProject id="p">
```tsx file="a.tsx"
export const a = 1
```tsx file="b.tsx"
export const b = 2
</CodeProject>
After."""

SQUASHED = """<Thinking>plan</Thinking><CodeProject id="p">```tsx file="app/page.tsx"
export default function Page() { return null }
```</CodeProject>
Done."""

ASSET = """<CodeProject id="p">
```png file="public/logo.png" url="https://example.com/logo.png"
```
</CodeProject>"""

LONG_LINES = (
    "<CodeProject id=\"p\">\n```ts file=\"big.ts\"\n"
    + "`" * 2500
    + "\n"
    + " " * 2100
    + "x\n```\n"
    + "```ts file=\"" + "a" * 2100 + ".ts\"\nbody\n```\n"
    + "<DeleteFile file=\"" + "b" * 2100 + "\" />\n</CodeProject>\n"
)

REPLIES = {
    "full": FULL,
    "partial": PARTIAL,
    "unclosed_fence": UNCLOSED_FENCE,
    "missing_project_end": MISSING_PROJECT_END,
    "thinking_not_closed": THINKING_NOT_CLOSED,
    "fence_without_file": FENCE_WITHOUT_FILE,
    "outside_project": OUTSIDE_PROJECT,
    "long_fences": LONG_FENCES,
    "windows": WINDOWS,
    "unsafe": UNSAFE,
    "malformed": MALFORMED,
    "implicit_ends": IMPLICIT_ENDS,
    "asset": ASSET,
    "squashed": SQUASHED,
    "long_lines": LONG_LINES,
    "empty": "",
    "prose_only": "Just prose, no code.\n",
    "thinking_cut_off": "<Thinking>only thinking, cut off mid-thou",
    "tag_start_at_end": "text ending with a tag start <Codepro",
    "trailing_cr": "trailing carriage return\r",
}


def feed_chunks(text: str, cuts: list[int]) -> list[ParseEvent]:
    parser = OutputParser()
    events: list[ParseEvent] = []
    start = 0
    for cut in sorted(set(cuts)) + [len(text)]:
        events += parser.feed(text[start:cut])
        start = cut
    return events + parser.close()


def summary(events: list[ParseEvent]) -> tuple[list[ParseEvent], str, str, list[tuple[str, str]]]:
    """What must not depend on chunking: structural events in order, all text, all thought, file bodies."""
    structure: list[ParseEvent] = [e for e in events if not isinstance(e, (TextDelta, ThinkingDelta, FileDelta))]
    text = "".join(e.text for e in events if isinstance(e, TextDelta))
    thought = "".join(e.text for e in events if isinstance(e, ThinkingDelta))
    bodies: list[tuple[str, str]] = []
    for event in events:
        if isinstance(event, FileStart):
            bodies.append((event.path, ""))
        elif isinstance(event, FileDelta):
            assert bodies and bodies[-1][0] == event.path
            bodies[-1] = (event.path, bodies[-1][1] + event.text)
    return structure, text, thought, bodies


def assert_deltas_add_up(events: list[ParseEvent]) -> None:
    _, _, thought, bodies = summary(events)
    ends = [e for e in events if isinstance(e, FileEnd)]
    assert [(e.path, e.content) for e in ends] == bodies
    assert "".join(e.text for e in events if isinstance(e, ThinkingEnd)) == thought


def whole(text: str) -> list[ParseEvent]:
    return feed_chunks(text, [])


def files(events: list[ParseEvent]) -> dict[str, FileEnd]:
    return {e.path: e for e in events if isinstance(e, FileEnd)}


def warnings(events: list[ParseEvent]) -> list[str]:
    return [e.message for e in events if isinstance(e, ParseWarning)]


# --- the chunking property -----------------------------------------------------------------


@pytest.mark.parametrize("size", [1, 2, 3, 7, 64])
@pytest.mark.parametrize("name", REPLIES)
def test_fixed_chunk_sizes_match_whole_feed(name: str, size: int) -> None:
    text = REPLIES[name]
    assert summary(feed_chunks(text, list(range(size, len(text), size)))) == summary(whole(text))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_random_split_points_match_whole_feed(data: st.DataObject) -> None:
    text = data.draw(st.sampled_from(list(REPLIES.values())))
    cuts = data.draw(st.lists(st.integers(0, len(text)), max_size=60))
    assert summary(feed_chunks(text, cuts)) == summary(whole(text))


_PIECES = [
    "<Thinking>", "</Thinking>", "<think>", "</THINK>", '<CodeProject id="x">', "</CodeProject>", "```</CodeProject>",
    '```tsx file="a.tsx"\n', "```ts\n", "```\n", "````\n", "~~~\n", "```md file=\"r.md\"\n", "```bash\n",
    '<DeleteFile file="d.ts" />', '<MoveFile from="m.ts" to="n.ts" />', "// app/x.tsx\n",
    "// ... existing code ...\n", "// <CHANGE> why\n", "{/* <CHANGE> */}\n", "\n", "\r\n", "\r", " ", "  ",
    "a", "word", "<", ">", "`", "``", "/", '"', "'", "=", "<div>", "< b", "</", "<Code", "#", "-", "{",
]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_random_token_soup_never_fails_and_ignores_chunking(data: st.DataObject) -> None:
    text = "".join(data.draw(st.lists(st.sampled_from(_PIECES), max_size=40)))
    cuts = data.draw(st.lists(st.integers(0, len(text)), max_size=30))
    events = feed_chunks(text, cuts)
    assert summary(events) == summary(whole(text))
    assert_deltas_add_up(events)


@pytest.mark.parametrize("name", REPLIES)
def test_file_deltas_add_up_to_file_end(name: str) -> None:
    text = REPLIES[name]
    assert_deltas_add_up(feed_chunks(text, list(range(1, len(text)))))


# --- what a normal reply yields ---------------------------------------------------------------


def test_full_reply_events() -> None:
    events = whole(FULL)
    structure = summary(events)[0]
    assert [type(e) for e in structure] == [ThinkingEnd, FileStart, FileEnd, FileStart, FileEnd, DeleteFile, MoveFile]
    page = files(events)["app/page.tsx"]
    assert page.lang == "tsx" and not page.partial
    assert "```not a closing fence`\n  return <button" in page.content
    assert page.content.endswith("}\n")
    assert files(events)["app/globals.css"].content == "body { margin: 0 }\n"
    assert DeleteFile("components/old.tsx") in events
    assert MoveFile("lib/a.ts", "lib/utils/a.ts") in events
    assert warnings(events) == []
    reply = parse_complete(FULL)
    assert reply.thinking == "The user wants a counter. I'll write <CodeProject> with a page."
    assert reply.text.startswith("I'll build a counter app.\n\n")
    assert "`<Thinking>` is how I plan. If a < b then c > d." in reply.text
    assert "```" not in reply.text and "CodeProject" not in reply.text
    assert [a.path if not isinstance(a, MoveFile) else a.src for a in reply.operations] == [
        "app/page.tsx", "app/globals.css", "components/old.tsx", "lib/a.ts",
    ]


def test_partial_edit_marked_and_change_comments_stripped() -> None:
    events = whole(PARTIAL)
    page = files(events)["app/page.tsx"]
    assert page.partial
    assert "<CHANGE>" not in page.content
    assert page.content == (
        "// ... existing code ...\n  const [count, setCount] = useState(10)\n// ... existing code ...\n"
    )
    assert [e.text for e in events if isinstance(e, ThinkingEnd)] == ["Small change."]


def test_binary_asset_keeps_url() -> None:
    asset = files(whole(ASSET))["public/logo.png"]
    assert (asset.content, asset.url, asset.lang) == ("", "https://example.com/logo.png", "png")


def test_files_outside_code_project_count_and_plain_blocks_stay_prose() -> None:
    reply = parse_complete(OUTSIDE_PROJECT)
    assert [f.path for f in reply.files] == ["lib/x.ts"]
    assert "```bash\nnpm run dev\n```" in reply.text
    assert reply.warnings == []


# --- robustness -------------------------------------------------------------------------------


def test_unclosed_fence_keeps_what_was_written() -> None:
    reply = parse_complete(UNCLOSED_FENCE)
    assert reply.files[0].content.endswith("export const sub = (a: number, b: number) =>")
    assert any("not closed" in w for w in reply.warnings)
    assert any("</CodeProject>" in w for w in reply.warnings)


def test_missing_code_project_end() -> None:
    reply = parse_complete(MISSING_PROJECT_END)
    assert [f.path for f in reply.files] == ["app/page.tsx"]
    assert reply.text == "Done."
    assert reply.warnings == ["the reply ended without </CodeProject>"]


def test_unclosed_thinking_ends_at_code_project() -> None:
    reply = parse_complete(THINKING_NOT_CLOSED)
    assert reply.thinking == "I need a page."
    assert [f.path for f in reply.files] == ["app/page.tsx"]
    assert any("<Thinking>" in w for w in reply.warnings)


def test_unclosed_thinking_at_end_is_closed() -> None:
    events = whole("<Thinking>only thinking, cut off")
    assert ThinkingEnd("only thinking, cut off") in events
    assert warnings(events)


def test_fences_without_file_attribute() -> None:
    reply = parse_complete(FENCE_WITHOUT_FILE)
    got = {f.path: f for f in reply.files}
    assert set(got) == {"app/about/page.tsx", "components/nav.tsx", "components/footer.tsx"}
    assert got["app/about/page.tsx"].content == "export default function About() { return <p>About</p> }\n"
    assert got["app/about/page.tsx"].lang == "tsx"
    assert got["components/footer.tsx"].lang == "tsx"
    assert "```bash\nnpm install\n```" in reply.text
    assert sum("no file=" in w for w in reply.warnings) == 4


def test_longer_fences_and_markdown_files_hold_inner_fences() -> None:
    got = {f.path: f.content for f in parse_complete(LONG_FENCES).files}
    assert set(got) == {"docs/guide.md", "README.md"}
    assert got["docs/guide.md"] == '# Guide\n\n```tsx file="example.tsx"\nconst a = 1\n```\n\n```\nplain\n```\n'
    assert got["README.md"] == "# Readme\n```bash\nnpm i\n```\nUse it.\n"


def test_windows_newlines() -> None:
    reply = parse_complete(WINDOWS)
    assert reply.files[0].content == "line one\nline two\n"
    assert reply.text == "Bye"
    assert parse_complete("a\r").text == "a"


def test_unsafe_paths_are_refused_or_normalised() -> None:
    reply = parse_complete(UNSAFE)
    assert [f.path for f in reply.files] == ["app/abs.ts", "lib/win.ts", "lib/dot.ts"]
    assert reply.deletes == [] and reply.moves == []
    assert "root:x" not in reply.text
    assert len(reply.warnings) == 6


@pytest.mark.parametrize(
    ("raw", "path"),
    [
        ("app/page.tsx", "app/page.tsx"),
        ("./app//page.tsx", "app/page.tsx"),
        ("/app/page.tsx", "app/page.tsx"),
        ("app\\page.tsx", "app/page.tsx"),
        ("../x", None),
        ("a/../../x", None),
        ("C:/x", None),
        ("~/x", None),
        ("", None),
        ("a\x00b", None),
        ("/", None),
    ],
)
def test_normalize_path(raw: str, path: str | None) -> None:
    assert normalize_path(raw)[0] == path


def test_malformed_tags_do_not_break_parsing() -> None:
    events = whole(MALFORMED)
    assert [f.path for f in files(events).values()] == ["app/page.tsx"]
    assert DeleteFile("a.ts") in events
    assert DeleteFile("not-a-delete.ts") not in events
    assert ThinkingEnd("short") in events
    text = parse_complete(MALFORMED).text
    assert "<Thinking\nno close bracket" in text
    assert "tilde block <DeleteFile" in text
    assert len(warnings(events)) >= 3


def test_missing_closing_fence_before_next_file_or_project_end() -> None:
    reply = parse_complete(IMPLICIT_ENDS)
    assert [(f.path, f.content) for f in reply.files] == [
        ("a.tsx", "export const a = 1\n"),
        ("b.tsx", "export const b = 2\n"),
    ]
    assert reply.text == "After."
    assert len(reply.warnings) == 2


def test_overlong_lines_are_content_not_structure() -> None:
    reply = parse_complete(LONG_LINES)
    assert [f.path for f in reply.files] == ["big.ts"]
    assert reply.files[0].content.startswith("`" * 2500 + "\n")
    assert reply.deletes == []


def test_tag_in_backticks_is_text() -> None:
    assert parse_complete('Use `<DeleteFile file="x" />` to delete.').deletes == []


# --- incrementality ----------------------------------------------------------------------------


def test_text_is_emitted_without_waiting() -> None:
    parser = OutputParser()
    assert parser.feed("Hello wor") == [TextDelta("Hello wor")]
    assert parser.feed("ld <") == [TextDelta("ld ")]
    assert parser.feed("b") == [TextDelta("<b")]
    assert parser.feed("\n`") == [TextDelta("\n")]
    assert parser.feed("`") == []
    assert parser.feed("x") == [TextDelta("``x")]
    assert parser.feed("<Thi") == []
    assert parser.feed("nking>hm") == [ThinkingDelta("hm")]


def test_file_lines_are_emitted_as_they_arrive() -> None:
    parser = OutputParser()
    assert parser.feed('```tsx file="a.tsx"\n') == [FileStart("a.tsx", "tsx")]
    assert parser.feed("const a") == [FileDelta("a.tsx", "const a")]
    assert parser.feed(" = 1\n``") == [FileDelta("a.tsx", " = 1\n")]
    assert parser.feed("`") == []
    assert parser.feed("\n") == [FileEnd("a.tsx", "tsx", "const a = 1\n", False)]


def test_feed_after_close_is_an_error() -> None:
    parser = OutputParser()
    parser.close()
    assert parser.close() == []
    with pytest.raises(VzeroError):
        parser.feed("x")


def test_streaming_cost_is_linear() -> None:
    body = "".join(f"  const v{i} = {i} // a comment with <tags> and `ticks`\n" for i in range(4000))
    text = f'Intro <b>\n<CodeProject id="p">\n```ts file="big.ts"\n{body}```\n</CodeProject>\n' + "prose line\n" * 2000
    started = time.perf_counter()
    events = feed_chunks(text, list(range(4, len(text), 4)))
    elapsed = time.perf_counter() - started
    assert files(events)["big.ts"].content == body
    # ~280 KB in 4-character chunks; quadratic re-scanning would take minutes, linear takes well under a second.
    assert elapsed < 10


def test_actions_are_not_prose() -> None:
    reply = parse_complete('Done.\n<Actions>\n  <Action name="Add auth" description="Add login" />\n</Actions>\n')
    assert reply.text == "Done."
    assert reply.warnings == []


def test_tags_and_fences_squashed_on_one_line() -> None:
    reply = parse_complete(SQUASHED)
    assert [(f.path, f.content) for f in reply.files] == [
        ("app/page.tsx", "export default function Page() { return null }\n")
    ]
    assert (reply.thinking, reply.text, reply.warnings) == ("plan", "Done.", [])
    reply = parse_complete('<CodeProject id="p">\n```bash\nnpm i\n```</CodeProject>\nDone.')
    assert reply.text == "```bash\nnpm i\n```\nDone."
    assert reply.warnings == ['a code block inside <CodeProject> has no file="..."; kept it as text']
