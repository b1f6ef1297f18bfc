"""The official npm client, v0-sdk 0.16.7, sending the agentic fields to a real `vzero serve`: MCP servers, skills,
images, thinking and a design system reach the engine unchanged, and the answers conform to the v1 spec."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.engine.test_design_system import CARD, OCEAN
from tests.engine.test_skills import BUTTONS
from tests.fakes import FakeOpenAIServer, FakeReply, FakeToolCall, tool_results
from tests.fakes.mcp_server import McpTestServer
from tests.sdk.conftest import Sdk
from tests.sdk.test_v0_sdk import conforms
from tests.server import VzeroServer
from tests.sources.test_fetch import LocalServer, send

PAGE = '''<CodeProject id="shop">

```tsx file="app/page.tsx"
export default function Page() {
  return <main className="grid">{PRICE}<img src="/images/hero.png" alt="" /></main>
}
```

</CodeProject>

Built the shop.'''


@pytest.fixture(scope="module")
def web() -> Iterator[LocalServer]:
    local = LocalServer()
    local.routes["/acme/ui-kit/HEAD/skills/buttons/SKILL.md"] = lambda h: send(h, BUTTONS)
    local.routes["/acme/ui-kit/HEAD/skills/forms/SKILL.md"] = lambda h: send(h, b"---\nname: forms\ndescription: Labels above inputs\n---\nLabels go above.")
    local.routes["/r/ocean.json"] = lambda h: send(h, json.dumps(OCEAN).encode())
    local.routes["/r/ocean-card.json"] = lambda h: send(h, json.dumps(CARD).encode())
    yield local
    local.close()


@pytest.fixture(scope="module")
def run(sdk: Sdk, web: LocalServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[dict[str, Any], FakeOpenAIServer, McpTestServer]]:
    with FakeOpenAIServer() as model, McpTestServer() as mcp:
        env = {
            "VZERO_PROVIDER": "openai", "OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": model.base_url, "VZERO_MODEL": "fake",
            "VZERO_PROVIDER_RETRIES": "0", "VZERO_ALLOW_PRIVATE_URLS": "true", "VZERO_SKILLS_BASE_URL": web.url(""),
            "VZERO_DESIGN_SYSTEM_URL": web.url("/r/{id}.json"), "VZERO_IMAGE_PROVIDER": "openai", "VZERO_IMAGE_MODEL": "fake-image",
        }
        question = {"questions": [{"question": "Which layout?", "options": [{"label": "Grid"}, {"label": "List"}]}]}
        model.enqueue(
            FakeReply(text="Gathering what I need.", tool_calls=(
                FakeToolCall("load_skill", {"name": "buttons"}, id="call_skill"),
                FakeToolCall("lookup_price", {"item": "apple"}, id="call_price"),
                FakeToolCall("generate_image", {"prompt": "apples on a table", "name": "hero"}, id="call_image"),
            )),
            FakeReply(text="", tool_calls=(FakeToolCall("ask_user_questions", question, id="call_layout"),)),
            FakeReply(text_from=lambda body: PAGE.replace("{PRICE}", tool_results(body)["call_layout"].split(": ")[-1])),
        )
        with VzeroServer(tmp_path_factory.mktemp("sdk-agentic") / "data", env=env) as server:
            yield sdk.run(server, "agentic", env={"SCENARIO_MCP_URL": mcp.url}), model, mcp


def test_the_new_fields_reach_the_engine(run: tuple[dict[str, Any], FakeOpenAIServer, McpTestServer]) -> None:
    results, model, mcp = run
    asked = conforms("chats.create", results["create"])
    assert asked["messages"][-1]["finishReason"] == "tool-calls"
    assert asked["modelConfiguration"] == {"modelId": "v0-pro", "imageGenerations": True, "thinking": True}
    first = model.requests[0].body
    tools = {t["function"]["name"] for t in first["tools"]}
    assert {"lookup_price", "load_skill", "generate_image", "ask_user_questions"} <= tools  # MCP, skills, images
    assert first["reasoning_effort"] == "medium"  # thinking
    system = first["messages"][0]["content"]
    assert "- buttons:" in system and "- forms: Labels above inputs" in system  # skills and attachedSkillIds merged
    assert "oklch(0.55 0.12 230)" in system  # the design system's theme
    calls = [r for r in model.requests if r.path == "/v1/chat/completions"]
    assert [r.body["prompt"] for r in model.requests if r.path == "/v1/images/generations"] == ["apples on a table"]
    results_seen = tool_results(calls[1].body)
    assert "bg-teal-600" in results_seen["call_skill"] and results_seen["call_price"] == "The price of apple is 1.25 EUR"
    assert "public/images/hero.png" in results_seen["call_image"]
    assert mcp.calls == [("lookup_price", {"item": "apple"})]


def test_resolve_task_continues_the_reply(run: tuple[dict[str, Any], FakeOpenAIServer, McpTestServer]) -> None:
    results, model, _ = run
    resolved = conforms("chats.resolveTask", results["resolved"])
    assert resolved["messages"][-2]["type"] == "answered-questions" and resolved["messages"][-1]["finishReason"] == "stop"
    files = {f["name"]: f["content"] for f in resolved["latestVersion"]["files"]}
    assert "Grid" in files["app/page.tsx"] and files["public/images/hero.png"].startswith("data:image/png;base64,")
    assert "components/ui/card.tsx" in files  # the design system's components
    assert "Grid" in tool_results(model.requests[-1].body)["call_layout"]


def test_errors_and_oauth_through_the_sdk(run: tuple[dict[str, Any], FakeOpenAIServer, McpTestServer]) -> None:
    results, _, _ = run
    unknown = results["unknownServer"]
    assert unknown["threw"] and unknown["status"] == 422 and "nope" in unknown["body"]["error"]["message"]
    authorization = conforms("mcpServers.createOAuthAuthorizationUrl", results["authorization"])
    assert authorization["url"].startswith("https://auth.example/authorize?") and "code_challenge=" in authorization["url"]
    conforms("mcpServers.create", results["server"])
