"""A model call under the engine's policy: deadlines, retries, and exactly one usage and finish per call.

A provider writes only its call (`Provider.run`); every call the engine makes goes through `ModelCall`, which applies
the same policy around any provider, built-in or registered from outside.
"""

from __future__ import annotations

import asyncio
import math
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

from vzero.config import Settings
from vzero.core import jsontext
from vzero.errors import ProviderError
from vzero.providers import Finish, GenerationRequest, Provider, StreamEvent, ToolCall, Usage
from vzero.providers.base import events_of
from vzero.providers.tokens import CHARS_PER_TOKEN, estimate_input_tokens
from vzero.providers.types import TEXT_CHUNKS, Emit
from vzero.store.db import assert_released


@dataclass(frozen=True, slots=True)
class CallPolicy:
    """How long a call may take and how often a failed one is tried again."""

    timeout: float = 600.0  # the whole call, retries included, seconds
    first_token_timeout: float = 120.0
    retries: int = 2  # retries on transient errors before any text is passed on
    retry_backoff: float = 0.5  # first pause; doubles each retry
    retry_backoff_max: float = 8.0

    @classmethod
    def from_settings(cls, settings: Settings) -> CallPolicy:
        return cls(settings.provider_timeout, settings.provider_first_token_timeout, settings.provider_retries)


class ModelCall:
    """A provider's calls under a policy: what the engine calls instead of the provider itself."""

    def __init__(self, provider: Provider, policy: CallPolicy) -> None:
        self.provider = provider
        self.policy = policy

    def run(self, request: GenerationRequest, emit: Emit) -> Awaitable[None]:
        """Stream one call into `emit`: chunks as they arrive, then exactly one Usage and one Finish; ProviderError
        on failure. What `emit` raises ends the call and is raised here as it was, neither retried nor translated."""
        assert_released("a model call")
        provider = self.provider
        return guard_run(
            request, lambda forward: provider.run(request, forward), lambda exc: provider.translate(exc, request),
            self.policy, provider.describe(request), emit,
        )

    def stream(self, request: GenerationRequest) -> AsyncIterator[StreamEvent]:
        """`run` as an async iterator."""
        return events_of(lambda emit: self.run(request, emit))

    @property
    def supports_images(self) -> bool:
        return self.provider.supports_images

    async def aclose(self) -> None:
        await self.provider.aclose()


class _ConsumerFailed(Exception):
    """What the consumer of the events raised, carried through the provider's reading back to the guard."""


class _Attempt:
    """What one attempt has passed on so far."""

    __slots__ = ("consumer_error", "finish", "output_chars", "started", "usage")

    def __init__(self) -> None:
        self.started = False  # a non-empty chunk went to the consumer: a retry would repeat it
        self.output_chars = 0
        self.usage: Usage | None = None
        self.finish: Finish | None = None
        self.consumer_error: BaseException | None = None


async def guard_run(
    request: GenerationRequest,
    attempt: Callable[[Emit], Awaitable[None]],
    translate: Callable[[Exception], ProviderError],
    policy: CallPolicy,
    where: str,
    emit: Emit,
) -> None:
    """Run `attempt` until it succeeds, retrying transient failures only while it has passed no text on.

    `attempt` emits chunks and tool calls and, at most once each, Usage and Finish; exceptions it raises go through `translate`.
    The guard enforces the first-token and overall timeouts with one timer per attempt (moved from the first-token
    deadline to the overall one when the first chunk arrives: nothing is armed per chunk), holds Usage and Finish back
    and emits exactly one of each at the end, estimating usage when the server sent none. What `emit` raises is
    raised as it was.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + policy.timeout
    failures = 0
    while True:
        state = _Attempt()
        first_token_deadline = min(deadline, loop.time() + policy.first_token_timeout)
        scope = asyncio.timeout_at(first_token_deadline)

        def forward(event: StreamEvent, state: _Attempt = state, scope: asyncio.Timeout = scope) -> None:
            if isinstance(event, TEXT_CHUNKS):
                text = event.text
                if not text:
                    return
                state.output_chars += len(text)
                if not state.started:
                    state.started = True
                    scope.reschedule(deadline)
                try:
                    emit(event)
                except BaseException as exc:
                    state.consumer_error = exc
                    raise _ConsumerFailed from exc
            elif isinstance(event, Usage):
                state.usage = event
            elif isinstance(event, Finish):
                state.finish = event
            elif isinstance(event, ToolCall):
                state.output_chars += len(event.name) + len(jsontext.dumps(event.arguments))
                if not state.started:
                    state.started = True
                    scope.reschedule(deadline)
                try:
                    emit(event)
                except BaseException as exc:
                    state.consumer_error = exc
                    raise _ConsumerFailed from exc

        error: ProviderError | None = None
        try:
            async with scope:
                await attempt(forward)
            if state.finish is None:
                error = ProviderError(f"{where} ended the stream before the model finished", transient=True)
        except _ConsumerFailed:
            assert state.consumer_error is not None
            raise state.consumer_error from None
        except TimeoutError:
            if not scope.expired():
                raise
            if state.started or first_token_deadline >= deadline:
                error = ProviderError(f"{where} timed out: the call took longer than {policy.timeout:g} s", transient=True)
            else:
                error = ProviderError(f"{where} timed out: no first token within {policy.first_token_timeout:g} s", transient=True)
        except Exception as exc:  # noqa: BLE001 - every SDK and transport error is mapped here, at the boundary
            if state.consumer_error is not None:  # the consumer's error, wrapped by a layer on the way back
                raise state.consumer_error from None
            if isinstance(exc, ProviderError):
                error = exc
            else:
                error = translate(exc)
                error.__cause__ = exc

        if state.finish is not None and (error is None or error.transient):
            # The model said it was done; losing the connection after that (before the usage chunk or
            # the end marker) does not make the answer incomplete.
            emit(settle_usage(request, state.usage, state.output_chars))
            emit(state.finish)
            return
        assert error is not None  # without a finish there is always an error
        if state.started:
            raise ProviderError(f"Reply cut off mid-stream: {error.message}", transient=True) from error
        remaining = deadline - loop.time()
        if not error.transient or failures >= policy.retries or remaining <= 0:
            if failures:
                message = f"{error.message} (gave up after {failures + 1} attempts)"
                raise ProviderError(message, transient=error.transient) from error
            raise error
        pause = min(policy.retry_backoff * 2**failures, policy.retry_backoff_max) * random.uniform(0.8, 1.2)
        failures += 1
        await asyncio.sleep(min(pause, remaining))


def settle_usage(request: GenerationRequest, usage: Usage | None, output_chars: int) -> Usage:
    """The server's usage, or an estimate when it sent none or claimed no output for real output."""
    output_estimate = math.ceil(output_chars / CHARS_PER_TOKEN)
    if usage is None:
        return Usage(input_tokens=estimate_input_tokens(request), output_tokens=output_estimate, estimated=True)
    if usage.output_tokens == 0 and output_chars:
        return Usage(
            input_tokens=usage.input_tokens,
            output_tokens=output_estimate,
            cache_read_tokens=usage.cache_read_tokens,
            cache_write_tokens=usage.cache_write_tokens,
            estimated=True,
        )
    return usage
