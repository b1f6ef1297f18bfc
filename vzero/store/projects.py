"""Projects and their environment variables (stored encrypted)."""

from __future__ import annotations

import time

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from vzero.core.access import PROJECT_PRIVACY, Principal, can_read, can_write
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


def check_privacy(principal: Principal, privacy: str) -> None:
    """A project is private, or shared with the owner's team when the owner has one."""
    if privacy not in PROJECT_PRIVACY:
        raise InvalidInput(f"privacy must be one of {', '.join(PROJECT_PRIVACY)}")
    if privacy == "team" and principal.team_id is None:
        raise InvalidInput("privacy team needs a team: this key's user belongs to none (create one with 'vzero keys create --team TEAM')")


async def create_project(
    session: AsyncSession,
    principal: Principal,
    *,
    name: str,
    privacy: str = "private",
    description: str | None = None,
    instructions: str | None = None,
    icon: str | None = None,
) -> Project:
    check_privacy(principal, privacy)
    now = utcnow()
    project = Project(
        id=new_id(), owner_id=principal.user_id, name=name, description=description, instructions=instructions,
        icon=icon, privacy=privacy, created_at=now, updated_at=now,
    )
    session.add(project)
    await session.flush()
    return project


async def readable_chats_of(session: AsyncSession, principal: Principal, project_id: str) -> list[Chat]:
    """The project's chats the caller may read, most recently updated first."""
    rows = await session.execute(
        select(Chat, User.team_id).join(User, User.id == Chat.owner_id).where(Chat.project_id == project_id).order_by(Chat.updated_at.desc(), Chat.id.desc())
    )
    return [chat for chat, team in rows.all() if can_read(principal, chat.owner_id, team, chat.privacy)]


async def remove_project(session: AsyncSession, project: Project, *, delete_chats: bool) -> None:
    """Delete a project; with delete_chats the owner's chats in it go too, other users' chats are only unlinked."""
    from vzero.store.chats import set_project
    from vzero.store.versions import ensure_idle

    if delete_chats:
        chats = await chats_of(session, project.id)
        foreign = [c.id for c in chats if c.owner_id != project.owner_id]
        if foreign:
            await set_project(session, foreign, None)
        for chat in chats:
            if chat.owner_id == project.owner_id:
                await ensure_idle(session, chat)
    await delete_project(session, project, delete_chats=delete_chats)


def _pick(rows: list[EnvVar], ids: list[str]) -> dict[str, EnvVar]:
    if len(set(ids)) != len(ids):
        raise InvalidInput("The request names the same environment variable id twice")
    by_id = {r.id: r for r in rows}
    missing = [i for i in ids if i not in by_id]
    if missing:
        raise NotFound(f"Environment variable not found: {missing[0]}")
    return by_id


async def update_env_vars(session: AsyncSession, box: SecretBox, project: Project, changes: list[tuple[str, str]]) -> list[EnvVar]:
    """New values for existing variables, by id; all or nothing."""
    by_id = _pick(await env_vars_of(session, project.id), [i for i, _ in changes])
    stamp = now_ms()
    for env_id, value in changes:
        by_id[env_id].value_encrypted = box.encrypt(value)
        by_id[env_id].updated_at = stamp
    project.updated_at = utcnow()
    await session.flush()
    return [by_id[i] for i, _ in changes]


async def delete_env_vars(session: AsyncSession, project: Project, ids: list[str]) -> list[str]:
    """Delete variables by id; all or nothing."""
    _pick(await env_vars_of(session, project.id), ids)
    if ids:
        await session.execute(delete(EnvVar).where(EnvVar.project_id == project.id, EnvVar.id.in_(ids)))
        project.updated_at = utcnow()
    return ids
