"""v2 chats without a model: create from files/zip/repo, list, get, update, delete, files, duplicate, restore, preview.

v2 has no versions: a chat's files are its latest version's files, and every change of files makes a new
version recorded as a user message, which is what v1 shows for the same chat.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from vzero import imports
from vzero.api.deps import Caller, CallerDep, GenerationsDep, HooksDep, RuntimeDep, SessionDep
from vzero.api.params import metadata_filter
from vzero.api.sse import ARCHIVE_RESPONSE
from vzero.api.v2 import render, schemas
from vzero.api.v2.preview import TOKEN_SECONDS, preview_token
from vzero.api.v2.views import V2ViewsDep
from vzero.core import metadata as chat_metadata
from vzero.core.archive import to_zip
from vzero.core.files import FileSet, safe_path
from vzero.core.ids import iso, utcnow
from vzero.engine import turns
from vzero.errors import Conflict, Forbidden, InvalidInput, NotOffered
from vzero.hooks import HookDispatcher
from vzero.runtime import Runtime
from vzero.store import chats as store
from vzero.store import versions as version_store

router = APIRouter(tags=["chats"])

_SELF_HOSTED = "a self-hosted vzero server does not offer it"


async def _imported_chat(
    runtime: Runtime, hooks: HookDispatcher, caller: Caller, body: schemas.CreateFromFiles | schemas.CreateFromZip | schemas.CreateFromRepo, files: FileSet
) -> dict[str, Any]:
    chat = await imports.import_chat(
        runtime, hooks, caller, files, privacy=body.privacy, name=body.title, metadata=chat_metadata.validate(body.metadata), api_version="v2",
    )
    return {"chat": render.chat(chat, True), "usage": render.ZERO_USAGE}


@router.post("/chats/from-files")
async def create_from_files(body: schemas.CreateFromFiles, caller: CallerDep, runtime: RuntimeDep, hooks: HooksDep) -> dict[str, Any]:
    files = await imports.inline_files(runtime, [f.model_dump() for f in body.files])
    return await _imported_chat(runtime, hooks, caller, body, files)


@router.post("/chats/from-zip")
async def create_from_zip(body: schemas.CreateFromZip, caller: CallerDep, runtime: RuntimeDep, hooks: HooksDep) -> dict[str, Any]:
    return await _imported_chat(runtime, hooks, caller, body, await imports.from_zip(runtime, body.url))


@router.post("/chats/from-repo")
async def create_from_repo(body: schemas.CreateFromRepo, caller: CallerDep, runtime: RuntimeDep, hooks: HooksDep) -> dict[str, Any]:
    return await _imported_chat(runtime, hooks, caller, body, await imports.from_repo(runtime, body.repo.url, body.repo.branch))


@router.get("/chats")
async def list_chats(
    request: Request,
    caller: CallerDep,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: str | None = None,
    authorId: str | None = None,
    vercelProjectId: str | None = None,
) -> dict[str, Any]:
    """The caller's chats, most recently updated first."""
    if vercelProjectId is not None or (authorId is not None and authorId != caller.user_id):
        return {"chats": [], "cursor": None}  # no Vercel projects here, and the list holds only the caller's own chats
    offset = store.decode_cursor(cursor, "o") or 0
    rows = await store.list_chats(session, caller.user_id, limit=limit + 1, offset=offset, metadata=metadata_filter(request))
    more = len(rows) > limit
    return {"chats": [render.chat(c, True) for c in rows[:limit]], "cursor": store.encode_cursor(offset + limit, "o") if more else None}


@router.get("/chats/{chatId}")
async def get_chat(chatId: str, caller: CallerDep, session: SessionDep) -> dict[str, Any]:
    access = await store.chat_for(session, caller, chatId)
    return render.chat(access.chat, access.writable)


@router.patch("/chats/{chatId}")
async def update_chat(chatId: str, body: schemas.UpdateChat, caller: CallerDep, runtime: RuntimeDep, session: SessionDep, hooks: HooksDep) -> dict[str, Any]:
    access = await store.chat_for(session, caller, chatId, write=True)
    chat = access.chat
    given = body.model_fields_set
    if body.privacy is not None and body.privacy != chat.privacy:
        if chat.owner_id != caller.user_id:
            raise Forbidden("Only the chat's owner can change its privacy")
        chat.privacy = body.privacy
    if body.title is not None:
        chat.name = body.title
    if "metadata" in given:
        chat.meta = chat_metadata.merge(chat.meta or {}, body.metadata)
    chat.updated_at = utcnow()
    await session.commit()
    hooks.emit("chat.updated", chat_id=chat.id)
    return render.chat(chat, access.writable)


@router.delete("/chats/{chatId}")
async def delete_chat(chatId: str, caller: CallerDep, generations: GenerationsDep, hooks: HooksDep) -> dict[str, Any]:
    """Delete a chat the caller may edit; a reply still being generated is stopped first."""
    owner_id = await turns.delete_chat(generations, caller, chatId, owner_only=False, stop_running=True)
    hooks.emit("chat.deleted", chat_id=chatId, owner_id=owner_id)
    return {"chatId": chatId}


@router.get("/chats/{chatId}/preview")
async def get_preview(chatId: str, caller: CallerDep, runtime: RuntimeDep, session: SessionDep) -> JSONResponse:
    """The preview of the latest completed version, with a token valid for an hour; null while there is none."""
    access = await store.chat_for(session, caller, chatId)
    version_id = access.chat.latest_version_id
    if version_id is None:
        return JSONResponse(None)
    expires = time.time() + TOKEN_SECONDS
    return JSONResponse({
        "url": f"{runtime.settings.origins.preview}/preview/{chatId}/{version_id}/",
        "token": preview_token(runtime.secret_box, chatId, version_id, expires),
        "expiresAt": iso(datetime.fromtimestamp(expires, UTC)),
    })


