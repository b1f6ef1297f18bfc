"""No request holds a pooled database connection while it waits, and a pool that stays exhausted answers 503."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from sqlalchemy import text

import vzero.api.v1
import vzero.api.v2
from tests.conftest import API_KEY
from vzero.api.deps import get_session
from vzero.app import create_app
from vzero.config import Settings
from vzero.engine.ask import Ask
from vzero.store.chats import new_chat
from vzero.store.db import ConnectionHeld, assert_released


def _routes() -> Iterator[tuple[str, APIRoute]]:
    for package in (vzero.api.v1, vzero.api.v2):
        for info in pkgutil.iter_modules(package.__path__):
            module = importlib.import_module(f"{package.__name__}.{info.name}")
            router = getattr(module, "router", None)
            for route in getattr(router, "routes", ()):
                if isinstance(route, APIRoute):
                    yield module.__name__, route


def _sessions(dependant: Dependant) -> Iterator[Dependant]:
    for sub in dependant.dependencies:
        if sub.call is get_session:
            yield sub
        yield from _sessions(sub)


def test_routes_that_start_a_generation_take_no_session() -> None:
    starting = [(name, route.path) for name, route in _routes() if name.endswith(".generate") and any(_sessions(route.dependant))]
    assert not starting, f"these wait for a generation while holding a request session: {starting}"


def test_every_request_session_ends_with_its_route_function() -> None:
    # scope="function": closed before the response is sent, so no stream keeps it
    scopes = {(name, route.path, sub.scope) for name, route in _routes() for sub in _sessions(route.dependant)}
    assert scopes and all(scope == "function" for _, _, scope in scopes), [s for s in scopes if s[2] != "function"]


async def test_a_start_made_while_holding_a_connection_is_refused(app: Any) -> None:
    services = app.state.services
    async with services.runtime.db.session() as session:
        await session.execute(text("select 1"))  # checks a connection out, in a transaction
        with pytest.raises(ConnectionHeld, match="a generation's start"):
            await services.generations.start(new_chat("default"), Ask(message="hi", author_id="default"), new=True)
    assert_released("nothing")  # the session ended: nothing is held any more


@pytest.mark.parametrize("prefix", ["/v1", "/v2"])
async def test_an_exhausted_pool_answers_503_in_the_dialects_envelope(tmp_path: Any, database_url: str | None, prefix: str) -> None:
    settings = Settings(
        data_dir=tmp_path / "data", database_url=database_url, api_key=API_KEY, public_url="http://testserver",
        db_pool_size=1, db_max_overflow=0, db_pool_timeout=0.3,
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver", headers={"Authorization": f"Bearer {API_KEY}"}) as client:
            created = await client.post("/v1/chats/init", json={"type": "files", "files": [{"name": "a.txt", "content": "a"}]})
            chat_id = created.json()["id"]
            async with app.state.runtime.db.engine.connect() as held:  # the pool's only connection, taken elsewhere
                await held.exec_driver_sql("select 1")
                busy = await client.get(f"{prefix}/chats/{chat_id}/messages", params={"limit": 5})
                assert busy.status_code == 503 and int(busy.headers["Retry-After"]) >= 1
                body = busy.json()
                message = body["error"]["message"] if prefix == "/v1" else body["message"]
                assert "busy" in message
                if prefix == "/v1":
                    assert set(body) == {"error"} and body["error"]["type"] == "internal_server_error"
                else:
                    assert set(body) == {"message"}
                assert (await client.get("/healthz")).status_code == 200  # the server itself still answers
            again = await client.get(f"{prefix}/chats/{chat_id}/messages", params={"limit": 5})
            assert again.status_code == 200  # and reads work again once a connection is free
