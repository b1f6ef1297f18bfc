"""v2 views of the core objects: plain dicts shaped exactly as the v2 spec's response schemas."""

from __future__ import annotations

import base64
from typing import Any

from vzero.core.files import FileSet
from vzero.core.ids import iso
from vzero.engine.usage import usage_body
from vzero.store.tables import Chat, Hook, McpServer, Message

ZERO_USAGE = usage_body(0, 0, 0, 0, None)


def chat(row: Chat, writable: bool) -> dict[str, Any]:
    body: dict[str, Any] = {"id": row.id}
    if row.name is not None:
        body["title"] = row.name
    body.update(privacy=row.privacy, createdAt=iso(row.created_at))
    if row.updated_at is not None:
        body["updatedAt"] = iso(row.updated_at)
    body.update(authorId=row.owner_id, metadata=dict(row.meta or {}), writePermission=writable)
    return body


def message_usage(row: Message) -> dict[str, Any]:
    """Tokens and credits of every model call of the message (zero on user messages)."""
    if row.role != "assistant":
        return ZERO_USAGE
    return usage_body(row.input_tokens, row.output_tokens, row.cache_read_tokens, row.cache_write_tokens, row.credits)


def finish_reason(row: Message) -> str | None:
    """Null while the model works; a user message is complete as soon as it exists."""
    if row.role == "user":
        return row.finish_reason or "stop"
    return row.finish_reason if row.status != "running" else None


def user_parts(row: Message) -> list[dict[str, Any]]:
    """A user message's parts: its text (user rows keep the text in `content` only)."""
    return [{"type": "text", "text": row.content}] if row.content else []


def message(
    row: Message,
    *,
    restorable: bool,
    parts: list[dict[str, Any]] | None = None,
    content: str | None = None,
    usage: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A Message; `parts`, `content` and `usage` override the stored ones for a reply still being written."""
    if parts is None:
        parts = list(row.parts or []) if row.role == "assistant" else user_parts(row)
    body: dict[str, Any] = {
        "id": row.id,
        "chatId": row.chat_id,
        "role": "assistant" if row.role == "assistant" else "user",
        "createdAt": iso(row.created_at),
        "updatedAt": iso(row.updated_at or row.created_at),
        "content": row.content if content is None else content,
        "parts": parts,
        "finishReason": finish_reason(row),
        "restorable": restorable,
        "authorId": row.author_id,
        "usage": usage if usage is not None else message_usage(row),
    }
    if row.attachments:
        body["attachments"] = [_attachment(a) for a in row.attachments]
    return body


def _attachment(attachment: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {"url": attachment["url"]}
    for key in ("name", "contentType"):
        if attachment.get(key):
            body[key] = attachment[key]
    if isinstance(attachment.get("size"), int):
        body["size"] = attachment["size"]
    return body


def files(fileset: FileSet) -> dict[str, Any]:
    """The Files object: text as utf8, anything else (images, fonts) as base64."""
    listed = []
    for entry in fileset.entries():
        if entry.is_binary:
            listed.append({"path": entry.path, "content": base64.b64encode(entry.content).decode(), "encoding": "base64"})
        else:
            listed.append({"path": entry.path, "content": entry.content.decode("utf-8", errors="replace"), "encoding": "utf8"})
    return {"files": listed}


def webhook(hook: Hook) -> dict[str, Any]:
    return {
        "id": hook.id,
        "createdAt": iso(hook.created_at),
        "name": hook.name,
        "events": list(hook.events or []),
        "url": hook.url,
        "chatId": hook.chat_id,
    }


MASK = "********"


def mcp_server(server: McpServer, auth: dict[str, Any]) -> dict[str, Any]:
    """An MCP server; `auth` is its decrypted configuration, shown with every secret masked."""
    return {
        "id": server.id,
        "name": server.name,
        "url": server.url,
        "description": server.description or "",
        "createdAt": iso(server.created_at),
        "updatedAt": iso(server.updated_at or server.created_at),
        "userId": server.owner_id,
        "enabled": server.enabled,
        "auth": _masked_auth(auth),
        "scope": server.scope or "user",
    }


def _masked_auth(auth: dict[str, Any]) -> dict[str, Any]:
    kind = auth.get("type", "none")
    if kind == "bearer":
        return {"type": "bearer", "token": MASK}
    if kind == "custom-headers":
        return {"type": "custom-headers", "headers": {name: MASK for name in (auth.get("headers") or {})}}
    if kind == "oauth":
        shown: dict[str, Any] = {"type": "oauth"}
        if auth.get("config"):
            config = {k: v for k, v in auth["config"].items() if k not in ("clientSecret",) and v is not None}
            config.setdefault("scopes", [])
            config.setdefault("usePKCE", True)
            shown["config"] = config
        tokens = auth.get("tokens") or {}
        shown["connected"] = bool(tokens.get("accessToken"))
        if tokens.get("expiresAt"):
            shown["expiresAt"] = tokens["expiresAt"]
        return shown
    return {"type": "none"}
