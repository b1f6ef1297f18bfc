"""Files given in a request (v1 `type: files`): inline text, or a URL fetched through the safe fetcher."""

from __future__ import annotations

import asyncio
import base64
import binascii
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import unquote_to_bytes

from pydantic import BaseModel, ConfigDict, ValidationError

from vzero.config import Settings
from vzero.core.files import safe_path
from vzero.errors import InvalidInput, PayloadTooLarge
from vzero.sources._types import ImportedFile, human_bytes
from vzero.sources.fetch import SafeFetcher
from vzero.sources.filters import select_files

MAX_PARALLEL_FETCHES = 4


class InlineFile(BaseModel):
    """One requested file: `content` inline, or a `url` (http(s) or a data: URI) to take it from."""

    model_config = ConfigDict(extra="ignore")

    name: str
    content: str | None = None
    url: str | None = None
    locked: bool = False


async def import_inline_files(
    files: Sequence[InlineFile | Mapping[str, Any]], fetcher: SafeFetcher, settings: Settings
) -> list[ImportedFile]:
    """The requested files, names checked before anything is fetched, URLs fetched a few at a time."""
    specs = [_coerce(item, index) for index, item in enumerate(files)]
    if len(specs) > settings.max_files:
        raise PayloadTooLarge(f"The request has {len(specs)} files; the limit is {settings.max_files} (VZERO_MAX_FILES)")
    paths = [safe_path(spec.name) for spec in specs]
    for spec, path in zip(specs, paths, strict=False):
        if (spec.content is None) == (spec.url is None):
            raise InvalidInput(f"The file {path} needs exactly one of `content` and `url`")
    gate = asyncio.Semaphore(MAX_PARALLEL_FETCHES)
    per_file = min(settings.max_file_bytes, settings.fetch_max_bytes)

    async def content_of(spec: InlineFile, path: str) -> bytes:
        if spec.content is not None:
            return spec.content.encode("utf-8")
        assert spec.url is not None
        if spec.url.startswith("data:"):
            return _decode_data_uri(spec.url, path, per_file)
        async with gate:
            return (await fetcher.fetch(spec.url, max_bytes=per_file)).body

    contents = await asyncio.gather(*(content_of(spec, path) for spec, path in zip(specs, paths, strict=False)))
    imported = [ImportedFile(path, body, spec.locked) for spec, path, body in zip(specs, paths, contents, strict=False)]
    return select_files(imported, settings)


def _coerce(item: InlineFile | Mapping[str, Any], index: int) -> InlineFile:
    if isinstance(item, InlineFile):
        return item
    try:
        return InlineFile.model_validate(item)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:3])
        raise InvalidInput(f"files[{index}] is not a valid file: {problems}") from None


def _decode_data_uri(uri: str, path: str, limit: int) -> bytes:
    """The bytes of a `data:[<type>][;base64],<data>` URI, refusing oversized ones before decoding."""
    header, comma, payload = uri[len("data:") :].partition(",")
    if not comma:
        raise InvalidInput(f"The data URI for {path} has no ',' before its data")
    is_base64 = header.lower().endswith(";base64")
    estimate = len(payload) * 3 // 4 if is_base64 else len(payload) // 3
    if estimate > limit:
        raise PayloadTooLarge(f"{path} is larger than {human_bytes(limit)} (VZERO_MAX_FILE_BYTES)")
    try:
        data = base64.b64decode("".join(payload.split()), validate=True) if is_base64 else unquote_to_bytes(payload)
    except (binascii.Error, ValueError):
        raise InvalidInput(f"The data URI for {path} is not valid base64") from None
    if len(data) > limit:
        raise PayloadTooLarge(f"{path} is larger than {human_bytes(limit)} (VZERO_MAX_FILE_BYTES)")
    return data
