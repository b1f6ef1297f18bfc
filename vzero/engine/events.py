"""What a running generation publishes: deltas for each dialect, usage, and its end."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from vzero.providers import Usage


@dataclass(frozen=True, slots=True)
class Changed:
    """The message grew: v1 content deltas and v2 parts deltas, computed once for every listener."""

    v1: tuple[Any, ...]
    v2: tuple[Any, ...]


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
