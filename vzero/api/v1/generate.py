"""v1 operations that call the model: create, sendMessage, stop, resume, resolveTask.

None takes a request session: each waits (for the start queue, for the reply), and reads through the use cases of
`engine/turns.py` or in short sessions of their own.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, ValidationError

from vzero.api.deps import CallerDep, GenerationsDep
from vzero.api.params import ask_of
from vzero.api.sse import SSE_RESPONSE
from vzero.api.v1 import schemas
from vzero.api.v1.schemas import ModelConfiguration
from vzero.api.v1.stream import V1Stream
from vzero.api.v1.views import V1Views, V1ViewsDep
from vzero.api.v2.schemas import Task
from vzero.core import metadata as chat_metadata
from vzero.core.access import Principal
from vzero.engine import turns
from vzero.engine.manager import Started
from vzero.errors import InvalidInput

router = APIRouter(tags=["generation"])

Mode = Literal["sync", "async", "experimental_stream"]


class ResolveTask(BaseModel):
    model_config = ConfigDict(extra="forbid")
    task: Task
    responseMode: Mode = "sync"
    modelConfiguration: ModelConfiguration | None = None


async def _respond(views: V1Views, caller: Principal, started: Started, mode: Mode) -> Any:
    """sync waits for the end; async answers at once; experimental_stream streams the deltas."""
    if mode == "sync":
        await started.generation.wait()
        return await views.read_chat_detail(caller, started.chat.id)
    detail = views.started_chat_detail(started)  # what the start committed: nothing to read back
    if mode == "experimental_stream":
        return V1Stream(detail).response(started.generation)
    return detail


@router.post("/chats", responses=SSE_RESPONSE)
async def create_chat(body: schemas.CreateChat, caller: CallerDep, generations: GenerationsDep, views: V1ViewsDep) -> Any:
    config = body.modelConfiguration.model_dump(exclude_none=True) if body.modelConfiguration else None
    ask = ask_of(body, caller.user_id, system=body.system)
    started = await turns.create(
        generations, caller, ask, privacy=body.chatPrivacy, project_id=body.projectId,
        metadata=chat_metadata.validate(body.metadata), model_configuration=config,
    )
    return await _respond(views, caller, started, body.responseMode)


@router.post("/chats/{chatId}/messages", responses=SSE_RESPONSE)
async def send_message(chatId: str, body: schemas.SendMessage, caller: CallerDep, generations: GenerationsDep, views: V1ViewsDep) -> Any:
    ask = ask_of(body, caller.user_id, system=body.system, message_type="fix-with-v0" if body.action else "message")
    started = await turns.send(generations, caller, chatId, ask)
    return await _respond(views, caller, started, body.responseMode)


@router.post("/chats/{chatId}/messages/{messageId}/stop")
async def stop_message(chatId: str, messageId: str, caller: CallerDep, generations: GenerationsDep) -> dict[str, Any]:
    await turns.stop(generations, caller, chatId, messageId)
    return {"success": True}


@router.post("/chats/{chatId}/messages/{messageId}/resume", response_class=StreamingResponse, responses=SSE_RESPONSE)
async def resume_message(chatId: str, messageId: str, caller: CallerDep, generations: GenerationsDep, views: V1ViewsDep) -> StreamingResponse:
    detail, message = await views.reply_to_resume(caller, chatId, messageId)
    generation = generations.by_message.get(messageId)
    if generation is not None:
        return V1Stream(detail).response(generation)  # from its start, live
    return V1Stream(detail, replay=message.experimental_content or [[0, [["p", {}, message.content]]]]).response(None)


@router.post("/chats/{chatId}/tasks/resolve")
async def resolve_task(chatId: str, body: dict[str, Any], caller: CallerDep, generations: GenerationsDep, views: V1ViewsDep) -> Any:
    try:
        request = ResolveTask.model_validate(body)
    except ValidationError as exc:
        raise InvalidInput("Invalid task: " + "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:5])) from exc
    config = request.modelConfiguration
    started = await turns.resolve(
        generations, caller, chatId, request.task.model_dump(exclude_none=True), model_id=config.modelId if config else None,
        thinking=config.thinking if config else None, image_generations=config.imageGenerations if config else None,
    )
    return await _respond(views, caller, started, request.responseMode)
