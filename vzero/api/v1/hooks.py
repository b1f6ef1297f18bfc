"""v1 hooks: find, create, getById, update, delete (delivery is the hook service's job)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from pydantic import Field

from vzero.api.deps import CallerDep, RuntimeDep, SessionDep
from vzero.api.v1.render import hook_detail, hook_summary
from vzero.api.v1.schemas import Body
from vzero.store import chats as chat_store
from vzero.store import hooks as store

router = APIRouter(tags=["hooks"])

HookEvent = Literal["chat.created", "chat.updated", "chat.deleted", "message.created", "message.updated", "message.deleted", "message.finished"]
_PURPOSE = "send webhooks to"


class CreateHook(Body):
    name: str = Field(min_length=1, max_length=255)
    events: list[HookEvent] = Field(max_length=20)
    chatId: str | None = None
    url: str = Field(min_length=1)


class UpdateHook(Body):
    name: str | None = Field(default=None, min_length=1, max_length=255)
    events: list[HookEvent] | None = Field(default=None, max_length=20)
    url: str | None = Field(default=None, min_length=1)


@router.get("/hooks")
async def find_hooks(caller: CallerDep, session: SessionDep) -> dict[str, Any]:
    return {"object": "list", "data": [hook_summary(h) for h in await store.list_hooks(session, caller.user_id)]}


@router.post("/hooks")
async def create_hook(body: CreateHook, caller: CallerDep, runtime: RuntimeDep, session: SessionDep) -> dict[str, Any]:
    url = store.outbound_url(body.url, allow_private=runtime.settings.allow_private_urls, purpose=_PURPOSE)
    if body.chatId is not None:
        await chat_store.chat_for(session, caller, body.chatId)  # a hook only hears about chats its owner can read
    hook = await store.create_hook(session, caller.user_id, name=body.name, url=url, events=body.events, chat_id=body.chatId)
    await session.commit()
    return hook_detail(hook)


@router.get("/hooks/{hookId}")
async def get_hook(hookId: str, caller: CallerDep, session: SessionDep) -> dict[str, Any]:
    return hook_detail(await store.hook_for(session, caller.user_id, hookId))


@router.patch("/hooks/{hookId}")
async def update_hook(hookId: str, body: UpdateHook, caller: CallerDep, runtime: RuntimeDep, session: SessionDep) -> dict[str, Any]:
    hook = await store.hook_for(session, caller.user_id, hookId)
    url = store.outbound_url(body.url, allow_private=runtime.settings.allow_private_urls, purpose=_PURPOSE) if body.url is not None else None
    await store.update_hook(session, hook, name=body.name, url=url, events=body.events)
    await session.commit()
    return hook_detail(hook)


@router.delete("/hooks/{hookId}")
async def delete_hook(hookId: str, caller: CallerDep, session: SessionDep) -> dict[str, Any]:
    await store.delete_hook(session, await store.hook_for(session, caller.user_id, hookId))
    await session.commit()
    return {"id": hookId, "object": "hook", "deleted": True}
