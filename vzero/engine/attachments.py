"""Attachments of a message: data URIs or URLs (fetched through the safe fetcher) turned into model inputs."""

from __future__ import annotations

import base64
import binascii
import mimetypes
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote_to_bytes, urlparse

from vzero.engine.prompt import TextAttachment
from vzero.errors import InvalidInput, PayloadTooLarge
from vzero.providers import ImageInput
from vzero.runtime import Runtime

MAX_ATTACHMENTS = 10
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
MAX_TEXT_CHARS = 100_000
IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")


@dataclass
class Resolved:
    """What the model gets, and what the message records about each attachment."""

    images: list[ImageInput] = field(default_factory=list)
    texts: list[TextAttachment] = field(default_factory=list)
    records: list[dict[str, Any]] = field(default_factory=list)


def _data_uri(url: str) -> tuple[str, bytes]:
    header, _, payload = url[5:].partition(",")
    media_type = header.split(";")[0] or "text/plain"
    try:
        data = base64.b64decode(payload, validate=False) if header.endswith(";base64") else unquote_to_bytes(payload)
    except (binascii.Error, ValueError) as exc:
        raise InvalidInput("An attachment's data URI is not valid base64") from exc
    return media_type, data


async def resolve(runtime: Runtime, urls: list[str], supports_images: bool) -> Resolved:
    if len(urls) > MAX_ATTACHMENTS:
        raise InvalidInput(f"At most {MAX_ATTACHMENTS} attachments per message")
    resolved = Resolved()
    for index, url in enumerate(urls):
        if url.startswith("data:"):
            media_type, data = _data_uri(url)
            name = f"attachment-{index + 1}{mimetypes.guess_extension(media_type) or ''}"
            shown_url = url if len(url) <= 2048 else f"data:{media_type};base64,..."
        else:
            from vzero.sources.fetch import SafeFetcher

            fetched = await SafeFetcher(runtime.settings).fetch(url, max_bytes=MAX_ATTACHMENT_BYTES)
            media_type = (fetched.content_type or "").split(";")[0].strip() or mimetypes.guess_type(urlparse(url).path)[0] or "application/octet-stream"
            data = fetched.body
            name = urlparse(url).path.rsplit("/", 1)[-1] or f"attachment-{index + 1}"
            shown_url = url
        if len(data) > MAX_ATTACHMENT_BYTES:
            raise PayloadTooLarge(f"Attachment {name} is larger than {MAX_ATTACHMENT_BYTES} bytes")
        resolved.records.append({"url": shown_url, "name": name, "contentType": media_type, "size": len(data)})
        if media_type in IMAGE_TYPES:
            if supports_images:
                resolved.images.append(ImageInput(media_type=media_type, data=data))
            else:
                resolved.texts.append(TextAttachment(name, "(an image the current model cannot see)"))
        elif media_type.startswith("text/") or media_type in ("application/json", "application/javascript", "application/xml"):
            resolved.texts.append(TextAttachment(name, data.decode("utf-8", "replace")[:MAX_TEXT_CHARS]))
        else:
            resolved.texts.append(TextAttachment(name, f"(a {media_type} file of {len(data)} bytes; its content cannot be shown)"))
    return resolved
