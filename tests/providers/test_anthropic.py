"""The Anthropic provider against a real fake Messages server."""

from __future__ import annotations

import base64
import math
import time
from collections.abc import Iterator
from typing import Any

import anthropic
import pytest

from vzero.errors import ProviderError
from vzero.providers import (
    ChatTurn,
    Finish,
    GenerationRequest,
    ImageInput,
    Provider,
    StreamEvent,
    TextChunk,
    ThinkingChunk,
    Usage,
)
from vzero.providers.anthropic import AnthropicProvider
from tests.fakes import FakeReply
from tests.providers.calls import called
from vzero.engine.calls import ModelCall
from tests.fakes.anthropic_server import FakeAnthropicServer

KEY = "sk-ant-test-secret-456"


@pytest.fixture(scope="module")
def server() -> Iterator[FakeAnthropicServer]:
    with FakeAnthropicServer() as fake:
        yield fake


@pytest.fixture(autouse=True)
def _clean(server: FakeAnthropicServer) -> Iterator[None]:
    server.reset()
    server.api_key = None
    yield


def make_provider(server: FakeAnthropicServer, **options: Any) -> ModelCall:
    """A provider on the fake server with test-sized timeouts and backoff."""
    settings: dict[str, Any] = {"api_key": KEY, "base_url": server.base_url, "retry_backoff": 0.01}
    settings.update(first_token_timeout=5.0, timeout=10.0)
    settings.update(options)
    return called(AnthropicProvider, settings)


def make_request(text: str = "Build a todo app", **fields: Any) -> GenerationRequest:
    values: dict[str, Any] = {"model": "claude-sonnet-4-6", "system": "You are v0.", "turns": (ChatTurn("user", text),)}
    values["max_output_tokens"] = 8000
    values.update(fields)
    return GenerationRequest(**values)


async def collect(provider: Provider | ModelCall, request: GenerationRequest) -> list[StreamEvent]:
    try:
        return [event async for event in provider.stream(request)]
    finally:
        await provider.aclose()


def text_of(events: list[StreamEvent]) -> str:
    return "".join(e.text for e in events if isinstance(e, TextChunk))


def assert_one_usage_then_finish(events: list[StreamEvent]) -> tuple[Usage, Finish]:
    usages = [e for e in events if isinstance(e, Usage)]
    finishes = [e for e in events if isinstance(e, Finish)]
    assert len(usages) == 1 and len(finishes) == 1
    assert events[-2] is usages[0] and events[-1] is finishes[0]
    return usages[0], finishes[0]


# --- streaming -------------------------------------------------------------------------------


async def test_stream_text_with_usage_and_cache_tokens(server: FakeAnthropicServer) -> None:
    server.enqueue(FakeReply(text="Here is your app.", chunk_size=3, usage=(40, 12), cache_read=900, cache_write=300))
    events = await collect(make_provider(server), make_request())
    assert text_of(events) == "Here is your app."
    usage, finish = assert_one_usage_then_finish(events)
    assert usage == Usage(input_tokens=40, output_tokens=12, cache_read_tokens=900, cache_write_tokens=300)
    assert finish == Finish("stop")
    request = server.requests[0]
    body = request.body
    assert body["model"] == "claude-sonnet-4-6" and body["stream"] is True and body["max_tokens"] == 8000
    assert body["system"] == [{"type": "text", "text": "You are v0.", "cache_control": {"type": "ephemeral"}}]
    assert body["messages"] == [
        {"role": "user", "content": [{"type": "text", "text": "Build a todo app", "cache_control": {"type": "ephemeral"}}]}
    ]
    assert "thinking" not in body and "temperature" not in body
    assert KEY in (request.headers.get("x-api-key", "") + request.headers.get("authorization", ""))


async def test_stream_without_usage_is_estimated(server: FakeAnthropicServer) -> None:
    server.enqueue(FakeReply(text="z" * 30, include_usage=False))
    usage, _ = assert_one_usage_then_finish(await collect(make_provider(server), make_request()))
    assert usage.estimated and usage.output_tokens == math.ceil(30 / 4)
    assert usage.input_tokens > 0