async def _current_files(runtime: Runtime, session: AsyncSession, caller: Caller, chat_id: str) -> FileSet:
    """The files a reader sees now: those of the version shown (a reply in progress shows its base's)."""
    shown = (await store.chat_for(session, caller, chat_id, shown=True)).shown
    return await version_store.files_of(session, runtime.blobs, shown) if shown is not None else FileSet()


@router.get("/chats/{chatId}/files")
async def get_files(chatId: str, caller: CallerDep, runtime: RuntimeDep, session: SessionDep) -> dict[str, Any]:
    return render.files(await _current_files(runtime, session, caller, chatId))


@router.get("/chats/{chatId}/files/download", response_class=Response, responses=ARCHIVE_RESPONSE)
async def download_files(chatId: str, caller: CallerDep, runtime: RuntimeDep, session: SessionDep) -> Response:
    archive = to_zip(await _current_files(runtime, session, caller, chatId))
    return Response(archive, media_type="application/zip", headers={"Content-Disposition": f'attachment; filename="{chatId}.zip"'})


@router.patch("/chats/{chatId}/files")
async def update_files(
    chatId: str, body: schemas.UpdateFiles, caller: CallerDep, runtime: RuntimeDep, session: SessionDep, hooks: HooksDep, views: V2ViewsDep
) -> dict[str, Any]:
    """Write the files with content and delete those with null: a new version, recorded as user messages."""
    access = await store.chat_for(session, caller, chatId, write=True)
    changes = [(safe_path(change.path), None if change.content is None else change.content.encode()) for change in body.files]
    created = await version_store.change_files(session, runtime.blobs, access.chat, changes, caller.user_id, runtime.settings)
    await session.commit()
    for message in created:
        hooks.emit("message.created", chat_id=chatId, message_id=message.id)
    hooks.emit("chat.updated", chat_id=chatId)
    return {"messages": await views.messages(session, access.chat, created)}


@router.post("/chats/{chatId}/restore-message")
async def restore_message(
    chatId: str, body: schemas.RestoreMessage, caller: CallerDep, runtime: RuntimeDep, session: SessionDep, hooks: HooksDep, views: V2ViewsDep
) -> dict[str, Any]:
    """Make the files a message produced the chat's files again, as a new version."""
    access = await store.chat_for(session, caller, chatId, write=True)
    chat = access.chat
    message = await store.message_of(session, chatId, body.messageId)
    if message.version_id is None:
        raise InvalidInput(f"Message {message.id} produced no files to restore")
    base = await store.version_of(session, chatId, message.version_id)
    if base.id == chat.latest_version_id:
        raise Conflict(f"The files of message {message.id} are already the chat's latest files")
    version = await version_store.restore(session, runtime.blobs, chat, base, caller.user_id)
    record = await store.message_of(session, chatId, version.message_id or "")
    await session.commit()
    hooks.emit("message.created", chat_id=chat.id, message_id=record.id)
    hooks.emit("chat.updated", chat_id=chat.id)
    return {"messages": await views.messages(session, chat, [record])}


@router.post("/chats/{chatId}/duplicate", status_code=201)
async def duplicate_chat(
    chatId: str, caller: CallerDep, runtime: RuntimeDep, session: SessionDep, hooks: HooksDep, body: schemas.DuplicateChat | None = None
) -> dict[str, Any]:
    body = body or schemas.DuplicateChat()
    access = await store.chat_for(session, caller, chatId)
    copy = await store.fork_chat(session, runtime.blobs, access.chat, caller.user_id, version_id=None, privacy=body.privacy)
    if body.title is not None:
        copy.name = body.title
    await session.commit()
    hooks.emit("chat.created", chat_id=copy.id)
    return render.chat(copy, True)


# --- hosted-only operations -----------------------------------------------------------------


@router.post("/chats/{chatId}/deploy")
async def deploy_chat(chatId: str, caller: CallerDep, session: SessionDep) -> None:
    await store.chat_for(session, caller, chatId, write=True)
    raise NotOffered(f"Deploying to Vercel needs a Vercel account linked to the hosted v0 service; {_SELF_HOSTED}. "
                     f"Download the files with GET /v2/chats/{chatId}/files/download and deploy them yourself")


@router.post("/chats/{chatId}/vercel-project")
async def create_vercel_project(chatId: str, caller: CallerDep, session: SessionDep) -> None:
    await store.chat_for(session, caller, chatId, write=True)
    raise NotOffered(f"Vercel projects belong to the hosted v0 service; {_SELF_HOSTED}")


@router.get("/chats/{chatId}/connect/status")
async def get_connect_status(chatId: str, caller: CallerDep, session: SessionDep, requestId: Annotated[str, Query(min_length=1, max_length=128)]) -> None:
    await store.chat_for(session, caller, chatId)
    raise NotOffered(f"Vercel Connect setups belong to the hosted v0 service; {_SELF_HOSTED}")


@router.get("/settings/preview-hosts")
async def get_preview_hosts(caller: CallerDep) -> None:
    raise NotOffered(f"Trusted preview hosts are a setting of hosted v0 teams; {_SELF_HOSTED} (previews here may be framed by this server's own pages only)")


@router.put("/settings/preview-hosts")
async def set_preview_hosts(caller: CallerDep) -> None:
    raise NotOffered(f"Trusted preview hosts are a setting of hosted v0 teams; {_SELF_HOSTED} (previews here may be framed by this server's own pages only)")
