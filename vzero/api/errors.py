"""Turns every error into the envelope of the dialect that was called: v1 nested, v2 flat."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from vzero.errors import RateLimited, VzeroError

log = logging.getLogger("vzero")

V1_TYPES = {
    400: "unprocessable_entity_error",
    401: "unauthorized_error",
    403: "forbidden_error",
    404: "not_found_error",
    405: "not_found_error",
    409: "conflict_error",
    413: "payload_too_large_error",
    422: "unprocessable_entity_error",
    429: "too_many_requests_error",
    500: "internal_server_error",
}


def error_response(path: str, status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    """The error body for the dialect the path belongs to."""
    if path.startswith("/v2/"):
        body: dict[str, Any] = {"message": message}
    else:
        body = {"error": {"type": V1_TYPES.get(status, "internal_server_error"), "message": message}}
    return JSONResponse(body, status_code=status, headers=headers)


def _describe_validation(errors: list[Any]) -> str:
    described = []
    for error in errors[:5]:
        where = ".".join(str(p) for p in error.get("loc", ()) if p != "body") or "body"
        described.append(f"{where}: {error.get('msg', 'invalid')}")
    more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
    return "Invalid request: " + "; ".join(described) + more


def install(app: FastAPI) -> None:
    """Register the handlers; looked up along the exception's MRO, so VzeroError covers the tree."""

    @app.exception_handler(VzeroError)
    async def _vzero(request: Request, exc: VzeroError) -> JSONResponse:
        headers = {"Retry-After": str(max(1, int(exc.retry_after)))} if isinstance(exc, RateLimited) else None
        if exc.status_code >= 500:
            log.error("%s on %s %s: %s", type(exc).__name__, request.method, request.url.path, exc.message)
        return error_response(request.url.path, exc.status_code, exc.message, headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(request.url.path, 422, _describe_validation(list(exc.errors())))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        status = exc.status_code
        message = exc.detail if isinstance(exc.detail, str) else "Request failed"
        if status == 404 and message == "Not Found":
            message = f"No such route: {request.method} {request.url.path}"
        if status == 405:
            status, message = 404, f"No such route: {request.method} {request.url.path}"
        return error_response(request.url.path, status, message)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("Unexpected error on %s %s", request.method, request.url.path)
        return error_response(request.url.path, 500, "Internal server error; the server log has the details")
