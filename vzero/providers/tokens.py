"""Token estimates for servers that report no usage."""

from __future__ import annotations

import math

from vzero.providers.types import GenerationRequest

# Rough token estimate used when a server reports no usage: about four characters per token for
# English text and code (OpenAI's and Anthropic's published rule of thumb), and a flat cost per image
# near the middle of what both charge for a ~1 megapixel picture.
CHARS_PER_TOKEN = 4
IMAGE_TOKENS = 1000


def estimate_tokens(text: str) -> int:
    """Estimated token count of `text`: ceil(characters / 4)."""
    return math.ceil(len(text) / CHARS_PER_TOKEN)


def estimate_input_tokens(request: GenerationRequest) -> int:
    """Estimated prompt tokens: the system prompt and every turn's text, plus a flat cost per image."""
    chars = len(request.system) + sum(len(turn.text) for turn in request.turns)
    images = sum(len(turn.images) for turn in request.turns)
    return math.ceil(chars / CHARS_PER_TOKEN) + images * IMAGE_TOKENS
