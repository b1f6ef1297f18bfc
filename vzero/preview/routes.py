"""Preview and deployment pages: `/preview/<chatId>/<versionId>/…` and `/deployments/<id>/…`, with no API key.

A preview URL is a capability: the chat and version ids in it are random (about 83 bits each, 166 together),
so holding the URL is what lets one view the app, as with a v0 demo URL. The page can reach neither keys nor
the workspace's session cookie: previews are served on an origin of their own, or sandboxed (vzero/origins.py,
api/hosts.py), and every response here carries the strict CSP of `preview_headers()` (no inline script). Every
URL in a page is relative, so the same build works behind any path prefix; the bare folder URL redirects to its
slash form for that reason. A version's page loads `./__bridge.js` first: it reports errors and route changes to
the workspace that frames it (bridge.js).
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from vzero.errors import Conflict, InvalidInput, NotFound, PayloadTooLarge, PreviewUnavailable, VzeroError
from vzero.preview.builder import PackagesInstalling
from vzero.preview.result import BuildResult
from vzero.preview.service import MAX_REPORT_BYTES, PreviewService
from vzero.preview.static import preview_headers, read_asset
from vzero.store.tables import Deployment

router = APIRouter(include_in_schema=False)


async def get_previews(request: Request) -> PreviewService:
    """The server's preview service, which the app puts in its state when it is assembled."""
    previews: PreviewService | None = getattr(request.app.state, "previews", None)
    if previews is None:
        raise PreviewUnavailable("The preview service is not running")
    return previews


PreviewsDep = Annotated[PreviewService, Depends(get_previews)]

_ID = re.compile(r"^[0-9A-Za-z]{1,32}$")
SCREENSHOT = "__screenshot.png"
INSPECTOR = "__inspect"
BRIDGE = "__bridge.js"  # the workspace bridge (bridge.js), loaded first by every version's page
_BRIDGE_TAG = b'<script src="./__bridge.js"></script>'
_BRIDGE_SOURCE = Path(__file__).with_name("bridge.js")


def _headers(*, script_hashes: Sequence[str] = (), **extra: str) -> dict[str, str]:
    return {**preview_headers(script_hashes), "Cache-Control": "no-cache", **extra}


def _page(status: int, title: str, text: str, *, refresh: int | None = None, retry_after: int | None = None) -> Response:
    """A small HTML page (no script) for what is not the app: not found, still generating, runtime installing."""
    meta = f'<meta http-equiv="refresh" content="{refresh}">' if refresh else ""
    body = (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8">{meta}<title>{html.escape(title)}</title>'
        '<meta name="viewport" content="width=device-width, initial-scale=1"></head>'
        '<body style="font:15px/1.5 system-ui,sans-serif;margin:15vh auto;max-width:36rem;padding:0 1rem;color:#333">'
        f"<h1 style=\"font-size:1.2rem\">{html.escape(title)}</h1><p>{html.escape(text)}</p></body></html>"
    )
    headers = _headers(**({"Retry-After": str(retry_after)} if retry_after else {}))
    return Response(body, status_code=status, media_type="text/html; charset=utf-8", headers=headers)


def _problem(exc: VzeroError, service: PreviewService | None) -> Response:
    if isinstance(exc, Conflict):
        return _page(503, "Still generating", exc.message, refresh=3, retry_after=3)
    if isinstance(exc, PackagesInstalling):
        return _page(503, "Installing packages", exc.message, refresh=3, retry_after=3)
    if isinstance(exc, PreviewUnavailable):
        installing = service is not None and service.installing
        return _page(503, "Preview not available", exc.message, refresh=5 if installing else None, retry_after=5 if installing else None)
    if isinstance(exc, NotFound):
        return _page(404, "Preview not found", exc.message)
    return _page(exc.status_code, "Preview error", exc.message)


