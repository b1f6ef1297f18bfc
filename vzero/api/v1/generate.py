"""v1 operations that call the model: create, sendMessage, stop, resume, resolveTask."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from vzero.api.deps import CallerDep, RuntimeDep, SessionDep
from vzero.api.sse import SSE_RESPONSE
from vzero.api.v1 import schemas
from vzero.api.v1.stream import V1Stream
from vzero.api.v1.views import chat_detail_view, started_chat_detail
from vzero.core import metadata as chat_metadata
from vzero.engine.manager import Ask, GenerationManager, Started
from vzero.errors import Conflict
from vzero.runtime import Runtime
from vzero.store import chats as store
from vzero.store import projects as project_store
from vzero.store.tables import Chat

router = APIRouter(tags=["generation"])


def manager_of(runtime: Runtime) -> GenerationManager:
    return runtime.services["generations"]  # type: ignore[no-any-return]


def _ask(body: schemas.CreateChat | schemas.SendMessage, author_id: str, message_type: str = "message") -> Ask:
    config = body.modelConfiguration
    return Ask(
        message=body.message,
        author_id=author_id,
        attachments=tuple(a.url for a in body.attachments),
        model_id=config.modelId if config else None,
        thinking=bool(config and config.thinking),
        system=body.system,
        message_type=message_type,
    )


async def _respond(runtime: Runtime, session: Any, chat: Chat, started: Started, mode: str, writable: bool = True) -> Any:
    """sync waits for the end; async answers at once; experimental_stream streams the deltas."""
    if mode == "sync":
        chat_id = chat.id  # read before the expiry below
        await started.generation.wait()
        session.expire_all()  # the generation wrote through its own session
        current = await session.get(Chat, chat_id)
        detail = await chat_detail_view(session, runtime, store.ChatAccess(current, None, writable))
    else:
        detail = started_chat_detail(runtime, started, writable)  # what the start committed: nothing to read back
    # A stream can last minutes: give the connection back to the pool now, not when the stream ends.
    await session.close()
    if mode == "experimental_stream":
        return V1Stream(detail).response(started.generation)
    return detail


@router.post("/chats", responses=SSE_RESPONSE)
async def create_chat(body: schemas.CreateChat, caller: CallerDep, runtime: RuntimeDep, session: SessionDep) -> Any:
    manager = manager_of(runtime)
    if body.projectId is not None:
        await project_store.project_for(session, caller, body.projectId, write=True)
    manager.provider()  # fail before creating anything when no model is configured
    config = body.modelConfiguration.model_dump(exclude_none=True) if body.modelConfiguration else None
    chat = store.new_chat(
        caller.user_id, privacy=body.chatPrivacy, project_id=body.projectId, metadata=chat_metadata.validate(body.metadata),
        text=body.message, system=body.system, model_configuration=config,
    )
    started = await manager.start(chat, _ask(body, caller.user_id), new=True)
    return await _respond(runtime, session, chat, started, body.responseMode)


@router.post("/chats/{chatId}/messages", responses=SSE_RESPONSE)
async def send_message(chatId: str, body: schemas.SendMessage, caller: CallerDep, runtime: RuntimeDep, session: SessionDep) -> Any:
    access = await store.chat_for(session, caller, chatId, write=True)
    message_type = "fix-with-v0" if body.action is not None else "message"
    started = await manager_of(runtime).start(access.chat, _ask(body, caller.user_id, message_type))
    return await _respond(runtime, session, access.chat, started, body.responseMode)


@router.post("/chats/{chatId}/messages/{messageId}/stop")
async def stop_message(chatId: str, messageId: str, caller: CallerDep, runtime: RuntimeDep, session: SessionDep) -> dict[str, Any]:
    await store.chat_for(session, caller, chatId, write=True)
    message = await store.message_of(session, chatId, messageId)
    if message.role != "assistant":
        raise Conflict("Only an assistant message can be stopped")
    await manager_of(runtime).stop(messageId)
    return {"success": True}


@router.post("/chats/{chatId}/messages/{messageId}/resume", response_class=StreamingResponse, responses=SSE_RESPONSE)
async def resume_message(chatId: str, messageId: str, caller: CallerDep, runtime: RuntimeDep, session: SessionDep) -> StreamingResponse:
    access = await store.chat_for(session, caller, chatId)
    message = await store.message_of(session, chatId, messageId)
    if message.role != "assistant":
        raise Conflict("Only an assistant message has a stream to resume")
    detail = await chat_detail_view(session, runtime, access)
    await session.close()  # the stream may outlive the pool's patience
    generation = manager_of(runtime).by_message.get(messageId)
    if generation is not None:
        return V1Stream(detail).response(generation)  # from its start, live
    return V1Stream(detail, replay=message.experimental_content or [[0, [["p", {}, message.content]]]]).response(None)


@router.post("/chats/{chatId}/tasks/resolve")
async def resolve_task(chatId: str, body: dict[str, Any], caller: CallerDep, runtime: RuntimeDep, session: SessionDep) -> Any:
    from vzero.api.v1.tasks import resolve

    access = await store.chat_for(session, caller, chatId, write=True)
    return await resolve(runtime, session, access, body, caller.user_id)
