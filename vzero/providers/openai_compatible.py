"""Chat Completions over the `openai` SDK: OpenAI, Ollama, vLLM, llama.cpp server, LM Studio, OpenRouter, ..."""

from __future__ import annotations

import base64
from contextlib import AsyncExitStack
from typing import TYPE_CHECKING, Any, ClassVar, Self
from urllib.parse import urlsplit

from pydantic import SecretStr, ValidationError, field_validator

from vzero.core import jsontext
from vzero.errors import ProviderError, ProviderNotConfigured
from vzero.providers.base import Provider
from vzero.providers.network import http_client, is_transient_status, transport_errors
from vzero.providers.sse import pump_sse
from vzero.providers.types import Emit, Finish, FinishReason, GenerationRequest, TextChunk, ThinkingChunk, Usage

if TYPE_CHECKING:
    import httpx2
    import openai

    from vzero.config import Settings

OPENAI_BASE_URL = "https://api.openai.com/v1"
# Local servers ignore the key, but the SDK insists on one.
_NO_KEY = "no-key"

# Words with which servers say they do not accept a request field at all.
_REFUSAL_WORDS = ("unsupported", "not supported", "unrecognized", "unknown", "extra", "not permitted", "not allowed")

_FINISH_REASONS: dict[str, FinishReason] = {
    "stop": "stop",
    "length": "length",
    "content_filter": "content-filter",
    "tool_calls": "tool-calls",
    "function_call": "tool-calls",
}


