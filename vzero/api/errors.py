"""Turns every error into the envelope of the dialect that was called: v1 nested, v2 flat."""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from sqlalchemy.exc import TimeoutError as PoolTimeout
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
    503: "internal_server_error",
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


# Statuses any /v1 or /v2 operation can answer with besides its own: auth, access, limits, rate, failure.
DOCUMENTED_ERRORS = {
    401: "No valid API key",
    403: "Not allowed for this caller",
    404: "No such resource (or not visible to the caller)",
    409: "The resource's state does not allow it",
    413: "A body, file, archive or download is over a limit",
    422: "The request is not acceptable",
    429: "Rate limit reached",
    500: "Internal error",
    503: "A needed service is unavailable",
}


def _error_schemas() -> dict[str, Any]:
    message = {"type": "string"}
    v1 = {
        "type": "object",
        "required": ["error"],
        "additionalProperties": False,
        "properties": {
            "error": {
                "type": "object",
                "required": ["type", "message"],
                "additionalProperties": False,
                "properties": {"type": {"type": "string", "enum": sorted(set(V1_TYPES.values()))}, "message": message},
            }
        },
    }
    v2 = {"type": "object", "required": ["message"], "additionalProperties": False, "properties": {"message": message}}
    return {"V1Error": v1, "V2Error": v2}


def document(schema: dict[str, Any]) -> dict[str, Any]:
    """Describe the errors vzero really sends: FastAPI documents a `{detail}` 422 body that the handlers below replace."""
    components = schema.setdefault("components", {})
    components.setdefault("schemas", {}).update(_error_schemas())
    components.setdefault("securitySchemes", {})["bearer"] = {"type": "http", "scheme": "bearer"}
    for path, item in schema.get("paths", {}).items():
        dialect = "V2Error" if path.startswith("/v2/") else "V1Error" if path.startswith("/v1/") else None
        if dialect is None:
            continue
        for operation in item.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            operation.setdefault("security", [{"bearer": []}])
            for status, description in DOCUMENTED_ERRORS.items():
                operation["responses"][str(status)] = {
                    "description": description,
                    "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{dialect}"}}},
                }
    for unused in ("HTTPValidationError", "ValidationError"):
        if f"#/components/schemas/{unused}" not in json.dumps(schema.get("paths", {})):
            components["schemas"].pop(unused, None)
    return schema


def install(app: FastAPI) -> None:
    """Register the handlers; looked up along the exception's MRO, so VzeroError covers the tree."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document(generate())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

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
        if status == 400:
            # FastAPI answers 400 for a body it cannot decode (not UTF-8); neither v0 spec has a 400, and
            # a body that is not JSON at all already gets 422, so this one does too.
            status = 422
            if message == "There was an error parsing the body":
                message = "Invalid request: the body is not valid UTF-8 JSON"
        return error_response(request.url.path, status, message)

    @app.exception_handler(PoolTimeout)
    async def _busy(request: Request, exc: PoolTimeout) -> JSONResponse:
        # Every database connection stayed in use for VZERO_DB_POOL_TIMEOUT seconds: a burst, not a fault of the request.
        log.warning("no database connection free for %s %s: answered 503", request.method, request.url.path)
        message = "The server is busy: no database connection came free in time; try again shortly"
        return error_response(request.url.path, 503, message, {"Retry-After": "2"})

    @app.exception_handler(UnicodeEncodeError)
    @app.exception_handler(ValidationError)
    async def _unicode(request: Request, exc: Exception) -> JSONResponse:
        # JSON may spell a lone UTF-16 surrogate ("\ud800"); it decodes to a str that cannot be stored. Fields
        # that pydantic does not check for it fail later, here: that is the caller's input, not a server fault.
        if _is_lone_surrogate(exc):
            return error_response(request.url.path, 422, "Invalid request: text must be valid Unicode (a lone UTF-16 surrogate such as \\ud800 is not)")
        return await _unexpected(request, exc)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("Unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
        return error_response(request.url.path, 500, "Internal server error; the server log has the details")


def _is_lone_surrogate(exc: Exception) -> bool:
    if isinstance(exc, UnicodeEncodeError):
        return exc.reason == "surrogates not allowed"
    if isinstance(exc, ValidationError):
        return all(error["type"] == "string_unicode" for error in exc.errors())
    return False
