"""v2 usage: summary, events and activity, read from the usage ledger (one row per generated message).

A self-hosted server has no plan or on-demand billing: every credit is reported under `plan`, and the
scope is always the caller's own usage.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query

from vzero.api.deps import Caller, CallerDep, RuntimeDep, SessionDep
from vzero.core.ids import iso, parse_moment, utcnow
from vzero.engine.usage import event_cost
from vzero.errors import Forbidden, InvalidInput
from vzero.runtime import Runtime
from vzero.store import ledger
from vzero.store.tables import UsageEvent

router = APIRouter(tags=["usage"])

DEFAULT_DAYS = 30
MAX_DAYS = 366


def _range(start: str | None, end: str | None) -> tuple[datetime, datetime]:
    """The asked range; by default the last 30 days up to now."""
    until = parse_moment(end, "end") or utcnow()
    since = parse_moment(start, "start") or until - timedelta(days=DEFAULT_DAYS)
    if since >= until:
        raise InvalidInput("start must be before end")
    if until - since > timedelta(days=MAX_DAYS):
        raise InvalidInput(f"The range may span at most {MAX_DAYS} days")
    return since, until


def _scope(caller: Caller, user_id: str | None) -> dict[str, Any]:
    if user_id is not None and user_id != caller.user_id:
        raise Forbidden("You can read your own usage only: leave userId out or pass your own user id")
    return {"id": caller.user_id, "type": "personal", "isTeamWide": False, "userId": caller.user_id}


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _credits(total: float) -> dict[str, float]:
    return {"plan": round(total, 6), "onDemand": 0.0, "total": round(total, 6)}


@router.get("/usage/summary")
async def get_summary(
    caller: CallerDep, session: SessionDep, start: str | None = None, end: str | None = None, userId: str | None = None
) -> dict[str, Any]:
    scope = _scope(caller, userId)
    since, until = _range(start, end)
    per_day: dict[date, float] = defaultdict(float)
    for event in await ledger.events_between(session, caller.user_id, since, until):
        per_day[_utc(event.created_at).date()] += event.credits
    days = [since.date() + timedelta(days=n) for n in range((until.date() - since.date()).days + 1)]
    return {
        "object": "usage_summary",
        "range": {"start": iso(since), "end": iso(until)},
        "scope": scope,
        "credits": _credits(sum(per_day.values())),
        "daily": [{"date": d.isoformat(), "credits": _credits(per_day.get(d, 0.0))} for d in days],
        "dataAsOf": iso(utcnow()),
    }


def _event(runtime: Runtime, event: UsageEvent, stored: dict[str, Any] | None) -> dict[str, Any]:
    if event.type == "image_generation":  # priced per image, not per token
        return _image_event(event)
    counts = (event.input_tokens, event.output_tokens, event.cache_read_tokens, event.cache_write_tokens)
    cost = event_cost(counts, event.model or "", stored, runtime.settings.credit_rates)
    tokens = {
        "input": event.input_tokens, "output": event.output_tokens, "cacheRead": event.cache_read_tokens, "cacheWrite": event.cache_write_tokens,
        "total": event.input_tokens + event.output_tokens + event.cache_read_tokens + event.cache_write_tokens,
    }
    body: dict[str, Any] = {"id": event.id, "object": "usage_event", "type": event.type, "createdAt": iso(event.created_at), "userId": event.user_id}
    for key, value in (("chatId", event.chat_id), ("messageId", event.message_id), ("model", event.model)):
        if value is not None:
            body[key] = value
    kinds = {k: float(cost.get(k, 0.0)) for k in ("input", "output", "cacheRead", "cacheWrite")}
    body.update(sources=["plan"], waived=False, tokens=tokens, creditsCost={**kinds, "total": event.credits, "charged": event.credits})
    return body


def _image_event(event: UsageEvent) -> dict[str, Any]:
    body: dict[str, Any] = {"id": event.id, "object": "usage_event", "type": event.type, "createdAt": iso(event.created_at), "userId": event.user_id}
    for key, value in (("chatId", event.chat_id), ("messageId", event.message_id), ("model", event.model)):
        if value is not None:
            body[key] = value
    zero = {"input": 0.0, "output": 0.0, "cacheRead": 0.0, "cacheWrite": 0.0}
    body.update(sources=["plan"], waived=False, tokens=None, creditsCost={**zero, "total": event.credits, "charged": event.credits})
    return body


@router.get("/usage/events")
async def list_events(
    caller: CallerDep,
    runtime: RuntimeDep,
    session: SessionDep,
    start: str | None = None,
    end: str | None = None,
    userId: str | None = None,
    chatId: str | None = None,
    messageId: str | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: str | None = None,
) -> dict[str, Any]:
    """The ledger, newest first; the cursor names the last event seen."""
    scope = _scope(caller, userId)
    since, until = _range(start, end)
    rows, next_cursor = await ledger.events(
        session, [caller.user_id], limit=limit, start=since, end=until, chat_id=chatId, message_id=messageId, cursor=cursor,
    )
    return {
        "object": "list",
        "range": {"start": iso(since), "end": iso(until)},
        "scope": scope,
        "data": [_event(runtime, event, cost) for event, cost in rows],
        "pagination": {"hasMore": next_cursor is not None, "cursor": next_cursor},
    }


class _Activity:
    """Messages, days and first/last activity of one chat or project."""

    def __init__(self) -> None:
        self.messages = 0
        self.days: set[date] = set()
        self.chats: set[str] = set()
        self.first: datetime | None = None
        self.last: datetime | None = None

    def add(self, event: UsageEvent) -> None:
        moment = _utc(event.created_at)
        self.messages += event.type == "message"  # an image generated is usage, not a message
        self.days.add(moment.date())
        if event.chat_id:
            self.chats.add(event.chat_id)
        self.first = moment if self.first is None else min(self.first, moment)
        self.last = moment if self.last is None else max(self.last, moment)

    def body(self) -> dict[str, Any]:
        assert self.first is not None and self.last is not None
        return {"messageCount": self.messages, "activeDays": len(self.days), "firstActivity": iso(self.first), "lastActivity": iso(self.last)}


@router.get("/usage/activity")
async def get_activity(
    caller: CallerDep, session: SessionDep, start: str | None = None, end: str | None = None, userId: str | None = None
) -> dict[str, Any]:
    """The caller's activity in the range, per chat and per project (chats outside a project are `drafts`)."""
    scope = _scope(caller, userId)
    since, until = _range(start, end)
    events = await ledger.events_between(session, caller.user_id, since, until)
    found = await ledger.chats_with_projects(session, (e.chat_id for e in events if e.chat_id))
    total = _Activity()
    per_chat: defaultdict[str, _Activity] = defaultdict(_Activity)
    per_project: defaultdict[tuple[str, str], _Activity] = defaultdict(_Activity)
    for event in events:
        total.add(event)
        per_chat[event.chat_id or ""].add(event)
        chat, project = found.get(event.chat_id or "", (None, None))
        per_project[("project", project.id) if project else ("drafts", "") if chat else ("unavailable", "")].add(event)
    chats = []
    for chat_id, activity in per_chat.items():
        chat, project = found.get(chat_id, (None, None))
        kind = "chat" if chat is not None else "unavailable"
        chats.append({
            "kind": kind, "chatId": chat_id, "title": (chat.name or "") if chat else "", "vercelProjectId": None,
            "projectName": project.name if project else None, **activity.body(),
        })
    projects = []
    for (kind, project_id), activity in per_project.items():
        name = next((p.name for _, p in found.values() if p is not None and p.id == project_id), None) if kind == "project" else None
        projects.append({
            "kind": kind, "vercelProjectId": None, "name": name or ("Drafts" if kind == "drafts" else "Unavailable"),
            "chatCount": len(activity.chats), **activity.body(),
        })
    return {
        "object": "usage_activity",
        "range": {"start": iso(since), "end": iso(until)},
        "scope": scope,
        "summary": {"activeUsers": 1 if events else 0, "activeDays": len(total.days), "chatCount": len(total.chats), "messageCount": total.messages},
        "projects": sorted(projects, key=lambda p: p["lastActivity"], reverse=True),
        "chats": sorted(chats, key=lambda c: c["lastActivity"], reverse=True),
    }
