"""The built-in actions that need the user: questions, a plan to approve, environment variables to add.

Each is a real tool: a call shows as an `agent-action` part and ends the reply waiting for the task that answers it
(`answered-questions`, `plan-exit-response`, `confirmed-steps`); the answer comes back to the model as the call's
result, and the reply goes on from there.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar

from vzero.core.parts import ActionTaken
from vzero.errors import InvalidInput
from vzero.providers import ToolSpec
from vzero.tools.base import AskUser, Presentation, Tool, ToolOutput, Workspace

ASK_USER_QUESTIONS = "ask_user_questions"
EXIT_PLAN_MODE = "exit_plan_mode"
GET_OR_REQUEST_INTEGRATION = "get_or_request_integration"

MAX_QUESTIONS = 6
MAX_OPTIONS = 8
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,254}")

# The agent action each task type answers, and the message type of the user's answer.
ACTION_OF_TASK = {
    "answered-questions": ASK_USER_QUESTIONS,
    "plan-exit-response": EXIT_PLAN_MODE,
    "confirmed-steps": GET_OR_REQUEST_INTEGRATION,
}
TASK_OF_ACTION = {action: task for task, action in ACTION_OF_TASK.items()}

_OPTION = {"type": "object", "properties": {"label": {"type": "string"}, "description": {"type": "string"}}, "required": ["label"]}
_QUESTION = {
    "type": "object",
    "properties": {
        "question": {"type": "string", "description": "The full question"},
        "header": {"type": "string", "description": "A short label (a few words)"},
        "multiSelect": {"type": "boolean", "description": "Whether several options may be chosen"},
        "options": {"type": "array", "items": _OPTION, "minItems": 2, "maxItems": MAX_OPTIONS},
    },
    "required": ["question", "options"],
}
_ASK_SPEC = ToolSpec(
    ASK_USER_QUESTIONS,
    "Ask the user one or more multiple-choice questions when a choice only they can make blocks the work "
    "(the user may also answer in their own words). The reply ends here; their answers come back as this "
    "call's result. Do not ask what you can decide yourself.",
    {
        "type": "object",
        "properties": {"questions": {"type": "array", "items": _QUESTION, "minItems": 1, "maxItems": MAX_QUESTIONS}},
        "required": ["questions"],
    },
)
_PLAN_SPEC = ToolSpec(
    EXIT_PLAN_MODE,
    "Present an implementation plan (Markdown) for the user to approve before you write any file; use it for "
    "large or ambiguous requests. The reply ends here; the user approves, rejects or asks for changes, and "
    "their answer comes back as this call's result.",
    {
        "type": "object",
        "properties": {"plan": {"type": "string", "description": "The plan, as Markdown"}, "summary": {"type": "string"}},
        "required": ["plan"],
    },
)
_VARIABLE = {"type": "object", "properties": {"name": {"type": "string"}, "description": {"type": "string"}}, "required": ["name"]}
_INTEGRATION_SPEC = ToolSpec(
    GET_OR_REQUEST_INTEGRATION,
    "Get environment variables the app needs (API keys, database URLs): if the project has them the call "
    "says so at once; otherwise the reply ends asking the user to add them, and continues once they have. "
    "Never ask for secret values in chat or write them into files: read them from process.env.",
    {"type": "object", "properties": {"envVars": {"type": "array", "items": _VARIABLE, "minItems": 1}}, "required": ["envVars"]},
)


def _text(value: Any, field: str, limit: int) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"{field} must be a non-empty string")
    return value.strip()[:limit]


class AskUserQuestions(Tool):
    """Multiple-choice questions for the user; the reply waits for the answers."""

    presentation: ClassVar[Presentation] = "agent-action"

    def __init__(self) -> None:
        super().__init__(_ASK_SPEC)

    async def run(self, arguments: dict[str, Any], workspace: Workspace) -> ToolOutput | AskUser:
        raw = arguments.get("questions")
        if not isinstance(raw, list) or not raw:
            raise InvalidInput("questions must be a non-empty list")
        questions: list[dict[str, Any]] = []
        for n, item in enumerate(raw[:MAX_QUESTIONS], 1):
            if not isinstance(item, dict):
                raise InvalidInput(f"questions[{n - 1}] must be an object")
            text = _text(item.get("question"), f"questions[{n - 1}].question", 1000)
            options = item.get("options")
            if not isinstance(options, list) or not options:
                raise InvalidInput(f"questions[{n - 1}].options must list the choices")
            shown = []
            for m, choice in enumerate(options[:MAX_OPTIONS], 1):
                choice = choice if isinstance(choice, dict) else {"label": choice}
                entry = {"id": f"q{n}-o{m}", "label": _text(choice.get("label"), f"questions[{n - 1}].options[{m - 1}].label", 200)}
                if isinstance(choice.get("description"), str) and choice["description"].strip():
                    entry["description"] = choice["description"].strip()[:500]
                shown.append(entry)
            header = item.get("header")
            header = header if isinstance(header, str) and header.strip() else text[:40]
            questions.append({
                "id": f"q{n}", "question": text, "header": header.strip()[:60], "multiSelect": item.get("multiSelect") is True,
                "options": shown,
            })
        summary = str(questions[0]["question"]) if len(questions) == 1 else f"{len(questions)} questions for you"
        return AskUser("answered-questions", summary, {"questions": questions})


class ExitPlanMode(Tool):
    """A plan for the user to approve before anything is built."""

    presentation: ClassVar[Presentation] = "agent-action"

    def __init__(self) -> None:
        super().__init__(_PLAN_SPEC)

    async def run(self, arguments: dict[str, Any], workspace: Workspace) -> ToolOutput | AskUser:
        data: dict[str, Any] = {"plan": _text(arguments.get("plan"), "plan", 50_000), "path": "."}
        summary = arguments.get("summary")
        if isinstance(summary, str) and summary.strip():
            data["summary"] = summary.strip()[:1000]
        return AskUser("plan-exit-response", data.get("summary") or "A plan for your approval", data)


class GetOrRequestIntegration(Tool):
    """Environment variables the app needs: available at once when the chat's project has them, else asked for."""

    presentation: ClassVar[Presentation] = "agent-action"

    def __init__(self, available: Callable[[], Awaitable[frozenset[str]]], project_id: str | None) -> None:
        self.available = available  # the names of the chat's project's environment variables, read when called
        self.project_id = project_id
        super().__init__(_INTEGRATION_SPEC)

    async def run(self, arguments: dict[str, Any], workspace: Workspace) -> ToolOutput | AskUser:
        raw = arguments.get("envVars")
        if not isinstance(raw, list) or not raw:
            raise InvalidInput("envVars must list the variables needed")
        names: list[str] = []
        for item in raw[:50]:
            name = item.get("name") if isinstance(item, dict) else item
            if not isinstance(name, str) or not _ENV_NAME.fullmatch(name.strip()):
                raise InvalidInput(f"{str(name)[:80]!r} is not an environment variable name")
            if name.strip() not in names:
                names.append(name.strip())
        have = await self.available() if self.project_id else frozenset()
        missing = [n for n in names if n not in have]
        if not missing:
            summary = f"Environment variables available: {', '.join(names)}"
            workspace.show(ActionTaken(GET_OR_REQUEST_INTEGRATION, summary, None, workspace.now()))
            return ToolOutput(f"The project has {', '.join(names)}; the app reads them from process.env.")
        where = (
            f"the chat's project {self.project_id} (POST /v1/projects/{self.project_id}/env-vars)" if self.project_id
            else "a project (assign one to this chat with POST /v1/projects/{projectId}/assign, then POST /v1/projects/{projectId}/env-vars)"
        )
        summary = f"Add the environment variables {', '.join(missing)} to {where}, then confirm with addedEnvVars"
        return AskUser("confirmed-steps", summary, {"requestedIntegrations": [], "requestedMcpPresets": []})


