"""The OpenAI-compatible provider, the provider registry and the retry guard, against a real fake server."""

from __future__ import annotations

import asyncio
import base64
import math
import socket
import time
from collections.abc import AsyncGenerator, Iterator
from typing import Any

import openai
import pytest

from vzero.config import Settings
from vzero.errors import ProviderError, ProviderNotConfigured
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
    get_provider,
    register,
    registered,
    resolve_model,
)
from vzero.providers.anthropic import AnthropicProvider
from vzero.providers.base import events_of
from vzero.providers.tokens import estimate_input_tokens
from vzero.providers.openai_compatible import OpenAICompatibleProvider
from tests.fakes import FakeReply
from tests.providers.calls import called
from vzero.engine.calls import CallPolicy, ModelCall, guard_run
from tests.fakes.openai_server import FakeOpenAIServer

KEY = "sk-test-secret-key-123"


@pytest.fixture(scope="module")
def server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer() as fake:
        yield fake


@pytest.fixture(autouse=True)
def _clean(server: FakeOpenAIServer) -> Iterator[None]:
    server.reset()
    server.api_key = None
    server.reject_fields = ()
    yield


def make_provider(server: FakeOpenAIServer, **options: Any) -> ModelCall:
    """A provider on the fake server with test-sized timeouts and backoff."""
    settings: dict[str, Any] = {"api_key": KEY, "base_url": server.base_url, "retry_backoff": 0.01}
    settings.update(first_token_timeout=5.0, timeout=10.0)
    settings.update(options)
    return called(OpenAICompatibleProvider, settings)


def make_request(text: str = "Build a todo app", **fields: Any) -> GenerationRequest:
    values: dict[str, Any] = {"model": "gpt-4o", "system": "You are v0.", "turns": (ChatTurn("user", text),)}
    values["max_output_tokens"] = 1000
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


async def test_stream_text_with_server_usage_and_cached_tokens(server: FakeOpenAIServer) -> None:
    server.enqueue(FakeReply(text="Hello, world! This is streamed.", chunk_size=4, usage=(120, 9), cache_read=100))
    events = await collect(make_provider(server), make_request())
    assert text_of(events) == "Hello, world! This is streamed."
    assert len([e for e in events if isinstance(e, TextChunk)]) == 8
    usage, finish = assert_one_usage_then_finish(events)
    assert usage == Usage(input_tokens=20, output_tokens=9, cache_read_tokens=100, estimated=False)
    assert finish == Finish("stop")
    body = server.requests[0].body
    assert body["model"] == "gpt-4o" and body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}
    assert body["messages"] == [
        {"role": "system", "content": "You are v0."},
        {"role": "user", "content": "Build a todo app"},
    ]
    assert body["max_tokens"] == 1000 and "temperature" not in body
    assert server.requests[0].headers["authorization"] == f"Bearer {KEY}"


async def test_stream_without_usage_is_estimated(server: FakeOpenAIServer) -> None:
    text = "x" * 41
    server.enqueue(FakeReply(text=text, include_usage=False))
    request = make_request()
    usage, _ = assert_one_usage_then_finish(events := await collect(make_provider(server), request))
    assert text_of(events) == text
    assert usage.estimated is True
    assert usage.output_tokens == math.ceil(41 / 4) == 11
    prompt_chars = len("You are v0.") + len("Build a todo app")
    assert usage.input_tokens == estimate_input_tokens(request) == math.ceil(prompt_chars / 4)


async def test_zero_output_tokens_reported_for_real_text_is_estimated(server: FakeOpenAIServer) -> None:
    server.enqueue(FakeReply(text="abcdefgh", usage=(50, 0)))
    usage, _ = assert_one_usage_then_finish(await collect(make_provider(server), make_request()))
    assert usage == Usage(input_tokens=50, output_tokens=2, estimated=True)


async def test_default_reply_is_a_v0_code_project(server: FakeOpenAIServer) -> None:
    events = await collect(make_provider(server), make_request("A pricing page for Acme"))
    text = text_of(events)
    assert '<CodeProject id="app">' in text and '```tsx file="app/page.tsx"' in text
    assert "A pricing page for Acme" in text
    assert_one_usage_then_finish(events)


async def test_temperature_and_conversation_are_sent(server: FakeOpenAIServer) -> None:
    turns = (ChatTurn("user", "first"), ChatTurn("assistant", "answer"), ChatTurn("user", "second"))
    await collect(make_provider(server), make_request(turns=turns, temperature=0.2, system=""))
    body = server.requests[0].body
    assert body["temperature"] == 0.2
    assert [m["role"] for m in body["messages"]] == ["user", "assistant", "user"]


