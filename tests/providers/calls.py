"""A provider built for tests, under the engine's call policy (deadlines and retries are the engine's)."""

from __future__ import annotations

from typing import Any

from vzero.engine.calls import CallPolicy, ModelCall
from vzero.providers import Provider

_POLICY = ("timeout", "first_token_timeout", "retries", "retry_backoff", "retry_backoff_max")
_POLICY_ONLY = ("retries", "retry_backoff", "retry_backoff_max")


def called(provider_class: type[Provider], settings: dict[str, Any]) -> ModelCall:
    """`settings` are the provider's Options and the policy's fields together, as tests set them."""
    policy = CallPolicy(**{k: v for k, v in settings.items() if k in _POLICY})
    options = provider_class.Options(**{k: v for k, v in settings.items() if k not in _POLICY_ONLY})
    return ModelCall(provider_class(options), policy)  # type: ignore[call-arg]
