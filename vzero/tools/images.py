"""Image generation: the `generate_image` tool, backed by an OpenAI-compatible `images/generations` endpoint.

Each image becomes a binary file of the version (`public/images/<name>.png`, served by the preview at
`/images/<name>.png`), shown as a `generate_image` agent action and a file-edit; a version gets at most
VZERO_MAX_IMAGES_PER_VERSION of them.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import TYPE_CHECKING, Any, ClassVar

from vzero.core.parts import ActionTaken
from vzero.errors import InvalidInput, PayloadTooLarge, ProviderError, SourceError
from vzero.providers import ToolSpec
from vzero.sources.fetch import SafeFetcher
from vzero.tools.base import Presentation, Tool, ToolOutput, Workspace

if TYPE_CHECKING:
    import openai

    from vzero.config import Settings

GENERATE_IMAGE = "generate_image"
IMAGE_DIR = "public/images"
_SIGNATURES = ((b"\x89PNG\r\n\x1a\n", "png"), (b"\xff\xd8\xff", "jpg"), (b"GIF8", "gif"))
_SIZES = ("256x256", "512x512", "1024x1024", "1024x1536", "1536x1024", "1792x1024", "1024x1792", "auto")


def image_kind(data: bytes) -> str | None:
    """The file extension an image's bytes say it is (png, jpg, gif, webp), or None."""
    for signature, kind in _SIGNATURES:
        if data.startswith(signature):
            return kind
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


class ImageEndpoint:
    """An OpenAI-compatible images/generations endpoint, through the `openai` SDK."""

    def __init__(self, settings: Settings) -> None:
        import openai

        self.model = settings.image_model
        self.size = settings.image_size
        self.max_bytes = settings.image_max_bytes
        self.base_url = (settings.image_base_url or settings.openai_base_url or "https://api.openai.com/v1").rstrip("/")
        key = settings.image_api_key or settings.openai_api_key
        self._key = key or ""
        self._client: openai.AsyncOpenAI = openai.AsyncOpenAI(
            api_key=key or "no-key", base_url=self.base_url, max_retries=0, timeout=settings.image_timeout,
        )
        self._fetcher = SafeFetcher(settings)

    async def generate(self, prompt: str, size: str | None) -> tuple[bytes, str]:
        """One image for `prompt`: its bytes and its kind (png, jpg, gif, webp)."""
        import openai

        try:
            result = await self._client.images.generate(model=self.model, prompt=prompt, n=1, size=size or self.size)
        except openai.APIStatusError as exc:
            raise ProviderError(f"{self._where} refused ({exc.status_code}): {self._redact(exc.message)}") from None
        except openai.APIError as exc:
            raise ProviderError(f"{self._where} failed: {self._redact(str(exc))}") from None
        if not result.data:
            raise ProviderError(f"The image endpoint at {self.base_url} returned no image")
        item = result.data[0]
        if item.b64_json:
            if len(item.b64_json) > self.max_bytes * 4 // 3 + 4:
                raise PayloadTooLarge(f"The generated image is larger than {self.max_bytes} bytes (VZERO_IMAGE_MAX_BYTES)")
            try:
                data = base64.b64decode(item.b64_json, validate=True)
            except binascii.Error:
                raise ProviderError("The image endpoint sent an image that is not valid base64") from None
        elif item.url:
            try:
                data = (await self._fetcher.fetch(item.url, max_bytes=self.max_bytes)).body  # untrusted: vetted, size-limited
            except SourceError as exc:
                raise ProviderError(f"The generated image could not be downloaded: {exc.message}") from None
        else:
            raise ProviderError("The image endpoint returned neither b64_json nor a url")
        kind = image_kind(data)
        if kind is None:
            raise ProviderError("The image endpoint sent something that is not a PNG, JPEG, GIF or WebP image")
        return data, kind

    @property
    def _where(self) -> str:
        return f"The image endpoint at {self.base_url} (model '{self.model}')"

    def _redact(self, text: str) -> str:
        return text.replace(self._key, "***") if self._key else text

    async def aclose(self) -> None:
        await self._client.close()


class GenerateImage(Tool):
    """Generates an image and saves it as a file of the version."""

    presentation: ClassVar[Presentation] = "agent-action"

    def __init__(self, endpoint: ImageEndpoint, limit: int) -> None:
        self.endpoint = endpoint
        self.limit = limit
        self.made = 0  # images this reply generated (each a usage event)
        super().__init__(ToolSpec(
            GENERATE_IMAGE,
            f"Generate an image from a description and save it in {IMAGE_DIR}/ (use it in the app as /images/<name>). "
            f"At most {limit} images per version; prefer one good image to several.",
            {
                "type": "object",
                "properties": {
                    "prompt": {"type": "string", "description": "What the image shows, in detail"},
                    "name": {"type": "string", "description": "A short file name such as hero (no folder, no extension)"},
                    "size": {"type": "string", "enum": list(_SIZES)},
                },
                "required": ["prompt"],
            },
        ))

    async def run(self, arguments: dict[str, Any], workspace: Workspace) -> ToolOutput:
        prompt = arguments.get("prompt")
        if not isinstance(prompt, str) or not prompt.strip():
            raise InvalidInput("prompt must describe the image")
        if self.made >= self.limit:
            return ToolOutput(f"Not generated: a version may have at most {self.limit} images (VZERO_MAX_IMAGES_PER_VERSION)", is_error=True)
        size = arguments.get("size") if arguments.get("size") in _SIZES else None
        data, kind = await self.endpoint.generate(prompt.strip()[:4000], size)
        self.made += 1
        path = f"{IMAGE_DIR}/{_file_name(arguments.get('name'), prompt, self.made)}.{kind}"
        if workspace.write_file(path, data) is None:
            return ToolOutput(f"The image was generated but {path} is locked, so it was not saved", is_error=True)
        workspace.show(ActionTaken(GENERATE_IMAGE, f"Generated {path}: {prompt.strip()[:200]}", None, workspace.now()))
        return ToolOutput(f"Saved the image as {path} ({len(data)} bytes); the app shows it at /images/{path.rsplit('/', 1)[1]}")


def _file_name(name: Any, prompt: str, number: int) -> str:
    """A safe file name: the one asked for, else words of the prompt."""
    base = name if isinstance(name, str) and name.strip() else " ".join(prompt.split()[:4])
    slug = re.sub(r"[^a-z0-9]+", "-", base.lower().rsplit(".", 1)[0]).strip("-")[:40]
    return slug or f"image-{number}"
