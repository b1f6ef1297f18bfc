"""The OpenAI-compatible Model API: a Chat Completions request answered by vzero's model under its v0 model id.

Editors and agents call `POST /v1/chat/completions` the way they call v0's: the messages (text and images, tool
calls and their results) go to the configured provider as they are, under the engine's call policy; the answer
comes back as one completion or as `chat.completion.chunk` events; each call is a usage event (`api_request`).
"""

from __future__ import annotations

import itertools
import secrets
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from vzero.core import jsontext
from vzero.core.access import Principal
from vzero.engine import attachments
from vzero.engine.manager import GenerationManager
from vzero.engine.usage import Tally, credits, rates_for
from vzero.errors import InvalidInput, NotFound
from vzero.providers import (
    ChatTurn,
    Finish,
    GenerationRequest,
    ImageInput,
    StreamEvent,
    TextChunk,
    ThinkingChunk,
    ToolCall,
    ToolResult,
    ToolSpec,
    Usage,
    resolve_model,
)
from vzero.providers.tools import read_arguments
from vzero.store import ledger

# The ids of v0's Model API, then those of the Platform API: each maps to a provider model (VZERO_MODEL_MAP).
MODEL_IDS = ("v0-1.5-md", "v0-1.5-lg", "v0-1.0-md", "v0-mini", "v0-pro", "v0-max", "v0-max-fast")
_FINISH = {"stop": "stop", "length": "length", "content-filter": "content_filter", "tool-calls": "tool_calls", "error": "stop", "other": "stop"}
_counter = itertools.count(1)


def model_ids(manager: GenerationManager) -> list[str]:
    """The model ids this server answers to: v0's, and any other id VZERO_MODEL_MAP names."""
    return list(dict.fromkeys((*MODEL_IDS, *manager.runtime.settings.model_map)))


