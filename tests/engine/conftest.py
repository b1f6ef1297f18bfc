"""Fixtures for generation tests: a fake OpenAI-compatible model server and an app wired to it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import API_KEY
from tests.fakes import FakeOpenAIServer
from vzero.app import create_app
from vzero.config import Settings


@pytest.fixture(scope="session")
def model_server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer() as server:
        yield server


@pytest.fixture
def fake_model(model_server: FakeOpenAIServer) -> Iterator[FakeOpenAIServer]:
    model_server.reset() if hasattr(model_server, "reset") else None
    yield model_server


@pytest.fixture
def settings(tmp_path: Path, database_url: str | None, fake_model: FakeOpenAIServer) -> Settings:
    return Settings(
        data_dir=tmp_path / "data", database_url=database_url, api_key=API_KEY, public_url="http://testserver",
        provider="openai", openai_api_key="sk-test", openai_base_url=fake_model.base_url, model="fake-model",
        provider_retries=0,
    )
