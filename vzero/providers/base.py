"""The provider interface: request and stream-event types, the Provider base class and its retry guard."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import importlib
import math
import random
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Self

from pydantic import BaseModel, ConfigDict, Field

from vzero.errors import ProviderError

if TYPE_CHECKING:
    from vzero.config import Settings

FinishReason = Literal["stop", "length", "content-filter", "tool-calls", "error", "other"]

# Rough token estimate used when a server reports no usage: about four characters per token for
# English text and code (OpenAI's and Anthropic's published rule of thumb), and a flat cost per image
# near the middle of what both charge for a ~1 megapixel picture.
CHARS_PER_TOKEN = 4
IMAGE_TOKENS = 1000


@dataclass(frozen=True, slots=True)
class ImageInput:
    """An image sent to the model, as raw bytes with its media type."""

    media_type: str
    data: bytes


@dataclass(frozen=True, slots=True)
class ChatTurn:
    """One turn of the conversation."""

    role: Literal["user", "assistant"]
    text: str
    images: tuple[ImageInput, ...] = ()


@dataclass(frozen=True, slots=True)
class GenerationRequest:
    """Everything a provider needs for one model call."""

    model: str
    system: str
    turns: tuple[ChatTurn, ...]
    max_output_tokens: int
    thinking: bool = False
    temperature: float | None = None


@dataclass(slots=True)  # not frozen: one per chunk, and a frozen init costs 2.5x (object.__setattr__)
class TextChunk:
    """A piece of the answer text."""

    text: str


@dataclass(slots=True)  # not frozen: one per chunk, and a frozen init costs 2.5x (object.__setattr__)
class ThinkingChunk:
    """A piece of the model's native reasoning (Anthropic thinking, OpenAI-compatible `reasoning_content`)."""

    text: str


@dataclass(frozen=True, slots=True)
class Usage:
    """Token counts of one call; `input_tokens` excludes cached tokens, `estimated` marks a local guess."""

    input_tokens: int
    output_tokens: int
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    estimated: bool = False


@dataclass(frozen=True, slots=True)
class Finish:
    """Why the model stopped."""

    reason: FinishReason


StreamEvent = TextChunk | ThinkingChunk | Usage | Finish
Emit = Callable[[StreamEvent], None]  # where a provider hands its events, one at a time, as they arrive
_TEXT_CHUNKS = (TextChunk, ThinkingChunk)  # a tuple: isinstance with a union type is slower, and this runs per chunk


def estimate_tokens(text: str) -> int:
    """Estimated token count of `text`: ceil(characters / 4)."""
    return math.ceil(len(text) / CHARS_PER_TOKEN)


def estimate_input_tokens(request: GenerationRequest) -> int:
    """Estimated prompt tokens: the system prompt and every turn's text, plus a flat cost per image."""
    chars = len(request.system) + sum(len(turn.text) for turn in request.turns)
    images = sum(len(turn.images) for turn in request.turns)
    return math.ceil(chars / CHARS_PER_TOKEN) + images * IMAGE_TOKENS


def _httpx_errors(*names: str) -> tuple[type[Exception], ...]:
    """The named exception classes of the httpx family, from whichever of its packages is installed."""
    found: list[type[Exception]] = []
    for module_name in ("httpx2", "httpx"):  # the SDKs here ship on httpx2; older ones use httpx
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        found.extend(getattr(module, name) for name in names if hasattr(module, name))
    return tuple(found)


def http_client(sdk: Any) -> Any:
    """The HTTP client an SDK module (`openai`, `anthropic`) is given: see `providers/transport.py`.

    None (the SDK's own client) for SDKs older than their move to httpx2, which the transport is built on.
    """
    try:
        from vzero.providers.transport import client_for
    except ImportError:  # pragma: no cover - no httpx2: an SDK from before it
        return None
    return client_for(sdk)


