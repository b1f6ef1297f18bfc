"""Identifiers and timestamps as the API shows them."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

from vzero.errors import InvalidInput

_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


# Byte b -> _ALPHABET[b % 62], with the bytes past 247 deleted so that every character stays equally likely
# (248 = 4 * 62): both done in C by bytes.translate.
_TO_ALPHABET = bytes(ord(_ALPHABET[b % 62]) for b in range(256))
_UNEVEN = bytes(range(248, 256))


def new_id(length: int = 14) -> str:
    """A random base62 id (about 83 bits for the default length), from one read of the OS's random source."""
    kept = secrets.token_bytes(length + 4).translate(_TO_ALPHABET, _UNEVEN)
    while len(kept) < length:  # more than 4 of the bytes were dropped: about 1 id in 6,000
        kept += secrets.token_bytes(length).translate(_TO_ALPHABET, _UNEVEN)
    return kept[:length].decode("ascii")


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """ISO-8601 in UTC ending in Z with milliseconds and a four-digit year: the only form the spec's pattern accepts."""
    # isoformat is C, pads the year and truncates to milliseconds; a response carries ~100 of these.
    if moment.tzinfo is None:  # SQLite hands back naive datetimes; they were stored as UTC
        return moment.isoformat(timespec="milliseconds") + "Z"
    if moment.utcoffset():
        moment = moment.astimezone(UTC)
    return moment.isoformat(timespec="milliseconds")[:-6] + "Z"  # drops "+00:00"


def epoch_ms(moment: datetime) -> int:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def parse_moment(value: str | None, name: str) -> datetime | None:
    """A date-time query parameter as UTC; between 1970 and 9000 so that date arithmetic stays far from its bounds."""
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{name} must be an ISO-8601 date-time such as 2026-01-31T00:00:00Z, not {value[:60]!r}") from None
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    if not 1970 <= moment.year <= 9000:
        raise InvalidInput(f"{name} must be a date between 1970 and 9000, not {value[:60]!r}")
    return moment
