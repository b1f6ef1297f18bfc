"""v1 chats: init, find, getById, update, delete, favorite, fork, messages, versions, download."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Query, Request
from fastapi.responses import Response

from vzero import imports
from vzero.api.deps import CallerDep, GenerationsDep, HooksDep, RuntimeDep, SessionDep
from vzero.api.params import metadata_filter
from vzero.api.sse import ARCHIVE_RESPONSE
from vzero.api.v1 import schemas
from vzero.api.v1.render import (
    chat_summary,
    message_detail,
    message_summary,
    version_summary,
)
from vzero.api.v1.views import V1ViewsDep
from vzero.core import metadata as chat_metadata
from vzero.core.archive import to_tarball, to_zip
from vzero.core.defaults import with_default_files
from vzero.core.files import safe_path
from vzero.core.ids import utcnow
from vzero.engine import turns
from vzero.errors import Forbidden, InvalidInput
from vzero.store import chats as store
from vzero.store import versions as version_store
from vzero.store.tables import Message, Version

router = APIRouter(tags=["chats"])

TrueFalse = Literal["true", "false"]


@router.post("/chats/init")
async def init_chat(body: Annotated[schemas.InitChat, Body()], caller: CallerDep, runtime: RuntimeDep, hooks: HooksDep, views: V1ViewsDep) -> dict[str, Any]:
    await imports.check_project(runtime, caller, body.projectId)
    files = await imports.import_files_for_init(runtime, body)
    chat = await imports.import_chat(
        runtime, hooks, caller, files, privacy=body.chatPrivacy, name=body.name, metadata=chat_metadata.validate(body.metadata),
        project_id=body.projectId,
    )
    return await views.read_chat_detail(caller, chat.id)


@router.get("/chats")
async def find_chats(
    request: Request,
    caller: CallerDep,
    runtime: RuntimeDep,
    session: SessionDep, views: V1ViewsDep,
    limit: Annotated[int, Query(ge=1, le=60)] = 60,
    offset: Annotated[int, Query(ge=0)] = 0,
    isFavorite: TrueFalse | None = None,
    vercelProjectId: str | None = None,
    branch: str | None = None,
) -> dict[str, Any]:
    if vercelProjectId is not None or branch is not None:
        return {"object": "list", "data": []}  # no Vercel projects or git connections on a self-hosted server
    chats = await store.list_chats(
        session, caller.user_id, limit=limit, offset=offset,
        is_favorite=None if isFavorite is None else isFavorite == "true", metadata=metadata_filter(request),
    )
    urls = views.urls
    return {"object": "list", "data": [chat_summary(urls, c, await store.latest_version(session, c)) for c in chats]}


@router.get("/chats/{chatId}")
async def get_chat(chatId: str, caller: CallerDep, runtime: RuntimeDep, views: V1ViewsDep) -> Response:
    # Serialised here, not by FastAPI: the body is cached whole, or splices in the cached JSON of the version's files.
    # No session dependency: a cached body needs one query, which the view runs on a connection of its own.
    return Response(await views.chat_detail_json(caller, chatId), media_type="application/json")


@router.patch("/chats/{chatId}")
async def update_chat(
    chatId: str, body: schemas.UpdateChat, caller: CallerDep, session: SessionDep, hooks: HooksDep, views: V1ViewsDep
) -> dict[str, Any]:
    access = await store.chat_for(session, caller, chatId, write=True)
    chat = access.chat
    given = body.model_fields_set
    if "privacy" in given and body.privacy is not None and body.privacy != chat.privacy:
        if chat.owner_id != caller.user_id:
            raise Forbidden("Only the owner can change a chat's privacy")
        chat.privacy = body.privacy
    if "name" in given and body.name is not None:
        chat.name = body.name
    if "metadata" in given:
        chat.meta = chat_metadata.merge(chat.meta or {}, body.metadata)
    chat.updated_at = utcnow()
    await session.commit()
    hooks.emit("chat.updated", chat_id=chat.id, owner_id=chat.owner_id)
    return await views.chat_detail(session, access)


@router.delete("/chats/{chatId}")
async def delete_chat(chatId: str, caller: CallerDep, generations: GenerationsDep, hooks: HooksDep) -> dict[str, Any]:
    await turns.delete_chat(generations, caller, chatId, owner_only=True, stop_running=False)
    hooks.emit("chat.deleted", chat_id=chatId, owner_id=caller.user_id)
    return {"id": chatId, "object": "chat", "deleted": True}


@router.put("/chats/{chatId}/favorite")
async def favorite_chat(chatId: str, body: schemas.FavoriteChat, caller: CallerDep, session: SessionDep) -> dict[str, Any]:
    access = await store.chat_for(session, caller, chatId, write=True)
    if access.chat.owner_id != caller.user_id:
        # One favorite flag per chat: it is the owner's, not something a team member may flip for them.
        raise Forbidden("Only the owner can favorite a chat")
    access.chat.favorite = body.isFavorite
    await session.commit()
    return {"id": chatId, "object": "chat", "favorited": body.isFavorite}


@router.post("/chats/{chatId}/fork")
async def fork_chat(
    chatId: str, caller: CallerDep, runtime: RuntimeDep, session: SessionDep, hooks: HooksDep, views: V1ViewsDep, body: schemas.ForkChat | None = None
) -> dict[str, Any]:
    body = body or schemas.ForkChat()
    access = await store.chat_for(session, caller, chatId)
    fork = await store.fork_chat(session, runtime.blobs, access.chat, caller.user_id, version_id=body.versionId, privacy=body.privacy)
    await session.commit()
    hooks.emit("chat.created", chat_id=fork.id, owner_id=caller.user_id)
    return await views.chat_detail(session, store.ChatAccess(fork, caller.team_id, True))


@router.get("/chats/{chatId}/messages")
async def find_messages(
    chatId: str,
    caller: CallerDep,
    runtime: RuntimeDep,
    session: SessionDep, views: V1ViewsDep,
    limit: Annotated[int, Query(ge=1, le=150)] = 20,
    cursor: str | None = None,
) -> dict[str, Any]:
    await store.chat_for(session, caller, chatId)
    page = await store.page_of(session, Message, chatId, limit=limit, cursor=cursor)
    urls = views.urls
    return {"object": "list", "data": [message_summary(urls, m) for m in page.items], "pagination": _pagination(page)}


@router.get("/chats/{chatId}/messages/{messageId}")
async def get_message(chatId: str, messageId: str, caller: CallerDep, runtime: RuntimeDep, session: SessionDep, views: V1ViewsDep) -> dict[str, Any]:
    await store.chat_for(session, caller, chatId)
    return message_detail(views.urls, await store.message_of(session, chatId, messageId))


@router.get("/chats/{chatId}/versions")
async def find_versions(
    chatId: str,
    caller: CallerDep,
    runtime: RuntimeDep,
    session: SessionDep, views: V1ViewsDep,
    limit: Annotated[int, Query(ge=1, le=150)] = 20,
    cursor: str | None = None,
) -> dict[str, Any]:
    await store.chat_for(session, caller, chatId)
    page = await store.page_of(session, Version, chatId, limit=limit, cursor=cursor)
    urls = views.urls
    return {
        "object": "list",
        "data": [version_summary(urls, v) for v in page.items],
        "pagination": _pagination(page),
        "meta": {"totalCount": await store.count_versions(session, chatId)},
    }


@router.get("/chats/{chatId}/versions/{versionId}")
async def get_version(
    chatId: str, versionId: str, caller: CallerDep, runtime: RuntimeDep, session: SessionDep, views: V1ViewsDep, includeDefaultFiles: TrueFalse | None = None
) -> dict[str, Any]:
    await store.chat_for(session, caller, chatId)
    version = await store.version_of(session, chatId, versionId)
    body = await views.version_detail(session, version)
    if includeDefaultFiles == "true":
        files = with_default_files(await version_store.files_of(session, runtime.blobs, version))
        body = {**body, "files": [{"object": "file", "name": f.path, "content": f.text(), "locked": f.locked} for f in files.entries()]}
    return body


@router.patch("/chats/{chatId}/versions/{versionId}")
async def update_version(
    chatId: str, versionId: str, body: schemas.UpdateVersion, caller: CallerDep, runtime: RuntimeDep, session: SessionDep, views: V1ViewsDep
) -> dict[str, Any]:
    access = await store.chat_for(session, caller, chatId, write=True)
    base = await store.version_of(session, chatId, versionId)
    edits = [(safe_path(f.name), f.content.encode(), f.locked) for f in body.files]
    if not edits:
        raise InvalidInput("files must name at least one file")
    version = await version_store.edit_files(session, runtime.blobs, access.chat, base, edits, caller.user_id)
    await session.commit()
    return await views.version_detail(session, version)


@router.post("/chats/{chatId}/versions/{versionId}/files/delete")
async def delete_version_files(
    chatId: str, versionId: str, body: schemas.DeleteVersionFiles, caller: CallerDep, runtime: RuntimeDep, session: SessionDep, views: V1ViewsDep
) -> dict[str, Any]:
    access = await store.chat_for(session, caller, chatId, write=True)
    base = await store.version_of(session, chatId, versionId)
    paths = [safe_path(p) for p in body.filePaths]
    if not paths:
        raise InvalidInput("filePaths must name at least one file")
    version = await version_store.delete_files(session, runtime.blobs, access.chat, base, paths, caller.user_id)
    await session.commit()
    return await views.version_detail(session, version)


@router.post("/chats/{chatId}/versions/{versionId}/restore")
async def restore_version(chatId: str, versionId: str, caller: CallerDep, runtime: RuntimeDep, session: SessionDep, views: V1ViewsDep) -> dict[str, Any]:
    access = await store.chat_for(session, caller, chatId, write=True)
    base = await store.version_of(session, chatId, versionId)
    version = await version_store.restore(session, runtime.blobs, access.chat, base, caller.user_id)
    await session.commit()
    return await views.version_detail(session, version)


@router.get("/chats/{chatId}/versions/{versionId}/download", response_class=Response, responses=ARCHIVE_RESPONSE)
async def download_version(
    chatId: str,
    versionId: str,
    caller: CallerDep,
    runtime: RuntimeDep,
    session: SessionDep,
    format: Literal["zip", "tarball"] = "zip",
    includeDefaultFiles: TrueFalse | None = None,
) -> Response:
    await store.chat_for(session, caller, chatId)
    version = await store.version_of(session, chatId, versionId)
    files = await version_store.files_of(session, runtime.blobs, version)
    if includeDefaultFiles == "true":
        files = with_default_files(files)
    if format == "tarball":
        disposition = f'attachment; filename="{chatId}-{versionId}.tar.gz"'
        return Response(to_tarball(files), media_type="application/gzip", headers={"Content-Disposition": disposition})
    return Response(to_zip(files), media_type="application/zip", headers={"Content-Disposition": f'attachment; filename="{chatId}-{versionId}.zip"'})


def _pagination(page: store.Page) -> dict[str, Any]:
    body: dict[str, Any] = {"hasMore": page.has_more}
    if page.next_cursor is not None:
        body["nextCursor"] = page.next_cursor
    return body
