"""MCP tools end to end: a real MCP server (the SDK's own, Streamable HTTP and SSE, with and without a bearer token)
and the fake model scripted to call its tools; permissions, a server that is down, a slow tool, the budget."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests import conformance, deltas
from tests.conftest import API_KEY
from tests.engine.test_agent_actions import app_client, messages_v2, page
from tests.fakes import FakeOpenAIServer, FakeReply, FakeToolCall, tool_results
from tests.fakes.mcp_server import McpTestServer, OAuthProvider
from tests.server import free_port
from vzero.config import Settings

TOKEN = "mcp-bearer-s3cret"


@pytest.fixture(scope="module")
def mcp_open() -> Iterator[McpTestServer]:
    with McpTestServer() as server:
        yield server


@pytest.fixture(scope="module")
def mcp_bearer() -> Iterator[McpTestServer]:
    with McpTestServer(token=TOKEN) as server:
        yield server


@pytest.fixture(scope="module")
def model_server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer() as server:
        yield server


@pytest.fixture
def fake_model(model_server: FakeOpenAIServer) -> FakeOpenAIServer:
    model_server.reset()
    return model_server


@pytest.fixture
def settings(tmp_path: Path, database_url: str | None, fake_model: FakeOpenAIServer) -> Settings:
    return Settings(
        data_dir=tmp_path / "data", database_url=database_url, api_key=API_KEY, public_url="http://testserver", provider="openai",
        openai_api_key="sk-test", openai_base_url=fake_model.base_url, model="fake-model", provider_retries=0, allow_private_urls=True,
        mcp_connect_timeout=5.0,
    )


async def add_server(client: httpx.AsyncClient, url: str, name: str = "shop", **fields: Any) -> dict[str, Any]:
    return conformance.v2("mcpServers.create", await client.post("/v2/mcp-servers", json={"name": name, "url": url, **fields}))


def price_page(body: Any, call_id: str) -> str:
    price = re.search(r"\d+\.\d+ EUR", tool_results(body)[call_id])
    return page(price.group(0).replace(" ", "-") if price else "no-price")


def stream_events(lines: list[str]) -> list[dict[str, Any]]:
    validator = conformance._validator("v2", "messages.sendStream", "200", "text/event-stream")
    events = []
    for line in lines:
        if line.startswith("data: "):
            event = json.loads(line[6:])
            problems = [e.message for e in validator.iter_errors(event)]
            assert not problems, (event, problems)
            events.append(event)
    return events


async def test_a_read_only_tool_streams_its_call_and_the_result_reaches_the_model(
    client: httpx.AsyncClient, fake_model: FakeOpenAIServer, mcp_open: McpTestServer
) -> None:
    await add_server(client, mcp_open.url)
    fake_model.enqueue(FakeReply(text=page("first")))
    chat_id = conformance.v2("chats.create", await client.post("/v2/chats", json={"message": "Start"}))["chat"]["id"]
    offered = {t["function"]["name"] for t in fake_model.requests[-1].body["tools"]}
    assert {"lookup_price", "create_issue", "slow_search", "ask_user_questions"} <= offered

    call = FakeToolCall("lookup_price", {"item": "apple"}, id="call_price")
    fake_model.enqueue(FakeReply(text="Let me look that up.", tool_calls=(call,)), FakeReply(text_from=lambda body: price_page(body, "call_price")))
    async with client.stream("POST", f"/v2/chats/{chat_id}/messages/stream", json={"message": "Show the apple price"}) as response:
        events = stream_events([line async for line in response.aiter_lines()])
    parts: list[Any] = []
    for event in events:
        if event["object"] == "message.parts.chunk":
            parts = deltas.apply(parts, event["delta"])
    shown = next(p for p in parts if p["type"] == "tool-call")
    assert shown["name"] == "lookup_price" and shown["input"] == {"item": "apple"} and shown["status"] == "ok"
    assert shown["output"] == "The price of apple is 1.25 EUR" and shown["startedAt"] and shown["finishedAt"]
    assert events[-1]["object"] == "message" and events[-1]["parts"] == parts and events[-1]["finishReason"] == "stop"
    assert mcp_open.calls[-1] == ("lookup_price", {"item": "apple"})
    assert tool_results(fake_model.requests[-1].body)["call_price"] == "The price of apple is 1.25 EUR"
    files = conformance.v2("chats.getFiles", await client.get(f"/v2/chats/{chat_id}/files"))
    assert "bg-1.25-EUR" in files["files"][0]["content"]
    # v1 shows the call too, as a content part with its input and output.
    v1 = conformance.v1("chats.getById", await client.get(f"/v1/chats/{chat_id}"))
    nodes = v1["messages"][-1]["experimental_content"][0][1]
    v1_call = next(n[1]["part"] for n in nodes if n[0] == "AssistantMessageContentPart" and n[1]["part"]["type"] == "tool-call")
    assert v1_call["output"] == "The price of apple is 1.25 EUR" and v1_call["input"] == {"item": "apple"}


async def test_bearer_auth_is_sent_and_a_wrong_token_is_a_clear_part(
    client: httpx.AsyncClient, fake_model: FakeOpenAIServer, mcp_bearer: McpTestServer
) -> None:
    good = await add_server(client, mcp_bearer.url, "secured", auth={"type": "bearer", "token": TOKEN})
    bad = await add_server(client, mcp_bearer.url, "wrong", auth={"type": "bearer", "token": "nope"})
    fake_model.enqueue(FakeReply(text="", tool_calls=(FakeToolCall("lookup_price", {"item": "pear"}, id="call_pear"),)))
    fake_model.enqueue(FakeReply(text_from=lambda body: price_page(body, "call_pear")))
    created = conformance.v2("chats.create", await client.post("/v2/chats", json={"message": "pear price", "mcpServerIds": [good["id"], bad["id"]]}))
    reply = (await messages_v2(client, created["chat"]["id"]))[-1]
    assert reply["finishReason"] == "stop"
    down = next(p for p in reply["parts"] if p["type"] == "agent-action")
    assert "'wrong'" in down["summary"] and "refused the credentials (401)" in down["summary"]
    assert "401" in reply["content"]  # the message says it too
    assert tool_results(fake_model.requests[-1].body)["call_pear"] == "The price of pear is 0.90 EUR"


async def test_a_tool_that_changes_things_waits_for_permission(client: httpx.AsyncClient, fake_model: FakeOpenAIServer, mcp_open: McpTestServer) -> None:
    await add_server(client, mcp_open.url)
    before = len(mcp_open.calls)
    issue = FakeToolCall("create_issue", {"title": "Checkout is slow"}, id="call_issue")
    fake_model.enqueue(FakeReply(text="I will file it.", tool_calls=(issue,)))
    chat_id = conformance.v2("chats.create", await client.post("/v2/chats", json={"message": "File an issue"}))["chat"]["id"]
    waiting = (await messages_v2(client, chat_id))[-1]
    assert waiting["finishReason"] == "tool-calls" and len(mcp_open.calls) == before  # not run
    part = waiting["parts"][-1]
    assert part["type"] == "tool-call" and part["name"] == "create_issue" and "output" not in part and "finishedAt" not in part
    (permission,) = part["suggestedPermissions"]
    assert permission["type"] == "ALLOW_DYNAMIC_TOOL_STRICT" and permission["input"] == {"title": "Checkout is slow"}

    other = {**permission, "input": {"title": "Something else"}}
    refused = await client.post(f"/v2/chats/{chat_id}/messages/resolve", json={"task": {"type": "confirmed-permissions", "permissions": [other]}})
    assert refused.status_code == 409 and "suggestedPermissions" in refused.json()["message"]

    fake_model.enqueue(FakeReply(text_from=lambda body: page("issue-17" if "#17" in tool_results(body)["call_issue"] else "none")))
    task = {"type": "confirmed-permissions", "permissions": [permission]}
    resolved = conformance.v2("messages.resolve", await client.post(f"/v2/chats/{chat_id}/messages/resolve", json={"task": task}))
    assert resolved["finishReason"] == "stop"
    assert mcp_open.calls[-1] == ("create_issue", {"title": "Checkout is slow"})
    ran = next(p for p in resolved["parts"] if p["type"] == "tool-call")
    assert ran["output"] == "Created issue #17: Checkout is slow" and "suggestedPermissions" not in ran

    # Allowed once, strictly: the same call again runs without asking; another input asks again.
    same = FakeToolCall("create_issue", {"title": "Checkout is slow"}, id="call_again")
    fake_model.enqueue(FakeReply(text="", tool_calls=(same,)), FakeReply(text=page("again")))
    again = conformance.v2("messages.send", await client.post(f"/v2/chats/{chat_id}/messages", json={"message": "again"}))
    assert again["finishReason"] == "stop"
    fake_model.enqueue(FakeReply(text="", tool_calls=(FakeToolCall("create_issue", {"title": "New"}, id="call_new"),)))
    asked = conformance.v2("messages.send", await client.post(f"/v2/chats/{chat_id}/messages", json={"message": "another"}))
    assert asked["finishReason"] == "tool-calls"


async def test_permission_through_v1_tasks_resolve(client: httpx.AsyncClient, fake_model: FakeOpenAIServer, mcp_open: McpTestServer) -> None:
    await add_server(client, mcp_open.url)
    fake_model.enqueue(FakeReply(text="", tool_calls=(FakeToolCall("create_issue", {"title": "v1"}, id="call_v1"),)))
    chat = conformance.v1("chats.create", await client.post("/v1/chats", json={"message": "File it"}))
    node = next(n for n in chat["messages"][-1]["experimental_content"][0][1] if n[0] == "AssistantMessageContentPart")
    permissions = node[1]["part"]["suggestedPermissions"]
    fake_model.enqueue(FakeReply(text=page("filed")))
    task = {"type": "confirmed-permissions", "permissions": permissions}
    resolved = conformance.v1("chats.resolveTask", await client.post(f"/v1/chats/{chat['id']}/tasks/resolve", json={"task": task}))
    assert resolved["messages"][-1]["finishReason"] == "stop"
    assert tool_results(fake_model.requests[-1].body)["call_v1"] == "Created issue #17: v1"


async def test_a_server_that_is_down_is_a_part_and_a_message_not_a_failure(client: httpx.AsyncClient, fake_model: FakeOpenAIServer) -> None:
    await add_server(client, f"http://127.0.0.1:{free_port()}/mcp", "offline")
    fake_model.enqueue(FakeReply(text=page("anyway")))
    created = conformance.v2("chats.create", await client.post("/v2/chats", json={"message": "Build"}))
    reply = (await messages_v2(client, created["chat"]["id"]))[-1]
    assert reply["finishReason"] == "stop"
    down = reply["parts"][0]
    assert down["type"] == "agent-action" and down["name"] == "connect_mcp_server"
    assert "'offline'" in down["summary"] and "connection failed" in down["summary"]
    assert "offline" in reply["content"]
    assert "offline" in fake_model.requests[-1].body["messages"][0]["content"]  # the model is told, to tell the user


async def test_a_slow_tool_times_out_and_the_reply_goes_on(settings: Settings, fake_model: FakeOpenAIServer, mcp_open: McpTestServer) -> None:
    async with app_client(settings, tool_timeout=1.0) as client:
        await add_server(client, mcp_open.url)
        fake_model.enqueue(FakeReply(text="", tool_calls=(FakeToolCall("slow_search", {"query": "shoes"}, id="call_slow"),)))
        fake_model.enqueue(FakeReply(text_from=lambda body: page("timeout" if "did not answer within 1 s" in tool_results(body)["call_slow"] else "x")))
        created = conformance.v2("chats.create", await client.post("/v2/chats", json={"message": "search"}))
        reply = (await messages_v2(client, created["chat"]["id"]))[-1]
        call = next(p for p in reply["parts"] if p["type"] == "tool-call")
        assert call["status"] == "error" and "VZERO_TOOL_TIMEOUT" in call["output"]
        assert reply["finishReason"] == "stop"


async def test_a_slow_tool_that_outlasts_the_budget_ends_the_reply(settings: Settings, fake_model: FakeOpenAIServer, mcp_open: McpTestServer) -> None:
    async with app_client(settings, agent_budget_seconds=1.5) as client:
        await add_server(client, mcp_open.url)
        fake_model.enqueue(FakeReply(text="Searching.", tool_calls=(FakeToolCall("slow_search", {"query": "hats"}),)))
        created = conformance.v2("chats.create", await client.post("/v2/chats", json={"message": "search"}))
        reply = (await messages_v2(client, created["chat"]["id"]))[-1]
        assert reply["finishReason"] == "length" and "VZERO_AGENT_BUDGET_SECONDS" in reply["content"]
        assert len(fake_model.requests) == 1  # no model call after the budget ran out
        # The stored reply pairs its call with a result, so the chat goes on.
        fake_model.enqueue(FakeReply(text=page("later")))
        sent = conformance.v2("messages.send", await client.post(f"/v2/chats/{created['chat']['id']}/messages", json={"message": "go on"}))
        assert sent["finishReason"] == "stop"


async def test_huge_output_is_cut_for_the_model(client: httpx.AsyncClient, fake_model: FakeOpenAIServer, mcp_open: McpTestServer) -> None:
    await add_server(client, mcp_open.url)
    fake_model.enqueue(FakeReply(text="", tool_calls=(FakeToolCall("big_report", {}, id="call_big"),)), FakeReply(text=page("read")))
    conformance.v2("chats.create", await client.post("/v2/chats", json={"message": "report"}))
    result = tool_results(fake_model.requests[-1].body)["call_big"]
    assert len(result) < 21_000 and "VZERO_TOOL_MAX_OUTPUT_CHARS" in result


async def test_mcp_server_ids_choose_exactly_those_servers(client: httpx.AsyncClient, fake_model: FakeOpenAIServer, mcp_open: McpTestServer) -> None:
    chosen = await add_server(client, mcp_open.url, "chosen", enabled=False)
    await add_server(client, f"http://127.0.0.1:{free_port()}/mcp", "enabled but not chosen")
    fake_model.enqueue(FakeReply(text=page("x")))
    created = conformance.v2("chats.create", await client.post("/v2/chats", json={"message": "go", "mcpServerIds": [chosen["id"]]}))
    reply = (await messages_v2(client, created["chat"]["id"]))[-1]
    assert not [p for p in reply["parts"] if p["type"] == "agent-action"]  # the other server was not tried
    assert "lookup_price" in {t["function"]["name"] for t in fake_model.requests[-1].body["tools"]}
    unknown = await client.post("/v2/chats", json={"message": "go", "mcpServerIds": ["nope"]})
    assert unknown.status_code == 422 and "nope" in unknown.json()["message"]
    v1_unknown = await client.post("/v1/chats", json={"message": "go", "mcpServerIds": ["nope"]})
    conformance.v1_error(v1_unknown, 422)


async def test_an_sse_server_works_too(client: httpx.AsyncClient, fake_model: FakeOpenAIServer) -> None:
    with McpTestServer(sse=True) as sse:
        await add_server(client, sse.url, "older")
        fake_model.enqueue(FakeReply(text="", tool_calls=(FakeToolCall("lookup_price", {"item": "apple"}, id="call_sse"),)))
        fake_model.enqueue(FakeReply(text_from=lambda body: price_page(body, "call_sse")))
        conformance.v2("chats.create", await client.post("/v2/chats", json={"message": "price"}))
        assert tool_results(fake_model.requests[-1].body)["call_sse"] == "The price of apple is 1.25 EUR"


async def authorize_like_a_browser(client: httpx.AsyncClient, server_id: str) -> str:
    """Start the authorization, follow the provider's redirect back to vzero's callback; where the browser ends."""
    started = conformance.v1("mcpServers.createOAuthAuthorizationUrl", await client.post(
        f"/v1/mcp-servers/{server_id}/oauth/authorize", json={"returnUrl": "https://app.example/settings?tab=mcp"}
    ))
    async with httpx.AsyncClient() as browser:
        consent = await browser.get(started["url"])  # the provider's page: this one agrees at once
    assert consent.status_code == 302
    back = httpx.URL(consent.headers["location"])
    assert back.path == "/v1/mcp-servers/oauth/callback" and back.params["state"] == started["state"]
    callback = await client.get(back.path, params=dict(back.params), headers={"Authorization": ""})  # a browser sends no key
    assert callback.status_code == 302
    return callback.headers["location"]


async def test_oauth_discovered_authorized_refreshed_and_used(settings: Settings, fake_model: FakeOpenAIServer) -> None:
    provider = OAuthProvider(expires_in=30)  # inside the refresh margin: every use refreshes first
    with McpTestServer(oauth=provider) as secured:
        async with app_client(settings) as client:
            # v2 lets a client say how connected it thinks the server is; the server says what it knows.
            created = await add_server(client, secured.url, "oauth", auth={"type": "oauth", "connected": True})
            assert created["auth"] == {"type": "oauth", "connected": False}
            fake_model.enqueue(FakeReply(text=page("before")))
            before = conformance.v2("chats.create", await client.post("/v2/chats", json={"message": "x"}))
            down = (await messages_v2(client, before["chat"]["id"]))[-1]["parts"][0]
            assert "authorize" in down["summary"] and f"/v1/mcp-servers/{created['id']}/oauth/authorize" in down["summary"]

            landed = await authorize_like_a_browser(client, created["id"])
            assert landed.startswith("https://app.example/settings?tab=mcp&")
            assert dict(httpx.URL(landed).params) == {"tab": "mcp", "mcpServerId": created["id"], "status": "connected"}
            assert provider.grants[0]["client_id"] == "registered-client" and provider.grants[0]["code_verifier"]
            shown = conformance.v2("mcpServers.get", await client.get(f"/v2/mcp-servers/{created['id']}"))
            assert shown["auth"]["connected"] is True and shown["auth"]["expiresAt"]
            assert shown["auth"]["config"]["clientId"] == "registered-client" and shown["auth"]["config"]["tokenUrl"].endswith("/token")
            first_token = next(iter(provider.valid))

            fake_model.enqueue(FakeReply(text="", tool_calls=(FakeToolCall("lookup_price", {"item": "apple"}, id="call_oauth"),)))
            fake_model.enqueue(FakeReply(text_from=lambda body: price_page(body, "call_oauth")))
            conformance.v2("chats.create", await client.post("/v2/chats", json={"message": "price"}))
            assert tool_results(fake_model.requests[-1].body)["call_oauth"] == "The price of apple is 1.25 EUR"
            assert provider.grants[-1]["grant_type"] == "refresh_token" and first_token not in provider.valid

            # A state that is not the pending one is refused, and no redirect happens.
            forged = await client.get("/v1/mcp-servers/oauth/callback", params={"state": f"{created['id']}.forged", "code": "x"})
            conformance.v1_error(forged, 422)


async def test_a_refused_authorization_comes_back_as_an_error(settings: Settings) -> None:
    provider = OAuthProvider()
    with McpTestServer(oauth=provider) as secured:
        async with app_client(settings) as client:
            created = await add_server(client, secured.url, "oauth", auth={"type": "oauth", "connected": False})
            started = (await client.post(f"/v1/mcp-servers/{created['id']}/oauth/authorize", json={"returnUrl": "https://app.example/back"})).json()
            denied = await client.get("/v1/mcp-servers/oauth/callback", params={"state": started["state"], "error": "access_denied"})
            assert denied.status_code == 302
            assert dict(httpx.URL(denied.headers["location"]).params) == {"mcpServerId": created["id"], "status": "error", "error": "access_denied"}
            again = await client.get("/v1/mcp-servers/oauth/callback", params={"state": started["state"], "code": "late"})
            conformance.v1_error(again, 422)  # the pending authorization is used up


async def test_at_most_ten_servers_per_user(client: httpx.AsyncClient) -> None:
    for n in range(10):
        await add_server(client, f"https://mcp{n}.example/mcp", f"s{n}")
    refused = await client.post("/v2/mcp-servers", json={"name": "eleventh", "url": "https://mcp11.example/mcp"})
    assert refused.status_code == 422 and "VZERO_MCP_MAX_SERVERS" in refused.json()["message"]
    conformance.v1_error(await client.post("/v1/mcp-servers", json={"name": "eleventh", "url": "https://mcp11.example/mcp"}), 422)


async def test_tool_use_through_the_anthropic_provider(settings: Settings, mcp_open: McpTestServer) -> None:
    from tests.fakes.anthropic_server import FakeAnthropicServer

    with FakeAnthropicServer() as claude:
        anthropic = {"provider": "anthropic", "anthropic_api_key": "sk-ant", "anthropic_base_url": claude.base_url, "model": "claude-sonnet-4-5"}
        async with app_client(settings, **anthropic) as client:
            await add_server(client, mcp_open.url)
            claude.enqueue(FakeReply(text="Looking it up.", tool_calls=(FakeToolCall("lookup_price", {"item": "pear"}, id="toolu_1"),)))
            claude.enqueue(FakeReply(text_from=lambda body: price_page(body, "toolu_1")))
            created = conformance.v2("chats.create", await client.post("/v2/chats", json={"message": "pear price"}))
            sent = claude.requests[-1].body
            assert tool_results(sent)["toolu_1"] == "The price of pear is 0.90 EUR"
            assert sent["messages"][-2]["content"][-1] == {"type": "tool_use", "id": "toolu_1", "name": "lookup_price", "input": {"item": "pear"}}
            files = conformance.v2("chats.getFiles", await client.get(f"/v2/chats/{created['chat']['id']}/files"))
            assert "bg-0.90-EUR" in files["files"][0]["content"]
            # A follow-up replays the call and its result as tool_use / tool_result blocks the API accepts.
            claude.enqueue(FakeReply(text=page("next")))
            again = conformance.v2("messages.send", await client.post(f"/v2/chats/{created['chat']['id']}/messages", json={"message": "next"}))
            assert again["finishReason"] == "stop"


async def test_a_name_that_resolves_to_a_private_address_is_refused_when_connecting() -> None:
    """The URL was vetted when it was stored; the address is checked again at every connection (DNS can change)."""
    from contextlib import AsyncExitStack

    from vzero.sources.fetch import SafeFetcher
    from vzero.tools.base import ToolSourceDown
    from vzero.tools.mcp import McpLimits, McpServerConfig, McpSource

    async def rebinding(host: str, port: int) -> list[str]:
        return ["10.0.0.7"]

    source = McpSource(McpServerConfig("s", "shop", "https://mcp.example/mcp"), SafeFetcher(Settings(), resolver=rebinding), McpLimits(2, 2))
    async with AsyncExitStack() as stack:
        with pytest.raises(ToolSourceDown, match="a private address"):
            await source.open(stack)