def _asset(request: Request, result: BuildResult, vendor_root: Any, name: str, packages_dir: Any = None, *, bridge: bool = False) -> Response:
    """One file of a build (the page for ""), revalidated by a content ETag."""
    hit = read_asset(result, vendor_root, name, packages_dir)
    if hit is None:
        return _page(404, "Not found", f"This preview has no file {name!r}.")
    content, media_type = hit
    if bridge and name in ("", "index.html"):
        content = content.replace(b"<head>", b"<head>\n" + _BRIDGE_TAG, 1)
    etag = '"' + hashlib.blake2b(content, digest_size=12).hexdigest() + '"'
    extra = {"ETag": etag}
    page = name in ("", "index.html")
    if page and not result.ok:
        extra["X-Vzero-Build"] = "failed"
    hashes = result.script_hashes if page else ()
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=_headers(script_hashes=hashes, **extra))
    return Response(content, media_type=media_type, headers=_headers(script_hashes=hashes, **extra))


def _folder_redirect(request: Request, last: str) -> Response:
    # Relative, so it holds behind a proxy that mounts vzero under a prefix; the query (a v2 token) is kept.
    query = request.url.query
    return Response(status_code=308, headers={**preview_headers(), "Location": f"./{last}/" + (f"?{query}" if query else "")})


