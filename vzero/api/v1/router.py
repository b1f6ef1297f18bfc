"""The v1 API: one router per resource, all behind the bearer key."""

from __future__ import annotations

from fastapi import APIRouter

from vzero.api.v1 import chats

router = APIRouter()
router.include_router(chats.router)
