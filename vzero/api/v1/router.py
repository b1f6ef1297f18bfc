"""The v1 API: one router per resource, all behind the bearer key."""

from __future__ import annotations

from fastapi import APIRouter

from vzero.api.v1 import chats, generate
from vzero.api.v1 import hooks, integrations, mcp_servers, projects, users
from vzero.api.v1 import deployments

router = APIRouter()
router.include_router(chats.router)
router.include_router(generate.router)
router.include_router(projects.router)
router.include_router(users.router)
router.include_router(hooks.router)
router.include_router(mcp_servers.router)
router.include_router(integrations.router)
router.include_router(deployments.router)
