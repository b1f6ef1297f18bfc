"""v1 views of the core objects: plain dicts shaped exactly as the v1 spec's response schemas."""

from __future__ import annotations

import base64
import hashlib
import html
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from vzero.core.access import is_shareable
from vzero.core.files import FileSet
from vzero.core.ids import iso
from vzero.store.tables import (
    Chat,
    EnvVar,
    Hook,
    McpServer,
    Message,
    Project,
    User,
    Version,
)

V1_MODEL_IDS = ("v0-auto", "v0-opus-4.7", "v0-opus-4.7-fast", "v0-mini", "v0-pro", "v0-max", "v0-max-fast")
_EXTENSION_LANG = {"tsx": "tsx", "ts": "typescript", "jsx": "jsx", "js": "javascript", "css": "css", "json": "json", "md": "markdown", "html": "html"}


# What FastAPI's pydantic serialiser writes for plain dicts: compact, UTF-8, non-ASCII kept as is.
_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def to_json(value: Any) -> bytes:
    """A plain JSON value as compact UTF-8 bytes."""
    return _JSON.encode(value).encode()


class Urls:
    """Builds webUrl/apiUrl from the server's public base URL, demoUrl from the previews' (vzero/origins.py)."""

    def __init__(self, base_url: str, preview_url: str | None = None) -> None:
        self.base = base_url.rstrip("/")
        self.preview = (preview_url or base_url).rstrip("/")

    def chat_web(self, chat_id: str) -> str:
        return f"{self.base}/chats/{chat_id}"

    def chat_api(self, chat_id: str) -> str:
        return f"{self.base}/v1/chats/{chat_id}"

    def message_api(self, chat_id: str, message_id: str) -> str:
        return f"{self.base}/v1/chats/{chat_id}/messages/{message_id}"

    def demo(self, chat_id: str, version_id: str) -> str:
        return f"{self.preview}/preview/{chat_id}/{version_id}/"

    def screenshot(self, chat_id: str, version_id: str) -> str:
        return f"{self.preview}/preview/{chat_id}/{version_id}/__screenshot.png"

    def project_api(self, project_id: str) -> str:
        return f"{self.base}/v1/projects/{project_id}"

    def project_web(self, project_id: str) -> str:
        return f"{self.base}/projects/{project_id}"


def version_summary(urls: Urls, version: Version) -> dict[str, Any]:
    body: dict[str, Any] = {"id": version.id, "object": "version", "status": version.status, "createdAt": iso(version.created_at)}
    if version.status == "completed":
        body["demoUrl"] = urls.demo(version.chat_id, version.id)
    if version.screenshot:
        body["screenshotUrl"] = urls.screenshot(version.chat_id, version.id)
    if version.updated_at is not None:
        body["updatedAt"] = iso(version.updated_at)
    return body


def file_details(files: FileSet) -> list[dict[str, Any]]:
    return [{"object": "file", "name": f.path, "content": f.text(), "locked": f.locked} for f in files.entries()]


@dataclass(frozen=True, slots=True)
class RenderedFiles:
    """A version's files rendered once in both v1 forms; shared between responses, so never mutate them."""

    details: tuple[dict[str, Any], ...]  # VersionDetail.files
    sources: tuple[dict[str, Any], ...]  # ChatDetail.files
    chars: int  # characters of content held, for cache accounting


def render_files(files: FileSet) -> RenderedFiles:
    details: list[dict[str, Any]] = []
    sources: list[dict[str, Any]] = []
    chars = 0
    for f in files.entries():
        text = f.text()  # decoded once for both forms
        details.append({"object": "file", "name": f.path, "content": text, "locked": f.locked})
        sources.append({"lang": _lang(f.path), "meta": {"file": f.path}, "source": text})
        chars += len(text) + len(f.path)
    return RenderedFiles(tuple(details), tuple(sources), chars)


_NO_FILES = RenderedFiles((), (), 0)


def _rendered(files: FileSet | RenderedFiles) -> RenderedFiles:
    return files if isinstance(files, RenderedFiles) else render_files(files)


@dataclass(frozen=True, slots=True)
class SerialisedFiles:
    """A version's two v1 file lists as JSON arrays, spliced into responses as they are."""

    details: bytes  # VersionDetail.files
    sources: bytes  # ChatDetail.files

    @property
    def size(self) -> int:
        return len(self.details) + len(self.sources)


def serialise_files(files: FileSet | RenderedFiles) -> SerialisedFiles:
    rendered = _rendered(files)
    return SerialisedFiles(to_json(list(rendered.details)), to_json(list(rendered.sources)))


