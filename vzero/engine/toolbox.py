"""The tools of one reply and how each call runs: shown as a part, allowed or asked for, bounded in time and size.

A generation gets a `ToolPlan` from the manager (the tools, the sources it connects to when it starts, what the
user has allowed, the budget) and opens it into a `Toolbox` for its length. A call ends in a `ToolResult` the model
reads next, or `Blocked` when it needs the user: then the reply ends, waiting for the task that answers it.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from typing import Any

from vzero.core import jsontext
from vzero.core.parts import ActionTaken, ToolCallEnded, ToolCallStarted
from vzero.errors import VzeroError
from vzero.providers import ToolCall, ToolResult, ToolSpec
from vzero.tools.base import AskUser, Tool, ToolOutput, ToolSource, ToolSourceDown, Workspace

log = logging.getLogger("vzero.engine")

_NAME = re.compile(r"[^A-Za-z0-9_-]")
PERMISSION = "ALLOW_DYNAMIC_TOOL_STRICT"
MAX_TOOLS = 128  # what the providers take in one request


@dataclass(frozen=True, slots=True)
class Budget:
    """How far one reply's model -> tools -> model loop may go."""

    rounds: int = 8  # model calls that may end in tool calls
    seconds: float = 300.0
    tokens: int = 400_000  # input and output tokens of all its model calls


@dataclass(frozen=True, slots=True)
class Resume:
    """A reply that waited for the user, and the user's answer: the next reply starts by giving the result."""

    calls: tuple[ToolCall, ...]  # the calls of the round that stopped
    results: tuple[ToolResult, ...]  # those answered before it stopped
    pending: ToolCall  # the call that waited
    task: dict[str, Any]  # the answer (a resolve task)


@dataclass(frozen=True)
class ToolPlan:
    """What a generation may call, handed over by whoever starts it."""

    tools: tuple[Tool, ...] = ()
    sources: tuple[ToolSource, ...] = ()
    grants: frozenset[str] = frozenset()  # calls the user allowed: `grant_key(name, input)`
    budget: Budget = field(default_factory=Budget)
    timeout: float = 60.0  # one call
    max_output_chars: int = 20_000
    resume: Resume | None = None


@dataclass(frozen=True, slots=True)
class Blocked:
    """A call that waits for the user: a permission (`task` confirmed-permissions) or an answer."""

    call: ToolCall
    task: str


def grant_key(name: str, arguments: Any) -> str:
    """What a strict permission allows: this tool with exactly this input."""
    return name + "\x00" + jsontext.dumps(arguments).decode()


def suggested_permission(call: ToolCall) -> dict[str, Any]:
    """The permission that allows `call`, as a `confirmed-permissions` task passes it back."""
    return {
        "type": PERMISSION, "toolName": call.name, "input": call.arguments, "taskNameActive": f"Running {call.name}",
        "taskNameComplete": f"Ran {call.name}",
    }


