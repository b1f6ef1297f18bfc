"""Per-key request limits in fixed one-minute windows, kept in memory."""

from __future__ import annotations

import time
from dataclasses import dataclass

from vzero.errors import RateLimited

WINDOW_SECONDS = 60.0


@dataclass(slots=True)
class Window:
    started: float
    used: int


@dataclass(frozen=True, slots=True)
class LimitState:
    """What `GET /rate-limits` reports."""

    limit: int
    remaining: int
    reset_ms: int


class RateLimiter:
    """Counts requests per key; `hit` raises RateLimited past the limit.

    In memory and per process: with several server processes each enforces the limit on its own.
    """

    def __init__(self, per_minute: int = 600) -> None:
        self.per_minute = per_minute
        self._windows: dict[str, Window] = {}

    def _window(self, key: str, now: float) -> Window:
        window = self._windows.get(key)
        if window is None or now - window.started >= WINDOW_SECONDS:
            window = Window(started=now, used=0)
            self._windows[key] = window
            if len(self._windows) > 100_000:  # forget idle keys rather than grow without bound
                for stale in [k for k, w in self._windows.items() if now - w.started >= WINDOW_SECONDS]:
                    del self._windows[stale]
        return window

    def hit(self, key: str) -> None:
        if self.per_minute <= 0:
            return
        now = time.monotonic()
        window = self._window(key, now)
        if window.used >= self.per_minute:
            retry = WINDOW_SECONDS - (now - window.started)
            raise RateLimited(
                f"Rate limit of {self.per_minute} requests per minute exceeded; retry in {retry:.0f} s "
                "(the limit is set by VZERO_RATE_LIMIT_PER_MINUTE)",
                retry_after=retry,
            )
        window.used += 1

    def state(self, key: str) -> LimitState:
        now = time.monotonic()
        window = self._window(key, now)
        reset = time.time() + WINDOW_SECONDS - (now - window.started)
        return LimitState(limit=self.per_minute, remaining=max(0, self.per_minute - window.used), reset_ms=int(reset * 1000))