def version_detail(urls: Urls, version: Version, files: FileSet | RenderedFiles) -> dict[str, Any]:
    return {**version_summary(urls, version), "files": list(_rendered(files).details)}


def message_summary(urls: Urls, message: Message) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": message.id,
        "object": "message",
        # v1 shows an assistant reply as the model wrote it; v2 shows only its trailing prose.
        "content": message.raw if message.raw is not None else message.content,
        "createdAt": iso(message.created_at),
        "type": message.type,
        "role": message.role,
        "apiUrl": urls.message_api(message.chat_id, message.id),
        "authorId": message.author_id,
    }
    if message.updated_at is not None:
        body["updatedAt"] = iso(message.updated_at)
    if message.experimental_content:
        body["experimental_content"] = message.experimental_content
    if message.finish_reason is not None:
        body["finishReason"] = message.finish_reason
    if message.parent_id is not None:
        body["parentId"] = message.parent_id
    if message.attachments:
        body["attachments"] = [_attachment(a) for a in message.attachments]
    return body


def _attachment(attachment: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {"url": attachment["url"], "size": attachment.get("size", 0)}
    for key in ("name", "contentType"):
        if attachment.get(key):
            body[key] = attachment[key]
    return body


def message_detail(urls: Urls, message: Message) -> dict[str, Any]:
    return {**message_summary(urls, message), "chatId": message.chat_id}


def _chat_common(urls: Urls, chat: Chat) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": chat.id,
        "object": "chat",
        "shareable": is_shareable(chat.privacy),
        "privacy": chat.privacy,
        "createdAt": iso(chat.created_at),
        "favorite": chat.favorite,
        "authorId": chat.owner_id,
        "webUrl": urls.chat_web(chat.id),
        "apiUrl": urls.chat_api(chat.id),
        "metadata": dict(chat.meta or {}),
    }
    if chat.name is not None:
        body["name"] = chat.name
        body["title"] = chat.name
    if chat.updated_at is not None:
        body["updatedAt"] = iso(chat.updated_at)
    if chat.project_id is not None:
        body["projectId"] = chat.project_id
    return body


def chat_summary(urls: Urls, chat: Chat, latest: Version | None) -> dict[str, Any]:
    body = _chat_common(urls, chat)
    if latest is not None:
        body["latestVersion"] = version_summary(urls, latest)
    return body


def _lang(path: str) -> str:
    return _EXTENSION_LANG.get(path.rsplit(".", 1)[-1].lower(), "plaintext") if "." in path else "plaintext"


def chat_detail(
    urls: Urls,
    chat: Chat,
    *,
    latest: Version | None,
    latest_files: FileSet | RenderedFiles | None,
    messages: Sequence[Message],
    writable: bool,
) -> dict[str, Any]:
    body = _chat_common(urls, chat)
    rendered = _rendered(latest_files) if latest is not None and latest_files is not None else None
    if latest is not None:
        body["latestVersion"] = version_detail(urls, latest, rendered or _NO_FILES)
        if latest.status == "completed":
            body["demo"] = urls.demo(chat.id, latest.id)
    body["url"] = urls.chat_web(chat.id)
    body["messages"] = [message_summary(urls, m) for m in messages]
    if rendered is not None and rendered.sources:
        body["files"] = list(rendered.sources)
    body["text"] = chat.text
    config = chat.model_configuration or {}
    model_configuration: dict[str, Any] = {
        "imageGenerations": bool(config.get("imageGenerations", False)),
        "thinking": bool(config.get("thinking", False)),
    }
    if config.get("modelId") in V1_MODEL_IDS:
        model_configuration["modelId"] = config["modelId"]
    body["modelConfiguration"] = model_configuration
    body["permissions"] = {"write": writable}
    return body