async def test_images_are_sent_as_data_uris(server: FakeOpenAIServer) -> None:
    png = b"\x89PNG\r\n\x1a\n fake image bytes"
    turns = (ChatTurn("user", "Make it look like this", images=(ImageInput("image/png", png),)),)
    await collect(make_provider(server), make_request(turns=turns))
    content = server.requests[0].body["messages"][1]["content"]
    assert content[0] == {"type": "text", "text": "Make it look like this"}
    assert content[1]["type"] == "image_url"
    url = content[1]["image_url"]["url"]
    assert url.startswith("data:image/png;base64,")
    assert base64.b64decode(url.split(",", 1)[1]) == png


async def test_reasoning_content_becomes_thinking_chunks(server: FakeOpenAIServer) -> None:
    server.enqueue(FakeReply(text="Done.", reasoning="First, plan the layout.", chunk_size=6))
    events = await collect(make_provider(server), make_request(thinking=True))
    thinking = [e for e in events if isinstance(e, ThinkingChunk)]
    assert "".join(e.text for e in thinking) == "First, plan the layout."
    assert events.index(thinking[-1]) < events.index(next(e for e in events if isinstance(e, TextChunk)))
    assert text_of(events) == "Done."


@pytest.mark.parametrize(
    ("wire", "expected"),
    [("length", "length"), ("content_filter", "content-filter"), ("tool_calls", "tool-calls"), ("something_new", "other")],
)
async def test_finish_reasons_are_mapped(server: FakeOpenAIServer, wire: str, expected: str) -> None:
    server.enqueue(FakeReply(text="partial", finish_reason=wire))
    _, finish = assert_one_usage_then_finish(await collect(make_provider(server), make_request()))
    assert finish == Finish(expected)  # type: ignore[arg-type]


async def test_stream_options_refused_retries_once_without_and_remembers(server: FakeOpenAIServer) -> None:
    server.reject_fields = ("stream_options",)
    provider = make_provider(server)
    try:
        first = [e async for e in provider.stream(make_request())]
        second = [e async for e in provider.stream(make_request())]
    finally:
        await provider.aclose()
    assert "stream_options" in server.requests[0].body
    assert [("stream_options" in r.body) for r in server.requests] == [True, False, False]
    for events in (first, second):
        usage, _ = assert_one_usage_then_finish(events)
        assert usage.estimated and usage.output_tokens > 0


async def test_max_tokens_refused_switches_to_max_completion_tokens(server: FakeOpenAIServer) -> None:
    server.reject_fields = ("max_tokens",)
    events = await collect(make_provider(server), make_request())
    assert_one_usage_then_finish(events)
    assert [r.body.get("max_completion_tokens") for r in server.requests] == [None, 1000]


async def test_other_bad_request_is_not_retried(server: FakeOpenAIServer) -> None:
    too_long = {"error": {"message": "This model's maximum context length is 8192 tokens"}}
    server.enqueue(FakeReply(status=400, error_body=too_long))
    with pytest.raises(ProviderError) as caught:
        await collect(make_provider(server), make_request())
    assert not caught.value.transient
    assert "maximum context length" in caught.value.message
    assert len(server.requests) == 1


# --- failures and retries --------------------------------------------------------------------


async def test_connection_cut_mid_reply_fails_without_retry(server: FakeOpenAIServer) -> None:
    server.enqueue(FakeReply(text="abcdefghijklmnop", chunk_size=2, cut_after_chunks=3), FakeReply(text="never sent"))
    received: list[StreamEvent] = []
    provider = make_provider(server)
    with pytest.raises(ProviderError) as caught:
        try:
            async for event in provider.stream(make_request()):
                received.append(event)
        finally:
            await provider.aclose()
    assert caught.value.transient is True
    assert "mid-stream" in caught.value.message
    assert text_of(received) == "abcdef"
    assert not any(isinstance(e, Usage | Finish) for e in received)
    assert len(server.requests) == 1


async def test_connection_lost_after_the_finish_reason_keeps_the_answer(server: FakeOpenAIServer) -> None:
    server.enqueue(FakeReply(text="complete answer", usage=(10, 3), cut_before_end=True), FakeReply(text="not asked"))
    events = await collect(make_provider(server), make_request())
    assert text_of(events) == "complete answer"
    usage, finish = assert_one_usage_then_finish(events)
    assert finish == Finish("stop") and usage.estimated  # the usage chunk after the finish reason was lost
    assert len(server.requests) == 1


