"""v1 projects: find, create, getById, update, delete, assign, getByChatId, and their environment variables."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from pydantic import Field
from sqlalchemy.ext.asyncio import AsyncSession

from vzero.api.deps import BoxDep, CallerDep, RuntimeDep, SessionDep
from vzero.api.v1.render import Urls, chat_summary, env_var, project_detail, project_summary
from vzero.api.v1.schemas import Body
from vzero.api.v1.views import V1ViewsDep
from vzero.core.access import Principal
from vzero.core.ids import utcnow
from vzero.crypto import SecretBox
from vzero.errors import Forbidden, NotFound, NotOffered
from vzero.store import chats as chat_store
from vzero.store import projects as store
from vzero.store.tables import EnvVar, Project

router = APIRouter(tags=["projects"])

TrueFalse = Literal["true", "false"]
ENV_KEY = r"^[A-Za-z_][A-Za-z0-9_]*$"  # what a shell, Node and Vercel accept as a variable name
MASK = "********"  # shown instead of a value unless decrypted=true is asked for


class NewEnvVar(Body):
    key: str = Field(min_length=1, max_length=255, pattern=ENV_KEY)
    value: str = Field(max_length=65536)


class ProjectEnvVar(NewEnvVar):
    value: str = Field(max_length=1000)


class CreateProject(Body):
    name: str = Field(min_length=1, max_length=255)
    description: str | None = Field(default=None, max_length=1000)
    icon: str = Field(default="icon-wand-sparkles", max_length=64)
    environmentVariables: list[ProjectEnvVar] = Field(default_factory=list, max_length=1000)
    instructions: str | None = Field(default=None, max_length=2000)
    vercelProjectId: str | None = None
    privacy: Literal["private", "team"] = "private"


class UpdateProject(Body):
    name: str | None = Field(default=None, min_length=1, max_length=255)
    description: str | None = Field(default=None, max_length=1000)
    instructions: str | None = Field(default=None, max_length=2000)
    privacy: Literal["private", "team"] | None = None


class AssignProject(Body):
    chatId: str = Field(min_length=1)


class CreateEnvVars(Body):
    environmentVariables: list[NewEnvVar] = Field(max_length=1000)
    upsert: bool = False


class EnvVarValue(Body):
    id: str = Field(min_length=1)
    value: str = Field(max_length=65536)


class UpdateEnvVars(Body):
    environmentVariables: list[EnvVarValue] = Field(max_length=1000)


class DeleteEnvVars(Body):
    environmentVariableIds: list[str] = Field(max_length=1000)


async def _detail(session: AsyncSession, urls: Urls, caller: Principal, project: Project) -> dict[str, Any]:
    chats = await store.readable_chats_of(session, caller, project.id)
    return project_detail(urls, project, [chat_summary(urls, c, await chat_store.latest_version(session, c)) for c in chats])


def _env_vars(box: SecretBox, rows: list[EnvVar], decrypted: TrueFalse | None) -> list[dict[str, Any]]:
    if decrypted == "true":
        return [env_var(r, box.decrypt(r.value_encrypted), decrypted=True) for r in rows]
    return [env_var(r, MASK, decrypted=False) for r in rows]


async def _env_project(session: AsyncSession, caller: Principal, project_id: str, decrypted: TrueFalse | None) -> Project:
    """Anyone who can see the project sees its variable names; only its owner sees the plain values."""
    project = await store.project_for(session, caller, project_id)
    if decrypted == "true" and project.owner_id != caller.user_id:
        raise Forbidden("Only the project's owner can read decrypted values; ask without decrypted=true to list the names")
    return project


@router.get("/projects")
async def find_projects(caller: CallerDep, runtime: RuntimeDep, session: SessionDep, views: V1ViewsDep) -> dict[str, Any]:
    urls = views.urls
    return {"object": "list", "data": [project_summary(urls, p) for p in await store.list_projects(session, caller)]}


@router.post("/projects")
async def create_project(body: CreateProject, caller: CallerDep, runtime: RuntimeDep, session: SessionDep, box: BoxDep, views: V1ViewsDep) -> dict[str, Any]:
    if body.vercelProjectId is not None:
        raise NotOffered("vercelProjectId: linking Vercel projects is not offered by a self-hosted vzero server; leave it out")
    project = await store.create_project(
        session, caller, name=body.name, privacy=body.privacy, description=body.description, instructions=body.instructions, icon=body.icon,
    )
    if body.environmentVariables:
        await store.create_env_vars(session, box, project, [(v.key, v.value) for v in body.environmentVariables], upsert=False)
    await session.commit()
    return await _detail(session, views.urls, caller, project)


@router.get("/projects/{projectId}")
async def get_project(projectId: str, caller: CallerDep, runtime: RuntimeDep, session: SessionDep, views: V1ViewsDep) -> dict[str, Any]:
    return await _detail(session, views.urls, caller, await store.project_for(session, caller, projectId))


@router.patch("/projects/{projectId}")
async def update_project(projectId: str, body: UpdateProject, caller: CallerDep, runtime: RuntimeDep, session: SessionDep, views: V1ViewsDep) -> dict[str, Any]:
    project = await store.project_for(session, caller, projectId, write=True)
    given = body.model_fields_set
    if body.name is not None:
        project.name = body.name
    if "description" in given:
        project.description = body.description  # null clears it
    if "instructions" in given:
        project.instructions = body.instructions
    if body.privacy is not None:
        store.check_privacy(caller, body.privacy)
        project.privacy = body.privacy
    project.updated_at = utcnow()
    await session.commit()
    return await _detail(session, views.urls, caller, project)


@router.delete("/projects/{projectId}")
async def delete_project(projectId: str, caller: CallerDep, session: SessionDep, deleteAllChats: TrueFalse = "false") -> dict[str, Any]:
    project = await store.project_for(session, caller, projectId, write=True)
    await store.remove_project(session, project, delete_chats=deleteAllChats == "true")
    await session.commit()
    return {"id": projectId, "object": "project", "deleted": True}


@router.post("/projects/{projectId}/assign")
async def assign_project(projectId: str, body: AssignProject, caller: CallerDep, session: SessionDep) -> dict[str, Any]:
    project = await store.project_for(session, caller, projectId, write=True)
    access = await chat_store.chat_for(session, caller, body.chatId, write=True)
    access.chat.project_id = project.id
    project.updated_at = utcnow()
    await session.commit()
    return {"object": "project", "id": projectId, "assigned": True}


@router.get("/chats/{chatId}/project")
async def get_project_by_chat(chatId: str, caller: CallerDep, runtime: RuntimeDep, session: SessionDep, views: V1ViewsDep) -> dict[str, Any]:
    access = await chat_store.chat_for(session, caller, chatId)
    if access.chat.project_id is None:
        raise NotFound(f"Chat {chatId} is not in a project; assign one with POST /v1/projects/{{projectId}}/assign")
    return await _detail(session, views.urls, caller, await store.project_for(session, caller, access.chat.project_id))


@router.get("/projects/{projectId}/env-vars")
async def find_env_vars(
    projectId: str, caller: CallerDep, session: SessionDep, box: BoxDep, decrypted: TrueFalse | None = None
) -> dict[str, Any]:
    project = await _env_project(session, caller, projectId, decrypted)
    return {"object": "list", "data": _env_vars(box, await store.env_vars_of(session, project.id), decrypted)}


@router.post("/projects/{projectId}/env-vars")
async def create_env_vars(
    projectId: str, body: CreateEnvVars, caller: CallerDep, session: SessionDep, box: BoxDep, decrypted: TrueFalse | None = None
) -> dict[str, Any]:
    project = await store.project_for(session, caller, projectId, write=True)
    rows = await store.create_env_vars(session, box, project, [(v.key, v.value) for v in body.environmentVariables], upsert=body.upsert)
    await session.commit()
    return {"object": "list", "data": _env_vars(box, rows, decrypted)}


@router.patch("/projects/{projectId}/env-vars")
async def update_env_vars(
    projectId: str, body: UpdateEnvVars, caller: CallerDep, session: SessionDep, box: BoxDep, decrypted: TrueFalse | None = None
) -> dict[str, Any]:
    project = await store.project_for(session, caller, projectId, write=True)
    rows = await store.update_env_vars(session, box, project, [(v.id, v.value) for v in body.environmentVariables])
    await session.commit()
    return {"object": "list", "data": _env_vars(box, rows, decrypted)}


@router.post("/projects/{projectId}/env-vars/delete")
async def delete_env_vars(projectId: str, body: DeleteEnvVars, caller: CallerDep, session: SessionDep) -> dict[str, Any]:
    project = await store.project_for(session, caller, projectId, write=True)
    deleted = await store.delete_env_vars(session, project, body.environmentVariableIds)
    await session.commit()
    return {"object": "list", "data": [{"id": i, "object": "environment_variable", "deleted": True} for i in deleted]}


@router.get("/projects/{projectId}/env-vars/{environmentVariableId}")
async def get_env_var(
    projectId: str, environmentVariableId: str, caller: CallerDep, session: SessionDep, box: BoxDep, decrypted: TrueFalse | None = None
) -> dict[str, Any]:
    project = await _env_project(session, caller, projectId, decrypted)
    row = await store.env_var_of(session, project.id, environmentVariableId)
    return {"object": "environment_variable", "data": _env_vars(box, [row], decrypted)[0]}

