"""Loads what a v1 response needs and renders it; shared by the v1 routers."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Request
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
from vzero.errors import Conflict
from vzero.runtime import Runtime
from vzero.store.chats import (
    ChatAccess,
    ChatStamp,
    chat_for,
    chat_stamp,
    latest_version,
    message_of,
    messages_of,
)
from vzero.store.tables import Message, Version
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


class V1Views:
    """What v1 responses are rendered from, and the caches that spare re-rendering what cannot change."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.urls = Urls(runtime.settings.base_url, runtime.settings.origins.preview)
        self.rendered = RenderedVersions()
        self.serialised = SerialisedVersions()
        self.bodies = ChatBodies()  # used only where the database raises `chats.revision` itself

    async def rendered_files(self, session: AsyncSession, version: Version) -> RenderedFiles:
        """A version's files, rendered; a completed version's are rendered once and kept."""
        key = _completed_key(version)
        if key is None:
            return render_files(await files_of(session, self.runtime.blobs, version))
        rendered = self.rendered.get(key)
        if rendered is None:
            rendered = render_files(await files_of(session, self.runtime.blobs, version))
            self.rendered.put(key, rendered)
        return rendered

    async def serialised_files(self, session: AsyncSession, version: Version) -> SerialisedFiles:
        """A version's file lists as JSON; a completed version's are serialised once and kept."""
        key = _completed_key(version)
        if key is None:
            return serialise_files(await files_of(session, self.runtime.blobs, version))
        serialised = self.serialised.get(key)
        if serialised is None:
            # Reuses rendered files if a version read left them, without keeping a second copy for chat reads.
            rendered = self.rendered.get(key)
            serialised = serialise_files(rendered if rendered is not None else await files_of(session, self.runtime.blobs, version))
            self.serialised.put(key, serialised)
        return serialised

    async def chat_detail(self, session: AsyncSession, access: ChatAccess) -> dict[str, Any]:
        chat = access.chat
        latest = access.shown if access.revision is not None else await latest_version(session, chat)
        files = await self.rendered_files(session, latest) if latest is not None else None
        messages = await messages_of(session, chat.id)
        return chat_detail(self.urls, chat, latest=latest, latest_files=files, messages=messages, writable=access.writable)

    async def read_chat_detail(self, principal: Principal, chat_id: str) -> dict[str, Any]:
        """The ChatDetail of a chat the caller may read, in a session of its own."""
        async with self.runtime.db.session() as session:
            return await self.chat_detail(session, await chat_for(session, principal, chat_id, shown=True))

    async def reply_to_resume(self, principal: Principal, chat_id: str, message_id: str) -> tuple[dict[str, Any], Message]:
        """The ChatDetail a resumed stream opens with, and the reply it resumes (Conflict for a user message)."""
        async with self.runtime.db.session() as session:
            access = await chat_for(session, principal, chat_id, shown=True)
            message = await message_of(session, chat_id, message_id)
            if message.role != "assistant":
                raise Conflict("Only an assistant message has a stream to resume")
            return await self.chat_detail(session, access), message

    def started_chat_detail(self, started: Started, writable: bool = True) -> dict[str, Any]:
        """What `chat_detail` reads the moment a generation has started, rendered from the rows its start wrote
        instead: its pending version shows the files it starts from."""
        return chat_detail(
            self.urls, started.chat, latest=started.version, latest_files=started.generation.base_files, messages=started.messages,
            writable=writable,
        )

    async def chat_detail_json(self, principal: Principal, chat_id: str) -> bytes:
        """The ChatDetail of a chat the caller may read, as JSON bytes (404 otherwise); what `chat_detail` renders.

        A chat showing a completed version is served from `ChatBodies` while its stamp (revision, version shown,
        permission) is unchanged: one query, which is also the access check, and no session. Otherwise it is read and
        rendered, in a session of its own.
        """
        runtime = self.runtime
        tracked = runtime.db.revisions_tracked
        if tracked:
            stamp = await chat_stamp(runtime.db, principal, chat_id)
            if stamp.version_status == "completed":
                body = self.bodies.get(chat_id, stamp)
                if body is not None:
                    return body
        async with runtime.db.session() as session:
            access = await chat_for(session, principal, chat_id, shown=True)
            chat, latest, writable = access.chat, access.shown, access.writable
            files = await self.serialised_files(session, latest) if latest is not None else None
            # Read after the chat: at least as new as the revision read with it (a body is never older than its stamp).
            messages = await messages_of(session, chat.id)
        body = chat_detail_json(self.urls, chat, latest=latest, latest_files=files, messages=messages, writable=writable)
        if tracked and latest is not None and access.revision is not None:
            self.bodies.put(chat_id, ChatStamp(access.revision, latest.id, latest.status, writable), body)
        return body

    async def version_detail(self, session: AsyncSession, version: Version) -> dict[str, Any]:
        return version_detail(self.urls, version, await self.rendered_files(session, version))


async def get_v1_views(request: Request) -> V1Views:
    return request.app.state.v1_views  # type: ignore[no-any-return]


V1ViewsDep = Annotated[V1Views, Depends(get_v1_views)]
