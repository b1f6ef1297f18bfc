"""Validates responses against the response schemas of the official v1 and v2 OpenAPI specs."""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference"
# Read at import: the suite's autouse fixture clears VZERO_* variables. For checkouts outside the usual layout.
_OVERRIDE = os.environ.get("VZERO_REFERENCE_DIR")
SPECS = {"v1": "v0-platform-api-v1.openapi.json", "v2": "v0-api-v2.openapi.json"}


def reference_dir() -> Path:
    # VZERO_REFERENCE_DIR, then beside the checkout or beside any folder above it (a git worktree lives deeper).
    overrides = (Path(_OVERRIDE),) if _OVERRIDE else ()
    for candidate in overrides + tuple(folder / "shared" / "reference" for folder in Path(__file__).resolve().parents[1:]):
        if candidate.exists():
            return candidate
    raise RuntimeError(f"The official specs are expected in {REFERENCE}")


@cache
def _spec(dialect: str) -> dict[str, Any]:
    return json.loads((reference_dir() / SPECS[dialect]).read_text())


@cache
def _registry(dialect: str) -> Registry:
    return Registry().with_resource(f"urn:{dialect}", Resource.from_contents(_spec(dialect), default_specification=DRAFT202012))


@cache
def _operations(dialect: str) -> dict[str, tuple[str, str]]:
    found = {}
    for path, item in _spec(dialect)["paths"].items():
        for method, op in item.items():
            if isinstance(op, dict) and "operationId" in op:
                found[op["operationId"]] = (path, method)
    return found


def _pointer(*parts: str) -> str:
    return "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


@cache
def _validator(dialect: str, operation_id: str, status: str, content_type: str) -> Draft202012Validator:
    path, method = _operations(dialect)[operation_id]
    responses = _spec(dialect)["paths"][path][method]["responses"]
    if status not in responses:
        raise AssertionError(f"{operation_id} declares no {status} response; declared: {sorted(responses)}")
    if content_type not in responses[status].get("content", {}):
        raise AssertionError(f"{operation_id} {status} declares no {content_type} body")
    ref = f"urn:{dialect}#/" + _pointer("paths", path, method, "responses", status, "content", content_type, "schema")
    return Draft202012Validator({"$ref": ref}, registry=_registry(dialect))


def assert_conforms(dialect: str, operation_id: str, response: Any, status: int | None = None) -> Any:
    """Assert the response's status and that its JSON validates against the spec; returns the JSON."""
    if status is not None:
        assert response.status_code == status, f"{operation_id}: expected {status}, got {response.status_code}: {response.text[:500]}"
    body = response.json()
    validator = _validator(dialect, operation_id, str(response.status_code), "application/json")
    errors = sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))
    if errors:
        details = "\n".join(f"  at {list(e.absolute_path)}: {e.message[:300]}" for e in errors[:10])
        raise AssertionError(f"{operation_id} response does not conform to the {dialect} spec:\n{details}")
    return body


def v1(operation_id: str, response: Any, status: int = 200) -> Any:
    return assert_conforms("v1", operation_id, response, status)


def v2(operation_id: str, response: Any, status: int = 200) -> Any:
    return assert_conforms("v2", operation_id, response, status)


def v1_error(response: Any, status: int, error_type: str | None = None) -> dict[str, Any]:
    """An error in the v1 envelope, with the type the status implies."""
    assert response.status_code == status, f"expected {status}, got {response.status_code}: {response.text[:500]}"
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"type", "message"}, body
    if error_type:
        assert body["error"]["type"] == error_type, body
    assert body["error"]["message"]
    return body
