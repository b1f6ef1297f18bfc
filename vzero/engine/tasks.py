"""Answering a task an assistant message is blocked on (questions, plan approval, ...): both dialects' resolve."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from vzero.engine.manager import Ask, GenerationManager, Started
from vzero.errors import Conflict
from vzero.store import chats as store
from vzero.store.tables import Chat


def pending_task(parts: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The agent action a message waits on: its last part, when it is an unanswered `agent-action`."""
    if parts and parts[-1].get("type") == "agent-action" and not parts[-1].get("finishedAt"):
        return parts[-1]
    return None


def task_answer_text(task_type: str, fields: dict[str, Any]) -> str:
    """The answer, as the next user turn the model reads."""
    if task_type == "plan-exit-response":
        return f"Plan {fields.get('status', 'approved')}. {fields.get('content', '')}".strip()
    if task_type == "answered-questions":
        lines = [
            f"- {a.get('questionText', a.get('questionId'))}: {', '.join(a.get('selectedLabels', []))} {a.get('customText') or ''}".rstrip()
            for a in fields.get("answers", [])
        ]
        return "Answers to your questions:\n" + "\n".join(lines)
    return f"Task {task_type} resolved: {json.dumps(fields)}"


async def answer_task(
    manager: GenerationManager,
    session: AsyncSession,
    chat: Chat,
    task: dict[str, Any],
    *,
    author_id: str,
    model_id: str | None = None,
    thinking: bool = False,
    parts_deltas: bool = False,
) -> Started:
    """Check the chat's latest message waits on a task of this type, then let the model continue with the answer."""
    messages = await store.messages_of(session, chat.id)
    latest = messages[-1] if messages else None
    waiting = pending_task(latest.parts) if latest is not None and latest.role == "assistant" else None
    if waiting is None:
        raise Conflict("No task is waiting for an answer in this chat: its latest message is not an assistant message blocked on a task")
    task_type = str(task.get("type"))
    expected = (waiting.get("data") or {}).get("taskType")
    if expected and expected != task_type:
        raise Conflict(f"The waiting task expects a {expected} answer, not {task_type}")
    fields = {k: v for k, v in task.items() if k != "type"}
    ask = Ask(message=task_answer_text(task_type, fields), author_id=author_id, model_id=model_id, thinking=thinking, message_type="answered-questions", parts_deltas=parts_deltas)
    return await manager.start(chat, ask)
