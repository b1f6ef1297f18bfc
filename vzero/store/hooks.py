"""Webhooks: where to send which chat events, each hook with its own signing secret."""

from __future__ import annotations

import secrets
from collections.abc import Sequence

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from vzero.core.access import Principal, can_read
from vzero.core.ids import new_id, utcnow
from vzero.errors import InvalidInput, NotFound, UnsafeSource
from vzero.sources.fetch import address_problem, display_url, parse_url
from vzero.store.tables import Chat, Hook, User

HOOK_EVENTS = ("chat.created", "chat.updated", "chat.deleted", "message.created", "message.updated", "message.deleted", "message.finished")
MAX_URL_CHARS = 2048


# Bumped by every change to the hooks table in this process: the dispatcher's cache of which users
# have hooks at all reloads when it moves (and every few seconds for changes made by other processes).
changes = 0


def _changed() -> None:
    global changes
    changes += 1


async def hooked(session: AsyncSession) -> tuple[set[str], set[str]]:
    """Who has account-wide hooks, and which chats have hooks of their own."""
    owners: set[str] = set()
    chats: set[str] = set()
    for owner_id, chat_id in await session.execute(select(Hook.owner_id, Hook.chat_id).distinct()):
        if chat_id is None:
            owners.add(owner_id)
        else:
            chats.add(chat_id)
    return owners, chats


def new_secret() -> str:
    """A per-hook signing secret (256 bits)."""
    return "whsec_" + secrets.token_urlsafe(32)


def outbound_url(url: str, *, allow_private: bool, purpose: str) -> str:
    """An http(s) URL vzero will call later; a literal private IP is refused now, host names again on each call."""
    if len(url) > MAX_URL_CHARS:
        raise InvalidInput(f"url is longer than {MAX_URL_CHARS} characters")
    parsed = parse_url(url, action=purpose)
    if parsed.port is not None and not 0 < parsed.port < 65536:
        raise InvalidInput(f"Refused to {purpose} {display_url(parsed)}: port {parsed.port} does not exist")
    host = parsed.host.strip("[]")
    if not allow_private:
        try:
            problem = address_problem(host)
        except ValueError:  # a host name: it is resolved and checked when vzero connects
            problem = None
        if problem is not None:
            raise UnsafeSource(f"Refused to {purpose} {display_url(parsed)}: it is {problem} (set VZERO_ALLOW_PRIVATE_URLS=true to allow private addresses)")
    return str(parsed)


def _events(events: Sequence[str]) -> list[str]:
    unknown = [e for e in events if e not in HOOK_EVENTS]
    if unknown:
        raise InvalidInput(f"Unknown hook event {unknown[0]!r}; the events are: {', '.join(HOOK_EVENTS)}")
    if not events:
        raise InvalidInput("events must name at least one event: " + ", ".join(HOOK_EVENTS))
    return list(dict.fromkeys(events))


async def create_hook(session: AsyncSession, owner_id: str, *, name: str, url: str, events: Sequence[str], chat_id: str | None) -> Hook:
    """A new hook; `url` must already be checked with `outbound_url`, and the chat's access by the caller."""
    now = utcnow()
    hook = Hook(
        id=new_id(), owner_id=owner_id, name=name, url=url, events=_events(events), chat_id=chat_id, secret=new_secret(), created_at=now, updated_at=now,
    )
    session.add(hook)
    await session.flush()
    _changed()
    return hook


async def list_hooks(session: AsyncSession, owner_id: str) -> list[Hook]:
    return list((await session.execute(select(Hook).where(Hook.owner_id == owner_id).order_by(Hook.created_at.desc(), Hook.id))).scalars())


async def hook_for(session: AsyncSession, owner_id: str, hook_id: str) -> Hook:
    """The caller's hook; anyone else's is reported as missing."""
    hook = await session.get(Hook, hook_id)
    if hook is None or hook.owner_id != owner_id:
        raise NotFound(f"Hook not found: {hook_id}")
    return hook


async def update_hook(
    session: AsyncSession, hook: Hook, *, name: str | None = None, url: str | None = None, events: Sequence[str] | None = None
) -> Hook:
    if name is not None:
        hook.name = name
    if url is not None:
        hook.url = url
    if events is not None:
        hook.events = _events(events)
    hook.updated_at = utcnow()
    await session.flush()
    _changed()
    return hook


async def delete_hook(session: AsyncSession, hook: Hook) -> None:
    await session.execute(delete(Hook).where(Hook.id == hook.id))
    _changed()


async def hooks_for_event(session: AsyncSession, owner_id: str, chat_id: str | None, event: str) -> list[Hook]:
    """The hooks to call for an event of the owner's chat: the owner's account-wide hooks and the chat's own hooks.

    A chat's own hook fires only while its owner may still read the chat (privacy can change after it was made).
    For `chat.deleted`, call this before the chat's row is gone.
    """
    condition = (Hook.owner_id == owner_id) & Hook.chat_id.is_(None)
    if chat_id is not None:
        condition = condition | (Hook.chat_id == chat_id)
    rows = (await session.execute(select(Hook, User.team_id).join(User, User.id == Hook.owner_id).where(condition).order_by(Hook.created_at, Hook.id))).all()
    chat_row = None
    if chat_id is not None:
        chat_row = (await session.execute(select(Chat, User.team_id).join(User, User.id == Chat.owner_id).where(Chat.id == chat_id))).first()
    found = []
    for hook, hook_team in rows:
        if event not in (hook.events or []):
            continue
        # A hook on one chat of someone else's fires only while its owner may still read that chat.
        foreign = hook.chat_id is not None and hook.owner_id != owner_id
        if foreign and (chat_row is None or not can_read(Principal(hook.owner_id, hook_team), chat_row[0].owner_id, chat_row[1], chat_row[0].privacy)):
            continue
        found.append(hook)
    return found