async def _read_report(request: Request) -> object:
    """The JSON body of an error report, refused past MAX_REPORT_BYTES or when it is not JSON."""
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
        # Only same-origin pages can send this type without a CORS preflight (answered for sandboxed previews only).
        raise InvalidInput("An error report is sent as application/json")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_REPORT_BYTES:
        raise PayloadTooLarge(f"An error report is at most {MAX_REPORT_BYTES} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_REPORT_BYTES:
            raise PayloadTooLarge(f"An error report is at most {MAX_REPORT_BYTES} bytes")
    try:
        return json.loads(body)
    except ValueError as exc:
        raise InvalidInput("An error report must be a JSON object {message, stack, source}") from exc


def _refusal(exc: VzeroError) -> Response:
    headers = _headers()
    retry = getattr(exc, "retry_after", None)
    if retry is not None:
        headers["Retry-After"] = str(max(1, int(retry)))
    return Response(exc.message, status_code=exc.status_code, media_type="text/plain; charset=utf-8", headers=headers)


# --- version previews ------------------------------------------------------------------------------------------------
@router.get("/preview/{chat_id}/{version_id}")
async def preview_folder(chat_id: str, version_id: str, request: Request) -> Response:
    if not (_ID.match(chat_id) and _ID.match(version_id)):
        return _page(404, "Preview not found", "There is no preview at this address.")
    return _folder_redirect(request, version_id)


@router.get("/preview/{chat_id}/{version_id}/{name:path}")
async def preview_file(chat_id: str, version_id: str, name: str, request: Request, service: PreviewsDep) -> Response:
    """A file of a version's preview: "" is the page; the build happens on first view and is cached by content."""
    if not (_ID.match(chat_id) and _ID.match(version_id)):
        return _page(404, "Preview not found", "There is no preview at this address.")
    try:
        if name == SCREENSHOT:
            png = await service.screenshot(chat_id, version_id)
            if png is None:
                return _page(404, "No screenshot", "This version has no screenshot (yet).")
            return Response(png, media_type="image/png", headers=_headers())
        if name == BRIDGE:
            return _bridge(service.runtime.settings.origins.ui)
        result = await service.version_preview(chat_id, version_id)
    except VzeroError as exc:
        return _problem(exc, service)
    return _asset(request, result, service.runtime_dir, name, service.packages_dir, bridge=True)


@lru_cache(maxsize=4)
def _bridge_script(workspace_origin: str) -> bytes:
    return _BRIDGE_SOURCE.read_text().replace('"__VZERO_WORKSPACE_ORIGIN__"', json.dumps(workspace_origin)).encode()


def _bridge(workspace_origin: str) -> Response:
    return Response(_bridge_script(workspace_origin), media_type="text/javascript; charset=utf-8", headers=_headers())


@router.post("/preview/{chat_id}/{version_id}/__errors")
async def preview_errors(chat_id: str, version_id: str, request: Request, service: PreviewsDep) -> Response:
    """An error the page's overlay reports: recorded on the version (capped, rate-limited)."""
    try:
        if not (_ID.match(chat_id) and _ID.match(version_id)):
            raise NotFound("No preview here to report errors for")
        payload = await _read_report(request)
        await service.report(chat_id, version_id, payload)
    except VzeroError as exc:
        return _refusal(exc)
    return Response(status_code=204, headers=_headers())


# --- deployments ---------------------------------------------------------------------------------------------------
@router.get("/deployments/{deployment_id}")
async def deployment_folder(deployment_id: str, request: Request) -> Response:
    if not _ID.match(deployment_id):
        return _page(404, "Deployment not found", "There is no deployment at this address.")
    return _folder_redirect(request, deployment_id)


@router.get("/deployments/{deployment_id}/{name:path}")
async def deployment_file(deployment_id: str, name: str, request: Request, service: PreviewsDep) -> Response:
    """A file of a deployment's frozen build; 404 once the deployment is deleted."""
    if not _ID.match(deployment_id):
        return _page(404, "Deployment not found", "There is no deployment at this address.")
    try:
        if name == INSPECTOR:
            return await _inspector(service, deployment_id)
        frozen = await service.deployed(deployment_id)
    except VzeroError as exc:
        return _problem(exc, None)
    if frozen is None:
        return _page(404, "Deployment not found", "There is no deployment at this address; it may have been deleted.")
    result, vendor_root = frozen
    return _asset(request, result, vendor_root, name)


@router.post("/deployments/{deployment_id}/__errors")
async def deployment_errors(deployment_id: str, request: Request, service: PreviewsDep) -> Response:
    """An error a deployed page reports: recorded on the deployment (findErrors, findLogs)."""
    try:
        if not _ID.match(deployment_id):
            raise NotFound("No deployment here to report errors for")
        payload = await _read_report(request)
        await service.report_deployment(deployment_id, payload)
    except VzeroError as exc:
        return _refusal(exc)
    return Response(status_code=204, headers=_headers())


async def _inspector(service: PreviewService, deployment_id: str) -> Response:
    """The deployment's status, build log and errors as a page (the DeploymentDetail's inspectorUrl)."""
    async with service.runtime.db.session() as session:
        deployment = await session.get(Deployment, deployment_id)
    if deployment is None:
        return _page(404, "Deployment not found", "There is no deployment at this address; it may have been deleted.")
    rows = []
    for entry in deployment.logs or []:
        moment = datetime.fromtimestamp(float(entry.get("t", 0)), UTC).strftime("%H:%M:%S")
        colour = {"error": "#b91c1c", "warning": "#a16207"}.get(str(entry.get("level")), "#333")
        rows.append(f'<div style="color:{colour}"><span style="color:#888">{moment}</span> {html.escape(str(entry.get("text", "")))}</div>')
    errors = "".join(f"<li>{html.escape(_error_line(e))}</li>" for e in deployment.errors or []) or "<li>none</li>"
    body = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Deployment '
        f"{html.escape(deployment.id)}</title></head>"
        '<body style="font:14px/1.5 system-ui,sans-serif;margin:2rem auto;max-width:60rem;padding:0 1rem;color:#333">'
        f"<h1 style=\"font-size:1.2rem\">Deployment {html.escape(deployment.id)}: {html.escape(deployment.status)}</h1>"
        f"<p>Chat {html.escape(deployment.chat_id)}, version {html.escape(deployment.version_id)}. "
        '<a href="./">Open the deployment</a></p>'
        f'<h2 style="font-size:1rem">Build log</h2><pre style="background:#f6f6f6;padding:1rem;white-space:pre-wrap">{"".join(rows)}</pre>'
        f'<h2 style="font-size:1rem">Errors</h2><ul>{errors}</ul></body></html>'
    )
    return Response(body, media_type="text/html; charset=utf-8", headers=_headers())


def _error_line(error: dict[str, Any]) -> str:
    where = str(error.get("file") or "")
    if where and error.get("line"):
        where += f":{error['line']}:{error.get('column') or 1}"
    return f"[{error.get('source', 'build')}] " + (f"{where}: " if where else "") + str(error.get("message", ""))
