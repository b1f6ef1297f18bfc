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
from vzero.providers.tools import ToolCallAssembler, tool_turn_text
from vzero.providers.types import ChatTurn, Emit, Finish, FinishReason, GenerationRequest, TextChunk, ThinkingChunk, Usage

if TYPE_CHECKING:
    import httpx2
    import openai

    from vzero.config import Settings

OPENAI_BASE_URL = "https://api.openai.com/v1"
# Local servers ignore the key, but the SDK insists on one.
_NO_KEY = "no-key"

# Words with which servers say they do not accept a request field at all.
_REFUSAL_WORDS = (
    "unsupported", "not supported", "does not support", "unrecognized", "unknown", "extra", "not permitted", "not allowed",
)

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
        reasoning_effort: str = "medium"  # what `thinking` asks of a reasoning model

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
        self._no_tools: set[str] = set()  # models that refused `tools`: they answer without them
        self._no_reasoning_effort: set[str] = set()  # models that refused `reasoning_effort`
        self.reasoning_effort = options.reasoning_effort

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
                "reasoning_effort": settings.reasoning_effort,
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
        calls = ToolCallAssembler()

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
                    tool_calls = delta.get("tool_calls")
                    if tool_calls:
                        _add_tool_deltas(calls, tool_calls)
                reason = choice.get("finish_reason")
                if isinstance(reason, str) and reason and not finished:
                    # Emitted at once (the guard holds it back) so a connection lost after it keeps the answer.
                    finished = True
                    for call in calls.complete():
                        emit(call)
                    mapped = _FINISH_REASONS.get(reason, "other")
                    emit(Finish("content-filter" if refused and mapped == "stop" else mapped))
            return False

        async with AsyncExitStack() as stack:
            await pump_sse(await self._open(request, stack), on_event)

    async def _open(self, request: GenerationRequest, stack: AsyncExitStack) -> httpx2.Response:
        """Send the request; when the server refuses a parameter with a 400, adapt and remember it (each once)."""
        import openai

        adapted: set[str] = set()
        while True:
            try:
                return await self._send(request, stack)
            except openai.BadRequestError as exc:
                change = self._adapt(_error_text(exc).lower(), request)
                if change is None or change in adapted:
                    raise
                adapted.add(change)

    def _adapt(self, text: str, request: GenerationRequest) -> str | None:
        """What to change after a 400 saying `text`; None when it names nothing this provider can leave out."""
        token_field = "max_completion_tokens" if self._use_max_completion_tokens else "max_tokens"
        if _refuses(text, token_field):
            self._use_max_completion_tokens = not self._use_max_completion_tokens
            return "tokens"
        if self._send_stream_options and (_refuses(text, "stream_options") or _refuses(text, "include_usage")):
            # Older servers and some proxies refuse stream_options; usage is then estimated.
            self._send_stream_options = False
            return "stream_options"
        if request.thinking and request.model not in self._no_reasoning_effort and _refuses(text, "reasoning_effort"):
            self._no_reasoning_effort.add(request.model)  # a model that does not reason: it answers without
            return "reasoning_effort"
        if request.tools and request.model not in self._no_tools and (_refuses(text, "tools") or _refuses(text, "tool_choice")):
            self._no_tools.add(request.model)  # a model that cannot call tools still answers, without them
            return "tools"
        return None

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
        tools = request.tools if request.model not in self._no_tools else ()
        messages: list[dict[str, Any]] = []
        if request.system:
            messages.append({"role": "system", "content": request.system})
        for turn in request.turns:
            messages.extend(_messages(turn, native_tools=bool(tools)))
        params: dict[str, Any] = {"model": request.model, "messages": messages}
        token_field = "max_completion_tokens" if self._use_max_completion_tokens else "max_tokens"
        params[token_field] = request.max_output_tokens
        if request.temperature is not None:
            params["temperature"] = request.temperature
        if request.thinking and request.model not in self._no_reasoning_effort:
            params["reasoning_effort"] = self.reasoning_effort
        if tools:
            params["tools"] = [
                {"type": "function", "function": {"name": t.name, "description": t.description, "parameters": t.parameters}}
                for t in tools
            ]
            choice = request.tool_choice
            if choice == "required":
                params["tool_choice"] = "required"
            elif choice not in (None, "auto"):
                params["tool_choice"] = {"type": "function", "function": {"name": choice}}
        if self._send_stream_options:
            params["stream_options"] = {"include_usage": True}
        return params

    def tools_refused(self, model: str) -> bool:
        """Whether `model` refused tools on this server (its calls go without them)."""
        return model in self._no_tools

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


def _messages(turn: ChatTurn, *, native_tools: bool) -> list[dict[str, Any]]:
    """A turn as Chat Completions messages: an assistant's tool calls on its message, each result a `tool` message
    of its own before the user's text; without native tools both are written into the text."""
    if not native_tools and (turn.tool_calls or turn.tool_results):
        return [{"role": turn.role, "content": tool_turn_text(turn)}]
    if turn.role == "assistant":
        message: dict[str, Any] = {"role": "assistant", "content": turn.text or None}
        if turn.tool_calls:
            message["tool_calls"] = [
                {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": jsontext.dumps(c.arguments).decode()}}
                for c in turn.tool_calls
            ]
        elif not turn.text:
            message["content"] = ""
        return [message]
    messages: list[dict[str, Any]] = [{"role": "tool", "tool_call_id": r.call_id, "content": r.output} for r in turn.tool_results]
    if turn.images:
        parts: list[dict[str, Any]] = [{"type": "text", "text": turn.text}] if turn.text else []
        for image in turn.images:
            url = f"data:{image.media_type};base64,{base64.b64encode(image.data).decode('ascii')}"
            parts.append({"type": "image_url", "image_url": {"url": url}})
        messages.append({"role": "user", "content": parts})
    elif turn.text or not turn.tool_results:
        messages.append({"role": "user", "content": turn.text})
    return messages


def _add_tool_deltas(calls: ToolCallAssembler, deltas: Any) -> None:
    """Streamed `tool_calls` pieces: the first of each index names the call, later ones add to its arguments."""
    if not isinstance(deltas, list):
        return
    for piece in deltas:
        if not isinstance(piece, dict):
            continue
        function = piece.get("function")
        function = function if isinstance(function, dict) else {}
        index = piece.get("index")
        calls.add(
            index if isinstance(index, int) else len(calls),
            call_id=piece.get("id") if isinstance(piece.get("id"), str) else None,
            name=function.get("name") if isinstance(function.get("name"), str) else None,
            arguments=function.get("arguments"),
        )


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
