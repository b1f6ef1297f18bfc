"""Token usage summed over a message's model calls, and its cost in credits."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from vzero.providers import Usage

# Credits per million tokens when VZERO_CREDIT_RATES names no rate for the model (one credit ~ one US dollar).
DEFAULT_RATES = {"input": 3.0, "output": 15.0, "cacheRead": 0.3, "cacheWrite": 3.75}


@dataclass(frozen=True, slots=True)
class Tally:
    """Tokens of every call of one message."""

    input: int = 0
    output: int = 0
    cache_read: int = 0
    cache_write: int = 0
    estimated: bool = False

    def add(self, usage: Usage) -> Tally:
        return Tally(
            self.input + usage.input_tokens,
            self.output + usage.output_tokens,
            self.cache_read + usage.cache_read_tokens,
            self.cache_write + usage.cache_write_tokens,
            self.estimated or usage.estimated,
        )

    @property
    def total(self) -> int:
        return self.input + self.output + self.cache_read + self.cache_write


def rates_for(model: str, configured: Mapping[str, Mapping[str, float]]) -> dict[str, float]:
    return {**DEFAULT_RATES, **configured.get(model, configured.get("*", {}))}


def credits(tally: Tally, rates: Mapping[str, float]) -> dict[str, float]:
    """Credit cost per kind of token, rounded to micro-credits so sums stay exact enough."""
    cost = {
        "input": tally.input * rates["input"] / 1e6,
        "output": tally.output * rates["output"] / 1e6,
        "cacheRead": tally.cache_read * rates["cacheRead"] / 1e6,
        "cacheWrite": tally.cache_write * rates["cacheWrite"] / 1e6,
    }
    cost = {k: round(v, 6) for k, v in cost.items()}
    cost["total"] = round(sum(cost.values()), 6)
    return cost


def usage_body(input: int, output: int, cache_read: int, cache_write: int, cost: Mapping[str, Any] | None) -> dict[str, Any]:
    """The v2 `usage` object of a message."""
    tokens = {"input": input, "output": output, "cacheRead": cache_read, "cacheWrite": cache_write, "total": input + output + cache_read + cache_write}
    zero = {"input": 0, "output": 0, "cacheRead": 0, "cacheWrite": 0, "total": 0}
    return {"tokens": tokens, "creditsCost": dict(cost) if cost else zero}


def event_cost(tokens: tuple[int, int, int, int], model: str, stored: Mapping[str, Any] | None, rates: Mapping[str, Mapping[str, float]]) -> dict[str, float]:
    """A ledger event's cost: as priced when its message was stored, else (the message is gone) at today's rates."""
    if stored:
        return {k: float(v) for k, v in stored.items()}
    return credits(Tally(*tokens), rates_for(model, rates))
