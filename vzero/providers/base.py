"""The provider interface: capabilities as class attributes, connection options, and one call.

A provider writes one model call, `run(request, emit)` (or `stream(request)`), and how its SDK's errors read as
ProviderError (`translate`). Retries and deadlines are the engine's (`vzero.engine.calls`), around any provider.
"""

from __future__ import annotations

import asyncio
import contextlib
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any, ClassVar, Self

from pydantic import BaseModel, ConfigDict, Field

from vzero.errors import ProviderError
from vzero.providers.network import network_failure
from vzero.providers.types import Emit, GenerationRequest, StreamEvent

if TYPE_CHECKING:
    from vzero.config import Settings


class Provider(ABC):
    """A model provider: declares its capabilities and streams one model call as StreamEvents."""

    name: ClassVar[str]  # the VZERO_PROVIDER value that selects it
    label: ClassVar[str]  # human name used in error messages
    supports_images: ClassVar[bool] = False
    needs_key: ClassVar[str | None] = None  # environment variable holding the API key, if any
    default_model: ClassVar[str]
    connect_hint: ClassVar[str] = "check the network and the provider's base URL"  # said when nothing answers

    class Options(BaseModel):
        """How the provider's HTTP client waits; subclasses add where the server is and how to authenticate."""

        model_config = ConfigDict(frozen=True, extra="forbid")

        timeout: float = Field(default=600.0, gt=0)  # whole call, seconds
        connect_timeout: float = Field(default=10.0, gt=0)
        first_token_timeout: float = Field(default=120.0, gt=0)  # also the longest silence between two chunks

    def __init__(self, options: Options) -> None:
        self.options = options

    @classmethod
    @abstractmethod
    def from_settings(cls, settings: Settings) -> Self:
        """Build the provider from settings, raising ProviderNotConfigured when something is missing."""

    @staticmethod
    def timeouts_from_settings(settings: Settings) -> dict[str, Any]:
        """The shared Options fields as read from settings."""
        return {
            "timeout": settings.provider_timeout,
            "connect_timeout": settings.provider_connect_timeout,
            "first_token_timeout": settings.provider_first_token_timeout,
        }

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not getattr(cls, "__abstractmethods__", None) and cls.run is Provider.run and cls.stream is Provider.stream:
            raise TypeError(f"{cls.__name__} must implement run() or stream()")

    async def run(self, request: GenerationRequest, emit: Emit) -> None:
        """One model call into `emit`: text and thinking chunks as they arrive, usage and a finish reason when the
        server sends them. Errors may be raised as the SDK raises them: `translate` maps them.

        `emit` is called synchronously, from the network callback itself where the transport allows it (no task
        switch per chunk: the hot path of every streamed reply); what `emit` raises ends the call. A provider
        implements this or `stream`; each is built on the other by default.
        """
        events = self.stream(request)
        try:
            async for event in events:
                emit(event)
        finally:
            await events.aclose()  # type: ignore[attr-defined]

    def stream(self, request: GenerationRequest) -> AsyncIterator[StreamEvent]:
        """`run` as an async iterator of StreamEvents: the same events, the same errors."""
        return events_of(lambda emit: self.run(request, emit))

    def translate(self, exc: Exception, request: GenerationRequest) -> ProviderError:
        """What an error the call raised means, as a ProviderError naming provider, server and model (never a key).

        The default knows network failures; a provider maps its SDK's own errors and falls back on this.
        """
        where = self.describe(request)
        kind, _ = network_failure(exc)
        if kind is not None:
            return self._connection_error(where, exc)
        return ProviderError(f"{where}: unexpected {type(exc).__name__}: {self._redact(str(exc))}")

    async def aclose(self) -> None:  # noqa: B027 - a hook: providers without connections need none
        """Release connections; the provider is not used afterwards."""

    def warm(self) -> None:  # noqa: B027 - a hook: most SDKs load nothing late
        """Load now what the SDK would load lazily on the first call (a server's startup, not its first request)."""

    def describe(self, request: GenerationRequest) -> str:
        """Who is called, for error messages: provider, where it is and which model (never a key)."""
        where = getattr(self, "base_url", None)
        return f"{self.label} at {where} (model '{request.model}')" if where else f"{self.label} (model '{request.model}')"

    def _connection_error(self, where: str, exc: BaseException, timed_out: bool = False) -> ProviderError:
        """A transient error for a network failure, saying whether the server could not be reached, was too slow
        or dropped the connection (`timed_out`: what the SDK concluded, used when the cause chain does not tell)."""
        kind, cause = network_failure(exc)
        if kind is None:
            kind, cause = ("timeout" if timed_out else "lost"), exc
        reason = self._redact(str(cause)) or type(cause).__name__
        if kind == "connect":
            return ProviderError(f"{where}: could not connect ({reason}) - {self.connect_hint}", transient=True)
        if kind == "timeout":
            return ProviderError(f"{where} timed out", transient=True)
        return ProviderError(f"{where}: connection lost: {reason}", transient=True)

    def _redact(self, text: str) -> str:
        """Remove the API key from text that may echo it."""
        key = getattr(self, "_key", "")
        return text.replace(key, "***") if key else text


async def events_of(run: Callable[[Emit], Awaitable[None]]) -> AsyncIterator[StreamEvent]:
    """What `run` emits, as an async iterator: `run` goes on in a task of its own while the events wait in a queue;
    its error is raised once the events before it are read, and closing the iterator early cancels it."""
    loop = asyncio.get_running_loop()
    queue: deque[StreamEvent] = deque()
    wake: list[asyncio.Future[None]] = []

    def emit(event: StreamEvent) -> None:
        queue.append(event)
        if wake and not wake[0].done():
            wake[0].set_result(None)

    async def running() -> None:
        await run(emit)

    task = loop.create_task(running())

    def ended(_: asyncio.Task[None]) -> None:
        if wake and not wake[0].done():
            wake[0].set_result(None)

    task.add_done_callback(ended)
    try:
        while True:
            while queue:
                yield queue.popleft()
            if task.done():
                task.result()  # its error, if any
                return
            wake[:] = [loop.create_future()]
            await wake[0]
    finally:
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
