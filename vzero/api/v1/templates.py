"""The starter templates a chat can begin from (a vzero addition): the ids `POST /v1/chats/init` takes."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from vzero.api.deps import CallerDep
from vzero.sources.templates import list_templates

router = APIRouter(tags=["templates"])


@router.get("/templates")
async def find_templates(caller: CallerDep) -> dict[str, Any]:
    """Template ids for `{"type": "template", "templateId": id}`, with a readable name."""
    data = [{"id": t, "object": "template", "name": t.replace("-", " ").capitalize()} for t in list_templates()]
    return {"object": "list", "data": data}
