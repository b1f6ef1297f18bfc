"""A fake Anthropic Messages server: `python -m tests.fakes.anthropic_server --port 8101` serves default replies."""

from __future__ import annotations

import argparse
import itertools
import json
from typing import Any

from tests.fakes import (
    FakeModelServer,
    FakeReply,
    RecordedRequest,
    Receive,
    Send,
    content_text,
    count_tokens,
    send_json,
    split_text,
)

_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    529: "overloaded_error",
}
_ids = itertools.count(1)


class FakeAnthropicServer(FakeModelServer):
    """Serves POST /v1/messages, streamed in the real event format or not."""

    @property
    def base_url(self) -> str:
        """What ANTHROPIC_BASE_URL should be set to."""
        return self.url

    async def handle(self, request: RecordedRequest, receive: Receive, send: Send) -> None:
        """Route one request."""
        if request.method != "POST" or request.path != "/v1/messages":
            await send_json(send, 404, _error("not_found_error", f"Not found: {request.method} {request.path}"))
            return
        # The API takes the key as x-api-key; newer SDKs send it as a bearer token instead.
        given = request.headers.get("x-api-key") or request.headers.get("authorization", "").removeprefix("Bearer ")
        if self.api_key is not None and given != self.api_key:
            await send_json(send, 401, _error("authentication_error", "invalid x-api-key"))
            return
        body = request.body
        problem = _invalid(body, self.reject_fields)
        if problem:
            await send_json(send, 400, _error("invalid_request_error", problem))
            return
        reply = self.next_reply()
        if reply.status != 200:
            kind = _ERROR_TYPES.get(reply.status, "api_error")
            payload = reply.error_body if reply.error_body is not None else _error(kind, f"Fake error {reply.status}")
            await send_json(send, reply.status, payload, reply.headers)
            return
        text = reply.text_for(body)
        input_tokens, output_tokens = _counts(body, text, reply)
        usage = {
            "input_tokens": input_tokens,
            "output_tokens": output_tokens,
            "cache_read_input_tokens": reply.cache_read,
            "cache_creation_input_tokens": reply.cache_write,
        }
        message_id = f"msg_fake{next(_ids)}"
        stop_reason = reply.finish_reason or ("tool_use" if reply.tool_calls else "end_turn")
        if body.get("stream"):
            await self._stream(send, receive, reply, body, text, usage, message_id, stop_reason)
            return
        content: list[dict[str, Any]] = []
        if reply.reasoning:
            content.append({"type": "thinking", "thinking": reply.reasoning, "signature": "fake-signature"})
        content.append({"type": "text", "text": text})
        for n, call in enumerate(reply.tool_calls):
            content.append({"type": "tool_use", "id": call.id or f"toolu_fake{next(_ids)}_{n}", "name": call.name, "input": call.arguments})
        payload = {
            "id": message_id,
            "type": "message",
            "role": "assistant",
            "model": body["model"],
            "content": content,
            "stop_reason": stop_reason,
            "stop_sequence": None,
            "usage": usage,
        }
        await send_json(send, 200, payload, reply.headers)

    async def _stream(
        self,
        send: Send,
        receive: Receive,
        reply: FakeReply,
        body: dict[str, Any],
        text: str,
        usage: dict[str, int],
        message_id: str,
        stop_reason: str,
    ) -> None:
        """Stream message_start, content blocks, message_delta and message_stop events."""
        start: dict[str, Any] = {
            "id": message_id,
            "type": "message",
            "role": "assistant",
            "model": body["model"],
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
        }
        if reply.include_usage:
            start["usage"] = {**usage, "output_tokens": 1}
        head = [_event("message_start", {"type": "message_start", "message": start})]
        pieces: list[bytes] = []
        index = 0
        thoughts = split_text(reply.reasoning, reply)
        if thoughts:
            opening = _block_start(0, {"type": "thinking", "thinking": "", "signature": ""})
            for n, piece in enumerate(thoughts):
                delta = _block_delta(0, {"type": "thinking_delta", "thinking": piece})
                pieces.append(opening + delta if n == 0 else delta)
            closing = _block_delta(0, {"type": "signature_delta", "signature": "fake-signature"})
            closing += _event("content_block_stop", {"type": "content_block_stop", "index": 0})
            pieces[-1] += closing
            index = 1
        text_start = _block_start(index, {"type": "text", "text": ""}) + _event("ping", {"type": "ping"})
        for n, piece in enumerate(split_text(text, reply)):
            delta = _block_delta(index, {"type": "text_delta", "text": piece})
            pieces.append(text_start + delta if n == 0 else delta)
        block_open = bool(split_text(text, reply))
        for n, call in enumerate(reply.tool_calls):
            if block_open:  # the text block, or the call before this one
                pieces[-1] += _event("content_block_stop", {"type": "content_block_stop", "index": index})
                index += 1
            block_open = True
            block = {"type": "tool_use", "id": call.id or f"toolu_fake{next(_ids)}_{n}", "name": call.name, "input": {}}
            pieces.append(_block_start(index, block))
            arguments = call.raw_arguments if call.raw_arguments is not None else json.dumps(call.arguments)
            for piece in split_text(arguments, reply):
                pieces.append(_block_delta(index, {"type": "input_json_delta", "partial_json": piece}))
        final_usage: dict[str, int] = {"output_tokens": usage["output_tokens"]} if reply.include_usage else {}
        tail = [
            _event("content_block_stop", {"type": "content_block_stop", "index": index}),
            _event(
                "message_delta",
                {
                    "type": "message_delta",
                    "delta": {"stop_reason": stop_reason, "stop_sequence": None},
                    "usage": final_usage or None,
                },
            ),
            _event("message_stop", {"type": "message_stop"}),
        ]
        kind = "overloaded_error" if reply.error_event and "overload" in reply.error_event.lower() else "api_error"
        error = _event("error", _error(kind, reply.error_event or ""))
        await self.stream(send, receive, reply, head, pieces, tail, error)


