"""Shared fixtures: a fresh data directory and database per test, on SQLite and (when reachable) PostgreSQL."""

from __future__ import annotations

import os
import secrets
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `tests.fakes` importable from the repo root

from vzero.app import create_app  # noqa: E402
from vzero.config import Settings  # noqa: E402

API_KEY = "test-key-0123456789"
PG_ADMIN_URL = os.environ.get("VZERO_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")


def _pg_available() -> str | None:
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, connect_timeout=2) as conn:
            conn.execute("select 1")
        return None
    except Exception as exc:  # noqa: BLE001 - any failure means "not here"
        return f"PostgreSQL not reachable at {PG_ADMIN_URL} ({exc.__class__.__name__}); install and start postgresql, or set VZERO_TEST_PG_URL"


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test gets its own data directory; no provider settings leak in from the developer's shell."""
    for name in list(os.environ):
        if name.startswith("VZERO_") and name != "VZERO_TEST_PG_URL" or name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL"):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("VZERO_DATA_DIR", str(tmp_path / "data"))


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A throwaway PostgreSQL database for this test session."""
    reason = _pg_available()
    if reason:
        pytest.skip(reason)
    import psycopg

    name = f"vzero_test_{secrets.token_hex(4)}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _truncate_pg(url: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        tables = [r[0] for r in conn.execute("select tablename from pg_tables where schemaname='public' and tablename <> 'alembic_version'")]
        if tables:
            conn.execute("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " CASCADE")


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str | None:
    """Each API test runs on both stores."""
    if request.param == "sqlite":
        return None  # the default: SQLite in the data directory
    url: str = request.getfixturevalue("pg_database")
    _truncate_pg(url)
    return url


@pytest.fixture
def settings(tmp_path: Path, database_url: str | None) -> Settings:
    return Settings(data_dir=tmp_path / "data", database_url=database_url, api_key=API_KEY, public_url="http://testserver")


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[object]:
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: object) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver", headers={"Authorization": f"Bearer {API_KEY}"}) as c:
        yield c


@pytest.fixture
def runtime(app: object):  # type: ignore[no-untyped-def]
    return app.state.runtime  # type: ignore[attr-defined]


@pytest.fixture
def services(app: object):  # type: ignore[no-untyped-def]
    return app.state.services  # type: ignore[attr-defined]


@pytest.fixture
def v1_views(app: object):  # type: ignore[no-untyped-def]
    return app.state.v1_views  # type: ignore[attr-defined]


@pytest.fixture
async def other_key(runtime) -> str:  # type: ignore[no-untyped-def]
    """A second user's key (no team)."""
    from vzero.store.users import create_user_with_key

    async with runtime.db.session() as session:
        new = await create_user_with_key(session, "other")
        await session.commit()
    return new.key
