"""Projects and their environment variables (stored encrypted)."""

from __future__ import annotations

import time

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from vzero.core.access import Principal, can_read, can_write
from vzero.core.ids import new_id, utcnow
from vzero.crypto import SecretBox
from vzero.errors import Conflict, Forbidden, InvalidInput, NotFound
from vzero.store.tables import Chat, EnvVar, Project, User


async def project_for(session: AsyncSession, principal: Principal, project_id: str, *, write: bool = False) -> Project:
    """The project if the caller may see it (404 otherwise); write=True also needs write access (403)."""
    row = (await session.execute(select(Project, User.team_id).join(User, User.id == Project.owner_id).where(Project.id == project_id))).first()
    if row is None:
        raise NotFound(f"Project not found: {project_id}")
    project, owner_team = row
    if not can_read(principal, project.owner_id, owner_team, project.privacy):
        raise NotFound(f"Project not found: {project_id}")
    if write and not can_write(principal, project.owner_id, owner_team, project.privacy):
        raise Forbidden("Only the project's owner can change it")
    return project


async def list_projects(session: AsyncSession, principal: Principal) -> list[Project]:
    query = select(Project).join(User, User.id == Project.owner_id)
    if principal.team_id:
        query = query.where((Project.owner_id == principal.user_id) | ((User.team_id == principal.team_id) & (Project.privacy == "team")))
    else:
        query = query.where(Project.owner_id == principal.user_id)
    return list((await session.execute(query.order_by(Project.created_at.desc()))).scalars())


async def chats_of(session: AsyncSession, project_id: str) -> list[Chat]:
    return list((await session.execute(select(Chat).where(Chat.project_id == project_id).order_by(Chat.updated_at.desc()))).scalars())


async def delete_project(session: AsyncSession, project: Project, *, delete_chats: bool) -> None:
    if delete_chats:
        from vzero.store.chats import delete_chat

        for chat in await chats_of(session, project.id):
            await delete_chat(session, chat)
    else:
        await session.execute(update(Chat).where(Chat.project_id == project.id).values(project_id=None))
    await session.execute(delete(EnvVar).where(EnvVar.project_id == project.id))
    await session.execute(delete(Project).where(Project.id == project.id))


def now_ms() -> int:
    return int(time.time() * 1000)


async def env_vars_of(session: AsyncSession, project_id: str) -> list[EnvVar]:
    return list((await session.execute(select(EnvVar).where(EnvVar.project_id == project_id).order_by(EnvVar.key))).scalars())


async def create_env_vars(session: AsyncSession, box: SecretBox, project: Project, pairs: list[tuple[str, str]], *, upsert: bool) -> list[EnvVar]:
    existing = {v.key: v for v in await env_vars_of(session, project.id)}
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        raise InvalidInput("environmentVariables names the same key twice")
    result = []
    stamp = now_ms()
    for key, value in pairs:
        current = existing.get(key)
        if current is not None:
            if not upsert:
                raise Conflict(f"Environment variable {key} already exists; pass upsert: true to overwrite it")
            current.value_encrypted = box.encrypt(value)
            current.updated_at = stamp
            result.append(current)
        else:
            row = EnvVar(id=new_id(), project_id=project.id, key=key, value_encrypted=box.encrypt(value), created_at=stamp, updated_at=stamp)
            session.add(row)
            result.append(row)
    project.updated_at = utcnow()
    await session.flush()
    return result


async def env_var_of(session: AsyncSession, project_id: str, env_var_id: str) -> EnvVar:
    row = await session.get(EnvVar, env_var_id)
    if row is None or row.project_id != project_id:
        raise NotFound(f"Environment variable not found: {env_var_id}")
    return row