@dataclass
class Completion:
    """One call's answer so far: text, reasoning, tool calls, usage and why it ended."""

    id: str
    model: str  # the v0 id asked for
    created: int
    text: list[str] = field(default_factory=list)
    reasoning: list[str] = field(default_factory=list)
    calls: list[ToolCall] = field(default_factory=list)
    usage: Usage | None = None
    finish: str = "stop"

    def message(self) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "content": "".join(self.text) or (None if self.calls else "")}
        if self.reasoning:
            message["reasoning_content"] = "".join(self.reasoning)
        if self.calls:
            message["tool_calls"] = [_call(c) for c in self.calls]
        return message

    def usage_body(self) -> dict[str, Any]:
        usage = self.usage or Usage(0, 0)
        prompt = usage.input_tokens + usage.cache_read_tokens + usage.cache_write_tokens
        body: dict[str, Any] = {"prompt_tokens": prompt, "completion_tokens": usage.output_tokens, "total_tokens": prompt + usage.output_tokens}
        if usage.cache_read_tokens:
            body["prompt_tokens_details"] = {"cached_tokens": usage.cache_read_tokens}
        return body

    def body(self) -> dict[str, Any]:
        return {
            "id": self.id, "object": "chat.completion", "created": self.created, "model": self.model,
            "choices": [{"index": 0, "message": self.message(), "finish_reason": self.finish}], "usage": self.usage_body(),
        }

    def chunk(self, delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {
            "id": self.id, "object": "chat.completion.chunk", "created": self.created, "model": self.model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }


def _call(call: ToolCall, index: int | None = None) -> dict[str, Any]:
    shown: dict[str, Any] = {"id": call.id, "type": "function", "function": {"name": call.name, "arguments": jsontext.dumps(call.arguments).decode()}}
    if index is not None:
        shown["index"] = index
    return shown


async def request_of(manager: GenerationManager, body: Any) -> tuple[GenerationRequest, str]:
    """The provider request a Chat Completions body asks for, and the model id it named (404 for an unknown id)."""
    runtime = manager.runtime
    if body.model not in model_ids(manager):
        raise NotFound(f"The model {body.model!r} does not exist; GET /v1/models lists the ids this server answers to")
    model = manager.model()
    system: list[str] = []
    turns: list[ChatTurn] = []
    for n, message in enumerate(body.messages):
        role = message.role
        if role in ("system", "developer"):
            system.append(_text(message.content, n))
        elif role == "user":
            text, images = await _user_content(runtime, message.content, model.supports_images, n)
            turns.append(ChatTurn("user", text, images))
        elif role == "assistant":
            calls = tuple(_tool_call(call, n) for call in message.tool_calls or ())
            turns.append(ChatTurn("assistant", _text(message.content, n) if message.content is not None else "", tool_calls=calls))
        else:  # tool
            name = next((c.name for t in reversed(turns) for c in t.tool_calls if c.id == message.tool_call_id), "tool")
            turns.append(ChatTurn("user", "", tool_results=(ToolResult(message.tool_call_id, name, _text(message.content, n)),)))
    if not turns:
        raise InvalidInput("messages must hold at least one user message")
    empty = {"type": "object", "properties": {}}
    tools = tuple(ToolSpec(t.function.name, t.function.description or "", t.function.parameters or empty) for t in body.tools or ())
    choice = _tool_choice(body.tool_choice, tools)
    limit = runtime.settings.max_output_tokens
    asked = body.max_completion_tokens or body.max_tokens or limit
    request = GenerationRequest(
        model=resolve_model(runtime.settings, body.model), system="\n\n".join(system), turns=_merged(turns),
        max_output_tokens=min(asked, limit), temperature=body.temperature, tools=tools if choice != "none" else (),
        tool_choice=None if choice == "none" else choice,
    )
    return request, body.model


def _text(content: Any, n: int) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    texts = []
    for part in content:
        if part.type != "text":
            raise InvalidInput(f"messages[{n}]: only user messages may carry {part.type} parts")
        texts.append(part.text or "")
    return "\n".join(texts)


async def _user_content(runtime: Any, content: Any, supports_images: bool, n: int) -> tuple[str, tuple[ImageInput, ...]]:
    if isinstance(content, str):
        return content, ()
    texts = [part.text or "" for part in content if part.type == "text"]
    urls = [part.image_url.url for part in content if part.type == "image_url" and part.image_url is not None]
    if len(texts) + len(urls) != len(content):
        raise InvalidInput(f"messages[{n}].content: parts must be text or image_url")
    if urls and not supports_images:
        raise InvalidInput("This server's model does not take images")
    resolved = await attachments.resolve(runtime, urls, True)
    if len(resolved.images) != len(urls):
        raise InvalidInput(f"messages[{n}]: an image_url is not a PNG, JPEG, GIF or WebP image")
    return "\n".join(texts), tuple(resolved.images)


def _tool_call(call: Any, n: int) -> ToolCall:
    arguments, problem = read_arguments([call.function.arguments])
    if problem:
        raise InvalidInput(f"messages[{n}].tool_calls: {problem}")
    return ToolCall(call.id, call.function.name, arguments)


def _tool_choice(choice: Any, tools: Sequence[ToolSpec]) -> str | None:
    if choice is None or choice in ("auto", "none", "required"):
        if choice == "required" and not tools:
            raise InvalidInput("tool_choice is required but no tools were given")
        return choice  # type: ignore[no-any-return]
    name = choice.function.name
    if name not in {t.name for t in tools}:
        raise InvalidInput(f"tool_choice names {name!r}, which is not one of the tools")
    return str(name)


def _merged(turns: list[ChatTurn]) -> tuple[ChatTurn, ...]:
    """Consecutive turns of one role as one (tool results arrive one message each)."""
    merged: list[ChatTurn] = []
    for turn in turns:
        if merged and merged[-1].role == turn.role and not merged[-1].tool_calls:
            last = merged[-1]
            text = "\n\n".join(t for t in (last.text, turn.text) if t)
            merged[-1] = ChatTurn(last.role, text, last.images + turn.images, last.tool_calls + turn.tool_calls, last.tool_results + turn.tool_results)
        else:
            merged.append(turn)
    return tuple(merged)


def new_completion(model_id: str) -> Completion:
    return Completion(f"chatcmpl-{secrets.token_hex(8)}{next(_counter)}", model_id, int(time.time()))


def take(completion: Completion, event: StreamEvent) -> None:
    """One provider event into the completion."""
    if isinstance(event, TextChunk):
        completion.text.append(event.text)
    elif isinstance(event, ThinkingChunk):
        completion.reasoning.append(event.text)
    elif isinstance(event, ToolCall):
        completion.calls.append(event)
    elif isinstance(event, Usage):
        completion.usage = event
    elif isinstance(event, Finish):
        completion.finish = _FINISH[event.reason]


async def complete(manager: GenerationManager, principal: Principal, request: GenerationRequest, model_id: str) -> Completion:
    """The whole answer (a blocking call)."""
    completion = new_completion(model_id)
    await manager.model().run(request, lambda event: take(completion, event))
    await record(manager, principal, request, completion)
    return completion


async def stream(
    manager: GenerationManager, principal: Principal, request: GenerationRequest, model_id: str, *, with_usage: bool
) -> tuple[Completion, AsyncIterator[dict[str, Any]]]:
    """The answer as chunks; the first provider event is awaited here, so a call that fails at once fails before the
    response starts (with its status), not inside it."""
    completion = new_completion(model_id)
    events = manager.model().stream(request)
    first = await anext(events, None)

    async def chunks() -> AsyncIterator[dict[str, Any]]:
        yield completion.chunk({"role": "assistant", "content": ""})
        pending = [first] if first is not None else []
        try:
            while True:
                event = pending.pop() if pending else await anext(events, None)
                if event is None:
                    break
                take(completion, event)
                if isinstance(event, TextChunk):
                    yield completion.chunk({"content": event.text})
                elif isinstance(event, ThinkingChunk):
                    yield completion.chunk({"reasoning_content": event.text})
                elif isinstance(event, ToolCall):
                    yield completion.chunk({"tool_calls": [_call(event, len(completion.calls) - 1)]})
            yield completion.chunk({}, completion.finish)
            if with_usage:
                yield {**completion.chunk({}), "choices": [], "usage": completion.usage_body()}
        finally:
            await events.aclose()  # type: ignore[attr-defined]
            await record(manager, principal, request, completion)

    return completion, chunks()


async def record(manager: GenerationManager, principal: Principal, request: GenerationRequest, completion: Completion) -> None:
    """The call's usage event, priced like a message's tokens."""
    usage = completion.usage
    if usage is None:
        return
    runtime = manager.runtime
    tally = Tally(usage.input_tokens, usage.output_tokens, usage.cache_read_tokens, usage.cache_write_tokens)
    cost = credits(tally, rates_for(request.model, runtime.settings.credit_rates))
    async with runtime.db.session() as session:
        await ledger.record(
            session, user_id=principal.user_id, kind="api_request", model=request.model,
            tokens=(tally.input, tally.output, tally.cache_read, tally.cache_write), credits=cost["total"],
        )
        await session.commit()
