"""Attachments of a message: data URIs or URLs (fetched through the safe fetcher) turned into model inputs."""

from __future__ import annotations

import asyncio
import base64
import binascii
import mimetypes
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote_to_bytes, urlparse

from vzero.engine.prompt import TextAttachment
from vzero.errors import InvalidInput, PayloadTooLarge, SourceError
from vzero.providers import ImageInput
from vzero.runtime import Runtime

MAX_TEXT_CHARS = 100_000  # of one text attachment, given to the model inline
IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")
TEXT_TYPES = ("application/json", "application/javascript", "application/xml")


@dataclass
class Resolved:
    """What the model gets, and what the message records about each attachment."""

    images: list[ImageInput] = field(default_factory=list)
    texts: list[TextAttachment] = field(default_factory=list)
    records: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Loaded:
    name: str
    media_type: str
    data: bytes
    shown_url: str


def _data_uri(url: str) -> tuple[str, bytes]:
    header, comma, payload = url[5:].partition(",")
    if not comma:
        raise InvalidInput("An attachment's data URI has no ',' before its data")
    media_type = header.split(";")[0] or "text/plain"
    try:
        data = base64.b64decode(payload, validate=True) if header.endswith(";base64") else unquote_to_bytes(payload)
    except (binascii.Error, ValueError) as exc:
        raise InvalidInput("An attachment's data URI is not valid base64") from exc
    return media_type, data


async def _load(runtime: Runtime, index: int, url: str) -> _Loaded:
    limit = runtime.settings.max_attachment_bytes
    if url.startswith("data:"):
        media_type, data = _data_uri(url)
        name = f"attachment-{index + 1}{mimetypes.guess_extension(media_type) or ''}"
        shown = url if len(url) <= 2048 else f"data:{media_type};base64,..."
    else:
        from vzero.sources.fetch import SafeFetcher

        fetched = await SafeFetcher(runtime.settings).fetch(url, max_bytes=limit)
        path = urlparse(url).path
        media_type = (fetched.content_type or "").split(";")[0].strip() or mimetypes.guess_type(path)[0] or "application/octet-stream"
        data, name, shown = fetched.body, path.rsplit("/", 1)[-1] or f"attachment-{index + 1}", url
    if len(data) > limit:
        raise PayloadTooLarge(f"Attachment {name} is larger than {limit} bytes (VZERO_MAX_ATTACHMENT_BYTES)")
    return _Loaded(name, media_type, data, shown)


async def resolve(runtime: Runtime, urls: list[str], supports_images: bool) -> Resolved:
    settings = runtime.settings
    if len(urls) > settings.max_attachments:
        raise InvalidInput(f"At most {settings.max_attachments} attachments per message (VZERO_MAX_ATTACHMENTS)")
    try:
        # Fetched side by side under one deadline: ten slow URLs cost one timeout, not ten.
        async with asyncio.timeout(settings.fetch_timeout):
            loaded = await asyncio.gather(*(_load(runtime, i, url) for i, url in enumerate(urls)))
    except TimeoutError:
        raise SourceError(f"The attachments could not be fetched within {settings.fetch_timeout:g} s (VZERO_FETCH_TIMEOUT)") from None
    resolved = Resolved()
    for item in loaded:
        resolved.records.append({"url": item.shown_url, "name": item.name, "contentType": item.media_type, "size": len(item.data)})
        if item.media_type in IMAGE_TYPES:
            if supports_images:
                resolved.images.append(ImageInput(media_type=item.media_type, data=item.data))
            else:
                resolved.texts.append(TextAttachment(item.name, "(an image the current model cannot see)"))
        elif item.media_type.startswith("text/") or item.media_type in TEXT_TYPES:
            resolved.texts.append(TextAttachment(item.name, item.data.decode("utf-8", "replace")[:MAX_TEXT_CHARS]))
        else:
            resolved.texts.append(TextAttachment(item.name, f"(a {item.media_type} file of {len(item.data)} bytes; its content cannot be shown)"))
    return resolved
