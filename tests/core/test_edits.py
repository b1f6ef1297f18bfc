"""Tests for vzero.core.edits: markers, <CHANGE> notes and merging partial edits."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vzero.core.edits import (
    AmbiguousEdit,
    has_existing_code_markers,
    is_change_comment,
    merge_partial_edit,
    strip_change_comments,
)
from vzero.errors import VzeroError

PAGE = """import { useState } from "react"
import { Button } from "@/components/ui/button"

export default function Page() {
  const [count, setCount] = useState(0)

  function handleClick() {
    setCount(count + 1)
  }

  function reset() {
    setCount(0)
  }

  return (
    <main>
      <h1>Counter</h1>
      <Button onClick={handleClick}>Add</Button>
      <Button onClick={reset}>Reset</Button>
    </main>
  )
}
"""


# --- markers and notes ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [
        "// ... existing code ...",
        "  //...existing code...",
        "{/* ... existing code ... */}",
        "/* ... existing styles ... */",
        "<!-- ... existing code ... -->",
        "# ... existing code ...",
        "-- ... rest of the file ...",
        "// … keep existing imports …",
        "<div>{/* ... existing code ... */}</div>",
    ],
)
def test_has_existing_code_markers(content: str) -> None:
    assert has_existing_code_markers(f"a\n{content}\nb\n")


@pytest.mark.parametrize(
    "content",
    ["const a = 1\n", "// existing code is fine\n", "// ... and then we render\n", "const s = '...existing'\n", ""],
)
def test_no_existing_code_markers(content: str) -> None:
    assert not has_existing_code_markers(content)


def test_strip_change_comments() -> None:
    text = (
        "a\n// <CHANGE> renamed\n  {/* <CHANGE> styled */}\n# <change> py\n<!-- <CHANGE> html -->\n"
        "const b = 1 // <CHANGE> stays: code on the line\nc"
    )
    assert strip_change_comments(text) == "a\nconst b = 1 // <CHANGE> stays: code on the line\nc"
    assert strip_change_comments("plain\r\ntext") == "plain\r\ntext"
    assert is_change_comment("  // <CHANGE> x") and not is_change_comment("// CHANGE x")


def test_ambiguous_edit_is_a_vzero_error() -> None:
    assert issubclass(AmbiguousEdit, VzeroError)
    assert AmbiguousEdit.status_code == 422


# --- merging: the usual shapes ----------------------------------------------------------------


def test_edit_without_markers_replaces_the_file() -> None:
    assert merge_partial_edit(PAGE, "new\n") == "new\n"
    assert merge_partial_edit("", "// <CHANGE> new file\nnew\n") == "new\n"


def test_marker_at_top_keeps_the_head() -> None:
    edit = """// ... existing code ...

  return (
    <main>
      <h1>Count: {count}</h1>
    </main>
  )
}
"""
    merged = merge_partial_edit(PAGE, edit)
    assert merged == PAGE.split("  return (")[0] + edit.split("\n\n", 1)[1]


def test_marker_at_bottom_keeps_the_tail() -> None:
    edit = """import { useState, useEffect } from "react"
import { Button } from "@/components/ui/button"
// ... existing code ...
"""
    merged = merge_partial_edit(PAGE, edit)
    assert merged == PAGE.replace("{ useState }", "{ useState, useEffect }")


def test_marker_in_the_middle_keeps_between_chunks() -> None:
    edit = """import { useState } from "react"
import { Button } from "@/components/ui/button"
import { Moon } from "lucide-react"
// ... existing code ...
      <Button onClick={reset}>Reset</Button>
      <Moon />
    </main>
  )
}
"""
    expected = PAGE.replace('ui/button"\n', 'ui/button"\nimport { Moon } from "lucide-react"\n').replace(
        "Reset</Button>\n", "Reset</Button>\n      <Moon />\n"
    )
    assert merge_partial_edit(PAGE, edit) == expected


def test_several_markers() -> None:
    edit = """// ... existing code ...
  function handleClick() {
    setCount(count + 2)
  }
// ... existing code ...
      <h1>Counter</h1>
      <p>Clicks: {count}</p>
