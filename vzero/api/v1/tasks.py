"""resolveTask: answers a task an assistant message is blocked on, then continues the conversation."""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from vzero.errors import Conflict, InvalidInput
from vzero.runtime import Runtime
from vzero.store import chats as store

TASK_TYPES = ("confirmed-steps", "plan-exit-response", "answered-questions", "confirmed-permissions", "vercel-connect-setup")


class Task(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: Literal["confirmed-steps", "plan-exit-response", "answered-questions", "confirmed-permissions", "vercel-connect-setup"]


class ResolveTask(BaseModel):
    model_config = ConfigDict(extra="forbid")
    task: Task
    responseMode: Literal["sync", "async", "experimental_stream"] = "sync"
    modelConfiguration: dict[str, Any] | None = None


def pending_task(parts: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The agent action a message waits on: its last part, when it is an unanswered `agent-action`."""
    if parts and parts[-1].get("type") == "agent-action" and not parts[-1].get("finishedAt"):
        return parts[-1]
    return None


def task_answer_text(task: Task) -> str:
    """The answer, as the next user turn the model reads."""
    body = task.model_dump(exclude={"type"})
    if task.type == "plan-exit-response":
        return f"Plan {body.get('status', 'approved')}. {body.get('content', '')}".strip()
    if task.type == "answered-questions":
        lines = [f"- {a.get('questionText', a.get('questionId'))}: {', '.join(a.get('selectedLabels', []))} {a.get('customText') or ''}".rstrip() for a in body.get("answers", [])]
        return "Answers to your questions:\n" + "\n".join(lines)
    return f"Task {task.type} resolved: {json.dumps(body)}"


async def resolve(runtime: Runtime, session: AsyncSession, access: store.ChatAccess, raw: dict[str, Any], author_id: str) -> Any:
    try:
        body = ResolveTask.model_validate(raw)
    except ValidationError as exc:
        raise InvalidInput("Invalid task: " + "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:5])) from exc
    messages = await store.messages_of(session, access.chat.id)
    latest = messages[-1] if messages else None
    waiting = pending_task(latest.parts) if latest is not None and latest.role == "assistant" else None
    if waiting is None:
        raise Conflict("No task is waiting for an answer in this chat: its latest message is not an assistant message blocked on a task")
    expected = waiting.get("data", {}).get("taskType")
    if expected and expected != body.task.type:
        raise Conflict(f"The waiting task expects a {expected} answer, not {body.task.type}")
    from vzero.api.v1.generate import _respond, manager_of
    from vzero.engine.manager import Ask

    config = body.modelConfiguration or {}
    ask = Ask(message=task_answer_text(body.task), author_id=author_id, model_id=config.get("modelId"), thinking=bool(config.get("thinking")), message_type="answered-questions")
    started = await manager_of(runtime).start(access.chat, ask)
    return await _respond(runtime, session, access.chat, started, body.responseMode)