@functools.cache
def transport_errors() -> tuple[type[Exception], ...]:
    """Transport and stream errors: SDKs let some of them escape mid-stream unwrapped."""
    return _httpx_errors("HTTPError", "StreamError")


def network_failure(exc: BaseException) -> tuple[Literal["connect", "timeout", "lost"] | None, BaseException]:
    """What kind of network failure `exc` is, and the error that says so, from its chain of causes.

    The SDKs wrap transport errors in their own (a timeout in APITimeoutError, anything else in
    APIConnectionError): the deepest error the HTTP layer raised says whether the server could not be reached,
    was silent too long or dropped the connection.
    """
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    for error in reversed(chain):
        if isinstance(error, connect_errors()):
            return "connect", error
        if isinstance(error, timeout_errors()):
            return "timeout", error
        if isinstance(error, transport_errors()):
            return "lost", error
    return None, exc


@functools.cache
def timeout_errors() -> tuple[type[Exception], ...]:
    """The HTTP layer giving up on a silent server (connecting, reading, writing or waiting for the pool)."""
    return _httpx_errors("TimeoutException")


@functools.cache
def connect_errors() -> tuple[type[Exception], ...]:
    """Failures to reach the server at all, as opposed to losing it mid-reply."""
    return _httpx_errors("ConnectError", "ConnectTimeout", "UnsupportedProtocol")


class SSEDecoder:
    """Server-sent events decoded incrementally from the raw bytes of a response body.

    Works on bytes, one network read at a time: decoding text and splitting lines through the HTTP
    client's line iterator cost more CPU per event than everything else vzero does with a chunk.
    Lines may end in LF, CRLF or CR (the SSE grammar allows all three), split anywhere across reads.
    """

    __slots__ = ("_tail", "_event", "_data")

    def __init__(self) -> None:
        self._tail = b""
        self._event = ""
        self._data: list[str] = []

    def feed(self, chunk: bytes) -> list[tuple[str, str]]:
        """The (event name, data) pairs completed by `chunk`."""
        if (
            not self._tail and not self._data and not self._event and chunk.startswith(b"data: ")
            and chunk.find(b"\n") == len(chunk) - 2 and chunk.endswith(b"\n\n") and b"\r" not in chunk
        ):
            # One whole unnamed event of one line in one read: what a streaming model sends per token.
            return [("message", chunk[6:-2].decode("utf-8", "replace"))]
        buffer = self._tail + chunk if self._tail else chunk
        if b"\r" in buffer:
            # A CR at the very end may be the first half of a CRLF: keep it for the next read.
            held = buffer.endswith(b"\r")
            if held:
                buffer = buffer[:-1]
            buffer = buffer.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
            if held:
                buffer += b"\r"
        lines = buffer.split(b"\n")
        self._tail = lines.pop()
        events: list[tuple[str, str]] = []
        for raw in lines:
            self._line(raw, events)
        return events

    def close(self) -> list[tuple[str, str]]:
        """What the body's end completes: a last line and event without their terminating newline."""
        events: list[tuple[str, str]] = []
        if self._tail:
            tail, self._tail = self._tail.rstrip(b"\r"), b""
            self._line(tail, events)
        if self._data:
            events.append((self._event or "message", "\n".join(self._data)))
        self._event, self._data = "", []
        return events

    def _line(self, raw: bytes, events: list[tuple[str, str]]) -> None:
        if not raw:
            if self._data:
                events.append((self._event or "message", "\n".join(self._data)))
            self._event, self._data = "", []
            return
        line = raw.decode("utf-8", "replace")
        if line.startswith(":"):  # a comment, often a keep-alive
            return
        name, _, value = line.partition(":")
        if value.startswith(" "):
            value = value[1:]
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value


