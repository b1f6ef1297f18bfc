"""v2 operations that call the model: chats create (blocking, stream, async) and resume; messages send, resolve, stop.

Every send exists in three forms that differ only in how they answer: blocking (wait, then the result),
stream (SSE from the generation's log) and async (202 at once; poll the message until finishReason is set).
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse, StreamingResponse
from sqlalchemy.ext.asyncio import AsyncSession

from vzero.api.deps import Caller, CallerDep, RuntimeDep, SessionDep
from vzero.api.sse import SSE_RESPONSE
from vzero.api.v2 import render, schemas
from vzero.api.v2.stream import ChatStream, MessageStream
from vzero.api.v2.views import manager_of, message_view
from vzero.core import metadata as chat_metadata
from vzero.engine.manager import Ask, Started
from vzero.engine.tasks import answer_task
from vzero.errors import Conflict, NotFound
from vzero.runtime import Runtime
from vzero.store import chats as store
from vzero.store.tables import Chat, Message

router = APIRouter(tags=["generation"])

Mode = Literal["blocking", "stream", "async"]


def _ask(body: schemas.SendMessage, author_id: str) -> Ask:
    config = body.modelConfiguration
    return Ask(
        message=body.message,
        author_id=author_id,
        attachments=tuple(a.url for a in body.attachments),
        model_id=config.modelId if config else None,
        system=body.systemPrompt,
        parts_deltas=True,
    )


async def _new_chat(body: schemas.CreateChat, caller: Caller, runtime: Runtime, session: AsyncSession) -> tuple[Chat, Started]:
    """A chat and its first generation; no chat is left behind when the generation cannot start."""
    manager = manager_of(runtime)
    manager.provider()  # fail before creating anything when no model is configured
    config = body.modelConfiguration.model_dump(exclude_none=True) if body.modelConfiguration else None
    chat = store.new_chat(
        caller.user_id, privacy=body.privacy, name=body.title, metadata=chat_metadata.validate(body.metadata),
        text=body.message, system=body.systemPrompt, model_configuration=config, api_version="v2",
    )
    # Stored with its first messages in one transaction: a generation that cannot start leaves no chat behind.
    started = await manager.start(chat, _ask(body, caller.user_id), new=True)
    return chat, started


async def _reload(session: AsyncSession, chat_id: str, message_id: str) -> tuple[Chat, Message]:
    session.expire_all()  # the generation wrote through its own session
    chat = await session.get(Chat, chat_id)
    message = await session.get(Message, message_id)
    if chat is None or message is None:
        raise NotFound(f"Chat not found: {chat_id} (it was deleted while the reply was being generated)")
    return chat, message


@router.post("/chats")
async def create_chat(body: schemas.CreateChat, caller: CallerDep, runtime: RuntimeDep, session: SessionDep) -> dict[str, Any]:
    chat, started = await _new_chat(body, caller, runtime, session)
    await started.generation.wait()
    chat, message = await _reload(session, chat.id, started.message_id)
    return {"chat": render.chat(chat, True), "usage": render.message_usage(message)}


@router.post("/chats/stream", response_class=StreamingResponse, responses=SSE_RESPONSE)
async def create_chat_stream(body: schemas.CreateChat, caller: CallerDep, runtime: RuntimeDep, session: SessionDep) -> StreamingResponse:
    _, started = await _new_chat(body, caller, runtime, session)
    shown = render.chat(started.chat, True)  # as the start committed it: nothing to read back
    await session.close()  # a stream can last minutes: give the connection back to the pool now
    return ChatStream(runtime, shown, started.message_id, started.generation).response(started.generation)


@router.post("/chats/async", status_code=202)
async def create_chat_async(body: schemas.CreateChat, caller: CallerDep, runtime: RuntimeDep, session: SessionDep) -> JSONResponse:
    chat, started = await _new_chat(body, caller, runtime, session)
    return JSONResponse({"chatId": chat.id, "messageId": started.message_id}, status_code=202)


@router.post("/chats/{chatId}/resume", response_class=StreamingResponse, responses=SSE_RESPONSE)
async def resume_chat(chatId: str, caller: CallerDep, runtime: RuntimeDep, session: SessionDep) -> StreamingResponse:
    """The running reply from its start, live; a chat with nothing running answers its closing snapshot only."""
    access = await store.chat_for(session, caller, chatId)
    shown = render.chat(access.chat, access.writable)
    latest = next((m for m in reversed(await store.messages_of(session, chatId)) if m.role == "assistant"), None)
    generation = manager_of(runtime).running(latest.id) if latest is not None else None
    await session.close()
    if generation is None:
        return ChatStream(runtime, shown, None, None, announce=False).response(None)
    return ChatStream(runtime, shown, generation.message_id, generation).response(generation)


async def _answer(runtime: Runtime, session: AsyncSession, chat: Chat, started: Started, mode: Mode) -> Any:
    if mode == "async":
        return JSONResponse({"messageId": started.message_id}, status_code=202)
    if mode == "blocking":
        await started.generation.wait()
    chat, message = await _reload(session, chat.id, started.message_id)
    shown = await message_view(runtime, session, chat, message)
    if mode == "stream":
        await session.close()
        return MessageStream(runtime, shown, started.generation).response(started.generation)
    return shown


async def _send(chat_id: str, body: schemas.SendMessage, caller: Caller, runtime: Runtime, session: AsyncSession, mode: Mode) -> Any:
    access = await store.chat_for(session, caller, chat_id, write=True)
    started = await manager_of(runtime).start(access.chat, _ask(body, caller.user_id))
    return await _answer(runtime, session, access.chat, started, mode)


@router.post("/chats/{chatId}/messages")
async def send_message(chatId: str, body: schemas.SendMessage, caller: CallerDep, runtime: RuntimeDep, session: SessionDep) -> Any:
    return await _send(chatId, body, caller, runtime, session, "blocking")


@router.post("/chats/{chatId}/messages/stream", response_class=StreamingResponse, responses=SSE_RESPONSE)
async def send_message_stream(chatId: str, body: schemas.SendMessage, caller: CallerDep, runtime: RuntimeDep, session: SessionDep) -> Any:
    return await _send(chatId, body, caller, runtime, session, "stream")


@router.post("/chats/{chatId}/messages/async", status_code=202)
async def send_message_async(chatId: str, body: schemas.SendMessage, caller: CallerDep, runtime: RuntimeDep, session: SessionDep) -> Any:
    return await _send(chatId, body, caller, runtime, session, "async")


async def _resolve(chat_id: str, body: schemas.ResolveTask, caller: Caller, runtime: Runtime, session: AsyncSession, mode: Mode) -> Any:
    """Answer the task the chat's latest assistant message is blocked on, then let the model continue."""
    access = await store.chat_for(session, caller, chat_id, write=True)
    config = body.modelConfiguration
    started = await answer_task(
        manager_of(runtime), session, access.chat, body.task.model_dump(exclude_none=True),
        author_id=caller.user_id, model_id=config.modelId if config else None, parts_deltas=True,
    )
    return await _answer(runtime, session, access.chat, started, mode)


