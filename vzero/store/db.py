"""The database: one async engine per app, migrated on open; which task holds which pooled connection."""

from __future__ import annotations

import asyncio
import weakref
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Select, event
from sqlalchemy.engine import Compiled, Connection
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import PoolResetState

from vzero.core import jsontext
from vzero.store.revisions import triggers_present
from vzero.store.sqlite_driver import one_trip_creator

MIGRATIONS = Path(__file__).parent / "migrations"


class ConnectionHeld(RuntimeError):
    """A task was about to wait while holding a pooled connection: a burst larger than the pool would deadlock."""


# The pooled connections each task has checked out. A connection may be returned by another task than the one that
# took it (SQLAlchemy checks connections in from a shielded task), so each checkout records its owner.
_held: weakref.WeakKeyDictionary[asyncio.Task[Any], int] = weakref.WeakKeyDictionary()
_OWNER = "vzero_owner"


def _checked_out(_dbapi: Any, record: Any, _proxy: Any) -> None:
    task = asyncio.current_task()
    if task is not None:
        record.info[_OWNER] = weakref.ref(task)
        _held[task] = _held.get(task, 0) + 1


def _checked_in(_dbapi: Any, record: Any) -> None:
    owner = record.info.pop(_OWNER, None)
    task = owner() if owner is not None else None
    if task is not None:
        left = _held.get(task, 0) - 1
        if left > 0:
            _held[task] = left
        else:
            _held.pop(task, None)


def assert_released(waiting_for: str) -> None:
    """Raise ConnectionHeld if the current task holds a pooled connection; called before it waits for `waiting_for`.

    Every wait that can outlast a request (a queue, a generation, a provider, a client, a fetch) calls this first,
    so a route that keeps its session's transaction open across one fails in every test that reaches it.
    """
    task = asyncio.current_task()
    if task is not None and _held.get(task):
        raise ConnectionHeld(
            f"a pooled database connection is held while waiting for {waiting_for}: end the session's transaction "
            "(commit, rollback or close) before waiting"
        )


class Database:
    """An async engine and session factory; `open()` applies pending migrations."""

    def __init__(self, url: str, *, pool_size: int = 16, max_overflow: int = 16, pool_timeout: float = 10.0) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        # The pools keep as many connections as requests commonly run at once: past `pool_size`, each checkout opens
        # a connection that is closed again when it comes back, which costs more than a request's own queries.
        # JSON columns go through orjson (jsontext), not the json module.
        json_args = {"json_serializer": _json_text, "json_deserializer": jsontext.loads}
        pool = {"pool_size": pool_size, "max_overflow": max_overflow, "pool_timeout": pool_timeout}
        if self.is_sqlite:
            # aiosqlite runs each connection on its own thread; a pool of them keeps readers concurrent under WAL
            # while SQLite serialises the writers. Each statement goes in one trip to that thread (sqlite_driver).
            self.engine: AsyncEngine = create_async_engine(
                url, pool_reset_on_return=None, async_creator=one_trip_creator(url, {"timeout": 30}), **pool, **json_args
            )
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
            event.listen(self.engine.sync_engine, "reset", _sqlite_reset)
        else:
            self.engine = create_async_engine(url, pool_pre_ping=True, **pool, **json_args)
        event.listen(self.engine.sync_engine, "checkout", _checked_out)
        event.listen(self.engine.sync_engine, "checkin", _checked_in)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        # Whether `chats.revision` is raised by the database (its triggers exist): what readers may cache depends on it.
        self.revisions_tracked = False
        self._compiled: dict[Select[*tuple[Any, ...]], Compiled] = {}

    async def open(self) -> None:
        """Create the database if needed and bring its schema up to date."""
        if self.is_sqlite and ":memory:" not in self.url:
            Path(self.url.split("///", 1)[1]).parent.mkdir(parents=True, exist_ok=True)
        async with self.engine.begin() as conn:
            await conn.run_sync(_upgrade)
            self.revisions_tracked = await conn.run_sync(triggers_present)

    async def close(self) -> None:
        await self.engine.dispose()

    def session(self) -> AsyncSession:
        return self.sessions()

    async def first_row(self, statement: Select[*tuple[Any, ...]], params: dict[str, Any]) -> tuple[Any, ...] | None:
        """The first row of a SELECT of plain string and integer columns, run by the driver itself, outside any session.

        For the hottest reads: SQLAlchemy's execution layer costs more than such a query, and on SQLite each step of
        it (cursor, execute, fetch, close) is a round trip to aiosqlite's thread where this makes one. No type
        conversion happens either way, so it suits only columns and parameters whose values need none (no dates,
        booleans or JSON). `statement` must be built once (it is compiled once per database and kept).
        """
        compiled = self._compiled.get(statement)
        if compiled is None:
            compiled = self._compiled[statement] = statement.compile(dialect=self.engine.dialect)
        values: dict[str, Any] = dict(compiled.construct_params(params) or {})
        driver = self.engine.dialect.driver
        async with self.engine.connect() as connection:
            raw: Any = (await connection.get_raw_connection()).driver_connection
            if driver == "aiosqlite":
                names = getattr(compiled, "positiontup", None) or ()
                rows = await raw.execute_fetchall(compiled.string, tuple(values[name] for name in names))
                return tuple(rows[0]) if rows else None
            if driver == "psycopg":
                from psycopg.pq import TransactionStatus

                # In autocommit the query goes alone: no BEGIN before it and no ROLLBACK when the connection goes back
                # to the pool (two round trips of four, with the pool's ping). One statement reads one snapshot anyway.
                idle = raw.info.transaction_status == TransactionStatus.IDLE
                if idle:
                    await raw.set_autocommit(True)
                try:
                    cursor = await raw.execute(compiled.string, values)
                    row = await cursor.fetchone()
                    return tuple(row) if row is not None else None
                finally:
                    if idle:
                        await raw.set_autocommit(False)
            first = (await connection.execute(statement, params)).first()  # any other driver: through SQLAlchemy
            return tuple(first) if first is not None else None


def _json_text(value: Any) -> str:
    return jsontext.dumps(value).decode()


def _upgrade(connection: Connection) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


def _sqlite_reset(dbapi_connection: Any, _record: Any, state: PoolResetState) -> None:
    """The pool's reset of a returned connection (in place of reset_on_return's unconditional rollback).

    Rolls back only if SQLite has a transaction open: outside one, sqlite3's rollback() does nothing, but
    through aiosqlite it still costs a round trip to the connection's thread (as much as a small query).
    """
    if state.asyncio_safe and not state.transaction_was_reset and dbapi_connection.driver_connection.in_transaction:
        dbapi_connection.rollback()


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


__all__ = ["ConnectionHeld", "Database", "assert_released"]
