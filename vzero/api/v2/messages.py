"""v2 messages that need no model: list (newest first, cursor) and get (poll it until finishReason is set)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from vzero.api.deps import CallerDep, SessionDep
from vzero.api.v2.views import V2ViewsDep
from vzero.store import chats as store
from vzero.store.tables import Message

router = APIRouter(tags=["messages"])


@router.get("/chats/{chatId}/messages")
async def list_messages(
    chatId: str,
    caller: CallerDep,
    views: V2ViewsDep,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=100)],
    cursor: str | None = None,
) -> dict[str, Any]:
    access = await store.chat_for(session, caller, chatId)
    page = await store.page_of(session, Message, chatId, limit=limit, cursor=cursor)
    return {"messages": await views.messages(session, access.chat, page.items), "cursor": page.next_cursor}


@router.get("/chats/{chatId}/messages/{messageId}")
async def get_message(chatId: str, messageId: str, caller: CallerDep, views: V2ViewsDep, session: SessionDep) -> dict[str, Any]:
    access = await store.chat_for(session, caller, chatId)
    return await views.message(session, access.chat, await store.message_of(session, chatId, messageId))
