"""What a request asks of a chat's next reply, in no API's terms."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Ask:
    """One request for a generation, in no API's terms; the model configuration a field leaves None is the chat's."""

    message: str
    author_id: str
    attachments: tuple[str, ...] = ()
    model_id: str | None = None
    thinking: bool | None = None
    image_generations: bool | None = None
    system: str | None = None
    message_type: str = "message"  # fix-with-v0 / auto-fix-with-v0 focus the model on an error
    task: dict[str, Any] | None = None  # a resolve: the answer to the task the chat's latest reply waits on
    mcp_server_ids: tuple[str, ...] | None = None  # None: the caller's enabled MCP servers
    skills: tuple[dict[str, Any], ...] = ()  # skills to attach ({type: remote|memory|project, ...})
    design_system_id: str | None = None

    def configuration(self) -> dict[str, Any]:
        """The model configuration this request sets (what the chat keeps for later messages)."""
        given = {"modelId": self.model_id, "thinking": self.thinking, "imageGenerations": self.image_generations}
        return {k: v for k, v in given.items() if v is not None}
