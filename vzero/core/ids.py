"""Identifiers and timestamps as the API shows them."""

from __future__ import annotations

import secrets
from datetime import datetime, timezone

_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def new_id(length: int = 14) -> str:
    """A random base62 id (about 83 bits for the default length)."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def iso(moment: datetime) -> str:
    """ISO-8601 in UTC ending in Z with milliseconds, the only form the spec's pattern accepts."""
    # isoformat is C and truncates to milliseconds as the spec wants; a response carries ~100 of these.
    if moment.year < 1000:  # strftime writes such years unpadded; kept so that the output never changes
        return _iso_strftime(moment)
    if moment.tzinfo is None:  # SQLite hands back naive datetimes; they were stored as UTC
        return moment.isoformat(timespec="milliseconds") + "Z"
    offset = moment.utcoffset()
    if offset:
        if offset.microseconds:  # the old form kept the local milliseconds; no real zone has such an offset
            return _iso_strftime(moment)
        moment = moment.astimezone(timezone.utc)
    return moment.isoformat(timespec="milliseconds")[:-6] + "Z"  # drops "+00:00"


def _iso_strftime(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def epoch_ms(moment: datetime) -> int:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return int(moment.timestamp() * 1000)
