"""Serving the workspace: its page at `/` and at every webUrl (`/chats/<id>`, `/projects/<id>`), its files at `/ui/`.

The page is one HTML shell; the app behind it is a client of the public v1/v2 API. When the current build is
missing, `vzero serve` builds it in a background process on start (`Workspace.start`) and the page says so
until it is ready.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import html
import logging
import os
import signal
import sys
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from vzero.config import Settings
from vzero.preview.static import content_type
from vzero.ui.build import MANIFEST, build_dir_for, built, source_digest

log = logging.getLogger("vzero.ui")

router = APIRouter(include_in_schema=False)
SHELL_PATHS = ("/", "/login", "/settings", "/chats/{chat_id}", "/projects/{project_id}")
_COMPRESSIBLE = (".js", ".css", ".svg", ".html", ".json")


def shell_headers(settings: Settings) -> dict[str, str]:
    """The workspace page's policy: only its own scripts; frames and screenshots from the preview origin only."""
    origins = settings.origins
    preview = origins.preview_origin if origins.isolated else "'self'"
    csp = "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self' 'unsafe-inline'",  # CodeMirror and the preview's device widths set styles at run time
            f"img-src 'self' data: blob: {preview}",
            "font-src 'self'",
            "connect-src 'self'",
            f"frame-src {preview}",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )
    return {
        "Content-Security-Policy": csp,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Cache-Control": "no-cache",
    }


class Workspace:
    """The workspace build a server serves: found on start, or built then by a background process."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.build_dir = build_dir_for(settings.data_dir, settings.ui_build_dir)
        self.building = False
        self.problem: str | None = None
        self.folder: Path | None = None
        try:
            self.digest = source_digest()
        except OSError as exc:  # an installation without vzero/ui's sources: the API still works
            self.digest = ""
            self.problem = f"The workspace's sources are missing from this installation ({exc}); reinstall vzero"
            return
        self.folder = built(self.build_dir, self.digest)
        self._process: asyncio.subprocess.Process | None = None
        self._task: asyncio.Task[None] | None = None
        self._files: dict[str, tuple[bytes, bytes | None, str]] = {}

    def start(self, *, build: bool) -> None:
        """Build in the background when the current build is missing (and `build`: only `vzero serve` does)."""
        if self.folder is None and build and self.problem is None:
            self.building = True
            self._task = asyncio.create_task(self._build())

    async def _build(self) -> None:
        log.warning("building the workspace into %s (first start, or its sources changed)", self.build_dir)
        command = [sys.executable, "-m", "vzero.ui", "build", "--build-dir", str(self.build_dir)]
        try:
            self._process = await asyncio.create_subprocess_exec(
                *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, start_new_session=True
            )
            _, errors = await self._process.communicate()
            if self._process.returncode == 0:
                self.folder = built(self.build_dir, self.digest)
                log.warning("the workspace is built")
            else:
                self.problem = errors.decode(errors="replace").strip()[-3000:] or f"the build exited with {self._process.returncode}"
                log.error("the workspace could not be built: %s", self.problem)
        finally:
            self.building = False
            self._process = None

    async def stop(self) -> None:
        if self._process is not None and self._process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._process.pid, signal.SIGTERM)
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    def read(self, name: str) -> tuple[bytes, bytes | None, str] | None:
        """A built file (and its gzip form, for text), kept in memory after the first read."""
        if self.folder is None:
            return None
        hit = self._files.get(name)
        if hit is not None:
            return hit
        root = self.folder.resolve()
        path = (root / name).resolve()
        if root not in path.parents or not path.is_file() or path.name == MANIFEST:
            return None
        data = path.read_bytes()
        packed = gzip.compress(data, 9, mtime=0) if path.suffix in _COMPRESSIBLE else None
        hit = (data, packed, content_type(path.name))
        self._files[name] = hit
        return hit


def _workspace(request: Request) -> Workspace:
    return request.app.state.workspace  # type: ignore[no-any-return]


def _body(request: Request, hit: tuple[bytes, bytes | None, str], headers: dict[str, str]) -> Response:
    data, packed, media_type = hit
    headers = {**headers, "Vary": "Accept-Encoding"}
    if packed is not None and "gzip" in request.headers.get("accept-encoding", ""):
        return Response(packed, media_type=media_type, headers={**headers, "Content-Encoding": "gzip"})
    return Response(data, media_type=media_type, headers=headers)


async def shell(request: Request) -> Response:
    """The workspace page, the same for every route it serves (the app reads the address)."""
    workspace = _workspace(request)
    headers = shell_headers(workspace.settings)
    hit = workspace.read("index.html")
    if hit is not None:
        return _body(request, hit, headers)
    if workspace.building:
        return _notice(503, "Preparing the workspace", "vzero is building its web workspace (first start). This page reloads when it is ready.", refresh=3)
    if workspace.problem:
        return _notice(503, "The workspace could not be built", workspace.problem)
    return _notice(
        503, "The workspace is not built",
        "Start the server with `vzero serve` (it builds the workspace on its first start), or run `python -m vzero.ui build`. "
        "The API at /v1 and /v2 works without it.",
    )


for _path in SHELL_PATHS:
    router.add_api_route(_path, shell, methods=["GET", "HEAD"])


@router.get("/ui/{name:path}")
async def asset(name: str, request: Request) -> Response:
    """A built file: hashed names never change, so they are cached for good."""
    hit = _workspace(request).read(name)
    if hit is None:
        return Response("Not found", status_code=404, media_type="text/plain")
    return _body(request, hit, {"Cache-Control": "public, max-age=31536000, immutable", "X-Content-Type-Options": "nosniff"})


def _notice(status: int, title: str, text: str, refresh: int | None = None) -> HTMLResponse:
    meta = f'<meta http-equiv="refresh" content="{refresh}">' if refresh else ""
    body = (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8">{meta}<title>{html.escape(title)}</title>'
        '<meta name="viewport" content="width=device-width, initial-scale=1"></head>'
        '<body style="font:15px/1.5 system-ui,sans-serif;margin:15vh auto;max-width:40rem;padding:0 1rem">'
        f'<h1 style="font-size:1.2rem">{html.escape(title)}</h1><pre style="white-space:pre-wrap;font:inherit">{html.escape(text)}</pre></body></html>'
    )
    headers = {"Cache-Control": "no-store", "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'"}
    return HTMLResponse(body, status_code=status, headers=headers)
