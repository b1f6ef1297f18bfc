"""The OpenAI-compatible Model API: `GET /v1/models` and `POST /v1/chat/completions` (streamed or not, with tools).

The body is what v0's Model API documents (model, messages, stream, tools, tool_choice) plus the token limit and
temperature clients commonly send; any other field is refused by name rather than ignored.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from vzero.api.deps import CallerDep, GenerationsDep
from vzero.api.sse import SSE_HEADERS, SSE_RESPONSE, frame
from vzero.engine import completions
from vzero.errors import InvalidInput

router = APIRouter(tags=["model-api"])


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ImageUrl(Body):
    url: str = Field(min_length=1)
    detail: Literal["auto", "low", "high"] | None = None


class ContentPart(Body):
    type: Literal["text", "image_url"]
    text: str | None = None
    image_url: ImageUrl | None = None


class FunctionCall(Body):
    name: str = Field(min_length=1, max_length=64)
    arguments: str = ""


class ToolCallIn(Body):
    id: str = Field(min_length=1, max_length=200)
    type: Literal["function"] = "function"
    function: FunctionCall


class ChatMessage(Body):
    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[ContentPart] | None = None
    name: str | None = Field(default=None, max_length=64)
    tool_calls: list[ToolCallIn] | None = None
    tool_call_id: str | None = Field(default=None, max_length=200)


class FunctionSpec(Body):
    name: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    description: str | None = None
    parameters: dict[str, Any] | None = None
    strict: bool | None = None


class ToolSpecIn(Body):
    type: Literal["function"]
    function: FunctionSpec


class NamedFunction(Body):
    name: str


class NamedTool(Body):
    type: Literal["function"]
    function: NamedFunction


class StreamOptions(Body):
    include_usage: bool = False


class ChatCompletion(Body):
    model: str = Field(min_length=1, max_length=128)
    messages: Annotated[list[ChatMessage], Field(min_length=1)]
    stream: bool = False
    stream_options: StreamOptions | None = None
    tools: list[ToolSpecIn] | None = Field(default=None, max_length=128)
    tool_choice: Literal["auto", "none", "required"] | NamedTool | None = None
    max_tokens: int | None = Field(default=None, ge=1)
    max_completion_tokens: int | None = Field(default=None, ge=1)
    temperature: float | None = Field(default=None, ge=0, le=2)


@router.get("/models")
async def list_models(caller: CallerDep, generations: GenerationsDep) -> dict[str, Any]:
    return {"object": "list", "data": [{"id": m, "object": "model", "created": 0, "owned_by": "vzero"} for m in completions.model_ids(generations)]}


@router.post("/chat/completions", responses=SSE_RESPONSE)
async def create_completion(body: ChatCompletion, caller: CallerDep, generations: GenerationsDep) -> Any:
    for n, message in enumerate(body.messages):
        if message.role == "tool" and not message.tool_call_id:
            raise InvalidInput(f"messages[{n}]: a tool message needs tool_call_id")
    request, model_id = await completions.request_of(generations, body)
    if not body.stream:
        return (await completions.complete(generations, caller, request, model_id)).body()
    with_usage = bool(body.stream_options and body.stream_options.include_usage)
    _, chunks = await completions.stream(generations, caller, request, model_id, with_usage=with_usage)
    return StreamingResponse(_sse(chunks), media_type="text/event-stream", headers=SSE_HEADERS)


async def _sse(chunks: AsyncIterator[dict[str, Any]]) -> AsyncIterator[bytes]:
    try:
        async for chunk in chunks:
            yield frame(chunk)
    except Exception as exc:  # noqa: BLE001 - the response has started: the error goes out as OpenAI streams do
        message = getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
        yield frame({"error": {"message": message, "type": "server_error", "param": None, "code": None}})
    yield b"data: [DONE]\n\n"
