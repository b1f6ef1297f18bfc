"""Anthropic's Messages API over the `anthropic` SDK, with extended thinking and prompt caching."""

from __future__ import annotations

import base64
import re
from typing import TYPE_CHECKING, Any, ClassVar, Self
from urllib.parse import urlsplit

from pydantic import SecretStr, ValidationError, field_validator

from vzero.core import jsontext
from vzero.errors import ProviderError, ProviderNotConfigured
from vzero.providers.base import Provider
from vzero.providers.network import http_client, is_transient_status, transport_errors
from vzero.providers.sse import pump_sse
from vzero.providers.tools import ToolCallAssembler, tool_turn_text
from vzero.providers.types import ChatTurn, Emit, Finish, FinishReason, GenerationRequest, TextChunk, ThinkingChunk, Usage

if TYPE_CHECKING:
    import anthropic

    from vzero.config import Settings

ANTHROPIC_BASE_URL = "https://api.anthropic.com"
MIN_THINKING_BUDGET = 1024  # the API's floor for budget_tokens
MAX_THINKING_BUDGET = 32_000
ADAPTIVE_SINCE = (4, 6)  # first Claude version with adaptive thinking
IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})

_FINISH_REASONS: dict[str, FinishReason] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool-calls",
    "refusal": "content-filter",
}
# Error types inside a 200 stream (`event: error`) that a later attempt may not hit.
_TRANSIENT_ERROR_TYPES = frozenset({"overloaded_error", "api_error", "rate_limit_error", "timeout_error"})


