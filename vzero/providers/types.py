"""What a provider is asked (a request of turns) and what it answers (a stream of events)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

FinishReason = Literal["stop", "length", "content-filter", "tool-calls", "error", "other"]


@dataclass(frozen=True, slots=True)
class ImageInput:
    """An image sent to the model, as raw bytes with its media type."""

    media_type: str
    data: bytes


@dataclass(frozen=True, slots=True)
class ChatTurn:
    """One turn of the conversation."""

    role: Literal["user", "assistant"]
    text: str
    images: tuple[ImageInput, ...] = ()


@dataclass(frozen=True, slots=True)
class GenerationRequest:
    """Everything a provider needs for one model call."""

    model: str
    system: str
    turns: tuple[ChatTurn, ...]
    max_output_tokens: int
    thinking: bool = False
    temperature: float | None = None


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


StreamEvent = TextChunk | ThinkingChunk | Usage | Finish
Emit = Callable[[StreamEvent], None]  # where a provider hands its events, one at a time, as they arrive
TEXT_CHUNKS = (TextChunk, ThinkingChunk)  # a tuple: isinstance with a union type is slower, and this runs per chunk
