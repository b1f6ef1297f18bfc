"""v1 resolveTask: the request body, checked, handed to the engine's `answer_task`."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from vzero.engine.tasks import answer_task
from vzero.errors import InvalidInput
from vzero.runtime import Runtime
from vzero.store import chats as store


class Task(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: Literal["confirmed-steps", "plan-exit-response", "answered-questions", "confirmed-permissions", "vercel-connect-setup"]


class ResolveTask(BaseModel):
    model_config = ConfigDict(extra="forbid")
    task: Task
    responseMode: Literal["sync", "async", "experimental_stream"] = "sync"
    modelConfiguration: dict[str, Any] | None = None


async def resolve(runtime: Runtime, session: AsyncSession, access: store.ChatAccess, raw: dict[str, Any], author_id: str) -> Any:
    try:
        body = ResolveTask.model_validate(raw)
    except ValidationError as exc:
        raise InvalidInput("Invalid task: " + "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:5])) from exc
    from vzero.api.v1.generate import _respond, manager_of

    config = body.modelConfiguration or {}
    started = await answer_task(
        manager_of(runtime), session, access.chat, body.task.model_dump(),
        author_id=author_id, model_id=config.get("modelId"), thinking=bool(config.get("thinking")),
    )
    return await _respond(runtime, session, access.chat, started, body.responseMode)
