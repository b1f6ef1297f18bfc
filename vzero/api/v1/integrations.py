"""v1 Vercel integration: a self-hosted server has no Vercel account to link projects to."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import Field

from vzero.api.deps import CallerDep, SessionDep
from vzero.api.v1.schemas import Body
from vzero.errors import NotOffered
from vzero.store import projects as project_store

router = APIRouter(tags=["integrations"])


class CreateVercelProject(Body):
    projectId: str = Field(min_length=1)
    name: str = Field(min_length=1, max_length=255)


@router.get("/integrations/vercel/projects")
async def find_vercel_projects(caller: CallerDep) -> dict[str, Any]:
    return {"object": "list", "data": []}  # nothing is ever linked: creating one is not offered


@router.post("/integrations/vercel/projects")
async def create_vercel_project(body: CreateVercelProject, caller: CallerDep, session: SessionDep) -> dict[str, Any]:
    await project_store.project_for(session, caller, body.projectId, write=True)
    raise NotOffered(
        "Vercel projects are not offered by a self-hosted vzero server: it has no Vercel account to create them in. "
        "Download a version (GET /v1/chats/{chatId}/versions/{versionId}/download) and deploy it with the Vercel CLI instead"
    )
