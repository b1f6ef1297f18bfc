"""Partial file edits: merge an edit that keeps unchanged regions with `... existing code ...` comments."""

from __future__ import annotations

import bisect
import difflib
import re
from dataclasses import dataclass

from vzero.errors import VzeroError

__all__ = [
    "AmbiguousEdit",
    "has_existing_code_markers",
    "is_change_comment",
    "merge_partial_edit",
    "strip_change_comments",
]

_OPENER = r"(?://|/\*|#|<!--|--)"
_ELLIPSIS = r"(?:\.{2,}|…)"
_WORDS = (
    r"\(?(?:keep[ \t]+)?(?:the[ \t]+)?"
    r"(?:existing|rest[ \t]+of|remaining|unchanged|(?:previous|other|same)[ \t]+code)\b"
)
_MARKER_ANYWHERE = re.compile(rf"{_OPENER}[ \t]*{_ELLIPSIS}[ \t]*{_WORDS}", re.IGNORECASE)
_MARKER_LINE = re.compile(rf"[ \t]*(?:\{{[ \t]*)?{_OPENER}[ \t]*{_ELLIPSIS}[ \t]*{_WORDS}", re.IGNORECASE)
_CHANGE_LINE = re.compile(r"[ \t]*(?:\{[ \t]*)?(?://|/\*|#|<!--|--)[ \t]*<CHANGE>", re.IGNORECASE)
_CLOSERS = (("/*", "*/"), ("<!--", "-->"))

# Above this many places for one anchor the edit is too vague to place; ask for the whole file.
_MAX_CANDIDATES = 1000
_MAX_STATES = 4096
_ASK = "Write the whole file instead of a partial edit."


class AmbiguousEdit(VzeroError):
    """A partial edit cannot be placed in the original file without guessing; ask for the whole file."""

    status_code = 422
    v1_type = "unprocessable_entity_error"


def has_existing_code_markers(content: str) -> bool:
    """Whether the content keeps regions of an earlier version with `... existing code ...` comments."""
    return _MARKER_ANYWHERE.search(content) is not None


def is_change_comment(line: str) -> bool:
    """Whether a line is a `// <CHANGE> reason` note from the model rather than code."""
    return _CHANGE_LINE.match(line) is not None


def strip_change_comments(content: str) -> str:
    """Remove the model's `// <CHANGE> ...` note lines, keeping every other line as written."""
    if "<" not in content:
        return content
    return "\n".join(line for line in content.split("\n") if not is_change_comment(line))


def _is_marker_line(line: str) -> bool:
    """A whole-line marker; a marker followed by code on the same line is not one."""
    if _MARKER_LINE.match(line) is None:
        return False
    text = line.strip()
    for opener, closer in _CLOSERS:
        start = text.find(opener)
        if start != -1:
            end = text.find(closer, start + len(opener))
            return end == -1 or text[end + len(closer) :].strip(" \t}") == ""
    return True


def _norm(line: str) -> str:
    return " ".join(line.split())


_DECLARED = re.compile(
    r"(?:export\s+)?(?:default\s+)?(?:async\s+)?(?:const|let|var|function|class|interface|type|enum|def)\s+([\w$]+)"
)
_IMPORT_FROM = re.compile(r"import\b.*\bfrom\s+(['\"][^'\"]+['\"])|import\s+(['\"][^'\"]+['\"])")
_TAG = re.compile(r"</?([A-Za-z][\w.:-]*)")


def _looks_like_edit_of(new: str, old: str) -> bool:
    """Whether an unanchored line next to a gap is more likely a changed `old` than an inserted line."""
    a, b = _norm(new), _norm(old)
    for pattern in (_DECLARED, _IMPORT_FROM, _TAG):
        ma, mb = pattern.match(a), pattern.match(b)
        if ma and mb:
            return ma.groups() == mb.groups()
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio() >= 0.75


@dataclass(slots=True)
class _Best:
    drops: int
    results: set[tuple[str, ...]]