async def test_thinking_is_streamed_with_adaptive_thinking_on_current_models(server: FakeAnthropicServer) -> None:
    server.enqueue(FakeReply(text="Answer.", reasoning="Let me plan the components first.", chunk_size=8))
    events = await collect(make_provider(server), make_request(thinking=True, temperature=0.3))
    thinking = [e for e in events if isinstance(e, ThinkingChunk)]
    assert "".join(e.text for e in thinking) == "Let me plan the components first."
    assert events.index(thinking[-1]) < events.index(next(e for e in events if isinstance(e, TextChunk)))
    assert text_of(events) == "Answer."
    body = server.requests[0].body
    assert body["thinking"] == {"type": "adaptive"}
    assert "temperature" not in body  # the API refuses a temperature with thinking


@pytest.mark.parametrize("model", ["claude-haiku-4-5", "claude-opus-4-5", "a-proxy-alias"])
async def test_older_models_get_a_thinking_budget(server: FakeAnthropicServer, model: str) -> None:
    events = await collect(make_provider(server), make_request(model=model, thinking=True, temperature=0.3))
    assert_one_usage_then_finish(events)
    body = server.requests[0].body
    assert body["thinking"] == {"type": "enabled", "budget_tokens": 4000}
    assert "temperature" not in body


async def test_thinking_is_skipped_when_max_tokens_leave_no_budget(server: FakeAnthropicServer) -> None:
    request = make_request(model="claude-haiku-4-5", thinking=True, max_output_tokens=1500, temperature=0.5)
    assert_one_usage_then_finish(await collect(make_provider(server), request))
    body = server.requests[0].body
    assert "thinking" not in body and body["temperature"] == 0.5


async def test_temperature_is_not_sent_to_current_models(server: FakeAnthropicServer) -> None:
    assert_one_usage_then_finish(await collect(make_provider(server), make_request(temperature=0.5)))
    assert "temperature" not in server.requests[0].body


async def test_conversation_images_and_empty_turns(server: FakeAnthropicServer) -> None:
    jpeg = b"\xff\xd8\xff\xe0 fake jpeg"
    turns = (
        ChatTurn("user", "Make a landing page"),
        ChatTurn("assistant", ""),  # e.g. a failed earlier answer: the API refuses empty text blocks
        ChatTurn("user", "Like this picture", images=(ImageInput("image/jpeg", jpeg),)),
    )
    events = await collect(make_provider(server), make_request(turns=turns))
    assert_one_usage_then_finish(events)
    messages = server.requests[0].body["messages"]
    assert [m["role"] for m in messages] == ["user", "user"]
    image, text = messages[1]["content"]
    assert image["type"] == "image" and image["source"]["type"] == "base64"
    assert image["source"]["media_type"] == "image/jpeg" and base64.b64decode(image["source"]["data"]) == jpeg
    assert text == {"type": "text", "text": "Like this picture", "cache_control": {"type": "ephemeral"}}
    assert "cache_control" not in messages[0]["content"][0]


async def test_unsupported_image_type_is_refused_before_calling(server: FakeAnthropicServer) -> None:
    turns = (ChatTurn("user", "see", images=(ImageInput("image/svg+xml", b"<svg/>"),)),)
    with pytest.raises(ProviderError, match="image/svg"):
        await collect(make_provider(server), make_request(turns=turns))
    assert server.requests == []


@pytest.mark.parametrize(
    ("wire", "expected"),
    [
        ("max_tokens", "length"),
        ("stop_sequence", "stop"),
        ("tool_use", "tool-calls"),
        ("refusal", "content-filter"),
        ("pause_turn", "other"),
    ],
)
async def test_stop_reasons_are_mapped(server: FakeAnthropicServer, wire: str, expected: str) -> None:
    server.enqueue(FakeReply(text="cut", finish_reason=wire))
    _, finish = assert_one_usage_then_finish(await collect(make_provider(server), make_request()))
    assert finish == Finish(expected)  # type: ignore[arg-type]


# --- failures and retries --------------------------------------------------------------------