class AnthropicProvider(Provider):
    """Claude models through the Messages API."""

    name: ClassVar[str] = "anthropic"
    label: ClassVar[str] = "Anthropic provider"
    supports_images: ClassVar[bool] = True
    needs_key: ClassVar[str | None] = "ANTHROPIC_API_KEY"
    default_model: ClassVar[str] = "claude-sonnet-4-6"
    connect_hint: ClassVar[str] = "check the network and ANTHROPIC_BASE_URL"

    class Options(Provider.Options):
        """Where the API is and how to authenticate."""

        api_key: SecretStr
        base_url: str | None = None

        @field_validator("base_url")
        @classmethod
        def _check_base_url(cls, value: str | None) -> str | None:
            """Accept only absolute http(s) URLs, without a trailing slash."""
            if not value:
                return None
            parts = urlsplit(value)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise ValueError(f"ANTHROPIC_BASE_URL must be an http(s) URL, not {value!r}")
            return value.rstrip("/")

    options: Options

    def __init__(self, options: Options) -> None:
        import anthropic  # imported on first use: the SDK takes a second or more to load

        super().__init__(options)
        self._key = options.api_key.get_secret_value()
        self.base_url = options.base_url or ANTHROPIC_BASE_URL
        self._client = anthropic.AsyncAnthropic(
            api_key=self._key,
            base_url=self.base_url,
            max_retries=0,  # the engine's policy (engine/calls.py) decides what is retried
            # read: the longest silence tolerated between two chunks once the reply has started
            timeout=anthropic.Timeout(options.timeout, connect=options.connect_timeout, read=options.first_token_timeout),
            http_client=http_client(anthropic),
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> Self:
        """Read ANTHROPIC_API_KEY / ANTHROPIC_BASE_URL."""
        if not settings.anthropic_api_key:
            raise ProviderNotConfigured("The Anthropic provider needs a key - set ANTHROPIC_API_KEY")
        try:
            fields = {
                "api_key": settings.anthropic_api_key,
                "base_url": settings.anthropic_base_url,
                **cls.timeouts_from_settings(settings),
            }
            options = cls.Options.model_validate(fields)
        except ValidationError as exc:
            message = str(exc.errors()[0].get("msg", exc)).removeprefix("Value error, ")
            raise ProviderNotConfigured(f"Invalid Anthropic provider settings: {message}") from None
        return cls(options)

    async def aclose(self) -> None:
        """Close the SDK's connection pool."""
        await self._client.close()

    def warm(self) -> None:
        self._client.messages.with_streaming_response  # noqa: B018 - imports the messages resources and their types

    async def run(self, request: GenerationRequest, emit: Emit) -> None:
        """One streamed call; SDK errors are raised as they are, for `translate`.

        The SDK sends the request and maps HTTP errors; the events are parsed here from plain JSON, as each arrives
        (see `pump_sse`), because building the SDK's typed event objects costs more CPU than everything else together.
        """
        counts = {"input_tokens": 0, "output_tokens": 0, "cache_read_input_tokens": 0, "cache_creation_input_tokens": 0}
        seen_usage = False
        calls = ToolCallAssembler()

        def on_event(event: str, data: str) -> bool:
            nonlocal seen_usage
            if event == "ping":
                return False
            payload = jsontext.loads(data)
            if not isinstance(payload, dict):
                return False
            kind = payload.get("type") or event
            if kind == "content_block_delta":
                delta = _dict(payload.get("delta"))
                if delta.get("type") == "text_delta" and isinstance(delta.get("text"), str):
                    emit(TextChunk(delta["text"]))
                elif delta.get("type") == "thinking_delta" and isinstance(delta.get("thinking"), str):
                    emit(ThinkingChunk(delta["thinking"]))
                elif delta.get("type") == "input_json_delta" and isinstance(payload.get("index"), int):
                    calls.add(payload["index"], arguments=delta.get("partial_json"))
            elif kind == "content_block_start":
                block = _dict(payload.get("content_block"))
                if block.get("type") == "tool_use" and isinstance(payload.get("index"), int):
                    calls.add(payload["index"], call_id=str(block.get("id") or ""), name=str(block.get("name") or ""))
            elif kind == "content_block_stop":
                for call in calls.complete():
                    emit(call)
            elif kind == "message_start":
                seen_usage |= _merge_usage(counts, _dict(payload.get("message")).get("usage"))
            elif kind == "message_delta":
                # Its counts are cumulative, so they replace those of message_start; the guard holds
                # Usage and Finish back, and emitting them here keeps the answer if message_stop is lost.
                seen_usage |= _merge_usage(counts, payload.get("usage"))
                stop_reason = _dict(payload.get("delta")).get("stop_reason")
                if isinstance(stop_reason, str) and stop_reason:
                    for call in calls.complete():  # a block whose stop event never came
                        emit(call)
                    if seen_usage:
                        emit(Usage(
                            input_tokens=counts["input_tokens"],
                            output_tokens=counts["output_tokens"],
                            cache_read_tokens=counts["cache_read_input_tokens"],
                            cache_write_tokens=counts["cache_creation_input_tokens"],
                        ))
                    emit(Finish(_FINISH_REASONS.get(stop_reason, "other")))
            elif kind == "error":
                raise self._stream_error(request, payload.get("error"))
            elif kind == "message_stop":
                return True
            return False

        messages = self._client.messages.with_streaming_response
        async with messages.create(**self._params(request), stream=True) as response:
            await pump_sse(response.http_response, on_event)

    def _stream_error(self, request: GenerationRequest, error: Any) -> ProviderError:
        """The ProviderError for an `event: error` inside a 200 stream (overloaded, api_error, ...)."""
        error = error if isinstance(error, dict) else {}
        kind = str(error.get("type") or "stream error")
        message = self._redact(str(error.get("message") or kind))
        transient = kind in _TRANSIENT_ERROR_TYPES
        return ProviderError(f"{self.describe(request)} failed ({kind}): {message}", transient=transient)

    def _params(self, request: GenerationRequest) -> dict[str, Any]:
        """Keyword arguments of messages.create for `request`."""
        messages: list[dict[str, Any]] = []
        for turn in request.turns:
            if not request.tools and (turn.tool_calls or turn.tool_results):
                # The API wants the tools defined to read tool blocks: without tools they are written as text.
                turn = ChatTurn(turn.role, tool_turn_text(turn), turn.images)
            content = self._content(turn)
            if content:
                messages.append({"role": turn.role, "content": content})
        if messages:
            # Cache the conversation so far: the next turn of the same chat reads it back at a tenth of the price.
            messages[-1]["content"][-1]["cache_control"] = {"type": "ephemeral"}
        params: dict[str, Any] = {"model": request.model, "max_tokens": request.max_output_tokens, "messages": messages}
        if request.system:
            params["system"] = [{"type": "text", "text": request.system, "cache_control": {"type": "ephemeral"}}]
        if request.tools:
            params["tools"] = [{"name": t.name, "description": t.description, "input_schema": t.parameters} for t in request.tools]
            if request.tool_choice == "required":
                params["tool_choice"] = {"type": "any"}
            elif request.tool_choice not in (None, "auto"):
                params["tool_choice"] = {"type": "tool", "name": request.tool_choice}
        modern = _claude_version(request.model) >= ADAPTIVE_SINCE or "mythos" in request.model
        budget = min(MAX_THINKING_BUDGET, request.max_output_tokens // 2)
        # With thinking on, the API wants an assistant turn's thinking blocks (signed) back with its tool calls; they
        # are not kept, so a conversation that has called tools goes on without thinking.
        thinking = request.thinking and not any(turn.tool_calls for turn in request.turns)
        if thinking and modern:
            # Claude 4.6 and later decide their own budget; the 5 family refuses a fixed one.
            params["thinking"] = {"type": "adaptive"}
        elif thinking and budget >= MIN_THINKING_BUDGET:
            params["thinking"] = {"type": "enabled", "budget_tokens": budget}
        elif request.temperature is not None and not modern:
            # Newer models and thinking refuse sampling parameters, and this SDK no longer types the field.
            params["extra_body"] = {"temperature": request.temperature}
        return params

    def _content(self, turn: ChatTurn) -> list[dict[str, Any]]:
        """A turn's content blocks: tool results first in a user turn, tool calls last in an assistant turn."""
        content: list[dict[str, Any]] = []
        for result in turn.tool_results:
            block: dict[str, Any] = {"type": "tool_result", "tool_use_id": result.call_id, "content": result.output or "(empty)"}
            if result.is_error:
                block["is_error"] = True
            content.append(block)
        for image in turn.images if turn.role == "user" else ():
            if image.media_type not in IMAGE_TYPES:
                raise ProviderError(
                    f"{self.label} accepts images of type {', '.join(sorted(IMAGE_TYPES))}, "
                    f"not {image.media_type!r}"
                )
            data = base64.b64encode(image.data).decode("ascii")
            source = {"type": "base64", "media_type": image.media_type, "data": data}
            content.append({"type": "image", "source": source})
        if turn.text.strip():  # the API refuses empty text blocks
            content.append({"type": "text", "text": turn.text})
        for call in turn.tool_calls:
            content.append({"type": "tool_use", "id": call.id, "name": call.name, "input": call.arguments})
        return content

    def translate(self, exc: Exception, request: GenerationRequest) -> ProviderError:
        """Map an SDK or transport error to ProviderError, naming provider, base URL and model (never the key)."""
        import anthropic

        where = self.describe(request)
        if isinstance(exc, anthropic.APIConnectionError):  # APITimeoutError included
            return self._connection_error(where, exc, timed_out=isinstance(exc, anthropic.APITimeoutError))
        if isinstance(exc, anthropic.APIStatusError):
            status = exc.status_code
            error_type, detail = _error_detail(exc)
            detail = self._redact(detail)
            if status == 401:
                return ProviderError(f"{where} refused the API key (401): {detail} - check ANTHROPIC_API_KEY")
            if status == 403:
                return ProviderError(f"{where} denied access (403): {detail}")
            if status == 404:
                return ProviderError(
                    f"{where}: model not found (404): {detail} - "
                    "set VZERO_MODEL (or VZERO_MODEL_MAP) to a Claude model id"
                )
            transient = is_transient_status(status) or (status < 400 and error_type in _TRANSIENT_ERROR_TYPES)
            shown = status if status >= 400 else error_type or "stream error"
            return ProviderError(f"{where} failed ({shown}): {detail}", transient=transient)
        if isinstance(exc, transport_errors()):
            return self._connection_error(where, exc)
        if isinstance(exc, anthropic.AnthropicError | ValueError):
            return ProviderError(f"{where} sent a reply that could not be read: {self._redact(str(exc))}")
        return ProviderError(f"{where}: unexpected {type(exc).__name__}: {self._redact(str(exc))}")


def _claude_version(model: str) -> tuple[int, int]:
    """(major, minor) from names like claude-sonnet-4-6, claude-opus-5, claude-3-5-haiku-20241022; else (0, 0)."""
    match = re.search(r"(?:^|-)(\d{1,2})(?:[-.](\d{1,2}))?(?=-|$)", model)
    if match is None:
        return (0, 0)
    return (int(match.group(1)), int(match.group(2) or 0))


def _dict(value: Any) -> dict[str, Any]:
    """`value` if it is a JSON object, else an empty one: stream payloads are untrusted."""
    return value if isinstance(value, dict) else {}


def _merge_usage(counts: dict[str, int], usage: Any) -> bool:
    """Copy the token counts present in a usage object into `counts`; True if there was one."""
    if not isinstance(usage, dict):
        return False
    for field in counts:
        value = usage.get(field)
        if isinstance(value, int) and value >= 0:
            counts[field] = value
    return True


def _error_detail(exc: anthropic.APIStatusError) -> tuple[str | None, str]:
    """The error type and message from an Anthropic error body, falling back to the SDK's message."""
    body = exc.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict):
            error_type = inner.get("type") if isinstance(inner.get("type"), str) else None
            message = inner.get("message") if isinstance(inner.get("message"), str) else exc.message
            return error_type, str(message)
    return None, exc.message
