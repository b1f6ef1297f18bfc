"""Incremental parser of the model's MDX-like reply: thinking, prose, files, deletes and moves."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal, TypeAlias

from vzero.core.edits import has_existing_code_markers, is_change_comment
from vzero.errors import VzeroError

__all__ = [
    "DeleteFile",
    "FileDelta",
    "FileEnd",
    "FileStart",
    "MoveFile",
    "OutputParser",
    "ParseEvent",
    "ParseWarning",
    "ParsedReply",
    "TextDelta",
    "ThinkingDelta",
    "ThinkingEnd",
    "normalize_path",
    "parse_complete",
]


@dataclass(slots=True)  # made per chunk: not frozen, whose init is slower
class ThinkingDelta:
    """More of the model's thought."""

    text: str


@dataclass(frozen=True, slots=True)
class ThinkingEnd:
    """A thinking block ended; `text` is the whole thought."""

    text: str


@dataclass(slots=True)  # made per chunk: not frozen, whose init is slower
class TextDelta:
    """More prose outside files and thinking (markdown, including code blocks that are not files)."""

    text: str


@dataclass(frozen=True, slots=True)
class FileStart:
    """The model began writing a file."""

    path: str
    lang: str


@dataclass(slots=True)  # made per chunk: not frozen, whose init is slower
class FileDelta:
    """More of the file being written (whole lines, or the start of a line that cannot be special)."""

    path: str
    text: str


@dataclass(frozen=True, slots=True)
class FileEnd:
    """A file is complete; `partial` means it keeps regions with `... existing code ...` markers."""

    path: str
    lang: str
    content: str
    partial: bool
    url: str | None = None  # binary assets are written as an empty fence with url="..." (untrusted)


@dataclass(frozen=True, slots=True)
class DeleteFile:
    """The model asked to delete a file."""

    path: str


@dataclass(frozen=True, slots=True)
class MoveFile:
    """The model asked to move (rename) a file."""

    src: str
    dst: str


@dataclass(frozen=True, slots=True)
class ParseWarning:
    """Something in the reply was malformed; the message says what was done about it."""

    message: str


ParseEvent: TypeAlias = (
    ThinkingDelta | ThinkingEnd | TextDelta | FileStart | FileDelta | FileEnd | DeleteFile | MoveFile | ParseWarning
)


# Longest tag or line the parser holds back while deciding what it is; longer ones are plain text.
# The limits apply the same way to complete and partial input, so chunking never changes a decision.
_MAX_TAG = 2048
_MAX_LINE = 2048
_MAX_PATH = 1024

_TAGS = ("thinking", "think", "codeproject", "deletefile", "movefile", "actions", "action")
_THINKING = ("thinking", "think")
_ATTR = re.compile(r"([A-Za-z_:][-\w:.]*)\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s\"'>`]+))")
_PROSE_STOP = re.compile(r"[<\n]")
_INDENT = re.compile(r"[ \t]*")
_TAG_BODY = re.compile(r"""(?:[^"'<>]+|"[^"]*"|'[^']*')*""")
_PATH_COMMENT = re.compile(
    r"[ \t]*(?://|#|/\*|<!--|--)[ \t]*(?:(?:file|filename|path)[ \t]*:[ \t]*)?([^\s*]+?)[ \t]*(?:\*/|-->)?[ \t]*"
)
_PATHLIKE = re.compile(r"[\w@()\[\]+~.-]+(?:/[\w@()\[\]+~.-]+)*")
_MARKDOWN = (".md", ".mdx", ".markdown")

_PROSE, _THINK, _FILE, _CODE, _PENDING = range(5)


@dataclass(slots=True)
class _Tag:
    name: str
    closing: bool
    attrs: dict[str, str]
    end: int


_Undecided = Literal["need", "no"]  # more input is needed to decide / it is not what was asked about