class _Merger:
    """Places the concrete chunks of an edit in the original; the gaps between them keep original lines."""

    def __init__(self, original: list[str], chunks: list[list[str]], lead: bool, trail: bool) -> None:
        self.orig = original
        self.norm = [_norm(line) for line in original]
        self.chunks = chunks
        self.chunk_norm = [[_norm(line) for line in chunk] for chunk in chunks]
        self.lead = lead
        self.trail = trail
        self.where: dict[str, list[int]] = {}
        for index, key in enumerate(self.norm):
            self.where.setdefault(key, []).append(index)
        self.memo: dict[tuple[int, int], _Best | None] = {}
        self.reasons: list[str] = []

    def run(self) -> list[str]:
        best = self._solve(0, 0)
        if best is None:
            reason = self.reasons[0] if self.reasons else "The partial edit could not be placed."
            raise AmbiguousEdit(f"{reason} {_ASK}")
        if len(best.results) > 1:
            raise AmbiguousEdit(f"The partial edit fits the original file in more than one way. {_ASK}")
        return list(next(iter(best.results)))

    def _positions(self, line: str, low: int) -> list[int]:
        found = self.where.get(_norm(line), [])
        return found[bisect.bisect_left(found, low) :]

    def _solve(self, i: int, cursor: int) -> _Best | None:
        if i == len(self.chunks):
            return _Best(0, {tuple(self.orig[cursor:])})
        key = (i, cursor)
        if key in self.memo:
            return self.memo[key]
        if len(self.memo) >= _MAX_STATES:
            raise AmbiguousEdit(f"The partial edit has too many possible placements. {_ASK}")
        chunk = self.chunks[i]
        before = i > 0 or self.lead
        after = i < len(self.chunks) - 1 or self.trail
        heads = self._heads(chunk, cursor) if before else [(cursor, None)]
        # Best first: a region drops at least as many original lines as it is longer than the chunk.
        plans = sorted((self._bound(i, p, jh, after), p, jh) for p, jh in heads)
        best: _Best | None = None
        for bound, p, jh in plans:
            if best is not None and _settled(best, bound):
                break
            kept = tuple(self.orig[cursor:p])
            ends = [q for q, _ in self._tails(chunk, p, jh)] if after else [len(self.orig) - 1]
            for q in ends:
                if best is not None and _settled(best, q - p + 1 - len(chunk)):
                    break
                drops = self._drops(p, q + 1, i)
                if best is not None and drops > best.drops:
                    continue
                rest = self._solve(i + 1, q + 1) if after else _Best(0, {()})
                if rest is None:
                    continue
                drops += rest.drops
                if best is None or drops < best.drops:
                    best = _Best(drops, set())
                for tail in rest.results:
                    if drops == best.drops and len(best.results) < 2:  # two readings already make it ambiguous
                        best.results.add(kept + tuple(chunk) + tail)
        self.memo[key] = best
        return best

    def _bound(self, i: int, p: int, jh: int | None, after: bool) -> int:
        """A cheap lower bound of the lines dropped when chunk `i` starts replacing at `p`."""
        chunk = self.chunks[i]
        if not after:
            return max(0, len(self.orig) - p - len(chunk))
        if jh == len(chunk) - 1:
            return 0
        found = self._positions(chunk[-1], p if jh is None else p + 1)
        return max(0, found[0] - p + 1 - len(chunk)) if found else 0

    def _drops(self, start: int, end: int, i: int) -> int:
        """Original lines chunk `i` replaces without keeping: the cost of reading the edit this way."""
        region = self.norm[start:end]
        if not region:
            return 0
        matcher = difflib.SequenceMatcher(None, region, self.chunk_norm[i], autojunk=False)
        return len(region) - sum(block.size for block in matcher.get_matching_blocks())

    def _heads(self, chunk: list[str], cursor: int) -> list[tuple[int, int | None]]:
        """Where the chunk after a gap starts: the first of its lines found in the original, refined forward."""
        for j, line in enumerate(chunk):
            if not line.strip() or (j and not _distinct(line)):  # chunk[0] is not blank: see _split
                continue
            found = self._positions(line, cursor)
            if not found:
                continue
            found = self._refine(chunk, j, found, step=1, low=cursor)
            if not found:
                return []
            inserted = [c for c in chunk[:j] if c.strip()]
            kept = [p for p in found if not self._replaces(inserted, p - 1, cursor - 1)]
            if not kept:
                self.reasons.append(
                    f"The line {inserted[0].strip()!r} after an existing-code marker is not in the original file "
                    "and may replace the line before it."
                )
            return [(p, j) for p in kept]
        self.reasons.append(f"No line of the edit near {_first(chunk)!r} is in the original file.")
        return []

    def _tails(self, chunk: list[str], p: int, jh: int | None) -> list[tuple[int, int]]:
        """Where the chunk before a gap ends: its last line found in the original at or after `p`."""
        low_j = 0 if jh is None else jh
        last = len(chunk) - 1  # not blank when a gap follows: see _split
        for jt in range(last, low_j - 1, -1):
            if not chunk[jt].strip() or (jt not in (last, jh) and not _distinct(chunk[jt])):
                continue
            if jt == jh:
                found = [p]
            else:
                found = self._positions(chunk[jt], p if jh is None else p + 1)
                if not found:
                    continue
                found = self._refine(chunk, jt, found, -1, p)
                if not found:
                    return []
            inserted = [c for c in chunk[jt + 1 :] if c.strip()]
            kept = [q for q in found if not self._replaces(inserted, q + 1, len(self.orig))]
            if not kept:
                self.reasons.append(
                    f"The line {inserted[-1].strip()!r} before an existing-code marker is not in the original file "
                    "and may replace the line after it."
                )
            return [(q, jt) for q in kept]
        self.reasons.append(f"No line of the edit near {_first(chunk)!r} is in the original file.")
        return []

    def _refine(self, chunk: list[str], j: int, found: list[int], step: int, low: int) -> list[int]:
        """Keep the places where the most neighbouring chunk lines also match the original."""
        k = 1
        while len(found) > 1:
            jj = j + step * k
            if not 0 <= jj < len(chunk):
                break
            want, shift = _norm(chunk[jj]), step * k
            nxt = [p for p in found if low <= p + shift < len(self.orig) and self.norm[p + shift] == want]
            if not nxt:
                break
            found, k = nxt, k + 1
        if len(found) > _MAX_CANDIDATES:
            self.reasons.append(f"The anchor line {chunk[j].strip()!r} occurs {len(found)} times in the original file.")
            return []
        return found

    def _replaces(self, inserted: list[str], start: int, stop: int) -> bool:
        """Whether unanchored lines next to a gap may be an edit of the first non-blank line of the gap."""
        if inserted:
            for index in range(start, stop, 1 if stop > start else -1):
                if self.orig[index].strip():
                    return any(_looks_like_edit_of(line, self.orig[index]) for line in inserted)
        return False


