"""v2 webhooks: list, create, get, update, delete; the same hooks the v1 routes manage (delivery: vzero/hooks.py)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from vzero.api.deps import CallerDep, RuntimeDep, SessionDep
from vzero.api.v2 import render, schemas
from vzero.hooks import SECRET_HEADER
from vzero.store import chats as chat_store
from vzero.store import hooks as store

router = APIRouter(tags=["webhooks"])

_PURPOSE = "send webhooks to"


@router.get("/hooks")
async def list_webhooks(caller: CallerDep, session: SessionDep) -> list[dict[str, Any]]:
    return [{"id": h.id, "name": h.name} for h in await store.list_hooks(session, caller.user_id)]


@router.post("/hooks")
async def create_webhook(body: schemas.CreateWebhook, caller: CallerDep, runtime: RuntimeDep, session: SessionDep) -> JSONResponse:
    """A new hook; its signing secret is returned once, in the X-Vzero-Webhook-Secret header."""
    url = store.outbound_url(body.url, allow_private=runtime.settings.allow_private_urls, purpose=_PURPOSE)
    if body.chatId is not None:
        await chat_store.chat_for(session, caller, body.chatId)  # a hook only hears about chats its owner can read
    hook = await store.create_hook(session, caller.user_id, name=body.name, url=url, events=body.events, chat_id=body.chatId)
    await session.commit()
    return JSONResponse(render.webhook(hook), headers={SECRET_HEADER: hook.secret, "Cache-Control": "no-store"})


@router.get("/hooks/{hookId}")
async def get_webhook(hookId: str, caller: CallerDep, session: SessionDep) -> dict[str, Any]:
    return render.webhook(await store.hook_for(session, caller.user_id, hookId))


@router.patch("/hooks/{hookId}")
async def update_webhook(hookId: str, body: schemas.UpdateWebhook, caller: CallerDep, runtime: RuntimeDep, session: SessionDep) -> dict[str, Any]:
    hook = await store.hook_for(session, caller.user_id, hookId)
    url = store.outbound_url(body.url, allow_private=runtime.settings.allow_private_urls, purpose=_PURPOSE) if body.url is not None else None
    await store.update_hook(session, hook, name=body.name, url=url, events=body.events)
    await session.commit()
    return render.webhook(hook)


@router.delete("/hooks/{hookId}")
async def delete_webhook(hookId: str, caller: CallerDep, session: SessionDep) -> dict[str, Any]:
    await store.delete_hook(session, await store.hook_for(session, caller.user_id, hookId))
    await session.commit()
    return {"id": hookId, "deleted": True}
