"""What a v2 response is rendered from: stored messages, and replies still being generated."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from vzero.api.v2 import render
from vzero.core.access import Principal
from vzero.engine.generation import Generation
from vzero.engine.manager import GenerationManager
from vzero.engine.usage import Tally, credits, rates_for, usage_body
from vzero.errors import NotFound
from vzero.runtime import Runtime
from vzero.store.chats import chat_for, messages_of
from vzero.store.tables import Chat, Message, Version


class V2Views:
    """Renders v2 messages; a reply generated right now shows its parts and usage so far."""

    def __init__(self, runtime: Runtime, generations: GenerationManager) -> None:
        self.runtime = runtime
        self.generations = generations

    def tally_usage(self, generation: Generation, tally: Tally) -> dict[str, Any]:
        """The v2 usage object of a running generation's tokens so far."""
        cost = credits(tally, rates_for(generation.request.model, self.runtime.settings.credit_rates))
        return usage_body(tally.input, tally.output, tally.cache_read, tally.cache_write, cost)

    async def messages(self, session: AsyncSession, chat: Chat, rows: Sequence[Message]) -> list[dict[str, Any]]:
        completed = await _completed(session, {r.version_id for r in rows if r.version_id})
        shown = []
        for row in rows:
            # A message can restore its files when it produced a completed version that is not the latest one.
            restorable = row.version_id in completed and row.version_id != chat.latest_version_id
            live = self.generations.running(row.id) if row.status == "running" else None
            if live is None:
                shown.append(render.message(row, restorable=restorable))
            else:
                shown.append(render.message(
                    row, restorable=False, parts=copy.deepcopy(live.parts.parts), content=live.parts.trailing_text(),
                    usage=self.tally_usage(live, live.tally),
                ))
        return shown

    async def message(self, session: AsyncSession, chat: Chat, row: Message) -> dict[str, Any]:
        return (await self.messages(session, chat, [row]))[0]

    async def stored_reply(self, chat_id: str, message_id: str) -> tuple[Chat, dict[str, Any]]:
        """A chat and one of its replies as stored now, in a session of their own (NotFound once the chat is gone)."""
        async with self.runtime.db.session() as session:
            chat = await session.get(Chat, chat_id)
            row = await session.get(Message, message_id)
            if chat is None or row is None:
                raise NotFound(f"Chat not found: {chat_id} (it was deleted while the reply was being generated)")
            return chat, await self.message(session, chat, row)

    async def latest_reply(self, principal: Principal, chat_id: str) -> tuple[dict[str, Any], str | None]:
        """A chat the caller may read, as v2 shows it, and the id of its latest reply (None before the first)."""
        async with self.runtime.db.session() as session:
            access = await chat_for(session, principal, chat_id)
            latest = next((m for m in reversed(await messages_of(session, chat_id)) if m.role == "assistant"), None)
        return render.chat(access.chat, access.writable), latest.id if latest is not None else None


async def _completed(session: AsyncSession, version_ids: set[str | None]) -> set[str]:
    if not version_ids:
        return set()
    query = select(Version.id).where(Version.id.in_(version_ids), Version.status == "completed")
    return set((await session.execute(query)).scalars())


async def get_v2_views(request: Request) -> V2Views:
    return request.app.state.v2_views  # type: ignore[no-any-return]


V2ViewsDep = Annotated[V2Views, Depends(get_v2_views)]