def _settled(best: _Best, bound: int) -> bool:
    """Whether readings that drop at least `bound` lines can no longer change the outcome."""
    return bound > best.drops or (bound == best.drops and len(best.results) > 1)


def _distinct(line: str) -> bool:
    """Lines of punctuation only (`}`, `);`) are too common to anchor an insertion next to a gap."""
    return re.search(r"\w", line) is not None


def _first(chunk: list[str]) -> str:
    return next((line.strip() for line in chunk if line.strip()), "")


def _split(edit_lines: list[str]) -> tuple[list[list[str]], bool, bool]:
    """Concrete chunks between markers, whether a marker comes first, and whether one comes last."""
    parts: list[list[str]] = [[]]
    for line in edit_lines:
        if _is_marker_line(line):
            parts.append([])
        elif _MARKER_ANYWHERE.search(line):
            raise AmbiguousEdit(f"An existing-code marker shares a line with code: {line.strip()!r}. {_ASK}")
        else:
            parts[-1].append(line)
    lead = not any(line.strip() for line in parts[0])
    trail = not any(line.strip() for line in parts[-1])
    chunks = [part for part in parts if any(line.strip() for line in part)]
    # Blank lines touching a gap belong to the kept original region, which has its own spacing.
    for index, chunk in enumerate(chunks):
        start, end = 0, len(chunk)
        if index > 0 or lead:
            while not chunk[start].strip():
                start += 1
        if index < len(chunks) - 1 or trail:
            while not chunk[end - 1].strip():
                end -= 1
        chunks[index] = chunk[start:end]
    return chunks, lead, trail


def _lines(text: str) -> list[str]:
    """Lines split at newlines only: str.splitlines would also split at U+2028 inside string literals."""
    lines = text.replace("\r\n", "\n").split("\n")
    return lines[:-1] if lines[-1] == "" else lines


def merge_partial_edit(original: str, edit: str) -> str:
    """Apply an edit that uses `... existing code ...` markers to the original; raise AmbiguousEdit if unsure."""
    edit = strip_change_comments(edit)
    if not has_existing_code_markers(edit):
        return edit
    if not original.strip():
        raise AmbiguousEdit(f"The edit keeps '... existing code ...' of a file that has no earlier content. {_ASK}")
    chunks, lead, trail = _split(_lines(edit))
    if not chunks:
        return original
    newline = "\r\n" if "\r\n" in original else "\n"
    lines = _Merger(_lines(original), chunks, lead, trail).run()
    ends_with_newline = original.endswith(("\n", "\r")) if trail else edit.endswith(("\n", "\r"))
    return newline.join(lines) + (newline if ends_with_newline and lines else "")