async def pump_sse(response: Any, on_event: Callable[[str, str], bool | None]) -> None:
    """Hand every server-sent event of an SDK's (httpx) response to `on_event(name, data)` as it arrives, until the
    body ends or `on_event` returns True.

    On vzero's transport `on_event` runs inside the connection's own network callback, with no task switch, future
    or generator between the socket and it; through any other client (a proxy's) it runs as each read arrives. What
    `on_event` raises ends the reading and is raised here, unchanged.
    """
    decoder = SSEDecoder()

    def on_bytes(chunk: bytes) -> bool:
        for name, data in decoder.feed(chunk):
            if on_event(name, data):
                return True
        return False

    body = _body_reader(response)
    if body is not None:
        if await body.pump(on_bytes):
            return
    else:
        async for chunk in response.aiter_bytes():
            if chunk and on_bytes(chunk):
                return
    for name, data in decoder.close():
        if on_event(name, data):
            return


def _body_reader(response: Any) -> Any:
    try:
        from vzero.providers.transport import body_reader
    except ImportError:  # pragma: no cover - no httpx2: an SDK from before it
        return None
    return body_reader(response)


def is_transient_status(status: int) -> bool:
    """Statuses worth retrying: request timeout, conflict (lock), rate limit and server errors."""
    return status in (408, 409, 429) or status >= 500


class Provider(ABC):
    """A model provider: declares its capabilities and streams one model call as StreamEvents."""

    name: ClassVar[str]  # the VZERO_PROVIDER value that selects it
    label: ClassVar[str]  # human name used in error messages
    supports_images: ClassVar[bool] = False
    needs_key: ClassVar[str | None] = None  # environment variable holding the API key, if any
    default_model: ClassVar[str]
    connect_hint: ClassVar[str] = "check the network and the provider's base URL"  # said when nothing answers

    class Options(BaseModel):
        """Connection and retry settings shared by every provider; subclasses add their own."""

        model_config = ConfigDict(frozen=True, extra="forbid")

        timeout: float = Field(default=600.0, gt=0)  # whole call, seconds
        connect_timeout: float = Field(default=10.0, gt=0)
        first_token_timeout: float = Field(default=120.0, gt=0)
        retries: int = Field(default=2, ge=0)
        retry_backoff: float = Field(default=0.5, ge=0)  # first pause; doubles each retry
        retry_backoff_max: float = Field(default=8.0, ge=0)

    def __init__(self, options: Options) -> None:
        self.options = options

    @classmethod
    @abstractmethod
    def from_settings(cls, settings: Settings) -> Self:
        """Build the provider from settings, raising ProviderNotConfigured when something is missing."""

    @staticmethod
    def policy_from_settings(settings: Settings) -> dict[str, Any]:
        """The shared Options fields as read from settings."""
        return {
            "timeout": settings.provider_timeout,
            "connect_timeout": settings.provider_connect_timeout,
            "first_token_timeout": settings.provider_first_token_timeout,
            "retries": settings.provider_retries,
        }

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not getattr(cls, "__abstractmethods__", None) and cls.run is Provider.run and cls.stream is Provider.stream:
            raise TypeError(f"{cls.__name__} must implement run() or stream()")

    async def run(self, request: GenerationRequest, emit: Emit) -> None:
        """Stream one model call into `emit`: text and thinking chunks as they arrive, then exactly one Usage and one
        Finish; raise ProviderError on failure.

        `emit` is called synchronously, from the network callback itself where the transport allows it (no task switch
        per chunk: the hot path of every streamed reply); what `emit` raises ends the call and is raised here as it was,
        neither retried nor translated. A provider implements this or `stream`; each is built on the other by default.
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

    async def aclose(self) -> None:
        """Release connections; the provider is not used afterwards."""

    def warm(self) -> None:
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

    def guarded_run(
        self,
        request: GenerationRequest,
        attempt: Callable[[Emit], Awaitable[None]],
        translate: Callable[[Exception], ProviderError],
        emit: Emit,
    ) -> Awaitable[None]:
        """Run `attempt` into `emit` under this provider's timeouts and retry policy (see `guard_run`)."""
        return guard_run(request, attempt, translate, self.options, self.describe(request), emit)

    def guarded(
        self,
        request: GenerationRequest,
        attempt: Callable[[], AsyncGenerator[StreamEvent, None]],
        translate: Callable[[Exception], ProviderError],
    ) -> AsyncIterator[StreamEvent]:
        """`guarded_run` for an attempt written as an async generator, read as an async iterator (`guard_stream`)."""
        return guard_stream(request, attempt, translate, self.options, self.describe(request))


