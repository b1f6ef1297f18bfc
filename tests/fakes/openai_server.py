"""A fake OpenAI Chat Completions server: `python -m tests.fakes.openai_server --port 8100` serves default replies."""

from __future__ import annotations

import argparse
import base64
import itertools
import json
import time
from typing import Any

from tests.fakes import (
    FakeModelServer,
    FakeReply,
    FakeToolCall,
    RecordedRequest,
    Receive,
    Send,
    content_text,
    count_tokens,
    png,
    send_json,
    split_text,
)

_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "invalid_request_error",
    404: "invalid_request_error",
    429: "rate_limit_error",
}
_ids = itertools.count(1)


class FakeOpenAIServer(FakeModelServer):
    """Serves POST /v1/chat/completions (streamed or not), GET /v1/models and POST /v1/images/generations (a real PNG,
    as b64_json; `image_status` makes it fail)."""

    image_status = 200

    @property
    def base_url(self) -> str:
        """What OPENAI_BASE_URL should be set to."""
        return f"{self.url}/v1"

    async def handle(self, request: RecordedRequest, receive: Receive, send: Send) -> None:
        """Route one request."""
        if request.method == "GET" and request.path == "/v1/models":
            await send_json(send, 200, {"object": "list", "data": [{"id": "gpt-4o", "object": "model", "owned_by": "fake"}]})
            return
        if request.method == "POST" and request.path == "/v1/images/generations":
            if self.image_status != 200:
                await send_json(send, self.image_status, _error("image generation failed", "server_error"))
                return
            await send_json(send, 200, {"created": int(time.time()), "data": [{"b64_json": base64.b64encode(png()).decode()}]})
            return
        if request.method != "POST" or request.path != "/v1/chat/completions":
            unknown = f"Unknown request URL: {request.method} {request.path}"
            await send_json(send, 404, _error(unknown, "invalid_request_error"))
            return
        if self.api_key is not None and request.headers.get("authorization") != f"Bearer {self.api_key}":
            given = request.headers.get("authorization", "").removeprefix("Bearer ")
            # Like the real service, the message echoes the key it was given (providers must not repeat it).
            refusal = f"Incorrect API key provided: {given}."
            await send_json(send, 401, _error(refusal, "invalid_request_error", "invalid_api_key"))
            return
        body = request.body
        problem = _invalid(body, self.reject_fields)
        if problem:
            await send_json(send, 400, _error(problem, "invalid_request_error"))
            return
        reply = self.next_reply()
        if reply.status != 200:
            payload = reply.error_body
            if payload is None:
                payload = _error(f"Fake error {reply.status}", _ERROR_TYPES.get(reply.status, "server_error"))
            await send_json(send, reply.status, payload, reply.headers)
            return
        text = reply.text_for(body)
        usage = _usage(body, text, reply)
        completion_id = f"chatcmpl-fake{next(_ids)}"
        if body.get("stream"):
            await self._stream(send, receive, reply, body, text, usage, completion_id)
        else:
            message: dict[str, Any] = {"role": "assistant", "content": text}
            if reply.reasoning:
                message["reasoning_content"] = reply.reasoning
            if reply.tool_calls:
                message["tool_calls"] = [
                    {"id": _call_id(call, n), "type": "function", "function": {"name": call.name, "arguments": _arguments(call)}}
                    for n, call in enumerate(reply.tool_calls)
                ]
            payload = {
                "id": completion_id,
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body["model"],
                "choices": [{"index": 0, "message": message, "finish_reason": _finish(reply)}],
                "usage": usage if reply.include_usage else None,
            }
            await send_json(send, 200, payload, reply.headers)

    async def _stream(
        self,
        send: Send,
        receive: Receive,
        reply: FakeReply,
        body: dict[str, Any],
        text: str,
        usage: dict[str, Any],
        completion_id: str,
    ) -> None:
        """Stream the reply as chat.completion.chunk frames ending in [DONE]."""
        # Every frame shares this prefix; only the choices part is encoded per delta.
        prefix = (
            f'data: {{"id":"{completion_id}","object":"chat.completion.chunk",'
            f'"created":{int(time.time())},"model":{json.dumps(body["model"])},'
        )

        def frame(choices: str, extra: str = "") -> bytes:
            return f'{prefix}"choices":{choices}{extra}}}\n\n'.encode()

        def delta(field: str, piece: str) -> bytes:
            return frame(f'[{{"index":0,"delta":{{"{field}":{json.dumps(piece)}}},"finish_reason":null}}]')

        head = [frame('[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]')]
        pieces = [delta("reasoning_content", p) for p in split_text(reply.reasoning, reply)]
        pieces += [delta("content", p) for p in split_text(text, reply)]
        for n, call in enumerate(reply.tool_calls):
            opening = {"index": n, "id": _call_id(call, n), "type": "function", "function": {"name": call.name, "arguments": ""}}
            pieces.append(frame(json.dumps([{"index": 0, "delta": {"tool_calls": [opening]}, "finish_reason": None}])))
            for piece in split_text(_arguments(call), reply):
                more = {"index": n, "function": {"arguments": piece}}
                pieces.append(frame(json.dumps([{"index": 0, "delta": {"tool_calls": [more]}, "finish_reason": None}])))
        tail = [frame(f'[{{"index":0,"delta":{{}},"finish_reason":{json.dumps(_finish(reply))}}}]')]
        wants_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        if reply.include_usage and wants_usage:
            tail.append(frame("[]", f',"usage":{json.dumps(usage)}'))
        tail.append(b"data: [DONE]\n\n")
        error = f"data: {json.dumps(_error(reply.error_event or '', 'server_error'))}\n\n".encode()
        await self.stream(send, receive, reply, head, pieces, tail, error)