class Toolbox:
    """The tools a reply may call, by the name the model knows them by."""

    def __init__(self, plan: ToolPlan, tools: Sequence[Tool], unavailable: Sequence[str] = ()) -> None:
        self.plan = plan
        self.unavailable = list(unavailable)  # sources that could not be opened (and tools left out), with why
        self._tools: dict[str, Tool] = {}
        for tool in tools[:MAX_TOOLS]:
            self._tools[self._unique(tool.name)] = tool
        if len(tools) > MAX_TOOLS:
            left = ", ".join(t.name for t in tools[MAX_TOOLS:][:20])
            self.unavailable.append(f"{len(tools) - MAX_TOOLS} tools were left out, {MAX_TOOLS} being the most a reply may offer ({left})")

    @classmethod
    async def open(cls, plan: ToolPlan, stack: AsyncExitStack) -> Toolbox:
        """The plan's tools and those of its sources, connected side by side; a source that is down is left out."""

        async def connect(source: ToolSource) -> Sequence[Tool] | str:
            try:
                return await source.open(stack)
            except ToolSourceDown as exc:
                return exc.message

        opened = await asyncio.gather(*(connect(s) for s in plan.sources))
        tools = list(plan.tools)
        down = []
        for result in opened:
            if isinstance(result, str):
                down.append(result)
            else:
                tools.extend(result)
        return cls(plan, tools, down)

    def _unique(self, name: str) -> str:
        """The tool's name as the model may spell it ([A-Za-z0-9_-], 64 at most), made unique."""
        base = _NAME.sub("_", name)[:64] or "tool"
        candidate, n = base, 2
        while candidate in self._tools:
            suffix = f"_{n}"
            candidate, n = base[: 64 - len(suffix)] + suffix, n + 1
        return candidate

    @property
    def specs(self) -> tuple[ToolSpec, ...]:
        return tuple(ToolSpec(name, tool.spec.description, tool.spec.parameters) for name, tool in self._tools.items())

    def __contains__(self, name: str) -> bool:
        return name in self._tools

    async def call(self, call: ToolCall, workspace: Workspace, *, seconds: float) -> ToolResult | Blocked:
        """Run one call within `seconds` (and the per-call timeout): shown, allowed or asked for, its output bounded."""
        tool = self._tools.get(call.name)
        if tool is None or call.problem:
            problem = call.problem or f"there is no tool named {call.name!r}; the tools are: {', '.join(self._tools) or 'none'}"
            return self._failed(call, workspace, f"The call was not run: {problem}")
        if tool.presentation == "tool-call":
            workspace.show(ToolCallStarted(call.id, call.name, call.arguments, workspace.now()))
            if tool.needs_permission(call.arguments) and grant_key(call.name, call.arguments) not in self.plan.grants:
                permission = suggested_permission(call)
                workspace.show(ToolCallEnded(call.id, None, "ok", workspace.now(), (permission,)))
                return Blocked(call, "confirmed-permissions")
        return await self._run(tool, call, workspace, seconds)

    async def run_allowed(self, call: ToolCall, workspace: Workspace, *, seconds: float) -> ToolResult:
        """A call the user has just allowed (`confirmed-permissions`): run it, shown anew."""
        tool = self._tools.get(call.name)
        if tool is None:
            return self._failed(call, workspace, f"The call was not run: the tool {call.name!r} is no longer available")
        workspace.show(ToolCallStarted(call.id, call.name, call.arguments, workspace.now()))
        result = await self._run(tool, call, workspace, seconds)
        assert isinstance(result, ToolResult)
        return result

    async def _run(self, tool: Tool, call: ToolCall, workspace: Workspace, seconds: float) -> ToolResult | Blocked:
        timeout = min(self.plan.timeout, seconds)
        try:
            if timeout <= 0:
                raise TimeoutError
            async with asyncio.timeout(timeout):
                outcome = await tool.run(call.arguments, workspace)
        except TimeoutError:
            outcome = ToolOutput(f"The tool did not answer within {timeout:g} s (VZERO_TOOL_TIMEOUT) and was stopped.", is_error=True)
        except VzeroError as exc:
            outcome = ToolOutput(exc.message, is_error=True)
        except Exception as exc:
            log.warning("tool %s failed", call.name, exc_info=True)
            outcome = ToolOutput(f"The tool failed: {type(exc).__name__}: {exc}", is_error=True)
        if isinstance(outcome, AskUser):
            workspace.show(ActionTaken(call.name, outcome.summary, outcome.data, workspace.now(), waiting=True))
            return Blocked(call, outcome.task)
        text = bounded(outcome.text, self.plan.max_output_chars)
        if tool.presentation == "tool-call":
            workspace.show(ToolCallEnded(call.id, text, "error" if outcome.is_error else "ok", workspace.now()))
        return ToolResult(call.id, call.name, text, outcome.is_error)

    def _failed(self, call: ToolCall, workspace: Workspace, message: str) -> ToolResult:
        workspace.show(ToolCallStarted(call.id, call.name, call.arguments, workspace.now()))
        workspace.show(ToolCallEnded(call.id, message, "error", workspace.now()))
        return ToolResult(call.id, call.name, message, is_error=True)


def bounded(text: str, limit: int) -> str:
    """`text`, cut to `limit` characters with a note saying so (tool output is untrusted and may be huge)."""
    if len(text) <= limit:
        return text
    return text[:limit] + f"\n[... cut: the output was {len(text)} characters; {limit} are shown (VZERO_TOOL_MAX_OUTPUT_CHARS)]"
