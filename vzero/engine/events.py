"""What a running generation publishes: deltas for each dialect, usage, and its end."""

from __future__ import annotations

from dataclasses import dataclass
from vzero.providers import Usage


@dataclass(slots=True)  # not frozen: one per chunk, and a frozen init costs 2.5x (object.__setattr__)
class Changed:
    """The message grew: v1 content deltas and v2 parts deltas, each as its JSON (UTF-8 bytes), computed once for
    every listener.

    JSON, not the delta objects: the log keeps every event of a reply, and bytes are not tracked by the garbage
    collector, whose passes over a few hundred thousand retained lists and dicts cost more than the JSON encoding.
    """

    v1: tuple[bytes, ...]
    v2: tuple[bytes, ...]


@dataclass(slots=True)
class PartsSnapshot(Changed):
    """The parts so far as one v2 delta, for a v2 listener that joins once they exist; never in the log."""


@dataclass(frozen=True, slots=True)
class UsageChanged:
    usage: Usage


@dataclass(frozen=True, slots=True)
class Ended:
    """The generation is over and its outcome is stored: completed, failed or stopped."""

    status: str
    finish_reason: str
    error: str | None = None


# The commonest event by far, more prose or code for v1's content and nothing for v2's parts (nobody follows those):
# the JSON of the v1 delta itself, not an object holding it. Bytes are not tracked by the garbage collector, which
# otherwise walks a Changed and its tuple for every chunk of every reply still in memory (pauses of tens of ms).
V1Delta = bytes

Event = V1Delta | Changed | UsageChanged | Ended