def _scan_tag(buf: str, pos: int, final: bool) -> _Tag | _Undecided:
    """Read a known tag at `buf[pos] == '<'`."""
    n = len(buf)
    i = pos + 1
    closing = i < n and buf[i] == "/"
    i += closing
    start = i
    while i < n and i - start < 12 and buf[i].isascii() and buf[i].isalpha():
        i += 1
    name = buf[start:i].lower()
    if i == n:
        return "need" if not final and any(t.startswith(name) for t in _TAGS) else "no"
    if name not in _TAGS or buf[i] not in " \t\n/>":
        return "no"
    limit = min(n, pos + _MAX_TAG)
    j = _match_end(_TAG_BODY, buf, i, limit)
    if j == limit or buf[j] in "\"'":  # the buffer (or the limit) ended, maybe inside a quoted value
        return "need" if not final and n < pos + _MAX_TAG else "no"
    if buf[j] == "<":
        return "no"
    body = buf[i:j]
    if (closing or name in _THINKING) and body.strip() not in ("", "/"):
        return "no"
    attrs = {m[1].lower(): m[2] or m[3] or m[4] or "" for m in _ATTR.finditer(body)}
    return _Tag(name, closing, attrs, j + 1)


def normalize_path(raw: str) -> tuple[str | None, str | None]:
    """A posix path relative to the project root, or None; plus a note on what was changed or refused."""
    path = raw.strip()
    note = None
    if not path or len(path) > _MAX_PATH or any(ord(c) < 32 or ord(c) == 127 for c in path):
        return None, f"refused the file path {raw[:80]!r}: empty, too long or has control characters"
    if "\\" in path:
        path, note = path.replace("\\", "/"), f"changed backslashes to '/' in the file path {raw!r}"
    if re.match(r"[A-Za-z]:/", path) or path.startswith("~"):
        return None, f"refused the file path {raw!r}: it points outside the project"
    if path.startswith("/"):
        note = f"made the absolute file path {raw!r} relative to the project"
    parts = [part for part in path.split("/") if part not in ("", ".")]
    if ".." in parts:
        return None, f"refused the file path {raw!r}: '..' would leave the project"
    if not parts:
        return None, f"refused the file path {raw!r}: it names no file"
    return "/".join(parts), note


def _pathlike(token: str) -> bool:
    return _PATHLIKE.fullmatch(token) is not None and ("/" in token or re.search(r"\.\w+$", token) is not None)


