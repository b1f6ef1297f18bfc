"""Builds what the model sees: the system prompt, the app's current files, the conversation, the new request."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from vzero.core.files import FileEntry, FileSet
from vzero.providers import ChatTurn, GenerationRequest, ImageInput

PROMPTS = Path(__file__).resolve().parent.parent / "prompts"
_HIDDEN_FROM_MODEL = ("package-lock.json", "pnpm-lock.yaml", "yarn.lock", "bun.lockb", "bun.lock")
_HISTORY_TURNS = 20  # older turns are dropped; the current files carry what they built


@cache
def base_system_prompt() -> str:
    return (PROMPTS / "system.md").read_text()


@dataclass(frozen=True, slots=True)
class TextAttachment:
    """A non-image attachment given to the model inline."""

    name: str
    text: str


@dataclass(frozen=True, slots=True)
class PromptInput:
    """Everything a generation's prompt is made of."""

    model: str
    files: FileSet
    history: tuple[ChatTurn, ...]
    message: str
    chat_system: str | None = None
    project_instructions: str | None = None
    images: tuple[ImageInput, ...] = ()
    text_attachments: tuple[TextAttachment, ...] = ()
    fix_error: bool = False
    thinking: bool = False
    max_output_tokens: int = 16000
    file_budget_chars: int = 120_000
    tool_instructions: str = ""  # what the request's tools need said (the skills it may load, ...)
    answers_tools: bool = False  # the reply starts by giving results of the last reply's calls: no new user turn


def in_model_context(entry: FileEntry) -> bool:
    name = entry.path.rsplit("/", 1)[-1]
    return not entry.is_binary and name not in _HIDDEN_FROM_MODEL


def _priority(path: str) -> tuple[int, int, str]:
    """Entry points first, then app code, then the rest; shallow before deep."""
    if path in ("app/page.tsx", "app/layout.tsx", "src/App.tsx", "src/main.tsx"):
        rank = 0
    elif path.startswith(("app/", "src/")):
        rank = 1
    elif path.startswith(("components/", "lib/", "hooks/")) and not path.startswith("components/ui/"):
        rank = 2
    else:
        rank = 3
    return rank, path.count("/"), path


def files_section(files: FileSet, budget: int) -> tuple[str, list[str]]:
    """The current files for the system prompt, all of them when they fit the budget; returns the paths shown."""
    if not files:
        return "The project has no files yet: create the app from scratch.", []
    visible = [f for f in files.entries() if in_model_context(f)]
    listing = "\n".join(f"- {f.path}{' (LOCKED)' if f.locked else ''}" for f in files.entries())
    shown: list[str] = []
    blocks: list[str] = []
    used = len(listing)
    for entry in sorted(visible, key=lambda f: _priority(f.path)):
        text = entry.content.decode("utf-8", "replace")
        if used + len(text) > budget:
            continue
        used += len(text)
        shown.append(entry.path)
        lang = entry.path.rsplit(".", 1)[-1] if "." in entry.path else ""
        blocks.append(f'```{lang} file="{entry.path}"\n{text}\n```')
    omitted = len(visible) - len(shown)
    note = (
        f"\n\n{omitted} file(s) are not shown to stay within the context budget; ask for them by name only if needed, "
        "and do not rewrite them blindly."
    ) if omitted else ""
    return f"All files of the project:\n{listing}\n\nCurrent contents:\n\n" + "\n\n".join(blocks) + note, shown


def build_request(prompt: PromptInput) -> tuple[GenerationRequest, list[str]]:
    """The model request, and the paths whose contents the model was given (a v2 `file-read` part)."""
    sections = [base_system_prompt()]
    if prompt.project_instructions:
        sections.append("## Project instructions from the user\n\n" + prompt.project_instructions.strip())
    if prompt.chat_system:
        sections.append("## Additional context from the user\n\n" + prompt.chat_system.strip())
    locked = prompt.files.locked_paths()
    if locked:
        sections.append("## LOCKED files (never change, move or delete these)\n\n" + "\n".join(f"- {p}" for p in locked))
    if prompt.tool_instructions:
        sections.append(prompt.tool_instructions.strip())
    body, shown = files_section(prompt.files, prompt.file_budget_chars)
    sections.append("## The project now\n\n" + body)
    message = prompt.message
    if prompt.fix_error:
        message = (
            "The app has an error. Find its cause and fix it with the smallest change that works; keep everything else "
            "as it is. The error:\n\n" + prompt.message
        )
    for attachment in prompt.text_attachments:
        message += f"\n\nAttached file {attachment.name}:\n```\n{attachment.text}\n```"
    history = prompt.history[-_HISTORY_TURNS:]
    turns = history if prompt.answers_tools else (*history, ChatTurn(role="user", text=message, images=prompt.images))
    request = GenerationRequest(
        model=prompt.model,
        system="\n\n".join(sections),
        turns=_alternating(turns),
        max_output_tokens=prompt.max_output_tokens,
        thinking=prompt.thinking,
    )
    return request, shown


def _alternating(turns: tuple[ChatTurn, ...]) -> tuple[ChatTurn, ...]:
    """Providers want user/assistant turns alternating, starting with the user, and each tool call answered in the
    turn right after it: merge or drop what does not fit."""
    merged: list[ChatTurn] = []
    for turn in turns:
        if not turn.text.strip() and not turn.images and not turn.tool_calls and not turn.tool_results:
            continue
        if merged and merged[-1].role == turn.role:
            last = merged[-1]
            text = "\n\n".join(t for t in (last.text, turn.text) if t.strip())
            merged[-1] = ChatTurn(
                role=last.role, text=text, images=last.images + turn.images, tool_calls=last.tool_calls + turn.tool_calls,
                tool_results=last.tool_results + turn.tool_results,
            )
        else:
            merged.append(turn)
    # A cut history may start with results whose calls were dropped: the results go too.
    while merged and (merged[0].role != "user" or merged[0].tool_results):
        first = merged.pop(0)
        if first.role == "user" and (first.text.strip() or first.images):
            merged.insert(0, ChatTurn(role="user", text=first.text, images=first.images))
            break
    return tuple(merged)


def full_file_request(base: GenerationRequest, reply: str, path: str) -> GenerationRequest:
    """Ask once more, for the whole of one file whose partial edit could not be placed."""
    ask = (
        f"Your edit of {path} used `... existing code ...` markers that could not be placed unambiguously. "
        f'Reply with only the COMPLETE new content of {path} in one fenced block: ```lang file="{path}"'
    )
    turns = (*base.turns, ChatTurn(role="assistant", text=reply), ChatTurn(role="user", text=ask))
    return GenerationRequest(model=base.model, system=base.system, turns=turns, max_output_tokens=base.max_output_tokens)
