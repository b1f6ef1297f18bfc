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


Event = Changed | UsageChanged | Ended
