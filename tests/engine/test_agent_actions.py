"""The built-in actions that need the user, called by the (fake) model as tools: questions, a plan, environment
variables; answered through v1 tasks/resolve and v2 resolve; the tool loop's budget."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx

from tests import conformance
from tests.conftest import API_KEY
from tests.fakes import FakeOpenAIServer, FakeReply, FakeToolCall, tool_results
from vzero.app import create_app
from vzero.config import Settings

QUESTION = FakeToolCall(
    "ask_user_questions",
    {"questions": [{
        "question": "Which colour should the button be?", "header": "Colour",
        "options": [{"label": "Blue"}, {"label": "Red", "description": "Bold"}],
    }]},
    id="call_colour",
)


def page(colour: str) -> str:
    return f'''<CodeProject id="app">

```tsx file="app/page.tsx"
export default function Page() {{
  return <button className="bg-{colour}">Go</button>
}}
```

</CodeProject>

Done.'''


def from_result(call_id: str, pick: Callable[[str], str] = lambda text: text) -> Callable[[Any], str]:
    """A reply whose page is built from the result the model was sent for `call_id`."""
    return lambda body: page(pick(tool_results(body)[call_id]))


def chosen_colour(result: str) -> str:
    match = re.search(r": (Blue|Red)", result)
    assert match, result
    return match.group(1).lower()


@asynccontextmanager
async def app_client(base: Settings, **overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(base.model_copy(update=overrides))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver", headers={"Authorization": f"Bearer {API_KEY}"}) as c:
            yield c


async def messages_v2(client: httpx.AsyncClient, chat_id: str) -> list[dict[str, Any]]:
    listed = conformance.v2("messages.list", await client.get(f"/v2/chats/{chat_id}/messages", params={"limit": 50}))
    return list(reversed(listed["messages"]))


async def test_questions_answered_through_v2_reach_the_model(client: httpx.AsyncClient, fake_model: FakeOpenAIServer) -> None:
    fake_model.enqueue(FakeReply(text="I need one choice first.", tool_calls=(QUESTION,)))
    created = conformance.v2("chats.create", await client.post("/v2/chats", json={"message": "Build a button"}))
    chat_id = created["chat"]["id"]
    sent = fake_model.requests[-1].body
    assert {t["function"]["name"] for t in sent["tools"]} >= {"ask_user_questions", "exit_plan_mode", "get_or_request_integration"}
    asked = (await messages_v2(client, chat_id))[-1]
    assert asked["finishReason"] == "tool-calls" and asked["parts"][0]["text"] == "I need one choice first."
    action = asked["parts"][-1]
    assert action["type"] == "agent-action" and action["name"] == "ask_user_questions" and "finishedAt" not in action
    question = action["data"]["questions"][0]
    assert question["id"] == "q1" and question["header"] == "Colour" and question["multiSelect"] is False
    assert [o["label"] for o in question["options"]] == ["Blue", "Red"] and question["options"][1]["description"] == "Bold"

    fake_model.enqueue(FakeReply(text_from=from_result("call_colour", chosen_colour)))
    answer = {"questionId": "q1", "questionText": question["question"], "selectedLabels": ["Blue"]}
    task = {"type": "answered-questions", "answers": [answer]}
    resolved = conformance.v2("messages.resolve", await client.post(f"/v2/chats/{chat_id}/messages/resolve", json={"task": task}))
    assert resolved["finishReason"] == "stop"
    body = fake_model.requests[-1].body
    assert "Blue" in tool_results(body)["call_colour"]
    # The model saw its own call and then the answer as the call's result, not as a new user message.
    assert [m["role"] for m in body["messages"][-3:]] == ["user", "assistant", "tool"]
    files = conformance.v2("chats.getFiles", await client.get(f"/v2/chats/{chat_id}/files"))
    assert "bg-blue" in files["files"][0]["content"]
    v1_messages = (await client.get(f"/v1/chats/{chat_id}/messages", params={"limit": 10})).json()["data"]
    assert v1_messages[1]["type"] == "answered-questions" and "Blue" in v1_messages[1]["content"]

    # The next message's history pairs the old call with its result again (the fake refuses unpaired calls).
    fake_model.enqueue(FakeReply(text=page("green")))
    again = conformance.v2("messages.send", await client.post(f"/v2/chats/{chat_id}/messages", json={"message": "now green"}))
    assert again["finishReason"] == "stop"
    assert "Blue" in tool_results(fake_model.requests[-1].body)["call_colour"]


async def test_questions_answered_through_v1_sync_and_content(client: httpx.AsyncClient, fake_model: FakeOpenAIServer) -> None:
    fake_model.enqueue(FakeReply(text="One question.", tool_calls=(QUESTION,)))
    chat = conformance.v1("chats.create", await client.post("/v1/chats", json={"message": "Build a button"}))
    asked = chat["messages"][-1]
    assert asked["finishReason"] == "tool-calls"
    nodes = asked["experimental_content"][0][1]
    action = next(n for n in nodes if n[0] == "AssistantMessageContentPart")[1]["part"]
    assert action["type"] == "agent-action" and action["name"] == "ask_user_questions" and action["data"]["questions"][0]["id"] == "q1"

    wrong = await client.post(f"/v1/chats/{chat['id']}/tasks/resolve", json={"task": {"type": "plan-exit-response", "status": "approved", "content": "go"}})
    conformance.v1_error(wrong, 409, "conflict_error")
    fake_model.enqueue(FakeReply(text_from=from_result("call_colour", chosen_colour)))
    red = {"questionId": "q1", "questionText": "Which colour?", "selectedLabels": ["Red"], "customText": "dark red"}
    task = {"type": "answered-questions", "answers": [red]}
    resolved = conformance.v1("chats.resolveTask", await client.post(f"/v1/chats/{chat['id']}/tasks/resolve", json={"task": task}))
    assert resolved["messages"][-2]["type"] == "answered-questions" and "dark red" in resolved["messages"][-2]["content"]
    assert resolved["messages"][-1]["finishReason"] == "stop"
    assert "bg-red" in resolved["latestVersion"]["files"][0]["content"]
    assert "dark red" in tool_results(fake_model.requests[-1].body)["call_colour"]


async def test_v2_resolve_stream_and_async(client: httpx.AsyncClient, fake_model: FakeOpenAIServer) -> None:
    fake_model.enqueue(FakeReply(text="", tool_calls=(QUESTION,)))
    chat_id = conformance.v2("chats.create", await client.post("/v2/chats", json={"message": "Build"}))["chat"]["id"]
    answer = {"questionId": "q1", "questionText": "Which colour?", "selectedLabels": ["Blue"]}
    task = {"type": "answered-questions", "answers": [answer]}
    fake_model.enqueue(FakeReply(text_from=from_result("call_colour", chosen_colour), tool_calls=(QUESTION,)))
    async with client.stream("POST", f"/v2/chats/{chat_id}/messages/resolve/stream", json={"task": task}) as response:
        assert response.status_code == 200
        events = [json.loads(line[6:]) async for line in response.aiter_lines() if line.startswith("data: ")]
    validator = conformance._validator("v2", "messages.resolveStream", "200", "text/event-stream")
    assert not [e.message for event in events for e in validator.iter_errors(event)]
    assert events[0]["object"] == "message" and events[-1]["object"] == "message"
    assert events[-1]["finishReason"] == "tool-calls"  # it asked again
    fake_model.enqueue(FakeReply(text_from=from_result("call_colour", chosen_colour)))
    accepted = await client.post(f"/v2/chats/{chat_id}/messages/resolve/async", json={"task": task})
    assert accepted.status_code == 202
    message_id = conformance.v2("messages.resolveAsync", accepted, 202)["messageId"]
    for _ in range(400):
        polled = conformance.v2("messages.get", await client.get(f"/v2/chats/{chat_id}/messages/{message_id}"))
        if polled["finishReason"] is not None:
            break
        await asyncio.sleep(0.02)
    assert polled["finishReason"] == "stop"


async def test_a_new_message_instead_of_an_answer_still_pairs_the_call(client: httpx.AsyncClient, fake_model: FakeOpenAIServer) -> None:
    fake_model.enqueue(FakeReply(text="Which?", tool_calls=(QUESTION,)))
    chat_id = conformance.v2("chats.create", await client.post("/v2/chats", json={"message": "Build"}))["chat"]["id"]
    fake_model.enqueue(FakeReply(text=page("gray")))
    sent = conformance.v2("messages.send", await client.post(f"/v2/chats/{chat_id}/messages", json={"message": "Just make it gray"}))
    assert sent["finishReason"] == "stop"
    body = fake_model.requests[-1].body
    assert "did not answer" in tool_results(body)["call_colour"]
    assert body["messages"][-1] == {"role": "user", "content": "Just make it gray"}


async def test_plan_approved_then_built(client: httpx.AsyncClient, fake_model: FakeOpenAIServer) -> None:
    plan = FakeToolCall("exit_plan_mode", {"plan": "1. A page\n2. A button", "summary": "Page and button"}, id="call_plan")
    fake_model.enqueue(FakeReply(text="Here is my plan.", tool_calls=(plan,)))
    chat_id = conformance.v2("chats.create", await client.post("/v2/chats", json={"message": "Build an app"}))["chat"]["id"]
    action = (await messages_v2(client, chat_id))[-1]["parts"][-1]
    assert action["name"] == "exit_plan_mode" and action["data"] == {"plan": "1. A page\n2. A button", "summary": "Page and button", "path": "."}
    fake_model.enqueue(FakeReply(text_from=lambda body: page("approved" if "approved" in tool_results(body)["call_plan"] else "no")))
    task = {"type": "plan-exit-response", "status": "approved", "content": "Looks good"}
    resolved = conformance.v2("messages.resolve", await client.post(f"/v2/chats/{chat_id}/messages/resolve", json={"task": task}))
    assert resolved["finishReason"] == "stop"
    assert "Looks good" in tool_results(fake_model.requests[-1].body)["call_plan"]
    files = conformance.v2("chats.getFiles", await client.get(f"/v2/chats/{chat_id}/files"))
    assert "bg-approved" in files["files"][0]["content"]


async def test_environment_variables_asked_for_then_added_to_the_project(client: httpx.AsyncClient, fake_model: FakeOpenAIServer) -> None:
    project = conformance.v1("projects.create", await client.post("/v1/projects", json={"name": "shop"}))
    ask = FakeToolCall("get_or_request_integration", {"envVars": [{"name": "STRIPE_KEY", "description": "payments"}]}, id="call_env")
    fake_model.enqueue(FakeReply(text="I need a key.", tool_calls=(ask,)))
    chat = conformance.v1("chats.create", await client.post("/v1/chats", json={"message": "Add payments", "projectId": project["id"]}))
    waiting = chat["messages"][-1]
    assert waiting["finishReason"] == "tool-calls"
    v2_message = (await messages_v2(client, chat["id"]))[-1]
    action = v2_message["parts"][-1]
    assert action["name"] == "get_or_request_integration" and "STRIPE_KEY" in action["summary"]
    assert action["data"] == {"requestedIntegrations": [], "requestedMcpPresets": []}

    task = {"type": "confirmed-steps", "addedEnvVars": ["STRIPE_KEY"]}
    early = await client.post(f"/v1/chats/{chat['id']}/tasks/resolve", json={"task": task})
    assert "STRIPE_KEY" in conformance.v1_error(early, 422)["error"]["message"]
    await client.post(f"/v1/projects/{project['id']}/env-vars", json={"environmentVariables": [{"key": "STRIPE_KEY", "value": "sk_live_secret"}]})
    fake_model.enqueue(FakeReply(text=page("paid")))
    resolved = conformance.v1("chats.resolveTask", await client.post(f"/v1/chats/{chat['id']}/tasks/resolve", json={"task": task}))
    assert resolved["messages"][-2]["type"] == "added-environment-variables"
    result = tool_results(fake_model.requests[-1].body)["call_env"]
    assert "STRIPE_KEY" in result and "sk_live_secret" not in json.dumps(fake_model.requests[-1].body)

    # Asked again once the project has it: answered at once, in the same reply.
    fake_model.enqueue(FakeReply(text="", tool_calls=(FakeToolCall("get_or_request_integration", {"envVars": [{"name": "STRIPE_KEY"}]}, id="call_env2"),)))
    fake_model.enqueue(FakeReply(text_from=lambda body: page("ok" if "has STRIPE_KEY" in tool_results(body)["call_env2"] else "missing")))
    sent = conformance.v1("chats.sendMessage", await client.post(f"/v1/chats/{chat['id']}/messages", json={"message": "use it"}))
    assert sent["messages"][-1]["finishReason"] == "stop" and "bg-ok" in sent["latestVersion"]["files"][0]["content"]


async def test_unknown_tool_and_broken_arguments_reach_the_model_as_errors(client: httpx.AsyncClient, fake_model: FakeOpenAIServer) -> None:
    calls = (FakeToolCall("no_such_tool", {}, id="call_a"), FakeToolCall("ask_user_questions", raw_arguments="{oops", id="call_b"))
    fake_model.enqueue(FakeReply(text="", tool_calls=calls))
    fake_model.enqueue(FakeReply(text=page("fine")))
    chat_id = conformance.v2("chats.create", await client.post("/v2/chats", json={"message": "Build"}))["chat"]["id"]
    results = tool_results(fake_model.requests[-1].body)
    assert "no tool named 'no_such_tool'" in results["call_a"] and "not valid JSON" in results["call_b"]
    reply = (await messages_v2(client, chat_id))[-1]
    calls_shown = [p for p in reply["parts"] if p["type"] == "tool-call"]
    assert [c["status"] for c in calls_shown] == ["error", "error"] and reply["finishReason"] == "stop"


async def test_rounds_budget_ends_the_reply_with_length(settings: Settings, fake_model: FakeOpenAIServer) -> None:
    async with app_client(settings, agent_max_rounds=2) as client:
        again = FakeReply(text="Trying.", tool_calls=(FakeToolCall("no_such_tool", {}),))
        fake_model.enqueue(again, again, again)
        created = conformance.v2("chats.create", await client.post("/v2/chats", json={"message": "Loop"}))
        reply = (await messages_v2(client, created["chat"]["id"]))[-1]
        assert reply["finishReason"] == "length"
        assert "VZERO_AGENT_MAX_ROUNDS" in reply["content"]
        assert len(fake_model.requests) == 2
        # The calls that never ran say why, in the next reply's history.
        fake_model.enqueue(FakeReply(text=page("after")))
        await client.post(f"/v2/chats/{created['chat']['id']}/messages", json={"message": "go on"})
        results = tool_results(fake_model.requests[-1].body)
        assert any("VZERO_AGENT_MAX_ROUNDS" in text for text in results.values())


async def test_thinking_sends_reasoning_effort_streams_reasoning_and_follow_ups_keep_the_configuration(
    settings: Settings, fake_model: FakeOpenAIServer
) -> None:
    async with app_client(settings, model_map={"v0-max": "fake-max"}) as client:
        fake_model.enqueue(FakeReply(text=page("first"), reasoning="Compare two layouts first."))
        body = {"message": "Build", "modelConfiguration": {"modelId": "v0-max", "thinking": True}}
        chat = conformance.v1("chats.create", await client.post("/v1/chats", json=body))
        sent = fake_model.requests[-1].body
        assert sent["model"] == "fake-max" and sent["reasoning_effort"] == "medium"
        parts = (await messages_v2(client, chat["id"]))[-1]["parts"]
        assert parts[0]["type"] == "thinking" and parts[0]["text"] == "Compare two layouts first."
        # A follow-up without modelConfiguration keeps the chat's model and thinking.
        fake_model.enqueue(FakeReply(text=page("second")))
        await client.post(f"/v1/chats/{chat['id']}/messages", json={"message": "again"})
        assert fake_model.requests[-1].body["model"] == "fake-max" and fake_model.requests[-1].body["reasoning_effort"] == "medium"
        # One that sets thinking off changes the chat's configuration from then on.
        fake_model.enqueue(FakeReply(text=page("third")), FakeReply(text=page("fourth")))
        await client.post(f"/v1/chats/{chat['id']}/messages", json={"message": "quick", "modelConfiguration": {"thinking": False}})
        await client.post(f"/v1/chats/{chat['id']}/messages", json={"message": "and again"})
        assert "reasoning_effort" not in fake_model.requests[-1].body and fake_model.requests[-1].body["model"] == "fake-max"
        shown = conformance.v1("chats.getById", await client.get(f"/v1/chats/{chat['id']}"))
        assert shown["modelConfiguration"] == {"modelId": "v0-max", "thinking": False, "imageGenerations": False}


async def test_v1_stream_deltas_rebuild_the_stored_content_with_tool_calls(client: httpx.AsyncClient, fake_model: FakeOpenAIServer) -> None:
    from tests import deltas

    calls = (FakeToolCall("no_such_tool", {"x": 1}, id="call_x"), QUESTION)
    fake_model.enqueue(FakeReply(text="Checking.", tool_calls=calls[:1]), FakeReply(text="Now a question.", tool_calls=calls[1:]))
    async with client.stream("POST", "/v1/chats", json={"message": "Build", "responseMode": "experimental_stream"}) as response:
        lines = [line async for line in response.aiter_lines() if line.startswith("data: ")]
    assert lines[-1] == "data: [DONE]"
    chat_id = json.loads(lines[0][6:])["id"]
    content: list[Any] = []
    for line in lines[1:-1]:
        event = json.loads(line[6:])
        if "delta" in event:
            content = deltas.apply(content, event["delta"])
    stored = conformance.v1("chats.getById", await client.get(f"/v1/chats/{chat_id}"))["messages"][-1]
    assert content == stored["experimental_content"]
    shown = [n[1]["part"] for n in content[0][1] if n[0] == "AssistantMessageContentPart"]
    assert shown[0]["type"] == "tool-call" and shown[0]["status"] == "error" and "no tool named" in shown[0]["output"]
    assert shown[1]["type"] == "agent-action" and shown[1]["name"] == "ask_user_questions"