class OutputParser:
    """Turns a streamed reply into events as chunks arrive, holding back only what is still ambiguous."""

    def __init__(self) -> None:
        self._buf = ""
        self._cr = False  # the last chunk ended with '\r': wait to see if '\n' follows
        self._closed = False
        self._state = _PROSE
        self._stall = False
        self._bol = True  # at the start of a line
        self._prev = "\n"  # last prose character, to spot tags quoted in `backticks`
        self._in_project = False
        self._ws = ""  # trailing whitespace of prose inside a CodeProject, dropped before structure
        self._thought: list[str] = []
        self._think_blank = True  # the current thinking line is blank so far
        self._fence = ("`", 3)
        self._fence_line = ""
        self._fence_lang = ""
        self._file: tuple[str, str, str | None] | None = None  # path, lang, url; None = skip the body
        self._body: list[str] = []
        self._nested = 0  # markdown fences opened inside a markdown file
        self._out: list[ParseEvent] = []
        self._acc: list[str] = []
        self._acc_kind: tuple[type, str] | None = None

    # --- public ------------------------------------------------------------------------

    def feed(self, chunk: str) -> list[ParseEvent]:
        """Parse more of the reply; return the events it completes."""
        if self._closed:
            raise VzeroError("The output parser is closed; create a new one for the next reply.")
        if chunk and not self._bol and not self._buf and not self._cr and "\r" not in chunk:
            # Most chunks continue a prose line or a file line already under way, with no line break or tag in
            # them: emit what `_run` would, without its machinery (this runs for every chunk of every reply).
            state = self._state
            if state == _FILE and "\n" not in chunk:
                if self._file is None:
                    return []  # a file being skipped
                self._body.append(chunk)
                return [FileDelta(self._file[0], chunk)]
            if state == _PROSE and not self._in_project and "<" not in chunk and "\n" not in chunk:
                self._prev = chunk[-1]
                return [TextDelta(chunk)]
        if self._cr:
            chunk, self._cr = "\r" + chunk, False
        if chunk.endswith("\r"):
            chunk, self._cr = chunk[:-1], True
        if "\r" in chunk:
            chunk = chunk.replace("\r\n", "\n").replace("\r", "\n")
        self._buf += chunk
        self._run(final=False)
        return self._take()

    def close(self) -> list[ParseEvent]:
        """The reply is complete: settle everything held back and report what was left open."""
        if self._closed:
            return []
        self._closed = True
        if self._cr:
            self._buf += "\n"
        self._run(final=True)
        if self._state == _THINK:
            self._warn("the reply ended inside <Thinking>; closed it")
            self._end_thinking()
        elif self._state == _FILE:
            if self._file is not None:
                self._warn(f"the file {self._file[0]} was not closed with ```; kept what was written")
            self._end_file()
        elif self._state == _PENDING:
            self._warn("a code block without file=\"...\" ended the reply; kept it as text")
            self._text(self._fence_line)
        if self._in_project:
            self._warn("the reply ended without </CodeProject>")
        return self._take()

    # --- emitting ------------------------------------------------------------------------

    def _delta(self, kind: type, key: str, text: str) -> None:
        if not text:
            return
        if self._acc_kind != (kind, key):
            self._flush()
            self._acc_kind = (kind, key)
        self._acc.append(text)

    def _flush(self) -> None:
        if self._acc_kind is not None:
            kind, key = self._acc_kind
            text = "".join(self._acc)
            self._out.append(FileDelta(key, text) if kind is FileDelta else kind(text))
            self._acc, self._acc_kind = [], None

    def _event(self, event: ParseEvent) -> None:
        self._flush()
        self._out.append(event)

    def _take(self) -> list[ParseEvent]:
        self._flush()
        out, self._out = self._out, []
        return out

    def _warn(self, message: str) -> None:
        self._event(ParseWarning(message))

    def _text(self, text: str) -> None:
        if not text:
            return
        self._prev = text[-1]
        if not self._in_project:
            self._delta(TextDelta, "", text)
            return
        core = text.rstrip()
        if not core:
            self._ws += text
            return
        self._delta(TextDelta, "", self._ws + core)
        self._ws = text[len(core) :]

    def _structure(self) -> None:
        """Structure (a tag or a file) follows: whitespace around it inside a CodeProject is not prose."""
        if self._in_project:
            self._ws = ""

    # --- driving ------------------------------------------------------------------------

    def _run(self, final: bool) -> None:
        buf, pos = self._buf, 0
        self._stall = False
        steps = (self._step_prose, self._step_think, self._step_body, self._step_body, self._step_pending)
        while pos < len(buf) and not self._stall:
            pos = steps[self._state](buf, pos, final)
        self._buf = buf[pos:]

    def _line(self, buf: str, pos: int, final: bool) -> tuple[str, int] | _Undecided:
        """The line at `pos` and where the next starts; "no" if it is too long to be anything special."""
        eol = buf.find("\n", pos, pos + _MAX_LINE + 1)
        if eol != -1:
            return buf[pos:eol], eol + 1
        if len(buf) - pos > _MAX_LINE:
            return "no"
        if not final:
            self._stall = True
            return "need"
        return buf[pos:], len(buf)

    # --- prose ---------------------------------------------------------------------------

    def _step_prose(self, buf: str, pos: int, final: bool) -> int:
        if self._bol:
            self._bol = False
            return self._prose_line_start(buf, pos, final)
        match = _PROSE_STOP.search(buf, pos)
        if match is None:
            self._text(buf[pos:])
            return len(buf)
        i = match.start()
        if buf[i] == "\n":
            self._text(buf[pos : i + 1])
            self._bol = True
            return i + 1
        self._text(buf[pos:i])
        if self._prev == "`":
            self._text("<")
            return i + 1
        tag = _scan_tag(buf, i, final)
        if tag == "need":
            self._stall = True
            return i
        if tag == "no":
            self._text("<")
            return i + 1
        self._prose_tag(tag)
        return tag.end

    def _prose_line_start(self, buf: str, pos: int, final: bool) -> int:
        """Open a fence if the line at `pos` is one; otherwise leave it to the prose scan."""
        n = len(buf)
        k = _match_end(_INDENT, buf, pos, pos + _MAX_LINE + 1)
        if k == n:
            return pos if final or k - pos > _MAX_LINE else self._need_line_start(pos)
        if buf[k] not in "`~":
            return pos
        run = _run_length(buf, k)
        if run < 3:
            return self._need_line_start(pos) if k + run == n and not final else pos
        got = self._line(buf, pos, final)
        if got == "need":
            self._bol = True
            return pos
        if got == "no":
            return pos
        line, nxt = got
        fence = _fence_parts(line)
        if fence is None:
            return pos
        self._open_fence(buf[pos:nxt], *fence)
        self._bol = True
        return nxt

    def _need_line_start(self, pos: int) -> int:
        self._bol = True
        self._stall = True
        return pos

    def _open_fence(self, raw: str, char: str, run: int, info: str) -> None:
        attrs = {m[1].lower(): m[2] or m[3] or m[4] or "" for m in _ATTR.finditer(info)}
        tokens = info.split()
        lang = tokens[0] if tokens and "=" not in tokens[0] else ""
        self._fence = (char, run)
        self._nested = 0
        raw_path = attrs.get("file") or attrs.get("filename") or attrs.get("path")
        if raw_path is None and self._in_project:
            # Weak models write ```tsx app/page.tsx, ```tsx:app/page.tsx or ```app/page.tsx.
            head, _, tail = lang.partition(":")
            second = tokens[1] if len(tokens) > 1 and "=" not in tokens[1] else ""
            guess = next((g for g in (tail, second, head) if g and _pathlike(g)), "")
            if guess:
                raw_path = guess
                lang = head if guess != head else guess.rpartition(".")[2]
                self._warn(f"a code block had no file=\"...\"; took the path {guess!r} from its fence line")
        if raw_path is not None:
            self._structure()
            self._start_file(raw_path, lang, attrs.get("url"))
        elif self._in_project:
            self._structure()
            self._state, self._fence_line, self._fence_lang = _PENDING, raw, lang
        else:
            self._text(raw)
            self._state = _CODE

    def _start_file(self, raw_path: str, lang: str, url: str | None) -> None:
        path, note = normalize_path(raw_path)
        if note:
            self._warn(note if path else f"{note}; skipped that file")
        self._state, self._body = _FILE, []
        self._file = (path, lang, url) if path else None
        if path:
            self._event(FileStart(path, lang))

    def _prose_tag(self, tag: _Tag) -> None:
        self._prev = ">"
        self._bol = True  # a fence right after a tag (`<CodeProject id="x">```tsx ...`) still opens
        if tag.name in _THINKING:
            if tag.closing:
                self._warn("dropped a </Thinking> that closed nothing")
                return
            self._state, self._thought, self._think_blank = _THINK, [], True
        elif tag.name == "codeproject":
            if tag.closing == self._in_project:
                self._structure()
                self._in_project = not tag.closing
            else:
                self._warn("dropped a nested <CodeProject>" if not tag.closing else "dropped a stray </CodeProject>")
        elif tag.closing or tag.name in ("actions", "action"):
            # </DeleteFile> after a non-self-closing tag; <Actions> are follow-up suggestions, not prose.
            self._structure()
        elif tag.name == "deletefile":
            self._structure()
            self._delete(tag.attrs.get("file") or tag.attrs.get("path"))
        else:
            self._structure()
            self._move(tag.attrs.get("from") or tag.attrs.get("src"), tag.attrs.get("to") or tag.attrs.get("dst"))

    def _delete(self, raw: str | None) -> None:
        if raw is None:
            self._warn("ignored a <DeleteFile> without file=\"...\"")
            return
        path, note = normalize_path(raw)
        if note:
            self._warn(note if path else f"{note}; ignored the <DeleteFile>")
        if path:
            self._event(DeleteFile(path))

    def _move(self, src_raw: str | None, dst_raw: str | None) -> None:
        if src_raw is None or dst_raw is None:
            self._warn("ignored a <MoveFile> without both from=\"...\" and to=\"...\"")
            return
        (src, src_note), (dst, dst_note) = normalize_path(src_raw), normalize_path(dst_raw)
        for note in (src_note, dst_note):
            if note:
                self._warn(note if src and dst else f"{note}; ignored the <MoveFile>")
        if src and dst:
            self._event(MoveFile(src, dst))

    # --- thinking --------------------------------------------------------------------------

    def _think(self, text: str) -> None:
        if not text:
            return
        self._delta(ThinkingDelta, "", text)
        self._thought.append(text)
        cut = text.rfind("\n")
        self._think_blank = (self._think_blank or cut != -1) and not text[cut + 1 :].strip(" \t")

    def _end_thinking(self) -> None:
        self._event(ThinkingEnd("".join(self._thought)))
        self._thought, self._state = [], _PROSE

    def _step_think(self, buf: str, pos: int, final: bool) -> int:
        i = buf.find("<", pos)
        if i == -1:
            self._think(buf[pos:])
            return len(buf)
        self._think(buf[pos:i])
        tag = _scan_tag(buf, i, final)
        if tag == "need":
            self._stall = True
            return i
        if isinstance(tag, _Tag) and tag.name in _THINKING and tag.closing:
            self._end_thinking()
            self._prev, self._bol = ">", True
            return tag.end
        if isinstance(tag, _Tag) and tag.name == "codeproject" and not tag.closing and self._think_blank:
            # Weak models forget </Thinking>; a project at a line start is clearly the answer.
            self._warn("<Thinking> was not closed before <CodeProject>; closed it there")
            self._end_thinking()
            self._bol, self._prev = False, "\n"
            return i
        self._think("<")
        return i + 1

    # --- file and code block bodies ----------------------------------------------------------

    def _step_body(self, buf: str, pos: int, final: bool) -> int:
        if not self._bol:
            eol = buf.find("\n", pos)
            end = len(buf) if eol == -1 else eol + 1
            self._body_text(buf[pos:end])
            self._bol = eol != -1
            return end
        got = self._line(buf, pos, final)
        if got == "need":
            if self._could_be_special(buf[pos:]):
                return pos
            self._stall, got = False, "no"
        if got == "no":
            self._bol = False  # too long or plainly content: stream it
            return pos
        line, nxt = got
        return self._body_line(line, buf[pos:nxt], pos, nxt)

    def _body_line(self, line: str, raw: str, pos: int, nxt: int) -> int:
        fence = _fence_parts(line)
        if fence is not None:
            char, run, info = fence
            closes = (char, self._nested) == (self._fence[0], 0) and run >= self._fence[1]
            if closes and not info:
                if self._state == _CODE:
                    self._text(raw)
                self._end_block()
                return nxt
            if closes and info.lower() == "</codeproject>":  # ```</CodeProject> on one line
                cut = line.index("<")
                if self._state == _CODE:
                    self._text(line[:cut])
                self._end_block()
                self._bol, self._prev = False, "\n"
                return pos + cut
            if _ATTR_FILE.search(info) and run >= self._fence[1] and not self._nested:
                return self._implicit_end(pos, "a new file began before the previous ``` closed it")
            if self._state == _FILE and self._markdown():
                # A README shows commands in its own fences; their closing ``` must not end the file.
                self._nested += 1 if info else -1 if self._nested else 0
        elif line.strip(" \t").lower() == "</codeproject>":
            return self._implicit_end(pos, "</CodeProject> came before the closing ```")
        elif self._state == _FILE and is_change_comment(line):
            return nxt
        self._body_text(raw)
        return nxt

    def _could_be_special(self, partial: str) -> bool:
        """Whether a line that starts this way may be a fence, </CodeProject> or a <CHANGE> note."""
        s = partial.lstrip(" \t")
        if not s:
            return True
        if s[0] in "`~":
            run = _run_length(s, 0)
            return run == len(s) or run >= 3
        low = s.lower()
        if low.startswith("</codeproject>"):
            return not low[14:].strip(" \t")
        if "</codeproject>".startswith(low):
            return True
        if self._state != _FILE:
            return False
        if s[0] == "{":
            s = s[1:].lstrip(" \t")
        for opener in ("//", "/*", "#", "<!--", "--"):
            if opener.startswith(s):
                return True
            if s.startswith(opener):
                return "<change>".startswith(s[len(opener) :].lstrip(" \t")[:8].lower())
        return False

    def _markdown(self) -> bool:
        if self._file is None:
            return False
        path, lang, _ = self._file
        return path.lower().endswith(_MARKDOWN) or lang.lower() in ("md", "mdx", "markdown")

    def _body_text(self, text: str) -> None:
        if self._state == _CODE:
            self._text(text)
        elif self._file is not None:
            self._delta(FileDelta, self._file[0], text)
            self._body.append(text)

    def _implicit_end(self, pos: int, why: str) -> int:
        if self._state == _FILE and self._file is not None:
            self._warn(f"{why}; ended the file {self._file[0]} there")
        self._end_block()
        self._bol = True
        return pos

    def _end_block(self) -> None:
        if self._state == _CODE:
            self._state = _PROSE
        else:
            self._end_file()

    def _end_file(self) -> None:
        if self._file is not None:
            path, lang, url = self._file
            content = "".join(self._body)
            self._event(FileEnd(path, lang, content, has_existing_code_markers(content), url))
        self._state, self._file, self._body = _PROSE, None, []

    # --- a fence without file= inside a CodeProject ----------------------------------------------

    def _step_pending(self, buf: str, pos: int, final: bool) -> int:
        got = self._line(buf, pos, final)
        if got == "need":
            return pos
        if got != "no":
            line, nxt = got
            match = _PATH_COMMENT.fullmatch(line)
            if match and _pathlike(match[1]):
                self._warn(f"a code block had no file=\"...\"; took the path {match[1]!r} from its first line")
                self._start_file(match[1], self._fence_lang, None)
                self._bol = True
                return nxt
        self._warn("a code block inside <CodeProject> has no file=\"...\"; kept it as text")
        self._text(self._fence_line)
        self._state, self._bol = _CODE, True
        return pos


