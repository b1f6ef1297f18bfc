"""`vzero serve` loads the provider at startup (warm_up), and a server without one still starts."""

from __future__ import annotations

import logging

import httpx
import pytest

from tests.conftest import API_KEY
from vzero.app import create_app
from vzero.config import Settings


async def test_warm_up_builds_the_provider_that_generations_then_use(runtime, client: httpx.AsyncClient, services: Any) -> None:  # type: ignore[no-untyped-def]
    manager = services.generations
    assert manager._model is None  # an in-process app (not `vzero serve`) builds it on first use
    services.warm_up()
    loaded = manager._model
    assert loaded is not None
    created = await client.post("/v1/chats", json={"message": "Build a page", "responseMode": "sync"})
    assert created.status_code == 200, created.text
    assert created.json()["latestVersion"]["status"] == "completed"
    assert manager._model is loaded  # the generation used the provider built at startup


@pytest.mark.parametrize(("provider", "expected_log"), [(None, "VZERO_PROVIDER"), ("openai", "OPENAI_API_KEY")], ids=["none", "openai-without-key"])
async def test_a_server_without_a_usable_provider_still_starts(tmp_path, provider, expected_log, caplog) -> None:  # type: ignore[no-untyped-def]
    # The log says what to set; the server starts and answers everything that needs no model.
    settings = Settings(data_dir=tmp_path / "data", api_key=API_KEY, provider=provider, openai_api_key=None, openai_base_url=None)
    app = create_app(settings)
    caplog.set_level(logging.INFO, logger="vzero.engine")
    async with app.router.lifespan_context(app):
        app.state.services.warm_up()
        assert app.state.services.generations._model is None
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver", headers={"Authorization": f"Bearer {API_KEY}"}) as client:
            listed = await client.get("/v1/chats")
            assert listed.status_code == 200
            refused = await client.post("/v1/chats", json={"message": "Build a page", "responseMode": "sync"})
            assert refused.status_code == 422
            assert "provider" in refused.json()["error"]["message"].lower()
    assert "generations will be refused until a model provider is set up" in caplog.text
    assert expected_log in caplog.text
