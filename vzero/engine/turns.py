"""A chat's turns as a request asks for them, shared by both API dialects: create a chat with its first message,
send a message, answer the task a reply waits on, stop a reply, delete the chat.

Each reads what it checks in a short session of its own, closed before it waits for anything (the start queue,
the reply): the routes that call these hold no database connection at all.
"""

from __future__ import annotations

import json
from typing import Any

from vzero.core.access import Principal
from vzero.engine.manager import Ask, GenerationManager, Started
from vzero.errors import Conflict, Forbidden
from vzero.store import chats as chat_store
from vzero.store import projects as project_store
from vzero.store.tables import Chat, Message
from vzero.store.versions import ensure_idle


async def create(
    manager: GenerationManager,
    principal: Principal,
    ask: Ask,
    *,
    privacy: str = "private",
    name: str | None = None,
    project_id: str | None = None,
    metadata: dict[str, str] | None = None,
    model_configuration: dict[str, Any] | None = None,
    api_version: str = "v1",
) -> Started:
    """A new chat and its first generation: the chat is stored with its first messages, or not at all."""
    manager.model()  # fail before anything else when no model is configured
    if project_id is not None:
        async with manager.runtime.db.session() as session:
            await project_store.project_for(session, principal, project_id, write=True)
    chat = chat_store.new_chat(
        principal.user_id, privacy=privacy, name=name, project_id=project_id, metadata=metadata, text=ask.message,
        system=ask.system, model_configuration=model_configuration, api_version=api_version,
    )
    return await manager.start(chat, ask, new=True)


async def send(manager: GenerationManager, principal: Principal, chat_id: str, ask: Ask) -> Started:
    """A new message in a chat the caller may change, and the reply to it."""
    async with manager.runtime.db.session() as session:
        access = await chat_store.chat_for(session, principal, chat_id, write=True)
    return await manager.start(access.chat, ask)


async def resolve(
    manager: GenerationManager, principal: Principal, chat_id: str, task: dict[str, Any], *, model_id: str | None = None, thinking: bool = False
) -> Started:
    """Answer the task the chat's latest reply waits on (questions, plan approval, ...), then let the model continue."""
    async with manager.runtime.db.session() as session:
        access = await chat_store.chat_for(session, principal, chat_id, write=True)
        messages = await chat_store.messages_of(session, chat_id)
    waiting = pending_task(messages[-1]) if messages else None
    if waiting is None:
        raise Conflict("No task is waiting for an answer in this chat: its latest message is not an assistant message blocked on a task")
    task_type = str(task.get("type"))
    expected = (waiting.get("data") or {}).get("taskType")
    if expected and expected != task_type:
        raise Conflict(f"The waiting task expects a {expected} answer, not {task_type}")
    fields = {k: v for k, v in task.items() if k != "type"}
    ask = Ask(message=task_answer_text(task_type, fields), author_id=principal.user_id, model_id=model_id, thinking=thinking, message_type="answered-questions")
    return await manager.start(access.chat, ask)


async def stop(manager: GenerationManager, principal: Principal, chat_id: str, message_id: str) -> None:
    """Stop a reply being generated; stopping one that has already finished changes nothing."""
    async with manager.runtime.db.session() as session:
        await chat_store.chat_for(session, principal, chat_id, write=True)
        message = await chat_store.message_of(session, chat_id, message_id)
    if message.role != "assistant":
        raise Conflict("Only an assistant message can be stopped; this one was written by a user")
    await manager.stop(message_id)


async def delete_chat(manager: GenerationManager, principal: Principal, chat_id: str, *, owner_only: bool, stop_running: bool) -> str:
    """Delete a chat the caller may change (`owner_only`: only if it is its owner's); a reply being generated is
    stopped first with `stop_running`, or makes it a conflict. Returns the owner's id."""
    db = manager.runtime.db
    async with db.session() as session:
        access = await chat_store.chat_for(session, principal, chat_id, write=True)
        if owner_only and access.chat.owner_id != principal.user_id:
            raise Forbidden("Only the owner can delete a chat")
        running = [m.id for m in await chat_store.messages_of(session, chat_id) if m.status == "running"]
    if stop_running:
        for message_id in running:
            await manager.stop(message_id)
    async with db.session() as session:
        chat = await session.get(Chat, chat_id)
        if chat is not None:
            await ensure_idle(session, chat)
            await chat_store.delete_chat(session, chat)
            await session.commit()
    return access.chat.owner_id


def pending_task(message: Message) -> dict[str, Any] | None:
    """The agent action a reply waits on: its last part, when it is an unanswered `agent-action`."""
    parts = message.parts if message.role == "assistant" else None
    if parts and parts[-1].get("type") == "agent-action" and not parts[-1].get("finishedAt"):
        return parts[-1]  # type: ignore[no-any-return]
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
