"""Loads what a v1 response needs and renders it; shared by the v1 routers."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from vzero.api.v1.render import RenderedFiles, Urls, chat_detail, render_files, version_detail
from vzero.runtime import Runtime
from vzero.store.chats import ChatAccess, latest_version, messages_of
from vzero.store.tables import Version
from vzero.store.versions import files_of


# Characters of rendered file content kept for completed versions (about 450 KB for a 100-file app).
_RENDERED_CACHE_CHARS = 48 * 1024 * 1024


class RenderedVersions:
    """Rendered files of completed versions, by (version id, manifest hash); least recently used dropped first.

    A completed version's files never change, and rendering them (decode, two dicts per file) is a large
    part of serving a chat with many files.
    """

    def __init__(self, limit_chars: int = _RENDERED_CACHE_CHARS) -> None:
        self._items: OrderedDict[tuple[str, str], RenderedFiles] = OrderedDict()
        self._chars = 0
        self.limit_chars = limit_chars

    def get(self, key: tuple[str, str]) -> RenderedFiles | None:
        found = self._items.get(key)
        if found is not None:
            self._items.move_to_end(key)
        return found

    def put(self, key: tuple[str, str], rendered: RenderedFiles) -> None:
        if key in self._items or rendered.chars > self.limit_chars // 4:
            return
        self._items[key] = rendered
        self._chars += rendered.chars
        while self._chars > self.limit_chars:
            _, dropped = self._items.popitem(last=False)
            self._chars -= dropped.chars


async def rendered_files_of(session: AsyncSession, runtime: Runtime, version: Version) -> RenderedFiles:
    """A version's files, rendered; a completed version's are rendered once and kept."""
    if version.status != "completed" or version.manifest_hash is None:
        return render_files(await files_of(session, runtime.blobs, version))
    cache: RenderedVersions | None = runtime.services.get("v1_rendered_versions")
    if cache is None:
        cache = runtime.services["v1_rendered_versions"] = RenderedVersions()
    key = (version.id, version.manifest_hash)
    rendered = cache.get(key)
    if rendered is None:
        rendered = render_files(await files_of(session, runtime.blobs, version))
        cache.put(key, rendered)
    return rendered


def urls_of(runtime: Runtime) -> Urls:
    urls = runtime.services.get("v1_urls")
    if urls is None:
        urls = runtime.services["v1_urls"] = Urls(runtime.settings.base_url)
    return urls  # type: ignore[no-any-return]


async def chat_detail_view(session: AsyncSession, runtime: Runtime, access: ChatAccess) -> dict[str, Any]:
    chat = access.chat
    latest = await latest_version(session, chat)
    files = await rendered_files_of(session, runtime, latest) if latest is not None else None
    messages = await messages_of(session, chat.id)
    return chat_detail(urls_of(runtime), chat, latest=latest, latest_files=files, messages=messages, writable=access.writable)


async def version_detail_view(session: AsyncSession, runtime: Runtime, version: Version) -> dict[str, Any]:
    return version_detail(urls_of(runtime), version, await rendered_files_of(session, runtime, version))
