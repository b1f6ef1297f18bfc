"""Request parsing shared by both dialects: what a message body asks for, and `metadata[key]=value` filters."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from fastapi import Request

from vzero.core import metadata as chat_metadata
from vzero.engine.manager import Ask


class _Attachment(Protocol):
    @property
    def url(self) -> str: ...


class MessageBody(Protocol):
    """The fields every dialect's message body has."""

    @property
    def message(self) -> str: ...

    @property
    def attachments(self) -> Sequence[_Attachment]: ...

    @property
    def modelConfiguration(self) -> Any: ...  # with a `modelId`, or None


def ask_of(body: MessageBody, author_id: str, *, system: str | None, thinking: bool = False, message_type: str = "message") -> Ask:
    """What a message body asks the engine for."""
    config = body.modelConfiguration
    return Ask(
        message=body.message,
        author_id=author_id,
        attachments=tuple(a.url for a in body.attachments),
        model_id=config.modelId if config is not None else None,
        thinking=thinking,
        system=system,
        message_type=message_type,
    )


def metadata_filter(request: Request) -> dict[str, str]:
    """`metadata[key]=value` query parameters (deepObject style)."""
    found = {k[len("metadata[") : -1]: v for k, v in request.query_params.multi_items() if k.startswith("metadata[") and k.endswith("]")}
    return chat_metadata.validate(found) if found else {}
