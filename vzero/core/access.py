"""Who may read and who may change a chat or a project, by privacy level."""

from __future__ import annotations

from dataclasses import dataclass

CHAT_PRIVACY = ("public", "private", "team", "team-edit", "unlisted")
PROJECT_PRIVACY = ("private", "team")


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller."""

    user_id: str
    team_id: str | None = None


def _same_team(principal: Principal, owner_team: str | None) -> bool:
    return principal.team_id is not None and principal.team_id == owner_team


def can_read(principal: Principal, owner_id: str, owner_team: str | None, privacy: str) -> bool:
    """Public and unlisted are readable by anyone with a key; team levels by the owner's team."""
    if principal.user_id == owner_id or privacy in ("public", "unlisted"):
        return True
    return privacy in ("team", "team-edit") and _same_team(principal, owner_team)


def can_write(principal: Principal, owner_id: str, owner_team: str | None, privacy: str) -> bool:
    """Only the owner writes, except team-edit chats which the whole team may change."""
    if principal.user_id == owner_id:
        return True
    return privacy == "team-edit" and _same_team(principal, owner_team)


def is_shareable(privacy: str) -> bool:
    return privacy in ("public", "unlisted", "team", "team-edit")
