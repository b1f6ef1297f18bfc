"""Request body size limit, enforced while the body streams in (not after)."""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodyLimit:
    """Answers 413 in the caller's dialect once a request body passes `max_bytes`."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and b"transfer-encoding" not in headers:
            if int(declared) > self.max_bytes:
                await self._refuse(scope, send)
                return
            # The server reads exactly the declared length (HTTP/1.1 framing): nothing to count, and the app's
            # sends go out unwrapped (a long stream sends once per chunk).
            await self.app(scope, receive, send)
            return
        received = 0
        started = False
        refused = False

        async def limited_receive() -> Message:
            # Past the limit the app is told the client went away: an exception raised here would be caught by
            # FastAPI's body parsing and turned into a 400, so the 413 is sent from here instead.
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    refused = True
                    if not started:
                        await self._refuse(scope, send)
                    return {"type": "http.disconnect"}
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if refused:
                return  # the 413 went out already; whatever the app answers to the "disconnect" is dropped
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        await self.app(scope, limited_receive, tracking_send)

    async def _refuse(self, scope: Scope, send: Send) -> None:
        message = f"Request body is larger than {self.max_bytes} bytes (the limit is set by VZERO_MAX_REQUEST_BYTES)"
        body: dict[str, object]
        body = {"message": message} if scope["path"].startswith("/v2/") else {"error": {"type": "payload_too_large_error", "message": message}}
        payload = json.dumps(body).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode()), (b"connection", b"close")]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": payload})