async def test_connection_cut_before_first_token_is_retried(server: FakeOpenAIServer) -> None:
    server.enqueue(FakeReply(text="lost", cut_after_chunks=0), FakeReply(text="second try"))
    events = await collect(make_provider(server), make_request())
    assert text_of(events) == "second try"
    assert len(server.requests) == 2


async def test_server_error_then_success_is_retried(server: FakeOpenAIServer) -> None:
    server.enqueue(FakeReply(status=500), FakeReply(status=429), FakeReply(text="recovered"))
    events = await collect(make_provider(server), make_request())
    assert text_of(events) == "recovered"
    assert_one_usage_then_finish(events)
    assert len(server.requests) == 3


async def test_server_errors_beyond_retries_raise_transient(server: FakeOpenAIServer) -> None:
    server.enqueue(*[FakeReply(status=503)] * 3, FakeReply(text="too late"))
    with pytest.raises(ProviderError) as caught:
        await collect(make_provider(server, retries=2), make_request())
    assert caught.value.transient is True
    assert "503" in caught.value.message and server.base_url in caught.value.message
    assert "gave up after 3 attempts" in caught.value.message
    assert len(server.requests) == 3


async def test_error_inside_stream_before_text_is_retried(server: FakeOpenAIServer) -> None:
    server.enqueue(FakeReply(text="x", error_event="The server had an error", cut_after_chunks=0), FakeReply(text="ok"))
    events = await collect(make_provider(server), make_request())
    assert text_of(events) == "ok" and len(server.requests) == 2


async def test_error_inside_stream_after_text_fails(server: FakeOpenAIServer) -> None:
    server.enqueue(FakeReply(text="abcdef", chunk_size=2, error_event="The server had an error", cut_after_chunks=2))
    with pytest.raises(ProviderError) as caught:
        await collect(make_provider(server), make_request())
    assert caught.value.transient and "The server had an error" in caught.value.message
    assert len(server.requests) == 1


async def test_wrong_key_is_a_clear_non_transient_error(server: FakeOpenAIServer) -> None:
    server.api_key = "sk-the-right-one"
    with pytest.raises(ProviderError) as caught:
        await collect(make_provider(server), make_request())
    error = caught.value
    assert error.transient is False
    assert "401" in error.message and "OPENAI_API_KEY" in error.message
    assert server.base_url in error.message and "gpt-4o" in error.message
    assert KEY not in error.message and "***" in error.message
    assert len(server.requests) == 1


async def test_unknown_model_is_a_clear_non_transient_error(server: FakeOpenAIServer) -> None:
    body = {"error": {"message": "The model `nope` does not exist", "code": "model_not_found"}}
    server.enqueue(FakeReply(status=404, error_body=body))
    with pytest.raises(ProviderError) as caught:
        await collect(make_provider(server), make_request(model="nope"))
    assert not caught.value.transient
    assert "does not exist" in caught.value.message and "VZERO_MODEL" in caught.value.message
    assert len(server.requests) == 1


async def test_slow_first_token_times_out(server: FakeOpenAIServer) -> None:
    server.enqueue(FakeReply(text="late", first_token_delay=3.0))
    started = time.monotonic()
    with pytest.raises(ProviderError) as caught:
        await collect(make_provider(server, first_token_timeout=0.3, retries=0), make_request())
    assert time.monotonic() - started < 2.0
    assert caught.value.transient and "first token" in caught.value.message
    assert server.base_url in caught.value.message and "gpt-4o" in caught.value.message


async def test_slow_first_token_is_retried(server: FakeOpenAIServer) -> None:
    server.enqueue(FakeReply(text="late", first_token_delay=3.0), FakeReply(text="quick"))
    events = await collect(make_provider(server, first_token_timeout=0.3, retries=1), make_request())
    assert text_of(events) == "quick"


async def test_overall_timeout_after_text_fails_mid_reply(server: FakeOpenAIServer) -> None:
    server.enqueue(FakeReply(text="a" * 40, chunk_size=1, delay=0.05))
    with pytest.raises(ProviderError) as caught:
        await collect(make_provider(server, timeout=0.5), make_request())
    assert caught.value.transient and "mid-stream" in caught.value.message and "longer than" in caught.value.message


