"""What a tool is to the engine: its spec, how its calls are shown, whether it may run unasked, and one call.

A tool runs inside a generation and may change the reply through the `Workspace` it is given (publish a part,
write a file); what it returns is what the model reads next. A tool that needs the user's answer returns `AskUser`:
the reply then ends, waiting for the task that answers it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, Protocol

from vzero.core.parts import PartEvent
from vzero.errors import VzeroError
from vzero.providers import ToolSpec

Presentation = Literal["tool-call", "agent-action"]
TaskType = Literal["answered-questions", "plan-exit-response", "confirmed-steps", "confirmed-permissions"]


@dataclass(frozen=True, slots=True)
class ToolOutput:
    """What a call returned: the text the model reads, and whether the call failed."""

    text: str
    is_error: bool = False


@dataclass(frozen=True, slots=True)
class AskUser:
    """The call needs the user: the reply ends with this agent action waiting for a task of `task` type."""

    task: TaskType
    summary: str
    data: dict[str, Any] | None = None


class Workspace(Protocol):
    """What a running tool may do to the reply it is part of."""

    def show(self, event: PartEvent) -> None:
        """A change of the reply's parts (an agent action, a tool call)."""
        ...

    def write_file(self, path: str, content: bytes) -> str | None:
        """Write a whole file of the new version: the operation done (create, update), or None if refused."""
        ...

    def now(self) -> str: ...


class Tool(ABC):
    """A tool the model may call."""

    presentation: ClassVar[Presentation] = "tool-call"  # how a call is shown: a tool-call part or an agent action

    def __init__(self, spec: ToolSpec) -> None:
        self.spec = spec

    @property
    def name(self) -> str:
        return self.spec.name

    def needs_permission(self, arguments: dict[str, Any]) -> bool:
        """Whether this call waits for the user to allow it (`confirmed-permissions`) unless already allowed."""
        return False

    @abstractmethod
    async def run(self, arguments: dict[str, Any], workspace: Workspace) -> ToolOutput | AskUser:
        """One call. Errors it raises reach the model as the call's error; a VzeroError's message as it is."""


class ToolSourceDown(VzeroError):
    """A source of tools (an MCP server) could not be reached or listed: its tools are left out of the reply."""


class ToolSource(Protocol):
    """Tools that live behind a connection held for the reply (an MCP server)."""

    label: str  # for messages: what it is and where

    async def open(self, stack: AsyncExitStack) -> Sequence[Tool]:
        """Connect (closed with `stack`) and list the tools; ToolSourceDown says why it could not."""
        ...
