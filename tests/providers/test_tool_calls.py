"""Tool calling through both providers, against the fake servers: tools sent, calls streamed back, results passed on."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.fakes import FakeReply, FakeToolCall, tool_results
from tests.fakes.anthropic_server import FakeAnthropicServer
from tests.fakes.openai_server import FakeOpenAIServer
from tests.providers.calls import called
from vzero.engine.calls import ModelCall
from vzero.errors import ProviderError
from vzero.providers import ChatTurn, Finish, GenerationRequest, StreamEvent, TextChunk, ToolCall, ToolResult, ToolSpec
from vzero.providers.anthropic import AnthropicProvider
from vzero.providers.openai_compatible import OpenAICompatibleProvider

WEATHER = ToolSpec(
    "weather", "The weather in a city", {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
)


@pytest.fixture(scope="module")
def openai_server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer() as fake:
        yield fake


@pytest.fixture(scope="module")
def anthropic_server() -> Iterator[FakeAnthropicServer]:
    with FakeAnthropicServer() as fake:
        yield fake


@pytest.fixture(params=["openai", "anthropic"])
def served(request: pytest.FixtureRequest, openai_server: FakeOpenAIServer, anthropic_server: FakeAnthropicServer) -> Iterator[tuple[Any, ModelCall]]:
    settings: dict[str, Any] = {"api_key": "sk-test", "retry_backoff": 0.01, "first_token_timeout": 5.0, "timeout": 10.0}
    if request.param == "openai":
        server: Any = openai_server
        call = called(OpenAICompatibleProvider, {**settings, "base_url": openai_server.base_url})
    else:
        server = anthropic_server
        call = called(AnthropicProvider, {**settings, "base_url": anthropic_server.base_url})
    server.reset()
    server.reject_fields = ()
    yield server, call


def request(*turns: ChatTurn, tools: tuple[ToolSpec, ...] = (WEATHER,), model: str = "claude-sonnet-4-5", thinking: bool = False) -> GenerationRequest:
    turns = turns or (ChatTurn("user", "Weather in Paris?"),)
    return GenerationRequest(model=model, system="Be brief.", turns=turns, max_output_tokens=4000, tools=tools, thinking=thinking)


async def events_of(call: ModelCall, req: GenerationRequest) -> list[StreamEvent]:
    return [event async for event in call.stream(req)]


async def test_tools_are_sent_and_calls_stream_back_whole(served: tuple[Any, ModelCall]) -> None:
    server, call = served
    server.enqueue(FakeReply(text="Let me check.", chunk_size=3, tool_calls=(FakeToolCall("weather", {"city": "Paris"}, id="call_1"),)))
    events = await events_of(call, request())
    body = server.requests[0].body
    sent = body["tools"][0]
    assert sent.get("name", sent.get("function", {}).get("name")) == "weather"
    calls = [e for e in events if isinstance(e, ToolCall)]
    assert calls == [ToolCall("call_1", "weather", {"city": "Paris"})]
    assert "".join(e.text for e in events if isinstance(e, TextChunk)) == "Let me check."
    assert events[-1] == Finish("tool-calls")


async def test_two_calls_and_no_text(served: tuple[Any, ModelCall]) -> None:
    server, call = served
    server.enqueue(FakeReply(text="", tool_calls=(FakeToolCall("weather", {"city": "Paris"}), FakeToolCall("weather", {"city": "Oslo"}))))
    calls = [e for e in await events_of(call, request()) if isinstance(e, ToolCall)]
    assert [c.arguments["city"] for c in calls] == ["Paris", "Oslo"]
    assert len({c.id for c in calls}) == 2


async def test_results_go_back_paired_with_their_calls(served: tuple[Any, ModelCall]) -> None:
    server, call = served
    server.enqueue(FakeReply(text_from=lambda body: "It is " + tool_results(body)["call_9"]))
    turns = (
        ChatTurn("user", "Weather in Paris?"),
        ChatTurn("assistant", "Checking.", tool_calls=(ToolCall("call_9", "weather", {"city": "Paris"}),)),
        ChatTurn("user", "", tool_results=(ToolResult("call_9", "weather", "sunny, 21 C"),)),
    )
    events = await events_of(call, request(*turns))
    assert "".join(e.text for e in events if isinstance(e, TextChunk)) == "It is sunny, 21 C"


async def test_a_result_without_its_call_is_refused_by_the_fake_as_by_the_api(served: tuple[Any, ModelCall]) -> None:
    _, call = served
    turns = (ChatTurn("user", "Hi"), ChatTurn("assistant", "Checking.", tool_calls=(ToolCall("call_1", "weather", {}),)), ChatTurn("user", "next"))
    with pytest.raises(ProviderError, match="tool"):
        await events_of(call, request(*turns))


async def test_broken_arguments_are_a_problem_not_a_crash(served: tuple[Any, ModelCall]) -> None:
    server, call = served
    server.enqueue(FakeReply(text="", tool_calls=(FakeToolCall("weather", raw_arguments='{"city": "Par'),)))
    (made,) = [e for e in await events_of(call, request()) if isinstance(e, ToolCall)]
    assert made.arguments == {} and made.problem and "not valid JSON" in made.problem


async def test_openai_server_that_refuses_tools_answers_without_them(openai_server: FakeOpenAIServer) -> None:
    openai_server.reset()
    openai_server.reject_fields = ("tools",)
    try:
        call = called(OpenAICompatibleProvider, {"api_key": "k", "base_url": openai_server.base_url, "retry_backoff": 0.01})
        openai_server.enqueue(FakeReply(text="No tools here."))
        turns = (
            ChatTurn("user", "Weather?"),
            ChatTurn("assistant", "", tool_calls=(ToolCall("c1", "weather", {"city": "Rome"}),)),
            ChatTurn("user", "and now?", tool_results=(ToolResult("c1", "weather", "rain"),)),
        )
        events = await events_of(call, request(*turns, model="small-model"))
        assert "".join(e.text for e in events if isinstance(e, TextChunk)) == "No tools here."
        retried = openai_server.requests[-1].body
        assert "tools" not in retried
        # Earlier tool turns are written as text for a model without tools.
        assert "[the tool weather returned: rain]" in retried["messages"][-1]["content"]
        assert call.provider.tools_refused("small-model")  # type: ignore[attr-defined]
        openai_server.enqueue(FakeReply(text="again"))
        await events_of(call, request(model="small-model"))
        assert len(openai_server.requests) == 3  # remembered: no second refusal
    finally:
        openai_server.reject_fields = ()


async def test_thinking_sends_reasoning_effort_and_a_model_that_refuses_it_answers_anyway(openai_server: FakeOpenAIServer) -> None:
    openai_server.reset()
    call = called(OpenAICompatibleProvider, {"api_key": "k", "base_url": openai_server.base_url, "reasoning_effort": "high"})
    openai_server.enqueue(FakeReply(text="ok", reasoning="step by step"))
    await events_of(call, request(thinking=True, tools=(), model="o-model"))
    assert openai_server.requests[-1].body["reasoning_effort"] == "high"
    openai_server.reject_fields = ("reasoning_effort",)
    try:
        openai_server.enqueue(FakeReply(text="plain"))
        events = await events_of(call, request(thinking=True, tools=(), model="plain-model"))
        assert "".join(e.text for e in events if isinstance(e, TextChunk)) == "plain"
        assert "reasoning_effort" not in openai_server.requests[-1].body
    finally:
        openai_server.reject_fields = ()
