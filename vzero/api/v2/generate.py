"""v2 operations that call the model: chats create (blocking, stream, async) and resume; messages send, resolve, stop.

Every send exists in three forms that differ only in how they answer: blocking (wait, then the result),
stream (SSE from the generation's log) and async (202 at once; poll the message until finishReason is set).
None takes a request session: they wait, and read through `engine/turns.py` or in short sessions of their own.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse, StreamingResponse

from vzero.api.deps import CallerDep, GenerationsDep
from vzero.api.params import ask_of
from vzero.api.sse import SSE_RESPONSE
from vzero.api.v2 import render, schemas
from vzero.api.v2.stream import ChatStream, MessageStream
from vzero.api.v2.views import V2Views, V2ViewsDep
from vzero.core import metadata as chat_metadata
from vzero.engine import turns
from vzero.engine.manager import Started

router = APIRouter(tags=["generation"])

Mode = Literal["blocking", "stream", "async"]


async def _new_chat(body: schemas.CreateChat, caller: CallerDep, generations: GenerationsDep) -> Started:
    config = body.modelConfiguration.model_dump(exclude_none=True) if body.modelConfiguration else None
    return await turns.create(
        generations, caller, ask_of(body, caller.user_id, system=body.systemPrompt), privacy=body.privacy, name=body.title,
        metadata=chat_metadata.validate(body.metadata), model_configuration=config, api_version="v2",
    )


@router.post("/chats")
async def create_chat(body: schemas.CreateChat, caller: CallerDep, generations: GenerationsDep, views: V2ViewsDep) -> dict[str, Any]:
    started = await _new_chat(body, caller, generations)
    await started.generation.wait()
    chat, message = await views.stored_reply(started.chat.id, started.message_id)
    return {"chat": render.chat(chat, True), "usage": message["usage"]}


@router.post("/chats/stream", response_class=StreamingResponse, responses=SSE_RESPONSE)
async def create_chat_stream(body: schemas.CreateChat, caller: CallerDep, generations: GenerationsDep, views: V2ViewsDep) -> StreamingResponse:
    started = await _new_chat(body, caller, generations)
    shown = render.chat(started.chat, True)  # as the start committed it: nothing to read back
    return ChatStream(views, shown, started.message_id, started.generation).response(started.generation)


@router.post("/chats/async", status_code=202)
async def create_chat_async(body: schemas.CreateChat, caller: CallerDep, generations: GenerationsDep) -> JSONResponse:
    started = await _new_chat(body, caller, generations)
    return JSONResponse({"chatId": started.chat.id, "messageId": started.message_id}, status_code=202)


@router.post("/chats/{chatId}/resume", response_class=StreamingResponse, responses=SSE_RESPONSE)
async def resume_chat(chatId: str, caller: CallerDep, generations: GenerationsDep, views: V2ViewsDep) -> StreamingResponse:
    """The running reply from its start, live; a chat with nothing running answers its closing snapshot only."""
    shown, latest_id = await views.latest_reply(caller, chatId)
    generation = generations.running(latest_id) if latest_id is not None else None
    if generation is None:
        return ChatStream(views, shown, None, None, announce=False).response(None)
    return ChatStream(views, shown, generation.message_id, generation).response(generation)


async def _answer(views: V2Views, started: Started, mode: Mode) -> Any:
    if mode == "async":
        return JSONResponse({"messageId": started.message_id}, status_code=202)
    if mode == "stream":
        snapshot = render.message(started.assistant, restorable=False)  # as the start committed it
        return MessageStream(views, snapshot, started.generation).response(started.generation)
    await started.generation.wait()
    return (await views.stored_reply(started.chat.id, started.message_id))[1]


@router.post("/chats/{chatId}/messages")
async def send_message(chatId: str, body: schemas.SendMessage, caller: CallerDep, generations: GenerationsDep, views: V2ViewsDep) -> Any:
    started = await turns.send(generations, caller, chatId, ask_of(body, caller.user_id, system=body.systemPrompt))
    return await _answer(views, started, "blocking")


@router.post("/chats/{chatId}/messages/stream", response_class=StreamingResponse, responses=SSE_RESPONSE)
async def send_message_stream(chatId: str, body: schemas.SendMessage, caller: CallerDep, generations: GenerationsDep, views: V2ViewsDep) -> Any:
    started = await turns.send(generations, caller, chatId, ask_of(body, caller.user_id, system=body.systemPrompt))
    return await _answer(views, started, "stream")


@router.post("/chats/{chatId}/messages/async", status_code=202)
async def send_message_async(chatId: str, body: schemas.SendMessage, caller: CallerDep, generations: GenerationsDep, views: V2ViewsDep) -> Any:
    started = await turns.send(generations, caller, chatId, ask_of(body, caller.user_id, system=body.systemPrompt))
    return await _answer(views, started, "async")


async def _resolve(chat_id: str, body: schemas.ResolveTask, caller: CallerDep, generations: GenerationsDep) -> Started:
    """Answer the task the chat's latest assistant message is blocked on, then let the model continue."""
    config = body.modelConfiguration
    return await turns.resolve(
        generations, caller, chat_id, body.task.model_dump(exclude_none=True), model_id=config.modelId if config else None,
        image_generations=config.imageGenerations if config else None,
    )


@router.post("/chats/{chatId}/messages/resolve")
async def resolve_task(chatId: str, body: schemas.ResolveTask, caller: CallerDep, generations: GenerationsDep, views: V2ViewsDep) -> Any:
    return await _answer(views, await _resolve(chatId, body, caller, generations), "blocking")


@router.post("/chats/{chatId}/messages/resolve/stream", response_class=StreamingResponse, responses=SSE_RESPONSE)
async def resolve_task_stream(chatId: str, body: schemas.ResolveTask, caller: CallerDep, generations: GenerationsDep, views: V2ViewsDep) -> Any:
    return await _answer(views, await _resolve(chatId, body, caller, generations), "stream")


@router.post("/chats/{chatId}/messages/resolve/async", status_code=202)
async def resolve_task_async(chatId: str, body: schemas.ResolveTask, caller: CallerDep, generations: GenerationsDep, views: V2ViewsDep) -> Any:
    return await _answer(views, await _resolve(chatId, body, caller, generations), "async")


@router.post("/chats/{chatId}/messages/{messageId}/stop")
async def stop_message(chatId: str, messageId: str, caller: CallerDep, generations: GenerationsDep) -> dict[str, Any]:
    """Stop a reply being generated; stopping one that has already finished changes nothing."""
    await turns.stop(generations, caller, chatId, messageId)
    return {"messageId": messageId}
