"""The provider interface: request and stream-event types, the Provider base class and its retry guard."""

from __future__ import annotations

import asyncio
import functools
import importlib
import math
import random
from abc import ABC, abstractmethod
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


class SSEReader:
    """Server-sent events from an SDK's (httpx) response as its bytes arrive, one network read at a time.

    A coroutine to call rather than an async generator to iterate: a generator is one more frame to resume and one more
    awaitable to build for every streamed chunk. On vzero's transport the body is read directly, otherwise through
    httpx's byte iterator.

        while (events := await reader.next()) is not None:
            for name, data in events: ...
    """

    __slots__ = ("_decoder", "_read", "_ended")

    def __init__(self, response: Any) -> None:
        self._decoder = SSEDecoder()
        body = _body_reader(response)
        self._read: Callable[[], Awaitable[bytes]] = body.read if body is not None else _next_bytes(response.aiter_bytes())
        self._ended = False

    async def next(self) -> list[tuple[str, str]] | None:
        """The (event name, data) pairs the next read completes ([] if it completes none); None once the body ended."""
        if self._ended:
            return None
        chunk = await self._read()
        if chunk:
            return self._decoder.feed(chunk)
        self._ended = True
        return self._decoder.close()


def _next_bytes(chunks: AsyncIterator[bytes]) -> Callable[[], Awaitable[bytes]]:
    """`read()` over an async iterator of bytes: the next non-empty chunk, b"" at its end."""

    async def read() -> bytes:
        async for chunk in chunks:
            if chunk:
                return chunk
        return b""

    return read


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

    @abstractmethod
    def stream(self, request: GenerationRequest) -> AsyncIterator[StreamEvent]:
        """Stream text and thinking chunks, then exactly one Usage and one Finish; raise ProviderError on failure."""

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

    def guarded(
        self,
        request: GenerationRequest,
        attempt: Callable[[], AsyncGenerator[StreamEvent, None]],
        translate: Callable[[Exception], ProviderError],
    ) -> AsyncGenerator[StreamEvent, None]:
        """Run `attempt` under this provider's timeouts and retry policy (see `guard_stream`)."""
        return guard_stream(request, attempt, translate, self.options, self.describe(request))


async def guard_stream(
    request: GenerationRequest,
    attempt: Callable[[], AsyncGenerator[StreamEvent, None]],
    translate: Callable[[Exception], ProviderError],
    options: Provider.Options,
    where: str,
) -> AsyncGenerator[StreamEvent, None]:
    """Call `attempt` until it succeeds, retrying transient failures only while nothing has been yielded.

    `attempt` yields chunks and, at most once each, Usage and Finish; exceptions it raises go through
    `translate`. The guard enforces the first-token and overall timeouts, holds Usage and Finish back
    and emits exactly one of each at the end, estimating usage when the server sent none.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + options.timeout
    failures = 0
    while True:
        events = attempt()
        yielded = False
        output_chars = 0
        usage: Usage | None = None
        finish: Finish | None = None
        error: ProviderError | None = None
        try:
            first_token_deadline = min(deadline, loop.time() + options.first_token_timeout)
            while True:
                if not yielded:
                    # Until the first token a timer guards every read. After it, a timer per chunk would
                    # cost more than the chunk itself: the HTTP client's read timeout catches a stalled
                    # stream and the overall deadline is checked as each chunk arrives.
                    try:
                        async with asyncio.timeout_at(first_token_deadline) as scope:
                            event = await anext(events)
                    except StopAsyncIteration:
                        break
                    except TimeoutError:
                        if not scope.expired():
                            raise
                        late = first_token_deadline < deadline
                        what = f"no first token within {options.first_token_timeout:g} s" if late else f"the call took longer than {options.timeout:g} s"
                        error = ProviderError(f"{where} timed out: {what}", transient=True)
                        break
                else:
                    try:
                        event = await anext(events)
                    except StopAsyncIteration:
                        break
                    if loop.time() > deadline:
                        error = ProviderError(f"{where} timed out: the call took longer than {options.timeout:g} s", transient=True)
                        break
                if isinstance(event, _TEXT_CHUNKS):
                    if event.text:
                        output_chars += len(event.text)
                        yielded = True
                        yield event
                elif isinstance(event, Usage):
                    usage = event
                elif isinstance(event, Finish):
                    finish = event
            if error is None and finish is None:
                error = ProviderError(f"{where} ended the stream before the model finished", transient=True)
        except ProviderError as exc:
            error = exc
        except Exception as exc:  # every SDK and transport error is mapped here, at the boundary
            error = translate(exc)
            error.__cause__ = exc
        finally:
            await events.aclose()

        if finish is not None and (error is None or error.transient):
            # The model said it was done; losing the connection after that (before the usage chunk or
            # the end marker) does not make the answer incomplete.
            yield _settle_usage(request, usage, output_chars)
            yield finish
            return
        assert error is not None  # without a finish there is always an error
        if yielded:
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
