"""The provider registry: built-in providers register through `register` exactly as an outside one would.

An installed package can add a provider without code changes here: a `vzero.providers` entry point naming its
Provider subclass is registered on import, and its `name` is then a valid VZERO_PROVIDER.
"""

from __future__ import annotations

import logging
from importlib.metadata import entry_points
from typing import TYPE_CHECKING

from vzero.errors import ProviderNotConfigured
from vzero.providers.base import Provider
from vzero.providers.types import (
    ChatTurn,
    Emit,
    Finish,
    FinishReason,
    GenerationRequest,
    ImageInput,
    StreamEvent,
    TextChunk,
    ThinkingChunk,
    ToolCall,
    ToolResult,
    ToolSpec,
    Usage,
)

if TYPE_CHECKING:
    from vzero.config import Settings

__all__ = [
    "ChatTurn",
    "Emit",
    "Finish",
    "FinishReason",
    "GenerationRequest",
    "ImageInput",
    "Provider",
    "StreamEvent",
    "TextChunk",
    "ThinkingChunk",
    "ToolCall",
    "ToolResult",
    "ToolSpec",
    "Usage",
    "get_provider",
    "provider_class",
    "register",
    "registered",
    "resolve_model",
]

log = logging.getLogger("vzero.providers")

NOT_CONFIGURED = (
    "No model provider configured - set VZERO_PROVIDER=openai and OPENAI_API_KEY (and OPENAI_BASE_URL for "
    "Ollama/vLLM/LM Studio/llama.cpp/OpenRouter), or VZERO_PROVIDER=anthropic and ANTHROPIC_API_KEY"
)

_registry: dict[str, type[Provider]] = {}


def register(cls: type[Provider]) -> type[Provider]:
    """Make a provider selectable by its `name` (VZERO_PROVIDER); usable as a class decorator."""
    _registry[cls.name] = cls
    return cls


def registered() -> dict[str, type[Provider]]:
    """The registered providers by name."""
    return dict(_registry)


def provider_class(settings: Settings) -> type[Provider]:
    """The provider class VZERO_PROVIDER selects, or ProviderNotConfigured saying what to set."""
    if not settings.provider:
        raise ProviderNotConfigured(NOT_CONFIGURED)
    cls = _registry.get(settings.provider)
    if cls is None:
        known = ", ".join(sorted(_registry))
        raise ProviderNotConfigured(
            f"Unknown model provider {settings.provider!r} - set VZERO_PROVIDER to one of: {known}"
        )
    return cls


def get_provider(settings: Settings) -> Provider:
    """A new provider built from settings; callers keep one per process and `aclose` it at shutdown."""
    return provider_class(settings).from_settings(settings)


def resolve_model(settings: Settings, v0_model_id: str | None) -> str:
    """The provider's model name: VZERO_MODEL_MAP[v0 id], else VZERO_MODEL, else the provider's default."""
    if v0_model_id and v0_model_id in settings.model_map:
        return settings.model_map[v0_model_id]
    if settings.model:
        return settings.model
    return provider_class(settings).default_model


def _register_builtins() -> None:
    """Register the providers that ship with vzero, then those installed packages declare."""
    from vzero.providers.anthropic import AnthropicProvider
    from vzero.providers.openai_compatible import OpenAICompatibleProvider

    register(OpenAICompatibleProvider)
    register(AnthropicProvider)
    for entry in entry_points(group="vzero.providers"):
        try:
            found = entry.load()
        except Exception as exc:  # noqa: BLE001 - a broken plugin must not stop the server
            log.warning("the provider plugin %s could not be loaded: %s", entry.name, exc)
            continue
        if isinstance(found, type) and issubclass(found, Provider):
            register(found)
        else:
            log.warning("the provider plugin %s is not a vzero Provider subclass", entry.name)


_register_builtins()
