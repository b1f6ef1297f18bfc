"""A chat's turns as a request asks for them, shared by both API dialects: create a chat with its first message,
send a message, answer the task a reply waits on, stop a reply, delete the chat.

Each reads what it checks in a short session of its own, closed before it waits for anything (the start queue,
the reply): the routes that call these hold no database connection at all.
"""

from __future__ import annotations

from typing import Any

from vzero.core import jsontext
from vzero.core.access import Principal
from vzero.engine import tooling
from vzero.engine.ask import Ask
from vzero.engine.manager import GenerationManager, Started
from vzero.errors import Conflict, Forbidden, InvalidInput
from vzero.imports import with_design_system
from vzero.store import chats as chat_store
from vzero.store import projects as project_store
from vzero.store.tables import Chat, Message
from vzero.store.versions import ensure_idle
from vzero.tools.actions import TASK_OF_ACTION, answer_text, message_type_of


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
    prepared = await tooling.prepare(manager.runtime, principal, ask, None)
    base = await with_design_system(manager.runtime, ask.design_system_id) if ask.design_system_id else None
    chat = chat_store.new_chat(
        principal.user_id, privacy=privacy, name=name, project_id=project_id, metadata=metadata, text=ask.message,
        system=ask.system, model_configuration=model_configuration, api_version=api_version,
    )
    return await manager.start(chat, ask, new=True, tooling=prepared, base=base)


async def send(manager: GenerationManager, principal: Principal, chat_id: str, ask: Ask) -> Started:
    """A new message in a chat the caller may change, and the reply to it."""
    async with manager.runtime.db.session() as session:
        access = await chat_store.chat_for(session, principal, chat_id, write=True)
    prepared = await tooling.prepare(manager.runtime, principal, ask, access.chat)
    return await manager.start(access.chat, ask, tooling=prepared)


async def resolve(
    manager: GenerationManager, principal: Principal, chat_id: str, task: dict[str, Any], *, model_id: str | None = None,
    thinking: bool | None = None, image_generations: bool | None = None,
) -> Started:
    """Answer the task the chat's latest reply waits on (questions, a plan, environment variables, a permission),
    then let the model continue from there."""
    async with manager.runtime.db.session() as session:
        access = await chat_store.chat_for(session, principal, chat_id, write=True)
        messages = await chat_store.messages_of(session, chat_id)
        project_id = access.chat.project_id
        env_names = {v.key for v in await project_store.env_vars_of(session, project_id)} if project_id else set()
    task_type = str(task.get("type"))
    waiting = waiting_task(messages[-1]) if messages else None
    if waiting is None:
        raise Conflict("No task is waiting for an answer in this chat: its latest message is not an assistant message blocked on a task")
    expected, call = waiting
    if expected and expected != task_type:
        raise Conflict(f"The waiting task expects a {expected} answer, not {task_type}")
    if task_type == "confirmed-permissions" and call is not None:
        _check_permissions(task, call)
    if task_type == "confirmed-steps" and task.get("addedEnvVars"):
        missing = [name for name in task["addedEnvVars"] if name not in env_names]
        if missing:
            where = (
                f"project {project_id} (POST /v1/projects/{project_id}/env-vars)" if project_id
                else "a project: this chat has none (assign one with POST /v1/projects/{projectId}/assign)"
            )
            raise InvalidInput(f"addedEnvVars names variables that are not set: {', '.join(missing)}; add them to {where} first")
    ask = Ask(
        message=answer_text(task), author_id=principal.user_id, model_id=model_id, thinking=thinking, image_generations=image_generations,
        message_type=message_type_of(task), task=task,
    )
    prepared = await tooling.prepare(manager.runtime, principal, ask, access.chat)
    return await manager.start(access.chat, ask, tooling=prepared)


def _check_permissions(task: dict[str, Any], call: dict[str, Any]) -> None:
    """The permissions must allow exactly the call that waits (strict: its tool and its input)."""
    wanted = jsontext.dumps(call.get("input") or {})
    for permission in task.get("permissions") or []:
        if permission.get("toolName") == call["name"] and jsontext.dumps(permission.get("input") or {}) == wanted:
            return
    raise Conflict(
        f"The permissions do not allow the call that waits: the tool {call['name']} with the input {wanted.decode()[:300]}; "
        "pass the part's suggestedPermissions back unchanged"
    )


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


def waiting_task(message: Message) -> tuple[str | None, dict[str, Any] | None] | None:
    """The task type a reply waits on and the call that waits (None when the reply waits on none). A reply waits on
    a call it made (stored with its rounds), or on an unanswered `agent-action` part it ends with."""
    if message.role != "assistant":
        return None
    rounds = message.turns or []
    pending = rounds[-1].get("pending") if rounds and message.status == "completed" else None
    if isinstance(pending, dict):
        return str(pending.get("task")), pending
    parts = message.parts or []
    if parts and parts[-1].get("type") == "agent-action" and not parts[-1].get("finishedAt"):
        data = parts[-1].get("data") or {}
        return TASK_OF_ACTION.get(str(parts[-1].get("name"))) or data.get("taskType"), None
    return None
