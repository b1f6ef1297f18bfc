"""Loads what a v1 response needs and renders it; shared by the v1 routers."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from vzero.api.v1.render import Urls, chat_detail, version_detail
from vzero.runtime import Runtime
from vzero.store.chats import ChatAccess, latest_version, messages_of
from vzero.store.tables import Version
from vzero.store.versions import files_of


def urls_of(runtime: Runtime) -> Urls:
    urls = runtime.services.get("v1_urls")
    if urls is None:
        urls = runtime.services["v1_urls"] = Urls(runtime.settings.base_url)
    return urls  # type: ignore[no-any-return]


async def chat_detail_view(session: AsyncSession, runtime: Runtime, access: ChatAccess) -> dict[str, Any]:
    chat = access.chat
    latest = await latest_version(session, chat)
    files = await files_of(session, runtime.blobs, latest) if latest is not None else None
    messages = await messages_of(session, chat.id)
    return chat_detail(urls_of(runtime), chat, latest=latest, latest_files=files, messages=messages, writable=access.writable)


async def version_detail_view(session: AsyncSession, runtime: Runtime, version: Version) -> dict[str, Any]:
    return version_detail(urls_of(runtime), version, await files_of(session, runtime.blobs, version))
