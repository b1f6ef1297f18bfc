"""The errors a version's preview recorded (a vzero addition): build errors and what the page threw while running.

The workspace shows them and sends them all at once in a `fix-with-v0` message.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from vzero.api.deps import CallerDep, SessionDep
from vzero.store import chats as store

router = APIRouter(tags=["chats"])
_FIELDS = ("source", "message", "stack", "file", "line", "column", "text", "createdAt")


@router.get("/chats/{chatId}/versions/{versionId}/errors")
async def find_version_errors(chatId: str, versionId: str, caller: CallerDep, session: SessionDep) -> dict[str, Any]:
    """`{object: "list", data: [{source, message, stack?, file?, line?, column?, text?, createdAt}]}`, oldest first."""
    await store.chat_for(session, caller, chatId)
    version = await store.version_of(session, chatId, versionId)
    data = [{k: e[k] for k in _FIELDS if e.get(k) is not None} for e in version.errors or [] if isinstance(e, dict)]
    return {"object": "list", "data": data}
