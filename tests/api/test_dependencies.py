"""Every dependency vzero declares is a coroutine: FastAPI runs a plain function in its thread pool, per request
(a thread hand-off for a getter costs more than the whole cached read of a chat)."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from typing import Any

from fastapi.routing import APIRoute

from tests.api.test_sessions import _routes


def _calls(dependant: Any) -> Iterator[Any]:
    for sub in dependant.dependencies:
        yield sub.call
        yield from _calls(sub)


def test_every_dependency_of_every_route_is_async() -> None:
    from vzero.preview import routes as preview_routes
    from vzero.ui import routes as ui_routes

    routes = [route for _, route in _routes()]
    routes += [r for r in (*preview_routes.router.routes, *ui_routes.router.routes) if isinstance(r, APIRoute)]
    plain = {
        f"{call.__module__}.{call.__qualname__}"
        for route in routes
        for call in _calls(route.dependant)
        if call is not None and call.__module__.startswith("vzero") and not (inspect.iscoroutinefunction(call) or inspect.isasyncgenfunction(call))
    }
    assert routes and not plain, f"these dependencies would run in the thread pool on every request: {sorted(plain)}"