def _event(name: str, data: dict[str, Any]) -> bytes:
    """One server-sent event."""
    return f"event: {name}\ndata: {json.dumps(data)}\n\n".encode()


def _block_start(index: int, block: dict[str, Any]) -> bytes:
    """A content_block_start event."""
    return _event("content_block_start", {"type": "content_block_start", "index": index, "content_block": block})


def _block_delta(index: int, delta: dict[str, Any]) -> bytes:
    """A content_block_delta event."""
    return _event("content_block_delta", {"type": "content_block_delta", "index": index, "delta": delta})


def _error(kind: str, message: str) -> dict[str, Any]:
    """An Anthropic error body."""
    return {"type": "error", "error": {"type": kind, "message": message}}


def _invalid(body: Any, reject_fields: tuple[str, ...]) -> str | None:
    """What the real API would refuse in a request body, or None."""
    if not isinstance(body, dict):
        return "Request body is not valid JSON"
    for name in reject_fields:
        if name in body:
            return f"{name}: Extra inputs are not permitted"
    if not isinstance(body.get("model"), str) or not body["model"]:
        return "model: Field required"
    max_tokens = body.get("max_tokens")
    if not isinstance(max_tokens, int) or max_tokens < 1:
        return "max_tokens: Field required"
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return "messages: at least one message is required"
    for n, message in enumerate(messages):
        if not isinstance(message, dict) or message.get("role") not in ("user", "assistant"):
            return f"messages.{n}.role: Input should be 'user' or 'assistant'"
        content = message.get("content")
        blocks = [{"type": "text", "text": content}] if isinstance(content, str) else content
        if not isinstance(blocks, list) or not blocks:
            return f"messages.{n}.content: content must be a non-empty string or list"
        for block in blocks:
            if isinstance(block, dict) and block.get("type") == "text" and not str(block.get("text", "")).strip():
                return f"messages.{n}: text content blocks must contain non-whitespace text"
    if messages[0].get("role") != "user":
        return "messages: first message must use the \"user\" role"
    problem = _unpaired_tool_use(messages)
    if problem:
        return problem
    thinking = body.get("thinking")
    if isinstance(thinking, dict) and thinking.get("type") == "adaptive":
        if "budget_tokens" in thinking:
            return "thinking.adaptive.budget_tokens: Extra inputs are not permitted"
        if "temperature" in body:
            return "`temperature` may not be set when thinking is enabled"
    if isinstance(thinking, dict) and thinking.get("type") == "enabled":
        budget = thinking.get("budget_tokens")
        if not isinstance(budget, int) or budget < 1024:
            return "thinking.enabled.budget_tokens: Input should be greater than or equal to 1024"
        if budget >= max_tokens:
            return "`max_tokens` must be greater than `thinking.budget_tokens`"
        if "temperature" in body and body["temperature"] != 1:
            return "`temperature` may only be set to 1 when thinking is enabled"
    return None


