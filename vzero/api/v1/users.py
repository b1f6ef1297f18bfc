"""v1 user, plan, billing, scopes and rate limits of the caller."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from sqlalchemy.ext.asyncio import AsyncSession

from vzero.api.deps import Caller, CallerDep, RuntimeDep, SessionDep
from vzero.api.v1 import render
from vzero.core.ids import epoch_ms, utcnow
from vzero.errors import NotFound
from vzero.runtime import Runtime
from vzero.store.allowance import credits_since, day_of, month_of, prompts_since
from vzero.store.tables import User

router = APIRouter(tags=["user"])

PLAN = "self-hosted"
# A self-hosted server has no credit budget; the plan reports this nominal allowance per billing cycle
# and subtracts the credits the usage ledger recorded in the cycle, so `remaining` still moves with use.
NOMINAL_CREDITS = 1_000_000_000.0


async def _user(session: AsyncSession, caller: Caller) -> User:
    user = await session.get(User, caller.user_id)
    if user is None:  # the key outlived its user
        raise NotFound(f"User not found: {caller.user_id}")
    return user


def _check_scope(caller: Caller, wanted: str | None) -> None:
    """A scope is the caller's own user id or its team; anything else is not one of the caller's."""
    if wanted is not None and wanted not in (caller.user_id, caller.team_id):
        raise NotFound(f"Scope not found: {wanted}; GET /v1/user/scopes lists yours")


async def _daily(session: AsyncSession, runtime: Runtime, caller: Caller) -> dict[str, Any]:
    """The day's message allowance (UTC days): limit, remaining and the reset time in ms."""
    start, end = day_of(utcnow())
    limit = runtime.settings.daily_message_limit
    used = await prompts_since(session, caller.user_id, start)
    return {"limit": limit, "remaining": max(0, limit - used), "reset": epoch_ms(end)}


@router.get("/user")
async def get_user(caller: CallerDep, session: SessionDep) -> dict[str, Any]:
    return render.user_summary(await _user(session, caller))


@router.get("/user/plan")
async def get_plan(caller: CallerDep, session: SessionDep) -> dict[str, Any]:
    start, end = month_of(utcnow())
    used = await credits_since(session, caller.user_id, start)
    return {
        "object": "plan",
        "plan": PLAN,
        "billingCycle": {"start": epoch_ms(start), "end": epoch_ms(end)},
        "balance": {"remaining": max(0.0, NOMINAL_CREDITS - used), "total": NOMINAL_CREDITS},
    }


@router.get("/user/billing")
async def get_billing(caller: CallerDep, runtime: RuntimeDep, session: SessionDep, scope: str | None = None) -> dict[str, Any]:
    _check_scope(caller, scope)
    return {"billingType": "legacy", "data": await _daily(session, runtime, caller)}


@router.get("/user/scopes")
async def get_scopes(caller: CallerDep, session: SessionDep) -> dict[str, Any]:
    user = await _user(session, caller)
    scopes = [render.scope(user.id, user.name or user.email)]
    if user.team_id:
        scopes.append(render.scope(user.team_id, user.team_id))
    return {"object": "list", "data": scopes}


@router.get("/rate-limits")
async def find_rate_limits(caller: CallerDep, runtime: RuntimeDep, session: SessionDep, scope: str | None = None) -> dict[str, Any]:
    """The per-key request limit of the current minute (this request included) and the daily message limit."""
    _check_scope(caller, scope)
    state = runtime.limiter.state(caller.key_hash)
    daily = await _daily(session, runtime, caller)
    return {
        "limit": state.limit,
        "remaining": state.remaining,
        "reset": state.reset_ms,
        "dailyLimit": {**daily, "isWithinGracePeriod": False},
    }
