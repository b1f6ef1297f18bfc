"""v2 usage from the ledger: summary, events (cursor) and activity, equal to what the provider reported."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import httpx

from tests import conformance
from tests.engine.conftest import fake_model, model_server, settings  # noqa: F401 - fixtures
from tests.fakes import FakeOpenAIServer, FakeReply


async def two_chats(client: httpx.AsyncClient, fake: FakeOpenAIServer) -> list[dict[str, Any]]:
    fake.enqueue(FakeReply(text="One.", usage=(100, 10)), FakeReply(text="Two.", usage=(200, 20), cache_read=50), FakeReply(text="Three.", usage=(300, 30)))
    first = (await client.post("/v2/chats", json={"message": "first"})).json()["chat"]
    await client.post(f"/v2/chats/{first['id']}/messages", json={"message": "again"})
    project = (await client.post("/v1/projects", json={"name": "Site"})).json()
    second = (await client.post("/v2/chats", json={"message": "second"})).json()["chat"]
    await client.post(f"/v1/projects/{project['id']}/assign", json={"chatId": second["id"]})
    return [first, second]


async def test_events_summary_and_activity(client: httpx.AsyncClient, fake_model: FakeOpenAIServer) -> None:
    first, second = await two_chats(client, fake_model)
    page = conformance.v2("usage.listEvents", await client.get("/v2/usage/events", params={"limit": 2}))
    assert page["scope"]["type"] == "personal" and page["pagination"]["hasMore"] is True
    rest = conformance.v2("usage.listEvents", await client.get("/v2/usage/events", params={"limit": 2, "cursor": page["pagination"]["cursor"]}))
    assert rest["pagination"] == {"hasMore": False, "cursor": None}
    events = page["data"] + rest["data"]
    assert [e["tokens"]["total"] for e in events] == [330, 220, 110]  # newest first; 50 of the 200 prompt tokens were cached
    assert events[1]["tokens"] == {"input": 150, "output": 20, "cacheRead": 50, "cacheWrite": 0, "total": 220}
    for event in events:
        cost = event["creditsCost"]
        assert cost["total"] > 0 and cost["charged"] == cost["total"]
        assert abs(sum(cost[k] for k in ("input", "output", "cacheRead", "cacheWrite")) - cost["total"]) < 1e-5
        message = (await client.get(f"/v2/chats/{event['chatId']}/messages/{event['messageId']}")).json()
        assert message["usage"]["tokens"] == event["tokens"] and message["usage"]["creditsCost"]["total"] == cost["total"]
    only = conformance.v2("usage.listEvents", await client.get("/v2/usage/events", params={"chatId": second["id"]}))
    assert [e["chatId"] for e in only["data"]] == [second["id"]]

    summary = conformance.v2("usage.getSummary", await client.get("/v2/usage/summary"))
    total = sum(e["creditsCost"]["total"] for e in events)
    assert abs(summary["credits"]["total"] - total) < 1e-5 and summary["credits"]["onDemand"] == 0
    today = datetime.now(timezone.utc).date().isoformat()
    assert abs(next(d for d in summary["daily"] if d["date"] == today)["credits"]["total"] - total) < 1e-5

    activity = conformance.v2("usage.getActivity", await client.get("/v2/usage/activity"))
    assert activity["summary"] == {"activeUsers": 1, "activeDays": 1, "chatCount": 2, "messageCount": 3}
    chats = {c["chatId"]: c for c in activity["chats"]}
    assert chats[first["id"]]["messageCount"] == 2 and chats[second["id"]]["projectName"] == "Site"
    kinds = {p["kind"]: p for p in activity["projects"]}
    assert kinds["project"]["name"] == "Site" and kinds["drafts"]["chatCount"] == 1


async def test_ranges_and_scope(client: httpx.AsyncClient, fake_model: FakeOpenAIServer) -> None:
    await two_chats(client, fake_model)
    future = (datetime.now(timezone.utc) + timedelta(days=1)).isoformat()
    later = (datetime.now(timezone.utc) + timedelta(days=2)).isoformat()
    empty = conformance.v2("usage.listEvents", await client.get("/v2/usage/events", params={"start": future, "end": later}))
    assert empty["data"] == []
    summary = conformance.v2("usage.getSummary", await client.get("/v2/usage/summary", params={"start": future, "end": later}))
    assert summary["credits"]["total"] == 0 and len(summary["daily"]) == 2
    for params in ({"start": later, "end": future}, {"start": "yesterday"}, {"cursor": "%%%"}):
        bad = await client.get("/v2/usage/events", params=params)
        assert bad.status_code == 422 and set(bad.json()) == {"message"}
    other = await client.get("/v2/usage/summary", params={"userId": "someone-else"})
    assert other.status_code == 403
