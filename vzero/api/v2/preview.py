"""Preview access tokens: an encrypted, expiring grant for one version's preview (chats.getPreview)."""

from __future__ import annotations

import json
import time

from vzero.crypto import SecretBox
from vzero.errors import VzeroError

TOKEN_SECONDS = 3600


def preview_token(box: SecretBox, chat_id: str, version_id: str, expires_at: float) -> str:
    """A token naming the chat, the version and when it expires (unix seconds); opaque to its holder."""
    return box.encrypt(json.dumps({"c": chat_id, "v": version_id, "e": int(expires_at)}, separators=(",", ":")))


def check_preview_token(box: SecretBox, token: str, chat_id: str, version_id: str, now: float | None = None) -> bool:
    """Whether the token grants this version's preview and has not expired."""
    try:
        grant = json.loads(box.decrypt(token))
    except (VzeroError, ValueError):
        return False
    if not isinstance(grant, dict):
        return False
    return bool(grant.get("c") == chat_id and grant.get("v") == version_id and grant.get("e", 0) > (now if now is not None else time.time()))