class _ConsumerFailed(Exception):
    """What the consumer of the events raised, carried through the provider's reading back to the guard."""


class _Attempt:
    """What one attempt has passed on so far."""

    __slots__ = ("started", "output_chars", "usage", "finish", "consumer_error")

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
    options: Provider.Options,
    where: str,
    emit: Emit,
) -> None:
    """Run `attempt` until it succeeds, retrying transient failures only while it has passed no text on.

    `attempt` emits chunks and, at most once each, Usage and Finish; exceptions it raises go through `translate`.
    The guard enforces the first-token and overall timeouts with one timer per attempt (moved from the first-token
    deadline to the overall one when the first chunk arrives: nothing is armed per chunk), holds Usage and Finish back
    and emits exactly one of each at the end, estimating usage when the server sent none. What `emit` raises is
    raised as it was.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + options.timeout
    failures = 0
    while True:
        state = _Attempt()
        first_token_deadline = min(deadline, loop.time() + options.first_token_timeout)
        scope = asyncio.timeout_at(first_token_deadline)

        def forward(event: StreamEvent, state: _Attempt = state, scope: asyncio.Timeout = scope) -> None:
            if isinstance(event, _TEXT_CHUNKS):
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
                error = ProviderError(f"{where} timed out: the call took longer than {options.timeout:g} s", transient=True)
            else:
                error = ProviderError(f"{where} timed out: no first token within {options.first_token_timeout:g} s", transient=True)
        except ProviderError as exc:
            error = exc
        except Exception as exc:  # every SDK and transport error is mapped here, at the boundary
            if state.consumer_error is not None:  # the consumer's error, wrapped by a layer on the way back
                raise state.consumer_error from None
            error = translate(exc)
            error.__cause__ = exc

        if state.finish is not None and (error is None or error.transient):
            # The model said it was done; losing the connection after that (before the usage chunk or
            # the end marker) does not make the answer incomplete.
            emit(_settle_usage(request, state.usage, state.output_chars))
            emit(state.finish)
            return
        assert error is not None  # without a finish there is always an error
        if state.started:
            raise ProviderError(f"Reply cut off mid-stream: {error.message}", transient=True) from error
        remaining = deadline - loop.time()
        if not error.transient or failures >= options.retries or remaining <= 0:
            if failures:
                message = f"{error.message} (gave up after {failures + 1} attempts)"
                raise ProviderError(message, transient=error.transient) from error
            raise error
        pause = min(options.retry_backoff * 2**failures, options.retry_backoff_max) * random.uniform(0.8, 1.2)
        failures += 1
        await asyncio.sleep(min(pause, remaining))


def guard_stream(
    request: GenerationRequest,
    attempt: Callable[[], AsyncGenerator[StreamEvent, None]],
    translate: Callable[[Exception], ProviderError],
    options: Provider.Options,
    where: str,
) -> AsyncIterator[StreamEvent]:
    """`guard_run` for an attempt written as an async generator, read as an async iterator."""

    async def pushed(emit: Emit) -> None:
        events = attempt()
        try:
            async for event in events:
                emit(event)
        finally:
            await events.aclose()

    return events_of(lambda emit: guard_run(request, pushed, translate, options, where, emit))


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

    task = loop.create_task(run(emit))

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


def _settle_usage(request: GenerationRequest, usage: Usage | None, output_chars: int) -> Usage:
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