@router.post("/chats/{chatId}/messages/resolve")
async def resolve_task(chatId: str, body: schemas.ResolveTask, caller: CallerDep, runtime: RuntimeDep, session: SessionDep) -> Any:
    return await _resolve(chatId, body, caller, runtime, session, "blocking")


@router.post("/chats/{chatId}/messages/resolve/stream", response_class=StreamingResponse, responses=SSE_RESPONSE)
async def resolve_task_stream(chatId: str, body: schemas.ResolveTask, caller: CallerDep, runtime: RuntimeDep, session: SessionDep) -> Any:
    return await _resolve(chatId, body, caller, runtime, session, "stream")


@router.post("/chats/{chatId}/messages/resolve/async", status_code=202)
async def resolve_task_async(chatId: str, body: schemas.ResolveTask, caller: CallerDep, runtime: RuntimeDep, session: SessionDep) -> Any:
    return await _resolve(chatId, body, caller, runtime, session, "async")


@router.post("/chats/{chatId}/messages/{messageId}/stop")
async def stop_message(chatId: str, messageId: str, caller: CallerDep, runtime: RuntimeDep, session: SessionDep) -> dict[str, Any]:
    """Stop a reply being generated; stopping one that has already finished changes nothing."""
    await store.chat_for(session, caller, chatId, write=True)
    message = await store.message_of(session, chatId, messageId)
    if message.role != "assistant":
        raise Conflict("Only an assistant message can be stopped; this one was written by a user")
    await manager_of(runtime).stop(messageId)
    return {"messageId": messageId}
