"""Memory skills: instructions a user keeps for the model, for themselves or for their team."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from vzero.core.access import Principal
from vzero.core.ids import new_id, utcnow
from vzero.errors import InvalidInput, NotFound
from vzero.store.tables import Skill, User

SCOPES = ("user", "team")


async def skill_for(session: AsyncSession, principal: Principal, scope: str, name: str) -> Skill:
    """The caller's skill of that name (`user`), or its team's (`team`); NotFound says how to add one."""
    if scope == "team":
        if principal.team_id is None:
            raise InvalidInput(f"Team skill {name!r}: this key's user belongs to no team")
        query = select(Skill).where(Skill.scope == "team", Skill.team_id == principal.team_id, Skill.name == name)
    else:
        query = select(Skill).where(Skill.scope == "user", Skill.owner_id == principal.user_id, Skill.name == name)
    row = (await session.execute(query.order_by(Skill.created_at).limit(1))).scalar_one_or_none()
    if row is None:
        raise NotFound(f"No {scope} memory skill {name!r}: add one with 'vzero skills add {name} --file SKILL.md'" + (" --team" if scope == "team" else ""))
    return row


async def save_skill(session: AsyncSession, owner_id: str, *, scope: str, name: str, description: str, body: str) -> Skill:
    """Add a skill, or replace the owner's skill of that name and scope."""
    if scope not in SCOPES:
        raise InvalidInput("scope must be user or team")
    owner = await session.get(User, owner_id)
    if owner is None:
        raise NotFound(f"User not found: {owner_id}")
    if scope == "team" and owner.team_id is None:
        raise InvalidInput(f"User {owner_id} belongs to no team: a team skill needs one")
    existing = (await session.execute(select(Skill).where(Skill.owner_id == owner_id, Skill.scope == scope, Skill.name == name))).scalar_one_or_none()
    now = utcnow()
    if existing is not None:
        existing.description, existing.body, existing.updated_at = description, body, now
        await session.flush()
        return existing
    row = Skill(id=new_id(), owner_id=owner_id, scope=scope, team_id=owner.team_id if scope == "team" else None, name=name,
                description=description, body=body, created_at=now, updated_at=now)
    session.add(row)
    await session.flush()
    return row


async def skills_of(session: AsyncSession, owner_id: str) -> list[Skill]:
    return list((await session.execute(select(Skill).where(Skill.owner_id == owner_id).order_by(Skill.scope, Skill.name))).scalars())


async def delete_skill(session: AsyncSession, owner_id: str, scope: str, name: str) -> bool:
    result = await session.execute(delete(Skill).where(Skill.owner_id == owner_id, Skill.scope == scope, Skill.name == name))
    return bool(result.rowcount)  # type: ignore[attr-defined]