async def test_connection_cut_mid_reply_fails_without_retry(server: FakeAnthropicServer) -> None:
    server.enqueue(FakeReply(text="0123456789", chunk_size=2, cut_after_chunks=2), FakeReply(text="never"))
    received: list[StreamEvent] = []
    provider = make_provider(server)
    with pytest.raises(ProviderError) as caught:
        try:
            async for event in provider.stream(make_request()):
                received.append(event)
        finally:
            await provider.aclose()
    assert caught.value.transient and "mid-stream" in caught.value.message
    assert text_of(received) == "0123"
    assert len(server.requests) == 1


async def test_connection_lost_before_message_stop_fails(server: FakeAnthropicServer) -> None:
    server.enqueue(FakeReply(text="almost", cut_before_end=True))
    with pytest.raises(ProviderError, match="mid-stream"):
        await collect(make_provider(server), make_request())


async def test_overloaded_then_success_is_retried(server: FakeAnthropicServer) -> None:
    server.enqueue(FakeReply(status=529), FakeReply(status=500), FakeReply(text="fine now"))
    events = await collect(make_provider(server), make_request())
    assert text_of(events) == "fine now" and len(server.requests) == 3


async def test_overloaded_event_before_text_is_retried(server: FakeAnthropicServer) -> None:
    server.enqueue(FakeReply(text="x", error_event="Overloaded", cut_after_chunks=0), FakeReply(text="second"))
    events = await collect(make_provider(server), make_request())
    assert text_of(events) == "second" and len(server.requests) == 2


async def test_overloaded_event_after_text_fails(server: FakeAnthropicServer) -> None:
    server.enqueue(FakeReply(text="abcdef", chunk_size=2, error_event="Overloaded", cut_after_chunks=1))
    with pytest.raises(ProviderError) as caught:
        await collect(make_provider(server), make_request())
    assert caught.value.transient and "Overloaded" in caught.value.message
    assert len(server.requests) == 1


async def test_wrong_key_is_a_clear_non_transient_error(server: FakeAnthropicServer) -> None:
    server.api_key = "sk-ant-the-right-one"
    with pytest.raises(ProviderError) as caught:
        await collect(make_provider(server), make_request())
    error = caught.value
    assert not error.transient
    assert "401" in error.message and "ANTHROPIC_API_KEY" in error.message
    assert server.base_url in error.message and "claude-sonnet-4-6" in error.message and KEY not in error.message
    assert len(server.requests) == 1


async def test_unknown_model_is_a_clear_non_transient_error(server: FakeAnthropicServer) -> None:
    body = {"type": "error", "error": {"type": "not_found_error", "message": "model: claude-nope"}}
    server.enqueue(FakeReply(status=404, error_body=body))
    with pytest.raises(ProviderError) as caught:
        await collect(make_provider(server), make_request(model="claude-nope"))
    assert not caught.value.transient and "model: claude-nope" in caught.value.message
    assert "VZERO_MODEL" in caught.value.message and len(server.requests) == 1


async def test_slow_first_token_times_out(server: FakeAnthropicServer) -> None:
    server.enqueue(FakeReply(text="late", first_token_delay=3.0))
    started = time.monotonic()
    with pytest.raises(ProviderError) as caught:
        await collect(make_provider(server, first_token_timeout=0.3, retries=0), make_request())
    assert time.monotonic() - started < 2.0
    assert caught.value.transient and "first token" in caught.value.message


async def test_fake_server_answers_without_streaming_too(server: FakeAnthropicServer) -> None:
    server.enqueue(FakeReply(text="complete", reasoning="thought", usage=(7, 3), cache_read=2))
    async with anthropic.AsyncAnthropic(api_key="k", base_url=server.base_url, max_retries=0) as client:
        message = await client.messages.create(model="m", max_tokens=10, messages=[{"role": "user", "content": "hi"}])
    assert [block.type for block in message.content] == ["thinking", "text"]
    assert message.usage.output_tokens == 3 and message.usage.cache_read_input_tokens == 2


async def test_fake_server_refuses_what_the_real_api_refuses(server: FakeAnthropicServer) -> None:
    async with anthropic.AsyncAnthropic(api_key="k", base_url=server.base_url, max_retries=0) as client:
        with pytest.raises(anthropic.BadRequestError, match="budget_tokens"):
            await client.messages.create(
                model="m",
                max_tokens=1000,
                messages=[{"role": "user", "content": "hi"}],
                thinking={"type": "enabled", "budget_tokens": 2000},
            )
