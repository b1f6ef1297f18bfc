"""The host split (vzero/origins.py): the preview host serves only previews and deployments, the workspace's
host serves everything but them; and the frame and sandbox policy of every preview answer.
"""

from __future__ import annotations

import html

from starlette.responses import HTMLResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vzero.api.errors import error_response
from vzero.origins import Origins

PREVIEW_PREFIXES = ("/preview/", "/deployments/")
# A sandboxed preview keeps scripts, forms, dialogs, popups and downloads, but gets an opaque origin of its own.
SANDBOX = "sandbox allow-scripts allow-forms allow-modals allow-popups allow-popups-to-escape-sandbox allow-downloads"


def preview_csp(origins: Origins, csp: str) -> str:
    """A preview answer's CSP: the workspace may frame it, and it is sandboxed when it shares the workspace's host."""
    directives = [d.strip() for d in csp.split(";") if d.strip() and not d.strip().startswith("frame-ancestors")]
    directives.append(f"frame-ancestors 'self' {origins.ui}")
    if not origins.isolated:
        directives.append(SANDBOX)
    return "; ".join(directives)


def is_preview_path(path: str) -> bool:
    return path.startswith(PREVIEW_PREFIXES) or path in ("/preview", "/deployments")


class HostSplit:
    """Answer 404 for what the requested host does not serve, and put the preview policy on preview answers."""

    def __init__(self, app: ASGIApp, origins: Origins) -> None:
        self.app = app
        self.origins = origins

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        preview = is_preview_path(path)
        if self.origins.isolated and path != "/healthz":
            host = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"host"), "")
            if self.origins.is_preview_host(scope["scheme"], host) != preview:
                await self._not_here(path, preview)(scope, receive, send)
                return
        if not preview:
            await self.app(scope, receive, send)
            return
        if not self.origins.isolated and scope["method"] == "OPTIONS" and path.endswith("/__errors"):
            await self._preflight(send)  # a sandboxed page's origin is opaque: its error report is cross-origin
            return

        async def send_with_policy(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = self._policy(list(message.get("headers", [])))
            await send(message)

        await self.app(scope, receive, send_with_policy)

    def _policy(self, headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
        out = [(k, v) for k, v in headers if k.lower() != b"content-security-policy"]
        given = next((v.decode("latin-1") for k, v in headers if k.lower() == b"content-security-policy"), "")
        out.append((b"content-security-policy", preview_csp(self.origins, given).encode("latin-1")))
        if not self.origins.isolated:
            # Module scripts and fonts load in CORS mode; from the sandbox's opaque origin they need this header.
            out.append((b"access-control-allow-origin", b"*"))
        return out

    async def _preflight(self, send: Send) -> None:
        headers = [
            (b"access-control-allow-origin", b"*"),
            (b"access-control-allow-methods", b"POST"),
            (b"access-control-allow-headers", b"content-type"),
            (b"access-control-max-age", b"600"),
            (b"content-length", b"0"),
        ]
        await send({"type": "http.response.start", "status": 204, "headers": headers})
        await send({"type": "http.response.body", "body": b""})

    def _not_here(self, path: str, preview: bool) -> ASGIApp:
        if preview:
            where = self.origins.preview_origin + path
            text = f'Previews are served on their own host: <a href="{html.escape(where)}">{html.escape(where)}</a>.'
            return _page("Not a preview host", text)
        if path.startswith(("/v1/", "/v2/")) or path in ("/v1", "/v2"):
            return error_response(path, 404, f"This host serves previews only; the API is at {self.origins.ui}{path[:3]}")
        ui = html.escape(self.origins.ui)
        return _page("Previews only", f'This host serves app previews only. The workspace is at <a href="{ui}/">{ui}</a>.')


def _page(title: str, text: str) -> ASGIApp:
    body = (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>'
        f'<body style="font:15px/1.5 system-ui,sans-serif;margin:15vh auto;max-width:36rem;padding:0 1rem">'
        f'<h1 style="font-size:1.2rem">{title}</h1><p>{text}</p></body></html>'
    )
    return HTMLResponse(body, status_code=404, headers={"Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'"})