class OpenAICompatibleProvider(Provider):
    """Any server that speaks OpenAI's streaming Chat Completions API."""

    name: ClassVar[str] = "openai"
    label: ClassVar[str] = "OpenAI-compatible provider"
    supports_images: ClassVar[bool] = True
    needs_key: ClassVar[str | None] = "OPENAI_API_KEY"  # optional when OPENAI_BASE_URL points at a local server
    default_model: ClassVar[str] = "gpt-4o"
    connect_hint: ClassVar[str] = "is the server running and OPENAI_BASE_URL right?"

    class Options(Provider.Options):
        """Where the server is and how to authenticate."""

        api_key: SecretStr | None = None
        base_url: str | None = None

        @field_validator("base_url")
        @classmethod
        def _check_base_url(cls, value: str | None) -> str | None:
            """Accept only absolute http(s) URLs, without a trailing slash."""
            if not value:
                return None
            parts = urlsplit(value)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                example = "http://localhost:11434/v1"
                raise ValueError(f"OPENAI_BASE_URL must be an http(s) URL such as {example}, not {value!r}")
            return value.rstrip("/")

    options: Options

    def __init__(self, options: Options) -> None:
        import openai  # imported on first use: the SDK takes a second or more to load

        super().__init__(options)
        self._key = options.api_key.get_secret_value() if options.api_key else ""
        self._client = openai.AsyncOpenAI(
            api_key=self._key or _NO_KEY,
            base_url=options.base_url or OPENAI_BASE_URL,
            max_retries=0,  # the engine's policy (engine/calls.py) decides what is retried
            # read: the longest silence tolerated between two chunks once the reply has started
            timeout=openai.Timeout(options.timeout, connect=options.connect_timeout, read=options.first_token_timeout),
            http_client=http_client(openai),
        )
        self.base_url = options.base_url or OPENAI_BASE_URL
        # What this server turned out not to accept, learned from 400 replies and kept for later calls.
        self._send_stream_options = True
        self._use_max_completion_tokens = self.base_url == OPENAI_BASE_URL

    @classmethod
    def from_settings(cls, settings: Settings) -> Self:
        """Read OPENAI_API_KEY / OPENAI_BASE_URL; a custom base URL needs no key (Ollama, vLLM, ...)."""
        if not settings.openai_api_key and not settings.openai_base_url:
            raise ProviderNotConfigured(
                "The OpenAI provider needs a key - set OPENAI_API_KEY, or set OPENAI_BASE_URL to a local "
                "OpenAI-compatible server (Ollama, vLLM, llama.cpp, LM Studio) that needs none"
            )
        try:
            fields = {
                "api_key": settings.openai_api_key,
                "base_url": settings.openai_base_url,
                **cls.timeouts_from_settings(settings),
            }
            options = cls.Options.model_validate(fields)
        except ValidationError as exc:
            raise ProviderNotConfigured(f"Invalid OpenAI provider settings: {_first_error(exc)}") from None
        return cls(options)

    async def aclose(self) -> None:
        """Close the SDK's connection pool."""
        await self._client.close()

    def warm(self) -> None:
        import openai

        openai.AsyncStream[object]

    async def run(self, request: GenerationRequest, emit: Emit) -> None:
        """One streamed call; SDK errors are raised as they are, for `translate`.

        The SDK sends the request and maps HTTP errors; the event stream is parsed here from plain JSON, as each event
        arrives (see `pump_sse`), because building the SDK's typed chunk objects costs more CPU than everything else
        together.
        """
        finished = False
        refused = False

        def on_event(_: str, data: str) -> bool:
            nonlocal finished, refused
            if data == "[DONE]":
                return True
            chunk = jsontext.loads(data)
            if not isinstance(chunk, dict):
                return False
            if chunk.get("error"):
                message = self._redact(_message(chunk["error"]))
                raise ProviderError(f"{self.describe(request)} reported an error: {message}", transient=True)
            if isinstance(chunk.get("usage"), dict):
                emit(_usage(chunk["usage"]))
            for choice in chunk.get("choices") or ():
                if not isinstance(choice, dict) or choice.get("index", 0) != 0:
                    continue
                delta = choice.get("delta")
                if isinstance(delta, dict):
                    # DeepSeek and older vLLM send `reasoning_content`; Ollama, OpenRouter, newer vLLM `reasoning`.
                    reasoning = delta.get("reasoning_content") or delta.get("reasoning")
                    if isinstance(reasoning, str) and reasoning:
                        emit(ThinkingChunk(reasoning))
                    content = delta.get("content")
                    if isinstance(content, str) and content:
                        emit(TextChunk(content))
                    refusal = delta.get("refusal")
                    if isinstance(refusal, str) and refusal:
                        refused = True
                        emit(TextChunk(refusal))
                reason = choice.get("finish_reason")
                if isinstance(reason, str) and reason and not finished:
                    # Emitted at once (the guard holds it back) so a connection lost after it keeps the answer.
                    finished = True
                    mapped = _FINISH_REASONS.get(reason, "other")
                    emit(Finish("content-filter" if refused and mapped == "stop" else mapped))
            return False

        async with AsyncExitStack() as stack:
            await pump_sse(await self._open(request, stack), on_event)

    async def _open(self, request: GenerationRequest, stack: AsyncExitStack) -> httpx2.Response:
        """Send the request; when the server refuses a parameter with a 400, adapt once and remember it."""
        import openai

        try:
            return await self._send(request, stack)
        except openai.BadRequestError as exc:
            text = _error_text(exc).lower()
            token_field = "max_completion_tokens" if self._use_max_completion_tokens else "max_tokens"
            if _refuses(text, token_field):
                self._use_max_completion_tokens = not self._use_max_completion_tokens
            elif self._send_stream_options and (_refuses(text, "stream_options") or _refuses(text, "include_usage")):
                # Older servers and some proxies refuse stream_options; usage is then estimated.
                self._send_stream_options = False
            else:
                raise
            try:
                return await self._send(request, stack)
            except openai.BadRequestError:
                raise exc from None

    async def _send(self, request: GenerationRequest, stack: AsyncExitStack) -> httpx2.Response:
        """POST /chat/completions through the SDK's own request method (its documented way to send a body as is).

        The SDK builds, signs and sends the request and maps HTTP errors as for `chat.completions.create`; what it
        skips is create()'s walk of the parameters against their typed declarations, which turns a plain JSON body
        into itself at half of the SDK's CPU per request. The body is read here as it arrives (see `run`).
        """
        import openai

        stream = await self._client.post(
            "/chat/completions", body={**self._params(request), "stream": True}, cast_to=object, stream=True, stream_cls=openai.AsyncStream[object]
        )
        stack.push_async_callback(stream.close)
        return stream.response

    def _params(self, request: GenerationRequest) -> dict[str, Any]:
        """The JSON body of a chat completion for `request` (also the keyword arguments of chat.completions.create)."""
        messages: list[dict[str, Any]] = []
        if request.system:
            messages.append({"role": "system", "content": request.system})
        for turn in request.turns:
            if turn.images and turn.role == "user":
                parts: list[dict[str, Any]] = [{"type": "text", "text": turn.text}] if turn.text else []
                for image in turn.images:
                    url = f"data:{image.media_type};base64,{base64.b64encode(image.data).decode('ascii')}"
                    parts.append({"type": "image_url", "image_url": {"url": url}})
                messages.append({"role": turn.role, "content": parts})
            else:
                messages.append({"role": turn.role, "content": turn.text})
        params: dict[str, Any] = {"model": request.model, "messages": messages}
        token_field = "max_completion_tokens" if self._use_max_completion_tokens else "max_tokens"
        params[token_field] = request.max_output_tokens
        if request.temperature is not None:
            params["temperature"] = request.temperature
        if self._send_stream_options:
            params["stream_options"] = {"include_usage": True}
        return params

    def translate(self, exc: Exception, request: GenerationRequest) -> ProviderError:
        """Map an SDK or transport error to ProviderError, naming provider, base URL and model (never the key)."""
        import openai

        where = self.describe(request)
        if isinstance(exc, openai.APIConnectionError):  # APITimeoutError included
            return self._connection_error(where, exc, timed_out=isinstance(exc, openai.APITimeoutError))
        if isinstance(exc, openai.APIStatusError):
            status = exc.status_code
            detail = self._redact(_error_text(exc))
            if status == 401:
                return ProviderError(f"{where} refused the API key (401): {detail} - check OPENAI_API_KEY")
            if status == 403:
                return ProviderError(f"{where} denied access (403): {detail}")
            if status == 404:
                return ProviderError(
                    f"{where}: model or endpoint not found (404): {detail} - set VZERO_MODEL (or VZERO_MODEL_MAP) "
                    "to a model this server has, and check OPENAI_BASE_URL ends in /v1"
                )
            if status == 429 and exc.code == "insufficient_quota":
                return ProviderError(f"{where}: quota exhausted (429): {detail}")
            return ProviderError(f"{where} failed ({status}): {detail}", transient=is_transient_status(status))
        if isinstance(exc, openai.APIError):
            # An error object inside a 200 stream: the server gave up mid-way, usually worth a retry.
            return ProviderError(f"{where} reported an error: {self._redact(exc.message)}", transient=True)
        if isinstance(exc, transport_errors()):
            return self._connection_error(where, exc)
        if isinstance(exc, openai.OpenAIError | ValueError):
            return ProviderError(f"{where} sent a reply that could not be read: {self._redact(str(exc))}")
        return ProviderError(f"{where}: unexpected {type(exc).__name__}: {self._redact(str(exc))}")


