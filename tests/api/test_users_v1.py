"""v1 user, plan, billing, scopes and rate limits, and the per-key limit itself."""

from __future__ import annotations

import base64
import time
from datetime import datetime, timezone
from typing import Any

import httpx

from tests import conformance
from tests.conftest import API_KEY
from vzero.app import create_app
from vzero.config import Settings
from vzero.core.ids import new_id, utcnow
from vzero.store.tables import UsageEvent
from vzero.store.users import DEFAULT_USER_ID, create_user_with_key


async def test_get_user(client: httpx.AsyncClient) -> None:
    user = conformance.v1("user.get", await client.get("/v1/user"))
    assert user["id"] == DEFAULT_USER_ID and user["object"] == "user" and user["email"] == "default@localhost"
    assert user["avatar"].startswith("data:image/svg+xml;base64,")
    svg = base64.b64decode(user["avatar"].split(",", 1)[1]).decode()
    assert svg.startswith("<svg") and ">DU</text>" in svg  # "Default user"
    assert conformance.v1("user.get", await client.get("/v1/user")) == user  # stable


async def test_avatar_escapes_the_name(runtime: Any, client: httpx.AsyncClient) -> None:
    async with runtime.db.session() as session:
        key = (await create_user_with_key(session, "<b>&amp", email="x@example.com")).key
        await session.commit()
    user = conformance.v1("user.get", await client.get("/v1/user", headers={"Authorization": f"Bearer {key}"}))
    svg = base64.b64decode(user["avatar"].split(",", 1)[1]).decode()
    assert "<b>" not in svg and "&lt;" in svg


async def test_plan_reports_the_cycle_and_ledger(client: httpx.AsyncClient, runtime: Any) -> None:
    before = conformance.v1("user.getPlan", await client.get("/v1/user/plan"))
    assert before["plan"] == "self-hosted" and before["balance"]["remaining"] == before["balance"]["total"]
    start = datetime.fromtimestamp(before["billingCycle"]["start"] / 1000, timezone.utc)
    end = datetime.fromtimestamp(before["billingCycle"]["end"] / 1000, timezone.utc)
    now = utcnow()
    assert start.day == 1 and start.hour == 0 and start <= now < end and end.day == 1 and 28 <= (end - start).days <= 31
    async with runtime.db.session() as session:
        session.add(UsageEvent(id=new_id(), user_id=DEFAULT_USER_ID, type="message", credits=2.5, created_at=now))
        session.add(UsageEvent(id=new_id(), user_id="someone-else", type="message", credits=100.0, created_at=now))
        await session.commit()
    after = conformance.v1("user.getPlan", await client.get("/v1/user/plan"))
    assert after["balance"]["total"] - after["balance"]["remaining"] == 2.5


async def test_billing_counts_todays_prompts(client: httpx.AsyncClient, settings: Settings) -> None:
    billing = conformance.v1("user.getBilling", await client.get("/v1/user/billing"))
    assert billing["billingType"] == "legacy"
    data = billing["data"]
    assert data["limit"] == settings.daily_message_limit == data["remaining"]
    assert data["reset"] > time.time() * 1000 and data["reset"] % 86_400_000 == 0  # next UTC midnight
    # editing files is not a prompt: the count stays
    chat = conformance.v1("chats.init", await client.post("/v1/chats/init", json={"type": "files", "files": [{"name": "a.txt", "content": "a"}]}))
    await client.patch(f"/v1/chats/{chat['id']}/versions/{chat['latestVersion']['id']}", json={"files": [{"name": "b.txt", "content": "b"}]})
    assert conformance.v1("user.getBilling", await client.get("/v1/user/billing"))["data"]["remaining"] == data["limit"]
    conformance.v1("user.getBilling", await client.get("/v1/user/billing", params={"scope": DEFAULT_USER_ID}))
    conformance.v1_error(await client.get("/v1/user/billing", params={"scope": "someone"}), 404, "not_found_error")


async def test_billing_counts_prompts(client: httpx.AsyncClient, runtime: Any) -> None:
    from vzero.store import chats as chat_store

    async with runtime.db.session() as session:
        chat = await chat_store.create_chat(session, DEFAULT_USER_ID)
        for _ in range(3):
            await chat_store.add_message(session, chat, role="user", content="make it blue", author_id=DEFAULT_USER_ID)
        await chat_store.add_message(session, chat, role="assistant", content="done")
        await session.commit()
    data = conformance.v1("user.getBilling", await client.get("/v1/user/billing"))["data"]
    assert data["remaining"] == data["limit"] - 3
    daily = conformance.v1("rateLimits.find", await client.get("/v1/rate-limits"))["dailyLimit"]
    assert daily["remaining"] == data["remaining"] and daily["isWithinGracePeriod"] is False


async def test_scopes(client: httpx.AsyncClient, runtime: Any) -> None:
    scopes = conformance.v1("user.getScopes", await client.get("/v1/user/scopes"))
    assert scopes["data"] == [{"id": DEFAULT_USER_ID, "object": "scope", "name": "Default user"}]
    async with runtime.db.session() as session:
        new = await create_user_with_key(session, "Ann", team_id="acme")
        await session.commit()
    team = conformance.v1("user.getScopes", await client.get("/v1/user/scopes", headers={"Authorization": f"Bearer {new.key}"}))
    assert team["data"] == [{"id": new.user_id, "object": "scope", "name": "Ann"}, {"id": "acme", "object": "scope", "name": "acme"}]


async def test_rate_limits_count_this_key(client: httpx.AsyncClient, settings: Settings, other_key: str) -> None:
    first = conformance.v1("rateLimits.find", await client.get("/v1/rate-limits"))
    assert first["limit"] == settings.rate_limit_per_minute
    second = conformance.v1("rateLimits.find", await client.get("/v1/rate-limits", params={"scope": DEFAULT_USER_ID}))
    assert second["remaining"] == first["remaining"] - 1
    assert 0 < second["reset"] - time.time() * 1000 <= 60_000
    other = conformance.v1("rateLimits.find", await client.get("/v1/rate-limits", headers={"Authorization": f"Bearer {other_key}"}))
    assert other["remaining"] == settings.rate_limit_per_minute - 1  # its own bucket
    conformance.v1_error(await client.get("/v1/rate-limits", params={"scope": "elsewhere"}), 404)


async def test_rate_limit_answers_429(settings: Settings) -> None:
    small = settings.model_copy(update={"rate_limit_per_minute": 3})
    app = create_app(small)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver", headers={"Authorization": f"Bearer {API_KEY}"}) as c:
            for used in range(3):
                state = conformance.v1("rateLimits.find", await c.get("/v1/rate-limits"))
                assert state == {**state, "limit": 3, "remaining": 2 - used}
            refused = await c.get("/v1/chats")
            body = conformance.v1_error(refused, 429, "too_many_requests_error")
            assert "VZERO_RATE_LIMIT_PER_MINUTE" in body["error"]["message"]
            assert 1 <= int(refused.headers["retry-after"]) <= 60
            conformance.v1_error(await c.get("/v1/rate-limits"), 429, "too_many_requests_error")
            # no key, no bucket: an unauthenticated caller is told to authenticate, not throttled
            conformance.v1_error(await c.get("/v1/chats", headers={"Authorization": ""}), 401, "unauthorized_error")
