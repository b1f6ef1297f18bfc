"""v1 reports read the usage ledger the generation engine writes."""

from __future__ import annotations

import httpx

from tests import conformance
from tests.engine.test_generate_v1 import COUNTER
from tests.fakes import FakeOpenAIServer, FakeReply


async def test_usage_reports_follow_the_ledger(client: httpx.AsyncClient, fake_model: FakeOpenAIServer) -> None:
    for _ in range(3):
        fake_model.enqueue(FakeReply(text=COUNTER, usage=(1000, 200)))
        chat = conformance.v1("chats.create", await client.post("/v1/chats", json={"message": "counter"}))
    usage = conformance.v1("reports.getUsage", await client.get("/v1/reports/usage"))
    assert len(usage["data"]) == 3 and usage["pagination"]["hasMore"] is False
    event = usage["data"][0]
    assert event["chatId"] == chat["id"] and event["messageId"] == chat["messages"][-1]["id"]
    # default rates: 3 credits per million input tokens, 15 per million output tokens
    assert event["promptCost"] == "0.003000" and event["completionCost"] == "0.003000" and event["totalCost"] == "0.006000"
    seen, cursor = [], None
    while True:
        page = conformance.v1("reports.getUsage", await client.get("/v1/reports/usage", params={"limit": 2, **({"cursor": cursor} if cursor else {})}))
        seen += [e["id"] for e in page["data"]]
        if not page["pagination"]["hasMore"]:
            break
        cursor = page["pagination"]["nextCursor"]
    assert seen == [e["id"] for e in usage["data"]]
    one_chat = conformance.v1("reports.getUsage", await client.get("/v1/reports/usage", params={"chatId": chat["id"]}))
    assert [e["chatId"] for e in one_chat["data"]] == [chat["id"]]
    ai = conformance.v1("reports.getAIUsage", await client.get("/v1/reports/usage/ai"))
    assert {row["inputTokens"] for row in ai["data"]} == {1000} and {row["outputTokens"] for row in ai["data"]} == {200}
    activity = conformance.v1("reports.getUserActivity", await client.get("/v1/reports/user-activity"))
    assert activity["data"][0]["messageCount"] == 3 and activity["data"][0]["chatCount"] == 3
    conformance.v1_error(await client.get("/v1/reports/usage", params={"userId": "someone-else"}), 404)
    conformance.v1_error(await client.get("/v1/reports/usage", params={"startDate": "yesterday"}), 422)
    conformance.v1_error(await client.get("/v1/reports/usage", params={"cursor": "###"}), 422)
