"""Loads what a v1 response needs and renders it; shared by the v1 routers."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from vzero.api.v1.render import (
    RenderedFiles,
    SerialisedFiles,
    Urls,
    chat_detail,
    chat_detail_json,
    render_files,
    serialise_files,
    version_detail,
)
from vzero.core.access import Principal
from vzero.engine.manager import Started
from vzero.runtime import Runtime
from vzero.store.chats import (
    ChatAccess,
    ChatStamp,
    chat_reading,
    chat_stamp,
    latest_version,
    message_rows,
    messages_of,
)
from vzero.store.tables import Version
from vzero.store.versions import files_of

T = TypeVar("T")

# Characters of rendered file content kept for completed versions (about 450 KB for a 100-file app).
_RENDERED_CACHE_CHARS = 48 * 1024 * 1024
# Bytes of serialised file lists kept for completed versions (about 900 KB for a 100-file app).
_SERIALISED_CACHE_BYTES = 64 * 1024 * 1024
# Bytes of whole ChatDetail bodies kept (about 900 KB for a chat showing a 100-file app).
_CHAT_BODY_CACHE_BYTES = 64 * 1024 * 1024


class VersionCache(Generic[T]):
    """Values derived from completed versions, by (version id, manifest hash); least recently used dropped first.

    A completed version's files never change. `limit` is in the unit of `size`; a value over a quarter of
    the limit is not kept, so that one huge version cannot flush everything else.
    """

    def __init__(self, limit: int, size: Callable[[T], int]) -> None:
        self._items: OrderedDict[tuple[str, str], T] = OrderedDict()
        self._used = 0
        self._size = size
        self.limit = limit

    def get(self, key: tuple[str, str]) -> T | None:
        found = self._items.get(key)
        if found is not None:
            self._items.move_to_end(key)
        return found

    def put(self, key: tuple[str, str], value: T) -> None:
        size = self._size(value)
        if key in self._items or size > self.limit // 4:
            return
        self._items[key] = value
        self._used += size
        while self._used > self.limit:
            _, dropped = self._items.popitem(last=False)
            self._used -= self._size(dropped)


class RenderedVersions(VersionCache[RenderedFiles]):
    """Rendered files of completed versions (decoding and two dicts per file are a large part of a big chat)."""

    def __init__(self, limit_chars: int = _RENDERED_CACHE_CHARS) -> None:
        super().__init__(limit_chars, lambda rendered: rendered.chars)


class SerialisedVersions(VersionCache[SerialisedFiles]):
    """Serialised file lists of completed versions: a chat read splices them into its body as they are."""

    def __init__(self, limit_bytes: int = _SERIALISED_CACHE_BYTES) -> None:
        super().__init__(limit_bytes, lambda serialised: serialised.size)


class ChatBodies:
    """Serialised ChatDetail bodies, by (chat id, caller may write), each with the `ChatStamp` it was rendered at.

    A body is served only to a reading whose stamp is the same: the chat's revision (which the database raises on
    any change of the chat, its messages or its versions), the version shown, and the caller's permission. Only
    bodies showing a completed version are kept. One body per chat and permission: a newer revision replaces
    the older one. Least recently used dropped first past `limit_bytes`; a body over a quarter of it is not kept.
    """

    def __init__(self, limit_bytes: int = _CHAT_BODY_CACHE_BYTES) -> None:
        self._items: OrderedDict[tuple[str, bool], tuple[ChatStamp, bytes]] = OrderedDict()
        self._used = 0
        self.limit = limit_bytes

    def get(self, chat_id: str, stamp: ChatStamp) -> bytes | None:
        key = (chat_id, stamp.writable)
        found = self._items.get(key)
        if found is None or found[0] != stamp:
            return None
        self._items.move_to_end(key)
        return found[1]

    def put(self, chat_id: str, stamp: ChatStamp, body: bytes) -> None:
        if stamp.version_status != "completed" or len(body) > self.limit // 4:
            return
        key = (chat_id, stamp.writable)
        old = self._items.get(key)
        if old is not None:
            if old[0].revision > stamp.revision:
                return  # a concurrent reading already kept a newer one
            self._used -= len(old[1])
        self._items[key] = (stamp, body)
        self._items.move_to_end(key)
        self._used += len(body)
        while self._used > self.limit:
            _, (_, dropped) = self._items.popitem(last=False)
            self._used -= len(dropped)


def _completed_key(version: Version) -> tuple[str, str] | None:
    """The cache key of a version whose files can no longer change, else None."""
    if version.status != "completed" or version.manifest_hash is None:
        return None
    return (version.id, version.manifest_hash)


def _rendered_cache(runtime: Runtime) -> RenderedVersions:
    cache: RenderedVersions | None = runtime.services.get("v1_rendered_versions")
    if cache is None:
        cache = runtime.services["v1_rendered_versions"] = RenderedVersions()
    return cache


async def rendered_files_of(session: AsyncSession, runtime: Runtime, version: Version) -> RenderedFiles:
    """A version's files, rendered; a completed version's are rendered once and kept."""
    key = _completed_key(version)
    if key is None:
        return render_files(await files_of(session, runtime.blobs, version))
    cache = _rendered_cache(runtime)
    rendered = cache.get(key)
    if rendered is None:
        rendered = render_files(await files_of(session, runtime.blobs, version))
        cache.put(key, rendered)
    return rendered


async def serialised_files_of(session: AsyncSession, runtime: Runtime, version: Version) -> SerialisedFiles:
    """A version's file lists as JSON; a completed version's are serialised once and kept."""
    key = _completed_key(version)
    if key is None:
        return serialise_files(await files_of(session, runtime.blobs, version))
    cache: SerialisedVersions | None = runtime.services.get("v1_serialised_versions")
    if cache is None:
        cache = runtime.services["v1_serialised_versions"] = SerialisedVersions()
    serialised = cache.get(key)
    if serialised is None:
        # Reuses rendered files if a version read left them, without keeping a second copy for chat reads.
        rendered = _rendered_cache(runtime).get(key)
        serialised = serialise_files(rendered if rendered is not None else await files_of(session, runtime.blobs, version))
        cache.put(key, serialised)
    return serialised


def urls_of(runtime: Runtime) -> Urls:
    urls = runtime.services.get("v1_urls")
    if urls is None:
        urls = runtime.services["v1_urls"] = Urls(runtime.settings.base_url, runtime.settings.origins.preview)
    return urls  # type: ignore[no-any-return]


async def chat_detail_view(session: AsyncSession, runtime: Runtime, access: ChatAccess) -> dict[str, Any]:
    chat = access.chat
    latest = await latest_version(session, chat)
    files = await rendered_files_of(session, runtime, latest) if latest is not None else None
    messages = await messages_of(session, chat.id)
    return chat_detail(urls_of(runtime), chat, latest=latest, latest_files=files, messages=messages, writable=access.writable)


def started_chat_detail(runtime: Runtime, started: Started, writable: bool) -> dict[str, Any]:
    """What `chat_detail_view` reads the moment a generation has started, rendered from the rows its start wrote
    instead (two queries fewer on every generation): its pending version shows the files it starts from."""
    generation = started.generation
    return chat_detail(
        urls_of(runtime), started.chat, latest=started.version, latest_files=generation.base_files, messages=started.messages, writable=writable
    )


async def chat_detail_json_view(runtime: Runtime, principal: Principal, chat_id: str) -> bytes:
    """The ChatDetail of a chat the caller may read, as JSON bytes (404 otherwise); what `chat_detail_view` renders.

    A chat showing a completed version is served from `ChatBodies` while its stamp (revision, version shown,
    permission) is unchanged: one query, which is also the access check, and no session. Otherwise it is read and
    rendered, in a session of its own.
    """
    bodies: ChatBodies | None = runtime.services.get("v1_chat_bodies")
    if bodies is None and runtime.db.revisions_tracked:
        bodies = runtime.services["v1_chat_bodies"] = ChatBodies()
    if bodies is not None:
        stamp = await chat_stamp(runtime.db, principal, chat_id)
        if stamp.version_status == "completed":
            body = bodies.get(chat_id, stamp)
            if body is not None:
                return body
    async with runtime.db.session() as session:
        reading = await chat_reading(session, principal, chat_id)
        chat, latest, writable = reading.access.chat, reading.latest, reading.access.writable
        files = await serialised_files_of(session, runtime, latest) if latest is not None else None
        # Read after the chat: at least as new as the revision read with it (a body is never older than its stamp).
        messages = await message_rows(session, chat.id)
    body = chat_detail_json(urls_of(runtime), chat, latest=latest, latest_files=files, messages=messages, writable=writable)
    if bodies is not None and latest is not None:
        bodies.put(chat_id, ChatStamp(reading.revision, latest.id, latest.status, writable), body)
    return body


async def version_detail_view(session: AsyncSession, runtime: Runtime, version: Version) -> dict[str, Any]:
    return version_detail(urls_of(runtime), version, await rendered_files_of(session, runtime, version))
