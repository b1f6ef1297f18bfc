"""Chat metadata: a small string-to-string map merged with null deletes."""

from __future__ import annotations

from collections.abc import Mapping

from vzero.errors import InvalidInput

MAX_KEYS = 50
MAX_KEY_LENGTH = 40
MAX_VALUE_LENGTH = 500


def validate(metadata: Mapping[str, str]) -> dict[str, str]:
    """Check sizes the spec documents: keys 1-40 characters, values up to 500."""
    if len(metadata) > MAX_KEYS:
        raise InvalidInput(f"metadata has {len(metadata)} keys; at most {MAX_KEYS} are allowed")
    for key, value in metadata.items():
        if not 1 <= len(key) <= MAX_KEY_LENGTH:
            raise InvalidInput(f"metadata key {key[:50]!r} must be 1 to {MAX_KEY_LENGTH} characters")
        if not isinstance(value, str) or len(value) > MAX_VALUE_LENGTH:
            raise InvalidInput(f"metadata value of {key!r} must be a string of at most {MAX_VALUE_LENGTH} characters")
    return dict(metadata)


def merge(current: Mapping[str, str], patch: Mapping[str, str | None] | None) -> dict[str, str]:
    """Apply a PATCH: a null object clears everything, a null value deletes its key."""
    if patch is None:
        return {}
    merged = dict(current)
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return validate(merged)
