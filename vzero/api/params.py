"""Request parsing shared by both dialects: what a message body asks for, and `metadata[key]=value` filters."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from fastapi import Request

from vzero.core import jsontext
from vzero.core import metadata as chat_metadata
from vzero.engine.ask import Ask
from vzero.errors import InvalidInput


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


MAX_SKILLS = 3


def ask_of(body: MessageBody, author_id: str, *, system: str | None, message_type: str = "message") -> Ask:
    """What a message body asks the engine for; model configuration it leaves out is the chat's."""
    config = body.modelConfiguration
    ids = getattr(body, "mcpServerIds", None)
    return Ask(
        message=body.message,
        author_id=author_id,
        attachments=tuple(a.url for a in body.attachments),
        model_id=config.modelId if config is not None else None,
        thinking=getattr(config, "thinking", None),
        image_generations=getattr(config, "imageGenerations", None),
        system=system,
        message_type=message_type,
        mcp_server_ids=tuple(ids) if ids is not None else None,
        skills=skills_of(body),
        design_system_id=getattr(body, "designSystemId", None),
    )


def skills_of(body: Any) -> tuple[dict[str, Any], ...]:
    """`skills`, with v1's `attachedSkillIds` merged in as remote skills; at most three."""
    skills: list[dict[str, Any]] = [s.model_dump() if hasattr(s, "model_dump") else dict(s) for s in getattr(body, "skills", None) or []]
    skills += [{"type": "remote", "id": skill_id} for skill_id in getattr(body, "attachedSkillIds", None) or []]
    unique = list({jsontext.dumps(s): s for s in skills}.values())
    if len(unique) > MAX_SKILLS:
        raise InvalidInput(f"At most {MAX_SKILLS} skills may be attached (skills and attachedSkillIds together); {len(unique)} were given")
    return tuple(unique)


def metadata_filter(request: Request) -> dict[str, str]:
    """`metadata[key]=value` query parameters (deepObject style)."""
    found = {k[len("metadata[") : -1]: v for k, v in request.query_params.multi_items() if k.startswith("metadata[") and k.endswith("]")}
    return chat_metadata.validate(found) if found else {}