def answer_text(task: dict[str, Any]) -> str:
    """A task's answer as the waiting call's result, for the model to read."""
    kind = task.get("type")
    if kind == "answered-questions":
        lines = []
        for answer in task.get("answers") or []:
            chosen = ", ".join(answer.get("selectedLabels") or []) or "(no option)"
            extra = f" - {answer['customText']}" if answer.get("customText") else ""
            lines.append(f"- {answer.get('questionText') or answer.get('questionId')}: {chosen}{extra}")
        return "The user answered:\n" + "\n".join(lines)
    if kind == "plan-exit-response":
        status, content = task.get("status"), task.get("content", "")
        if status == "approved":
            return f"The user approved the plan: build it now. {content}".strip()
        if status == "rejected":
            return f"The user rejected the plan; do not build it. {content}".strip()
        return f"The user asks for changes to the plan; revise it and present it again with {EXIT_PLAN_MODE}. {content}".strip()
    if kind == "confirmed-steps":
        added = task.get("addedEnvVars") or []
        parts = []
        if added:
            parts.append(f"The user added the environment variables {', '.join(added)} to the project; the app reads them from process.env.")
        for key, label in (("connectedIntegrationNames", "integrations"), ("appliedScripts", "scripts"), ("connectedMcpPresetNames", "MCP presets")):
            if task.get(key):
                parts.append(f"Connected {label}: {', '.join(task[key])}.")
        return " ".join(parts) or "The user confirmed the steps without adding anything."
    if kind == "confirmed-permissions" and task.get("userMessage"):
        return f"The user allowed the call: {task['userMessage']}"
    return "The user confirmed."


def message_type_of(task: dict[str, Any]) -> str:
    """The v1 message type of the user message a task's answer is stored as."""
    kind = task.get("type")
    if kind == "answered-questions":
        return "answered-questions"
    if kind == "confirmed-steps":
        if task.get("addedEnvVars"):
            return "added-environment-variables"
        if task.get("connectedIntegrationNames") or task.get("connectedMcpPresetNames"):
            return "added-integration"
    return "message"
