"""What a provider is asked (a request of turns) and what it answers (a stream of events)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

FinishReason = Literal["stop", "length", "content-filter", "tool-calls", "error", "other"]


@dataclass(frozen=True, slots=True)
class ImageInput:
    """An image sent to the model, as raw bytes with its media type."""

    media_type: str
    data: bytes


@dataclass(frozen=True, slots=True)
class ToolSpec:
    """A tool the model may call: its name, what it does, and the JSON schema of its input (an object)."""

    name: str
    description: str
    parameters: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ToolCall:
    """A call the model made: the id it gave it, the tool and the input; `problem` says why the input could not
    be read (the model then hears of it instead of the tool running)."""

    id: str
    name: str
    arguments: dict[str, Any]
    problem: str | None = None


@dataclass(frozen=True, slots=True)
class ToolResult:
    """What a tool call returned, as the model reads it."""

    call_id: str
    name: str
    output: str
    is_error: bool = False


@dataclass(frozen=True, slots=True)
class ChatTurn:
    """One turn of the conversation: an assistant turn may end in tool calls, and the user turn after it carries
    their results (before any text of its own)."""

    role: Literal["user", "assistant"]
    text: str
    images: tuple[ImageInput, ...] = ()
    tool_calls: tuple[ToolCall, ...] = ()
    tool_results: tuple[ToolResult, ...] = ()


@dataclass(frozen=True, slots=True)
class GenerationRequest:
    """Everything a provider needs for one model call."""

    model: str
    system: str
    turns: tuple[ChatTurn, ...]
    max_output_tokens: int
    thinking: bool = False
    temperature: float | None = None
    tools: tuple[ToolSpec, ...] = ()
    tool_choice: str | None = None  # None/"auto": the model decides; "required": it must call one; else a tool's name


@dataclass(slots=True)  # made per chunk: not frozen, whose init is slower
class TextChunk:
    """A piece of the answer text."""

    text: str


@dataclass(slots=True)  # made per chunk: not frozen, whose init is slower
class ThinkingChunk:
    """A piece of the model's native reasoning (Anthropic thinking, OpenAI-compatible `reasoning_content`)."""

    text: str


@dataclass(frozen=True, slots=True)
class Usage:
    """Token counts of one call; `input_tokens` excludes cached tokens, `estimated` marks a local guess."""

    input_tokens: int
    output_tokens: int
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    estimated: bool = False


@dataclass(frozen=True, slots=True)
class Finish:
    """Why the model stopped."""

    reason: FinishReason


StreamEvent = TextChunk | ThinkingChunk | ToolCall | Usage | Finish
Emit = Callable[[StreamEvent], None]  # where a provider hands its events, one at a time, as they arrive
TEXT_CHUNKS = (TextChunk, ThinkingChunk)  # a tuple: isinstance with a union type is slower, and this runs per chunk