def chat_detail_json(
    urls: Urls,
    chat: Chat,
    *,
    latest: Version | None,
    latest_files: SerialisedFiles | None,
    messages: Sequence[Message],
    writable: bool,
) -> bytes:
    """`chat_detail` as JSON bytes, with the (large) file lists spliced in already serialised."""
    if latest is None or latest_files is None:
        return to_json(chat_detail(urls, chat, latest=latest, latest_files=None, messages=messages, writable=writable))
    # Rendered with one placeholder source so that both file lists sit where `chat_detail` puts them.
    has_sources = latest_files.sources != b"[]"
    placeholder = RenderedFiles((), ({},) if has_sources else (), 0)
    body = chat_detail(urls, chat, latest=latest, latest_files=placeholder, messages=messages, writable=writable)
    # Runs of ordinary members are encoded together; the cached arrays are copied once, by the final join.
    members: list[list[bytes]] = []  # each member's fragments, in order
    run: dict[str, Any] = {}
    for key, value in body.items():
        if key not in ("latestVersion", "files"):
            run[key] = value
            continue
        if run:
            members.append([to_json(run)[1:-1]])
            run = {}
        if key == "latestVersion":
            head = to_json({k: v for k, v in value.items() if k != "files"})
            members.append([b'"latestVersion":', head[:-1], b',"files":', latest_files.details, b"}"])
        else:
            members.append([b'"files":', latest_files.sources])
    if run:
        members.append([to_json(run)[1:-1]])
    out = [b"{"]
    for index, fragments in enumerate(members):
        if index:
            out.append(b",")
        out.extend(fragments)
    out.append(b"}")
    return b"".join(out)


def project_summary(urls: Urls, project: Project) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": project.id,
        "object": "project",
        "name": project.name,
        "privacy": project.privacy,
        "createdAt": iso(project.created_at),
        "apiUrl": urls.project_api(project.id),
        "webUrl": urls.project_web(project.id),
    }
    if project.vercel_project_id:
        body["vercelProjectId"] = project.vercel_project_id
    if project.updated_at is not None:
        body["updatedAt"] = iso(project.updated_at)
    return body


def project_detail(urls: Urls, project: Project, chats: list[dict[str, Any]]) -> dict[str, Any]:
    body = project_summary(urls, project)
    if project.description is not None:
        body["description"] = project.description
    if project.instructions is not None:
        body["instructions"] = project.instructions
    body["chats"] = chats
    return body


def env_var(row: EnvVar, value: str, *, decrypted: bool) -> dict[str, Any]:
    """An environment variable; `value` is the plain value only when `decrypted` is true."""
    body: dict[str, Any] = {
        "id": row.id,
        "object": "environment_variable",
        "key": row.key,
        "value": value,
        "decrypted": decrypted,
        "createdAt": row.created_at,
    }
    if row.updated_at is not None:
        body["updatedAt"] = row.updated_at
    return body


def hook_summary(hook: Hook) -> dict[str, Any]:
    return {"id": hook.id, "object": "hook", "name": hook.name}


def hook_detail(hook: Hook) -> dict[str, Any]:
    body: dict[str, Any] = {**hook_summary(hook), "events": list(hook.events or []), "url": hook.url}
    if hook.chat_id is not None:
        body["chatId"] = hook.chat_id
    return body


def mcp_server(server: McpServer, auth_type: str) -> dict[str, Any]:
    """An MCP server; of its authentication only the type is ever shown."""
    body: dict[str, Any] = {
        "object": "mcp_server",
        "id": server.id,
        "name": server.name,
        "url": server.url,
        "enabled": server.enabled,
        "auth": {"type": auth_type},
        "scope": server.scope or "user",
        "createdAt": iso(server.created_at),
    }
    if server.description is not None:
        body["description"] = server.description
    if server.updated_at is not None:
        body["updatedAt"] = iso(server.updated_at)
    return body


_AVATAR_COLOURS = ("#2563eb", "#7c3aed", "#db2777", "#ea580c", "#16a34a", "#0891b2", "#4f46e5", "#b45309")


def avatar(user: User) -> str:
    """A stable SVG avatar (initials on a colour picked from the user id) as a data: URI; no hosted image exists."""
    words = [w for w in (user.name or user.email.split("@")[0]).replace("-", " ").replace(".", " ").split() if w]
    initials = "".join(w[0] for w in words[:2]).upper() or "?"
    colour = _AVATAR_COLOURS[int(hashlib.sha256(user.id.encode()).hexdigest(), 16) % len(_AVATAR_COLOURS)]
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64">'
        f'<rect width="64" height="64" rx="32" fill="{colour}"/>'
        '<text x="32" y="32" dy=".35em" text-anchor="middle" font-family="sans-serif" font-size="26" fill="#fff">'
        f"{html.escape(initials)}</text></svg>"
    )
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def user_summary(user: User) -> dict[str, Any]:
    body: dict[str, Any] = {"id": user.id, "object": "user", "email": user.email, "avatar": avatar(user), "createdAt": iso(user.created_at)}
    if user.name is not None:
        body["name"] = user.name
    if user.updated_at is not None:
        body["updatedAt"] = iso(user.updated_at)
    return body


def scope(scope_id: str, name: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {"id": scope_id, "object": "scope"}
    if name:
        body["name"] = name
    return body