// ... existing code ...
"""
    expected = PAGE.replace("count + 1", "count + 2").replace(
        "<h1>Counter</h1>\n", "<h1>Counter</h1>\n      <p>Clicks: {count}</p>\n"
    )
    assert merge_partial_edit(PAGE, edit) == expected


def test_anchor_lines_match_ignoring_whitespace() -> None:
    edit = "// ... existing code ...\n function reset() {\n    setCount(-1)\n      }\n// ... existing code ...\n"
    merged = merge_partial_edit(PAGE, edit)
    assert " function reset() {\n    setCount(-1)\n      }\n\n  return (" in merged
    assert "setCount(0)" not in merged


def test_change_comments_are_stripped_while_merging() -> None:
    edit = "// ... existing code ...\n  function reset() {\n    // <CHANGE> reset to 5\n    setCount(5)\n  }\n// ... existing code ...\n"
    assert merge_partial_edit(PAGE, edit) == PAGE.replace("setCount(0)", "setCount(5)")


def test_duplicate_anchor_resolved_by_neighbouring_lines() -> None:
    original = "<Card>\n  <Title>One</Title>\n</Card>\n<Card>\n  <Title>Two</Title>\n</Card>\n"
    edit = "// ... existing code ...\n<Card>\n  <Title>Two</Title>\n  <Body />\n</Card>\n// ... existing code ...\n"
    assert merge_partial_edit(original, edit) == original.replace("Two</Title>\n", "Two</Title>\n  <Body />\n")


def test_duplicate_anchor_with_the_same_result_is_fine() -> None:
    original = "a\nx\na\nx\n"
    assert merge_partial_edit(original, "// ... existing code ...\na\nx\n// ... existing code ...\n") == original


def test_region_that_keeps_most_code_wins() -> None:
    # `}` closes several blocks; the reading that replaces only the edited function is the one kept.
    original = "function a() {\n  return 1\n}\n\nfunction b() {\n  return 2\n}\n"
    edit = "function a() {\n  return 10\n}\n// ... existing code ...\n"
    assert merge_partial_edit(original, edit) == original.replace("return 1\n", "return 10\n")


def test_other_comment_styles() -> None:
    css = "body {\n  margin: 0;\n}\n\n.a {\n  color: red;\n}\n"
    edit = "/* ... existing code ... */\n.a {\n  color: blue;\n}\n"
    assert merge_partial_edit(css, edit) == css.replace("red", "blue")
    py = "import os\n\n\ndef f():\n    return 1\n"
    assert merge_partial_edit(py, "import os\nimport sys\n# ... existing code ...\n") == py.replace(
        "import os\n", "import os\nimport sys\n"
    )
    html = "<ul>\n  <li>a</li>\n</ul>\n<p>end</p>\n"
    edit = "<!-- ... existing code ... -->\n</ul>\n<p>the end</p>\n"
    assert merge_partial_edit(html, edit) == html.replace("<p>end</p>", "<p>the end</p>")


def test_only_markers_keep_the_original() -> None:
    assert merge_partial_edit(PAGE, "// ... existing code ...\n") == PAGE


def test_newlines_follow_the_original_and_the_edit() -> None:
    original = "a\r\nb\r\nc"
    assert merge_partial_edit(original, "x\r\na\r\n// ... existing code ...\n") == "x\r\na\r\nb\r\nc"
    assert merge_partial_edit("a\nb\nc\n", "// ... existing code ...\nb\nC") == "a\nb\nC"


# --- merging: when to give up ------------------------------------------------------------------


def test_markers_on_a_new_file_are_ambiguous() -> None:
    with pytest.raises(AmbiguousEdit):
        merge_partial_edit("", "// ... existing code ...\nconst a = 1\n")
    with pytest.raises(AmbiguousEdit):
        merge_partial_edit("\n  \n", "const a = 1\n// ... existing code ...\n")


def test_anchor_not_found_is_ambiguous() -> None:
    edit = "// ... existing code ...\nfunction missing() {\n  return 0\n}\n// ... existing code ...\n"
    with pytest.raises(AmbiguousEdit, match="No line of the edit"):
        merge_partial_edit(PAGE, edit)
    with pytest.raises(AmbiguousEdit, match="No line of the edit"):
        merge_partial_edit(PAGE, "const a = 1\n// ... existing code ...\n")


def test_anchor_in_two_places_is_ambiguous() -> None:
    original = "<Card>\n  <Title>One</Title>\n</Card>\n<Card>\n  <Title>One</Title>\n</Card>\n"
    edit = "// ... existing code ...\n<Card>\n  <Title>Two</Title>\n</Card>\n// ... existing code ...\n"
    with pytest.raises(AmbiguousEdit, match="more than one way"):
        merge_partial_edit(original, edit)


def test_changed_line_next_to_a_marker_is_ambiguous() -> None:
    # Was <main className> inserted after `return (`, or does it replace <main>? Guessing could double the tag.
    edit = "// ... existing code ...\n  return (\n    <main className=\"p-4\">\n// ... existing code ...\n"
    with pytest.raises(AmbiguousEdit, match="may replace"):
        merge_partial_edit(PAGE, edit)
    edit = "// ... existing code ...\n  const [count, setCount] = useState(5)\n\n  function handleClick() {\n// ... existing code ...\n"
    with pytest.raises(AmbiguousEdit, match="may replace"):
        merge_partial_edit(PAGE, edit)


def test_marker_sharing_a_line_with_code_is_ambiguous() -> None:
    with pytest.raises(AmbiguousEdit, match="shares a line"):
        merge_partial_edit(PAGE, "<main>{/* ... existing code ... */}</main>\n")


def test_chunks_out_of_order_are_ambiguous() -> None:
    edit = "// ... existing code ...\n  function reset() {\n// ... existing code ...\n  function handleClick() {\n// ... existing code ...\n"
    with pytest.raises(AmbiguousEdit):
        merge_partial_edit(PAGE, edit)


# --- property: an edit built from a known change merges back to that change ---------------------


@st.composite
def edits(draw: st.DrawFn) -> tuple[str, str, str]:
    size = draw(st.integers(3, 40))
    original = [f"line {i} = {i * 7}" for i in range(size)]
    cuts = sorted(set(draw(st.lists(st.integers(1, size - 1), min_size=1, max_size=8))))
    segments = [original[a:b] for a, b in zip([0, *cuts], [*cuts, size])]
    kinds = [draw(st.booleans()) for _ in segments]  # True: kept by a marker
    if all(kinds):
        kinds[0] = False
    if not any(kinds):
        kinds[-1] = True
    edit: list[str] = []
    expected: list[str] = []
    new = 0
    for index, (segment, kept) in enumerate(zip(segments, kinds)):
        if kept:
            if not edit or not has_existing_code_markers(edit[-1]):
                edit.append("  // ... existing code ...")
            expected += segment
            continue
        before = index > 0 and kinds[index - 1]
        after = index < len(segments) - 1 and kinds[index + 1]
        body = list(segment)
        # Change lines away from the chunk's edges next to a marker: those are the anchors.
        low, high = (1 if before else 0), len(body) - (1 if after else 0)
        for position in range(low, high):
            action = draw(st.sampled_from(["keep", "keep", "change", "insert", "delete"]))
            if action == "change":
                body[position] = f"changed {new}"
            elif action == "insert":
                body[position] = f"{body[position]}\ninserted {new}"
            elif action == "delete" and high - low < len(body):
                body[position] = ""
            new += 1
        body = [line for chunk in body for line in chunk.split("\n") if chunk != ""]
        edit += body
        expected += body
    return "\n".join(original) + "\n", "\n".join(edit) + "\n", "\n".join(expected) + "\n"


@settings(max_examples=200, deadline=None)
@given(case=edits())
def test_merge_recovers_the_intended_file(case: tuple[str, str, str]) -> None:
    original, edit, expected = case
    assert merge_partial_edit(original, edit) == expected


def test_only_newlines_split_lines() -> None:
    original = 'const s = "a\u2028b"\nconst t = 1\nconst u = 2\n'
    edit = "// ... existing code ...\nconst t = 1\nconst v = 3\n"
    assert merge_partial_edit(original, edit) == 'const s = "a\u2028b"\nconst t = 1\nconst v = 3\n'
