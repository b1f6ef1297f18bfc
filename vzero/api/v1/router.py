"""The v1 API: one router per resource, all behind the bearer key."""

from __future__ import annotations

from fastapi import APIRouter

from vzero.api.v1 import (
    chats,
    completions,
    deployments,
    generate,
    hooks,
    integrations,
    keys,
    mcp_servers,
    preview_errors,
    projects,
    reports,
    templates,
    users,
)

router = APIRouter()
# Routes are tried in order: the generation routes (a few, and every streamed reply starts there) come first.
for resource in (generate, chats, projects, users, hooks, mcp_servers, integrations, deployments, reports, keys, templates, preview_errors, completions):
    router.include_router(resource.router)