def _unpaired_tool_use(messages: list[dict[str, Any]]) -> str | None:
    """The real API's refusal when a tool_use is not answered by a tool_result first in the next user message."""
    for n, message in enumerate(messages):
        content = message.get("content")
        blocks = content if isinstance(content, list) else []
        if message.get("role") == "user":
            results = [b for b in blocks if isinstance(b, dict) and b.get("type") == "tool_result"]
            if results and blocks[: len(results)] != results:
                return f"messages.{n}: tool_result blocks must come before any other content"
            if results:
                previous = messages[n - 1].get("content") if n else None
                used = {b.get("id") for b in previous or [] if isinstance(b, dict) and b.get("type") == "tool_use"}
                for block in results:
                    if block.get("tool_use_id") not in used:
                        return f"messages.{n}.content: unexpected `tool_use_id` found in `tool_result` blocks: {block.get('tool_use_id')}"
            continue
        uses = [b.get("id") for b in blocks if isinstance(b, dict) and b.get("type") == "tool_use"]
        if uses:
            following = messages[n + 1].get("content") if n + 1 < len(messages) else None
            answered = {b.get("tool_use_id") for b in following or [] if isinstance(b, dict) and b.get("type") == "tool_result"}
            missing = [u for u in uses if u not in answered]
            if missing:
                return (
                    f"messages.{n + 1}: `tool_use` ids were found without `tool_result` blocks immediately after: "
                    + ", ".join(str(m) for m in missing)
                )
    return None


def _counts(body: dict[str, Any], text: str, reply: FakeReply) -> tuple[int, int]:
    """(input, output) tokens: scripted, or counted by the server."""
    if reply.usage is not None:
        return reply.usage
    system = body.get("system")
    prompt = content_text(system) if system else ""
    prompt += " " + " ".join(content_text(m.get("content")) for m in body["messages"])
    return count_tokens(prompt), count_tokens(reply.reasoning + " " + text)


def main(argv: list[str] | None = None) -> None:
    """Serve the default replies until interrupted."""
    from tests.fakes.openai_server import uvicorn_log_config

    parser = argparse.ArgumentParser(description="Fake Anthropic model server for demos and benchmarks.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8101)
    parser.add_argument("--chunks", type=int, default=None, help="stream each answer in this many deltas")
    parser.add_argument("--chunk-size", type=int, default=5, help="characters per delta (when --chunks is not given)")
    parser.add_argument("--delay", type=float, default=0.0, help="seconds between deltas")
    parser.add_argument("--first-token-delay", type=float, default=0.0)
    parser.add_argument("--api-key", default=None, help="require this key (x-api-key or bearer)")
    args = parser.parse_args(argv)
    reply = FakeReply(
        chunk_size=args.chunk_size, chunks=args.chunks, delay=args.delay, first_token_delay=args.first_token_delay
    )
    server = FakeAnthropicServer(
        host=args.host, port=args.port, api_key=args.api_key, default_reply=reply, log_config=uvicorn_log_config()
    )
    server.start()
    print(f"Fake Anthropic server on {server.base_url} (set ANTHROPIC_BASE_URL to it)", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