def _call_id(call: FakeToolCall, index: int) -> str:
    return call.id or f"call_fake{next(_ids)}_{index}"


def _arguments(call: FakeToolCall) -> str:
    return call.raw_arguments if call.raw_arguments is not None else json.dumps(call.arguments)


def _finish(reply: FakeReply) -> str:
    return reply.finish_reason or ("tool_calls" if reply.tool_calls else "stop")


def _error(message: str, kind: str, code: str | None = None) -> dict[str, Any]:
    """An OpenAI error body."""
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}


def _invalid(body: Any, reject_fields: tuple[str, ...]) -> str | None:
    """What is wrong with a request body, as the real API would word it, or None."""
    if not isinstance(body, dict):
        return "We could not parse the JSON body of your request."
    for name in reject_fields:
        if name in body:
            return f"Unrecognized request argument supplied: {name}"
    if not isinstance(body.get("model"), str) or not body["model"]:
        return "you must provide a model parameter"
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return "'messages' must contain at least one message"
    return _unpaired_tool_calls(messages)


def _unpaired_tool_calls(messages: list[Any]) -> str | None:
    """What the real API says when tool calls and `tool` messages do not pair up, or None."""
    waiting: set[str] = set()
    for n, message in enumerate(messages):
        if not isinstance(message, dict):
            return f"messages[{n}] must be an object"
        role = message.get("role")
        if role == "tool":
            call_id = message.get("tool_call_id")
            if call_id not in waiting:
                return f"Invalid parameter: messages[{n}] with role 'tool' must be a response to a preceeding message with 'tool_calls'."
            waiting.discard(call_id)
            if not isinstance(message.get("content"), str):
                return f"messages[{n}].content must be a string"
            continue
        if waiting:
            return _missing_results(waiting)
        if role == "assistant":
            for call in message.get("tool_calls") or []:
                waiting.add(call.get("id"))
    return _missing_results(waiting) if waiting else None


def _missing_results(waiting: set[str]) -> str:
    missing = ", ".join(sorted(waiting))
    return (
        "An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. "
        f"The following tool_call_ids did not have response messages: {missing}"
    )


def _usage(body: dict[str, Any], text: str, reply: FakeReply) -> dict[str, Any]:
    """The usage object of the reply: scripted, or counted by the server."""
    if reply.usage is not None:
        prompt, completion = reply.usage
    else:
        prompt = sum(count_tokens(content_text(m.get("content"))) for m in body["messages"] if isinstance(m, dict))
        completion = count_tokens(reply.reasoning + " " + text)
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": reply.cache_read},
    }


def main(argv: list[str] | None = None) -> None:
    """Serve the default replies until interrupted."""
    parser = argparse.ArgumentParser(description="Fake OpenAI-compatible model server for demos and benchmarks.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8100)
    parser.add_argument("--chunks", type=int, default=None, help="stream each answer in this many deltas")
    parser.add_argument("--chunk-size", type=int, default=5, help="characters per delta (when --chunks is not given)")
    parser.add_argument("--delay", type=float, default=0.0, help="seconds between deltas")
    parser.add_argument("--first-token-delay", type=float, default=0.0)
    parser.add_argument("--api-key", default=None, help="require this bearer key")
    args = parser.parse_args(argv)
    reply = FakeReply(
        chunk_size=args.chunk_size, chunks=args.chunks, delay=args.delay, first_token_delay=args.first_token_delay
    )
    server = FakeOpenAIServer(
        host=args.host, port=args.port, api_key=args.api_key, default_reply=reply, log_config=uvicorn_log_config()
    )
    server.start()
    print(f"Fake OpenAI server on {server.base_url} (set OPENAI_BASE_URL to it)", flush=True)
    server.serve_forever()


def uvicorn_log_config() -> dict[str, Any]:
    """uvicorn's own logging setup, for the command line."""
    from uvicorn.config import LOGGING_CONFIG

    return LOGGING_CONFIG


if __name__ == "__main__":
    main()