async def test_unreachable_server_is_transient_and_names_the_url() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again before the call: nothing listens there
    call = called(OpenAICompatibleProvider, {"base_url": f"http://127.0.0.1:{port}/v1", "retries": 1, "retry_backoff": 0.01})
    with pytest.raises(ProviderError) as caught:
        await collect(call, make_request())
    assert caught.value.transient and f"127.0.0.1:{port}" in caught.value.message
    assert "OPENAI_BASE_URL" in caught.value.message


async def test_many_concurrent_streams(server: FakeOpenAIServer) -> None:
    server.default_reply = FakeReply(text="y" * 100, chunk_size=5, delay=0.005)
    provider = make_provider(server)
    try:
        results = await asyncio.gather(*[_text(provider) for _ in range(50)])
    finally:
        await provider.aclose()
        server.default_reply = FakeReply()
    assert results == ["y" * 100] * 50


async def test_closing_the_stream_early_releases_the_server_stream(server: FakeOpenAIServer) -> None:
    server.enqueue(FakeReply(text="q" * 200, chunk_size=2, delay=0.02))
    provider = make_provider(server)
    try:
        stream = provider.stream(make_request())
        assert isinstance(await anext(stream), TextChunk)
        assert server.active_streams == 1
        await stream.aclose()  # type: ignore[attr-defined]  # what `async with aclosing(...)` or a cancel does
        assert await _released(server)
    finally:
        await provider.aclose()


async def _released(server: FakeOpenAIServer) -> bool:
    """Whether the server's streams all end within a second (the client closed them)."""
    for _ in range(100):
        if server.active_streams == 0:
            return True
        await asyncio.sleep(0.01)
    return server.active_streams == 0


async def _text(provider: Provider) -> str:
    return text_of([event async for event in provider.stream(make_request())])


async def test_fake_server_answers_without_streaming_too(server: FakeOpenAIServer) -> None:
    server.enqueue(FakeReply(text="whole answer", usage=(3, 2), reasoning="hmm"))
    async with openai.AsyncOpenAI(api_key="k", base_url=server.base_url, max_retries=0) as client:
        completion = await client.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}])
    assert completion.choices[0].message.content == "whole answer"
    assert completion.usage is not None and completion.usage.completion_tokens == 2


