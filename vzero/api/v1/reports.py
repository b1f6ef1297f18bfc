"""v1 reports: usage events, token-level AI usage and per-user activity, read from the usage ledger."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from vzero.api.deps import Caller, CallerDep, RuntimeDep, SessionDep
from vzero.api.v1.render import user_summary
from vzero.core.ids import iso, parse_moment
from vzero.engine.usage import event_cost
from vzero.errors import NotFound
from vzero.store import ledger
from vzero.store.tables import UsageEvent

router = APIRouter(tags=["reports"])


async def _readable_users(session: SessionDep, caller: Caller, user_id: str | None) -> list[str]:
    team = await ledger.team_of(session, caller.user_id, caller.team_id)
    if user_id is None:
        return team
    if user_id not in team:
        raise NotFound(f"User not found: {user_id}")
    return [user_id]


def _tokens(event: UsageEvent) -> tuple[int, int, int, int]:
    return event.input_tokens, event.output_tokens, event.cache_read_tokens, event.cache_write_tokens


@router.get("/reports/usage")
async def get_usage(
    caller: CallerDep,
    runtime: RuntimeDep,
    session: SessionDep,
    startDate: str | None = None,
    endDate: str | None = None,
    chatId: str | None = None,
    messageId: str | None = None,
    userId: str | None = None,
    limit: Annotated[int, Query(ge=1, le=150)] = 20,
    cursor: str | None = None,
) -> dict[str, Any]:
    user_ids = await _readable_users(session, caller, userId)
    rows, next_cursor = await ledger.events(
        session, user_ids, limit=limit, start=parse_moment(startDate, "startDate"), end=parse_moment(endDate, "endDate"),
        chat_id=chatId, message_id=messageId, cursor=cursor,
    )
    people = await ledger.users(session, list({r.user_id for r, _ in rows}))
    data = []
    for row, stored in rows:
        cost = event_cost(_tokens(row), row.model or "", stored, runtime.settings.credit_rates)
        item: dict[str, Any] = {
            "id": row.id,
            "object": "usage_event",
            "type": row.type if row.type in ("message", "image_generation") else "api_request",
            "promptCost": f"{cost['input'] + cost['cacheRead'] + cost['cacheWrite']:.6f}",
            "completionCost": f"{cost['output']:.6f}",
            "totalCost": f"{row.credits:.6f}",
            "userId": row.user_id,
            "createdAt": iso(row.created_at),
        }
        if row.chat_id:
            item["chatId"] = row.chat_id
        if row.message_id:
            item["messageId"] = row.message_id
        if row.user_id in people:
            item["user"] = user_summary(people[row.user_id])
        data.append(item)
    pagination: dict[str, Any] = {"hasMore": next_cursor is not None}
    if next_cursor:
        pagination["nextCursor"] = next_cursor
    return {"object": "list", "data": data, "pagination": pagination, "meta": {"totalCount": len(data)}}


@router.get("/reports/usage/ai")
async def get_ai_usage(
    caller: CallerDep,
    session: SessionDep,
    start: str | None = None,
    end: str | None = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 1000,
) -> dict[str, Any]:
    user_ids = await _readable_users(session, caller, None)
    since, until = parse_moment(start, "start"), parse_moment(end, "end")
    found, next_cursor = await ledger.events(session, user_ids, limit=limit, start=since, end=until, cursor=cursor)
    rows = [row for row, _ in found]
    people = await ledger.users(session, list({r.user_id for r in rows}))
    data = [
        {
            "eventId": row.id,
            "modelId": row.model or "",
            "inputTokens": row.input_tokens,
            "outputTokens": row.output_tokens,
            "totalTokens": row.input_tokens + row.output_tokens + row.cache_read_tokens + row.cache_write_tokens,
            "cacheCreationInputTokens": row.cache_write_tokens,
            "cacheCreationInputTokens1h": 0,
            "cacheReadInputTokens": row.cache_read_tokens,
            "timestamp": iso(row.created_at),
            "requestId": row.message_id or row.id,
            "useCase": "chat",
            "chatId": row.chat_id or "",
            "messageId": row.message_id or "",
            "userId": row.user_id,
            "userEmail": people[row.user_id].email if row.user_id in people else "",
        }
        for row in rows
    ]
    return {
        "object": "list",
        "data": data,
        "pagination": {"nextCursor": next_cursor},
        "dateRange": {"start": iso(since) if since else None, "end": iso(until) if until else None},
    }


@router.get("/reports/user-activity")
async def get_user_activity(caller: CallerDep, session: SessionDep, startDate: str | None = None, endDate: str | None = None) -> dict[str, Any]:
    since, until = parse_moment(startDate, "startDate"), parse_moment(endDate, "endDate")
    people = await ledger.users(session, await _readable_users(session, caller, None))
    data = []
    for user in sorted(people.values(), key=lambda u: u.id):
        chats, messages, days, first, last = await ledger.activity(session, user.id, since, until)
        data.append({
            "id": user.id,
            "object": "user_activity",
            "user": {**user_summary(user), "teamV0Role": "V0Builder" if user.team_id else None},
            "chatCount": chats,
            "messageCount": messages,
            "activeDays": days,
            "firstActivity": iso(first) if first else None,
            "lastActivity": iso(last) if last else None,
        })
    return {
        "object": "list",
        "data": data,
        "meta": {"totalCount": len(data), "dateRange": {"start": iso(since) if since else None, "end": iso(until) if until else None}},
    }
