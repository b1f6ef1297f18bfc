"""A fake OpenAI-compatible model for the streaming benchmark: each streamed chunk carries the time it was sent.

Run: python bench/timed_model.py --port P --chunks 300 --interval 0.02
Every chunk's text is `t<unix time> `, so a client can tell how long the chunk took to reach it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from typing import Any

import uvicorn

PREFIX = b'data: {"id":"c","object":"chat.completion.chunk","created":0,"model":"timed","choices":[{"index":0,"delta":{"content":'


def chunk(text: str) -> bytes:
    return PREFIX + json.dumps(text).encode() + b'},"finish_reason":null}]}\n\n'


def make_app(chunks: int, interval: float):  # type: ignore[no-untyped-def]
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        request = json.loads(body or b"{}")
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/event-stream")]})
        start = time.monotonic()
        for index in range(chunks):
            # An absolute schedule: the chunks stay `interval` apart however long a send took.
            delay = start + index * interval - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            await send({"type": "http.response.body", "body": chunk(f"t{time.time():.6f} "), "more_body": True})
        tail = b'data: {"id":"c","object":"chat.completion.chunk","created":0,"model":"timed","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n'
        if (request.get("stream_options") or {}).get("include_usage"):
            usage = {"prompt_tokens": 100, "completion_tokens": chunks * 6, "total_tokens": 100 + chunks * 6}
            tail += b'data: {"id":"c","object":"chat.completion.chunk","created":0,"model":"timed","choices":[],"usage":' + json.dumps(usage).encode() + b"}\n\n"
        await send({"type": "http.response.body", "body": tail + b"data: [DONE]\n\n", "more_body": False})

    return app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--chunks", type=int, default=300)
    parser.add_argument("--interval", type=float, default=0.02)
    args = parser.parse_args()
    uvicorn.run(make_app(args.chunks, args.interval), host="127.0.0.1", port=args.port, log_level="warning", backlog=4096)


if __name__ == "__main__":
    main()