_ATTR_FILE = re.compile(r"\b(?:file|filename|path)\s*=", re.IGNORECASE)


def _fence_parts(line: str) -> tuple[str, int, str] | None:
    """(fence character, its count, info string) if the line is a code fence."""
    stripped = line.lstrip(" \t")
    if not stripped or stripped[0] not in "`~":
        return None
    run = _run_length(stripped, 0)
    info = stripped[run:].strip(" \t")
    if run < 3 or (stripped[0] == "`" and "`" in info):
        return None  # ```inline``` code, not a fence
    return stripped[0], run, info


def _match_end(pattern: re.Pattern[str], text: str, start: int, stop: int) -> int:
    """Where a pattern that may match the empty string stops matching."""
    match = pattern.match(text, start, stop)
    return match.end() if match else start


def _run_length(text: str, start: int) -> int:
    """How many times text[start] repeats from start."""
    return len(text) - start - len(text[start:].lstrip(text[start]))


@dataclass(slots=True)
class ParsedReply:
    """A whole reply, parsed: for callers that do not stream."""

    thinking: str = ""
    text: str = ""
    files: list[FileEnd] = field(default_factory=list)
    deletes: list[DeleteFile] = field(default_factory=list)
    moves: list[MoveFile] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    operations: list[FileEnd | DeleteFile | MoveFile] = field(default_factory=list)  # in reply order


def parse_complete(text: str) -> ParsedReply:
    """Parse a complete reply in one go."""
    parser = OutputParser()
    reply = ParsedReply()
    thoughts: list[str] = []
    prose: list[str] = []
    for event in parser.feed(text) + parser.close():
        if isinstance(event, ThinkingEnd):
            thoughts.append(event.text.strip())
        elif isinstance(event, TextDelta):
            prose.append(event.text)
        elif isinstance(event, FileEnd):
            reply.files.append(event)
            reply.operations.append(event)
        elif isinstance(event, DeleteFile):
            reply.deletes.append(event)
            reply.operations.append(event)
        elif isinstance(event, MoveFile):
            reply.moves.append(event)
            reply.operations.append(event)
        elif isinstance(event, ParseWarning):
            reply.warnings.append(event.message)
    reply.thinking = "\n\n".join(t for t in thoughts if t)
    reply.text = "".join(prose).strip()
    return reply