def _usage(raw: dict[str, Any]) -> Usage:
    """Usage from a Chat Completions `usage` object; cached prompt tokens are moved out of input."""
    prompt = _int(raw.get("prompt_tokens"))
    details = raw.get("prompt_tokens_details")
    cached = min(_int(details.get("cached_tokens")) if isinstance(details, dict) else 0, prompt)
    output = _int(raw.get("completion_tokens"))
    return Usage(input_tokens=prompt - cached, output_tokens=output, cache_read_tokens=cached)


def _int(value: Any) -> int:
    """A token count from JSON: non-negative ints only, anything else is 0."""
    return value if isinstance(value, int) and value > 0 else 0


def _message(error: Any) -> str:
    """The message of an error object found inside a stream."""
    if isinstance(error, dict) and isinstance(error.get("message"), str):
        return str(error["message"])
    return str(error)


def _refuses(error_text: str, field: str) -> bool:
    """Whether a lower-cased 400 message says the server does not accept `field` at all."""
    if field not in error_text:
        return False
    return any(word in error_text for word in _REFUSAL_WORDS)


def _error_text(exc: openai.APIError) -> str:
    """The server's own error message, falling back to the SDK's."""
    body = exc.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and isinstance(inner.get("message"), str):
            return str(inner["message"])
        if isinstance(inner, str):
            return inner
    return exc.message


def _first_error(exc: ValidationError) -> str:
    """The first validation message, without pydantic's decoration."""
    error = exc.errors()[0]
    return str(error.get("msg", exc)).removeprefix("Value error, ")
