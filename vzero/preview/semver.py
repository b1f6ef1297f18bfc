"""npm's semantic versions and ranges (node-semver's rules): which published version an app's range picks."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass

MAX_RANGE_CHARS = 256

_NUM = r"0|[1-9]\d*"
_PART = r"(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*)"
_VERSION = re.compile(
    rf"^\s*[v=]*\s*({_NUM})\.({_NUM})\.({_NUM})(?:-({_PART}(?:\.{_PART})*))?(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?\s*$"
)
# A partial version as ranges write it: "1", "1.2", "1.x", "1.2.*", "1.2.3-beta.1".
_PARTIAL = re.compile(
    r"^[v=]*(\d+|[xX*])(?:\.(\d+|[xX*])(?:\.(\d+|[xX*])(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?)?)?$"
)
_HYPHEN = re.compile(r"^\s*(\S+)\s+-\s+(\S+)\s*$")
_OPERATOR = re.compile(r"^(<=|>=|<|>|=|\^|~>|~)?\s*(.*)$")
_RANGE_CHARS = re.compile(r"^[0-9A-Za-z.\-+*^~<>=|\s]*$")
_TAG = re.compile(r"^[A-Za-z][A-Za-z0-9._-]{0,63}$")


class InvalidRange(ValueError):
    """A string that is neither a version range nor a dist-tag npm would accept."""


@functools.total_ordering
@dataclass(frozen=True, slots=True)
class Version:
    """MAJOR.MINOR.PATCH with an optional prerelease; build metadata is kept out of comparisons."""

    major: int
    minor: int
    patch: int
    prerelease: tuple[int | str, ...] = ()

    @classmethod
    def parse(cls, text: str) -> Version:
        m = _VERSION.match(text)
        if m is None:
            raise InvalidRange(f"{text!r} is not a version")
        pre = tuple(int(p) if p.isdigit() else p for p in m.group(4).split(".")) if m.group(4) else ()
        return cls(int(m.group(1)), int(m.group(2)), int(m.group(3)), pre)

    @property
    def release(self) -> tuple[int, int, int]:
        return (self.major, self.minor, self.patch)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        if self.release != other.release:
            return self.release < other.release
        if not self.prerelease or not other.prerelease:
            return bool(self.prerelease) and not other.prerelease  # a prerelease sorts before its release
        for a, b in zip(self.prerelease, other.prerelease, strict=False):
            if a == b:
                continue
            if isinstance(a, int) and isinstance(b, int):
                return a < b
            if isinstance(a, int) != isinstance(b, int):
                return isinstance(a, int)  # numeric identifiers sort before alphanumeric ones
            return str(a) < str(b)
        return len(self.prerelease) < len(other.prerelease)

    def __str__(self) -> str:
        text = f"{self.major}.{self.minor}.{self.patch}"
        return text + ("-" + ".".join(map(str, self.prerelease)) if self.prerelease else "")


@dataclass(frozen=True, slots=True)
class _Comparator:
    op: str  # one of < <= > >= =
    version: Version

    def test(self, v: Version) -> bool:
        if self.op == "=":
            return v == self.version
        if self.op == "<":
            return v < self.version
        if self.op == "<=":
            return v <= self.version
        if self.op == ">":
            return v > self.version
        return v >= self.version


_ANY = _Comparator(">=", Version(0, 0, 0))


def _partial(text: str) -> tuple[int | None, int | None, int | None, tuple[int | str, ...]]:
    m = _PARTIAL.match(text)
    if m is None:
        raise InvalidRange(f"{text!r} is not a version")
    parts: list[int | None] = [None if g is None or g in "xX*" else int(g) for g in m.group(1, 2, 3)]
    # Anything after a wildcard is a wildcard too ("1.x.3" means "1.x").
    for i in range(3):
        if parts[i] is None:
            parts[i + 1:] = [None] * (2 - i)
            break
    pre = tuple(int(p) if p.isdigit() else p for p in m.group(4).split(".")) if m.group(4) and parts[2] is not None else ()
    return parts[0], parts[1], parts[2], pre


def _upper(major: int, minor: int = 0, patch: int = 0) -> Version:
    """The exclusive upper bound "<X.Y.Z-0": no prerelease of X.Y.Z gets in either."""
    return Version(major, minor, patch, (0,))


def _expand(op: str, text: str) -> list[_Comparator]:
    major, minor, patch, pre = _partial(text)
    if op in ("~", "~>"):
        if major is None:
            return [_ANY]
        low = Version(major, minor or 0, patch or 0, pre)
        high = _upper(major + 1) if minor is None else _upper(major, minor + 1)
        return [_Comparator(">=", low), _Comparator("<", high)]
    if op == "^":
        if major is None:
            return [_ANY]
        low = Version(major, minor or 0, patch or 0, pre)
        if major > 0 or minor is None:
            high = _upper(major + 1)
        elif minor > 0 or patch is None:
            high = _upper(0, minor + 1)
        else:
            high = _upper(0, 0, patch + 1)
        return [_Comparator(">=", low), _Comparator("<", high)]
    if op in ("", "="):
        if major is None:
            return [_ANY]
        if minor is None:
            return [_Comparator(">=", Version(major, 0, 0)), _Comparator("<", _upper(major + 1))]
        if patch is None:
            return [_Comparator(">=", Version(major, minor, 0)), _Comparator("<", _upper(major, minor + 1))]
        return [_Comparator("=", Version(major, minor, patch, pre))]
    # < <= > >= with a partial version.
    if major is None:
        return [_Comparator("<", Version(0, 0, 0, (0,)))] if op in ("<", ">") else [_ANY]
    if minor is None or patch is None:
        if op == ">":
            return [_Comparator(">=", Version(major + 1, 0, 0) if minor is None else Version(major, minor + 1, 0))]
        if op == "<=":
            return [_Comparator("<", _upper(major + 1) if minor is None else _upper(major, minor + 1))]
        if op == "<":
            return [_Comparator("<", _upper(major, minor or 0))]
        return [_Comparator(">=", Version(major, minor or 0, 0))]
    return [_Comparator(op, Version(major, minor, patch, pre))]


def _hyphen(low: str, high: str) -> list[_Comparator]:
    lo = _expand(">=", low)
    major, minor, patch, pre = _partial(high)
    if major is None:
        return lo
    if minor is None:
        hi = _Comparator("<", _upper(major + 1))
    elif patch is None:
        hi = _Comparator("<", _upper(major, minor + 1))
    else:
        hi = _Comparator("<=", Version(major, minor, patch, pre))
    return [*lo, hi]


def _parse_set(text: str) -> list[_Comparator]:
    text = text.strip()
    if (m := _HYPHEN.match(text)) is not None:
        return _hyphen(m.group(1), m.group(2))
    # Operators may be followed by spaces ("> 1.2"): glue them to their version first.
    tokens = re.sub(r"(<=|>=|<|>|=|\^|~>|~)\s+", r"\1", text).split()
    comparators: list[_Comparator] = []
    for token in tokens or ["*"]:
        m = _OPERATOR.match(token)
        assert m is not None
        comparators += _expand(m.group(1) or "", m.group(2))
    return comparators


@dataclass(frozen=True, slots=True)
class Range:
    """A parsed range: sets of comparators joined by ||; a version satisfies one set to satisfy the range."""

    text: str
    sets: tuple[tuple[_Comparator, ...], ...]

    @classmethod
    def parse(cls, text: str) -> Range:
        if len(text) > MAX_RANGE_CHARS or not _RANGE_CHARS.match(text):
            raise InvalidRange(f"{text[:80]!r} is not a version range")
        return cls(text, tuple(tuple(_parse_set(part)) for part in text.split("||")))

    def satisfied_by(self, version: Version) -> bool:
        return any(_test_set(s, version) for s in self.sets)


def _test_set(comparators: tuple[_Comparator, ...], version: Version) -> bool:
    if not all(c.test(version) for c in comparators):
        return False
    if not version.prerelease:
        return True
    # A prerelease only satisfies a set that names a prerelease of the same release.
    return any(c.version.prerelease and c.version.release == version.release for c in comparators if c is not _ANY)


def is_tag(text: str) -> bool:
    """True for something npm would read as a dist-tag ("latest", "next", "canary") rather than a range."""
    if not _TAG.match(text):
        return False
    try:
        Range.parse(text)
    except InvalidRange:
        return True
    return False


def check_spec(text: str) -> None:
    """Refuse what is neither a range nor a dist-tag: URLs, git or file specs, aliases, paths (InvalidRange)."""
    if not isinstance(text, str):
        raise InvalidRange("a version range must be a string")
    if is_tag(text):
        return
    Range.parse(text)


def satisfies(version: str | Version, spec: str) -> bool:
    """True when `version` is in range `spec` (False for a dist-tag or a range that cannot be parsed)."""
    try:
        v = version if isinstance(version, Version) else Version.parse(version)
        return Range.parse(spec).satisfied_by(v)
    except InvalidRange:
        return False


def max_satisfying(versions: Iterable[str], spec: str) -> str | None:
    """The highest of `versions` in range `spec`; None when none is."""
    wanted = Range.parse(spec)
    best: tuple[Version, str] | None = None
    for text in versions:
        try:
            v = Version.parse(text)
        except InvalidRange:
            continue
        if wanted.satisfied_by(v) and (best is None or v > best[0]):
            best = (v, text)
    return best[1] if best else None


def exact(spec: str) -> str | None:
    """The one version a spec names ("1.2.3", "=1.2.3", "v1.2.3"), or None for a real range."""
    m = _VERSION.match(spec)
    return str(Version.parse(spec)) if m is not None and "+" not in spec else None