# --- registry --------------------------------------------------------------------------------


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    for name in ("VZERO_PROVIDER", "VZERO_MODEL", "VZERO_MODEL_MAP", "VZERO_OPENAI_API_KEY", "VZERO_OPENAI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)


def test_no_provider_says_what_to_set(clean_env: None) -> None:
    with pytest.raises(ProviderNotConfigured) as caught:
        get_provider(Settings())
    assert "VZERO_PROVIDER=openai" in caught.value.message and "OPENAI_API_KEY" in caught.value.message
    assert "OPENAI_BASE_URL" in caught.value.message


def test_openai_without_key_or_base_url_is_not_configured(clean_env: None) -> None:
    with pytest.raises(ProviderNotConfigured, match="OPENAI_API_KEY"):
        get_provider(Settings(provider="openai"))


def test_bad_base_url_is_not_configured(clean_env: None) -> None:
    with pytest.raises(ProviderNotConfigured, match="http"):
        get_provider(Settings(provider="openai", openai_base_url="localhost:11434"))


async def test_local_server_needs_no_key(clean_env: None, server: FakeOpenAIServer) -> None:
    settings = Settings(provider="openai", openai_base_url=server.base_url + "/", provider_retries=0)
    provider = get_provider(settings)
    assert isinstance(provider, OpenAICompatibleProvider)
    assert CallPolicy.from_settings(settings).retries == 0
    events = await collect(ModelCall(provider, CallPolicy.from_settings(settings)), make_request())
    assert text_of(events)


async def test_anthropic_is_selected_by_settings(clean_env: None) -> None:
    provider = get_provider(Settings(provider="anthropic", anthropic_api_key="k"))
    assert isinstance(provider, AnthropicProvider)
    await provider.aclose()
    with pytest.raises(ProviderNotConfigured, match="ANTHROPIC_API_KEY"):
        get_provider(Settings(provider="anthropic"))


def test_resolve_model_prefers_map_then_setting_then_default(clean_env: None) -> None:
    mapped = Settings(provider="openai", model="llama3.1", model_map={"v0-mini": "qwen2.5-coder"})
    assert resolve_model(mapped, "v0-mini") == "qwen2.5-coder"
    assert resolve_model(mapped, "v0-pro") == "llama3.1"
    assert resolve_model(mapped, None) == "llama3.1"
    assert resolve_model(Settings(provider="openai", openai_base_url="http://localhost:11434/v1"), "v0-pro") == "gpt-4o"
    assert resolve_model(Settings(provider="anthropic"), None) == "claude-sonnet-4-6"
    with pytest.raises(ProviderNotConfigured):
        resolve_model(Settings(), "v0-pro")


async def test_an_outside_provider_registers_through_the_same_door(clean_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    class EchoProvider(Provider):
        name = "openai"  # takes over a name Settings accepts, as a plugin replacing a built-in would
        label = "Echo"
        default_model = "echo-1"

        @classmethod
        def from_settings(cls, settings: Settings) -> EchoProvider:
            return cls(cls.Options())

        async def stream(self, request: GenerationRequest) -> Any:  # only its call: the engine adds the policy
            yield TextChunk(request.turns[-1].text)
            yield Finish("stop")

    original = registered()["openai"]
    register(EchoProvider)
    try:
        provider = get_provider(Settings(provider="openai"))
        assert resolve_model(Settings(provider="openai"), None) == "echo-1"
        events = await collect(ModelCall(provider, CallPolicy()), make_request("echo me"))
        assert text_of(events) == "echo me"
        usage, _ = assert_one_usage_then_finish(events)
        assert usage.estimated
    finally:
        register(original)
    assert registered()["openai"] is OpenAICompatibleProvider


# --- the engine's guard, with scripted attempts -----------------------------------------------------------


async def test_guard_refuses_a_stream_that_ends_without_finishing() -> None:
    async def attempt() -> AsyncGenerator[StreamEvent, None]:
        yield TextChunk("half an answer")

    with pytest.raises(ProviderError, match="mid-stream.*before the model finished") as caught:
        [event async for event in scripted(attempt, _untranslated)]
    assert caught.value.transient


async def test_guard_maps_unexpected_exceptions_without_retrying_them() -> None:
    calls = 0

    async def attempt() -> AsyncGenerator[StreamEvent, None]:
        nonlocal calls
        calls += 1
        raise ValueError("garbled JSON")
        yield TextChunk("unreachable")

    def translate(exc: Exception) -> ProviderError:
        return ProviderError(f"Scripted sent a reply that could not be read: {exc}")

    with pytest.raises(ProviderError, match="could not be read: garbled JSON") as caught:
        [event async for event in scripted(attempt, translate)]
    assert not caught.value.transient and isinstance(caught.value.__cause__, ValueError)
    assert calls == 1


def scripted(attempt: Any, translate: Any) -> Any:
    """The engine's guard around an attempt written as an async generator, read as an async iterator."""

    async def pushed(emit: Any) -> None:
        async for event in attempt():
            emit(event)

    policy = CallPolicy(retries=3, retry_backoff=0)
    return events_of(lambda emit: guard_run(make_request(), pushed, translate, policy, "Scripted", emit))


def _untranslated(exc: Exception) -> ProviderError:
    raise AssertionError(f"nothing should need translating: {exc!r}")


async def test_what_the_consumer_raises_ends_the_call_unchanged_and_unretried(server: FakeOpenAIServer) -> None:
    # run() hands each chunk to its consumer from the network callback itself: a consumer that fails (a bug in the
    # code that handles chunks) stops the call at once, and its error comes out as it was, not as a provider error.
    class Broken(Exception):
        pass

    server.enqueue(FakeReply(text="z" * 400, chunk_size=2, delay=0.01), FakeReply(text="never asked"))
    received: list[str] = []

    def consume(event: StreamEvent) -> None:
        if isinstance(event, TextChunk):
            received.append(event.text)
            if len(received) == 3:
                raise Broken("the third chunk")

    provider = make_provider(server, retries=3)
    try:
        with pytest.raises(Broken, match="the third chunk"):
            await provider.run(make_request(), consume)
        assert await _released(server)  # the server's stream is released, not read to its end
    finally:
        await provider.aclose()
    assert received == ["zz"] * 3 and len(server.requests) == 1


async def test_the_whole_call_has_a_deadline_after_the_first_token_too(server: FakeOpenAIServer) -> None:
    server.enqueue(FakeReply(text="t" * 100, chunk_size=1, delay=0.05))  # ~5 s in all, each chunk on time
    received: list[StreamEvent] = []
    provider = make_provider(server, timeout=0.5, first_token_timeout=0.4, retries=0)
    try:
        with pytest.raises(ProviderError, match="mid-stream.*longer than 0.5 s") as caught:
            await provider.run(make_request(), received.append)
    finally:
        await provider.aclose()
    assert caught.value.transient and 3 < len(received) < 100
