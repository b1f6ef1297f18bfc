"""The OpenAI-compatible Model API through the official `openai` Python SDK, against a real `vzero serve` and the fake
model server: models, completions streamed and not, tools both ways, usage, errors."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import openai
import pytest

from tests.fakes import FakeOpenAIServer, FakeReply, FakeToolCall, png, tool_results
from tests.server import VzeroServer

WEATHER = {
    "type": "function",
    "function": {
        "name": "weather", "description": "The weather in a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}


@pytest.fixture(scope="module")
def model() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer() as server:
        yield server


@pytest.fixture(scope="module")
def served(model: FakeOpenAIServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[VzeroServer]:
    env = {
        "VZERO_PROVIDER": "openai", "OPENAI_API_KEY": "sk-upstream", "OPENAI_BASE_URL": model.base_url, "VZERO_MODEL": "fake-default",
        "VZERO_PROVIDER_RETRIES": "0", "VZERO_MODEL_MAP": json.dumps({"v0-1.5-lg": "fake-large"}),
    }
    with VzeroServer(tmp_path_factory.mktemp("model-api") / "data", env=env) as server:
        yield server


@pytest.fixture
def sdk(served: VzeroServer, model: FakeOpenAIServer) -> Iterator[openai.OpenAI]:
    model.reset()
    with openai.OpenAI(api_key=served.api_key, base_url=served.base_url + "/v1", max_retries=0) as client:
        yield client


def test_models_lists_the_v0_ids(sdk: openai.OpenAI) -> None:
    ids = [m.id for m in sdk.models.list()]
    assert ids[:3] == ["v0-1.5-md", "v0-1.5-lg", "v0-1.0-md"] and "v0-pro" in ids


def test_a_completion_goes_to_the_mapped_model_with_usage(sdk: openai.OpenAI, model: FakeOpenAIServer) -> None:
    model.enqueue(FakeReply(text="Use a flex column.", usage=(40, 5)))
    done = sdk.chat.completions.create(
        model="v0-1.5-lg", messages=[{"role": "system", "content": "You are terse."}, {"role": "user", "content": "Center a div"}],
        max_tokens=300, temperature=0.2,
    )
    assert done.model == "v0-1.5-lg" and done.object == "chat.completion"
    assert done.choices[0].message.content == "Use a flex column." and done.choices[0].finish_reason == "stop"
    assert done.usage is not None and (done.usage.prompt_tokens, done.usage.completion_tokens, done.usage.total_tokens) == (40, 5, 45)
    upstream = model.requests[-1].body
    assert upstream["model"] == "fake-large" and upstream["messages"][0] == {"role": "system", "content": "You are terse."}
    assert upstream["temperature"] == 0.2 and upstream.get("max_tokens", upstream.get("max_completion_tokens")) == 300


def test_a_streamed_completion_ends_in_done_with_usage(sdk: openai.OpenAI, model: FakeOpenAIServer, served: VzeroServer) -> None:
    model.enqueue(FakeReply(text="Hello there, friend.", chunk_size=3, usage=(10, 4)))
    hi = [{"role": "user", "content": "hi"}]
    chunks = list(sdk.chat.completions.create(model="v0-1.5-md", messages=hi, stream=True, stream_options={"include_usage": True}))  # type: ignore[arg-type]
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "Hello there, friend."
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert chunks[-1].choices == [] and chunks[-1].usage is not None and chunks[-1].usage.total_tokens == 14
    import httpx

    body = {"model": "v0-1.5-md", "stream": True, "messages": [{"role": "user", "content": "x"}]}
    raw = httpx.post(served.base_url + "/v1/chat/completions", headers=served.headers, json=body, timeout=30)
    assert raw.text.rstrip().endswith("data: [DONE]")


def test_tools_pass_through_both_ways(sdk: openai.OpenAI, model: FakeOpenAIServer) -> None:
    model.enqueue(FakeReply(text="", tool_calls=(FakeToolCall("weather", {"city": "Oslo"}, id="call_w"),)))
    done = sdk.chat.completions.create(model="v0-1.5-md", messages=[{"role": "user", "content": "Weather in Oslo?"}], tools=[WEATHER])  # type: ignore[list-item]
    assert done.choices[0].finish_reason == "tool_calls"
    (call,) = done.choices[0].message.tool_calls or []
    assert call.id == "call_w" and call.function.name == "weather" and json.loads(call.function.arguments) == {"city": "Oslo"}
    assert model.requests[-1].body["tools"][0]["function"]["name"] == "weather"

    model.enqueue(FakeReply(text_from=lambda body: "It is " + tool_results(body)["call_w"], chunk_size=4))
    history: list[Any] = [
        {"role": "user", "content": "Weather in Oslo?"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_w", "type": "function", "function": {"name": "weather", "arguments": '{"city": "Oslo"}'}},
        ]},
        {"role": "tool", "tool_call_id": "call_w", "content": "snow, -3 C"},
    ]
    streamed = list(sdk.chat.completions.create(model="v0-1.5-md", messages=history, tools=[WEATHER], stream=True))  # type: ignore[arg-type,list-item]
    assert "".join(c.choices[0].delta.content or "" for c in streamed if c.choices) == "It is snow, -3 C"

    model.enqueue(FakeReply(text="", tool_calls=(FakeToolCall("weather", {"city": "Rome"}, id="call_r"),)))
    rome = [{"role": "user", "content": "Rome?"}]
    streamed = list(sdk.chat.completions.create(model="v0-1.5-md", messages=rome, tools=[WEATHER], stream=True, tool_choice="required"))  # type: ignore[arg-type,list-item]
    deltas = [tc for c in streamed if c.choices for tc in c.choices[0].delta.tool_calls or []]
    assert deltas[0].id == "call_r" and deltas[0].function is not None and deltas[0].function.name == "weather"
    assert [c.choices[0].finish_reason for c in streamed if c.choices][-1] == "tool_calls"
    assert model.requests[-1].body["tool_choice"] == "required"


def test_images_in_messages(sdk: openai.OpenAI, model: FakeOpenAIServer) -> None:
    import base64

    model.enqueue(FakeReply(text="A teal square."))
    url = "data:image/png;base64," + base64.b64encode(png()).decode()
    parts = [{"type": "text", "text": "What is it?"}, {"type": "image_url", "image_url": {"url": url}}]
    sdk.chat.completions.create(model="v0-1.5-md", messages=[{"role": "user", "content": parts}])  # type: ignore[list-item,misc]
    sent = model.requests[-1].body["messages"][-1]["content"]
    assert sent[0] == {"type": "text", "text": "What is it?"} and sent[1]["image_url"]["url"] == url


def test_errors_are_clear(sdk: openai.OpenAI, model: FakeOpenAIServer, served: VzeroServer) -> None:
    with pytest.raises(openai.NotFoundError, match="GET /v1/models"):
        sdk.chat.completions.create(model="gpt-99", messages=[{"role": "user", "content": "x"}])
    with pytest.raises(openai.UnprocessableEntityError, match="logprobs"):
        sdk.chat.completions.create(model="v0-1.5-md", messages=[{"role": "user", "content": "x"}], logprobs=True)
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(api_key="wrong", base_url=served.base_url + "/v1", max_retries=0).models.list()
    model.enqueue(FakeReply(status=401))
    with pytest.raises(openai.APIStatusError) as failed:
        sdk.chat.completions.create(model="v0-1.5-md", messages=[{"role": "user", "content": "x"}])
    assert "sk-upstream" not in str(failed.value)  # the upstream key never shows


def test_calls_are_usage_events(sdk: openai.OpenAI, model: FakeOpenAIServer, served: VzeroServer) -> None:
    model.enqueue(FakeReply(text="counted", usage=(7, 3)))
    sdk.chat.completions.create(model="v0-1.5-md", messages=[{"role": "user", "content": "count me"}])
    import httpx

    events = httpx.get(served.base_url + "/v2/usage/events", headers=served.headers, timeout=30).json()["data"]
    assert any(e["type"] == "api_request" and e["tokens"]["input"] == 7 and e["tokens"]["output"] == 3 for e in events)
