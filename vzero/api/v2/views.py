"""Loads what a v2 response needs (versions, a reply still being generated) and renders it."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from vzero.api.v2 import render
from vzero.engine.generation import Generation
from vzero.engine.manager import GenerationManager
from vzero.engine.usage import Tally, credits, rates_for, usage_body
from vzero.runtime import Runtime
from vzero.store.tables import Chat, Message, Version


def manager_of(runtime: Runtime) -> GenerationManager:
    return runtime.services["generations"]  # type: ignore[no-any-return]


def tally_usage(runtime: Runtime, generation: Generation, tally: Tally) -> dict[str, Any]:
    """The v2 usage object of a running generation's tokens so far."""
    cost = credits(tally, rates_for(generation.request.model, runtime.settings.credit_rates))
    return usage_body(tally.input, tally.output, tally.cache_read, tally.cache_write, cost)


async def _completed(session: AsyncSession, version_ids: set[str]) -> set[str]:
    if not version_ids:
        return set()
    query = select(Version.id).where(Version.id.in_(version_ids), Version.status == "completed")
    return set((await session.execute(query)).scalars())


async def messages_view(runtime: Runtime, session: AsyncSession, chat: Chat, rows: Sequence[Message]) -> list[dict[str, Any]]:
    """Messages as v2 shows them; a reply generated right now shows its parts and usage so far."""
    completed = await _completed(session, {r.version_id for r in rows if r.version_id})
    manager = runtime.services.get("generations")
    shown = []
    for row in rows:
        # A message can restore its files when it produced a completed version that is not the latest one.
        restorable = row.version_id in completed and row.version_id != chat.latest_version_id
        live = manager.running(row.id) if manager is not None and row.status == "running" else None
        if live is None:
            shown.append(render.message(row, restorable=restorable))
        else:
            shown.append(render.message(
                row, restorable=False, parts=copy.deepcopy(live.parts.parts), content=live.parts.trailing_text(),
                usage=tally_usage(runtime, live, live.tally),
            ))
    return shown


async def message_view(runtime: Runtime, session: AsyncSession, chat: Chat, row: Message) -> dict[str, Any]:
    return (await messages_view(runtime, session, chat, [row]))[0]


async def stored_message(runtime: Runtime, message_id: str) -> dict[str, Any] | None:
    """A message as stored now, read in a session of its own (for stream snapshots)."""
    async with runtime.db.session() as session:
        row = await session.get(Message, message_id)
        chat = await session.get(Chat, row.chat_id) if row is not None else None
        if row is None or chat is None:
            return None
        return await message_view(runtime, session, chat, row)


async def stored_chat(runtime: Runtime, chat_id: str, writable: bool) -> dict[str, Any] | None:
    async with runtime.db.session() as session:
        row = await session.get(Chat, chat_id)
        return render.chat(row, writable) if row is not None else None
