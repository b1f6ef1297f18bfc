"""What a running generation publishes, in no API's terms: changes of its parts, usage, and its end.

Each API dialect renders these events itself (`api/v1`, `api/v2`). The commonest event by far is a bare `str`, more
text for whatever part is open: strings are not tracked by the garbage collector, whose passes over the events of
every reply in memory would otherwise cost more than the rest of a chunk's work.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from vzero.core.parts import PartEvent
from vzero.providers import Usage


@dataclass(frozen=True, slots=True)
class UsageChanged:
    """Tokens of one model call."""

    usage: Usage


@dataclass(frozen=True, slots=True)
class Ended:
    """The generation is over and its outcome is stored: completed, failed or stopped."""

    status: str
    finish_reason: str
    error: str | None = None


Event = PartEvent | UsageChanged | Ended


class View(Protocol):
    """A rendering of one generation that every event passes through as it is published (a dialect's view).

    The generation manager builds one of each kind it was given for every generation; `columns` are stored with the
    reply's message when it ends.
    """

    def add(self, event: Event) -> None: ...

    def columns(self) -> dict[str, Any]: ...
