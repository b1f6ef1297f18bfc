"""The v2 API: one router per resource, all behind the bearer key; errors are flat `{"message"}` bodies."""

from __future__ import annotations

from fastapi import APIRouter

from vzero.api.v2 import chats, generate, hooks, mcp_servers, messages, usage

router = APIRouter()
router.include_router(generate.router)
router.include_router(chats.router)
router.include_router(messages.router)
router.include_router(usage.router)
router.include_router(hooks.router)
router.include_router(mcp_servers.router)
