"""aiosqlite connections whose statements cost one trip to the connection's thread instead of three or four.

aiosqlite runs each SQLite connection on a thread of its own, and every call SQLAlchemy's adapter makes on a cursor
is a trip there and back: open the cursor, execute, fetch the rows, close it. A trip (two context switches) costs far
more than the statement itself.

`OneTripConnection.cursor()` gives a cursor that does all of it at `execute`: it opens a sqlite3 cursor, executes,
fetches every row and closes it, in one function run on the connection's thread, and keeps what SQLAlchemy reads
afterwards (rows, description, rowcount, lastrowid). Nothing else changes: SQLAlchemy's own aiosqlite dialect drives
it (through `create_async_engine(..., async_creator=...)`, its public hook for the driver connection), so statements,
types, transactions and errors are exactly as before. Results are always fetched whole, as SQLAlchemy's adapter
already did for every statement that is not a server-side cursor (vzero uses none).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Generator, Iterable
from typing import Any

import aiosqlite
from sqlalchemy.engine import URL, make_url


class _Outcome:
    """What one statement left behind, read on the event loop's side."""

    __slots__ = ("description", "lastrowid", "rowcount", "rows")

    def __init__(self, cursor: sqlite3.Cursor, rows: list[Any]) -> None:
        self.description = cursor.description
        self.rowcount = cursor.rowcount
        self.lastrowid = cursor.lastrowid
        self.rows = rows


def _execute(connection: OneTripConnection, sql: str, parameters: Any) -> _Outcome:
    """Runs on the connection's thread: the whole life of a cursor."""
    cursor = connection._conn.cursor()
    try:
        if parameters is None:
            cursor.execute(sql)
        else:
            cursor.execute(sql, parameters)
        # Fetched before rowcount is read: SQLite counts the rows of INSERT ... RETURNING only once they are fetched.
        rows = cursor.fetchall() if cursor.description else []
        return _Outcome(cursor, rows)
    finally:
        cursor.close()


def _executemany(connection: OneTripConnection, sql: str, parameters: Iterable[Any]) -> _Outcome:
    cursor = connection._conn.cursor()
    try:
        cursor.executemany(sql, parameters)
        return _Outcome(cursor, [])
    finally:
        cursor.close()


class OneTripCursor:
    """The cursor SQLAlchemy's aiosqlite adapter drives: `execute` and `executemany` make the only trips."""

    __slots__ = ("_connection", "_rows", "arraysize", "description", "lastrowid", "rowcount")

    def __init__(self, connection: OneTripConnection) -> None:
        self._connection = connection
        self._rows: list[Any] = []
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self.arraysize = 1

    def __await__(self) -> Generator[Any, None, OneTripCursor]:
        # `await connection.cursor()` works as with aiosqlite's own cursor: there is nothing to wait for.
        async def ready() -> OneTripCursor:
            return self

        return ready().__await__()

    async def __aenter__(self) -> OneTripCursor:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def _keep(self, outcome: _Outcome) -> OneTripCursor:
        self.description, self.rowcount, self.lastrowid, self._rows = outcome.description, outcome.rowcount, outcome.lastrowid, outcome.rows
        return self

    async def execute(self, sql: str, parameters: Any = None) -> OneTripCursor:
        return self._keep(await self._connection._execute(_execute, self._connection, sql, parameters))  # type: ignore[no-untyped-call]

    async def executemany(self, sql: str, parameters: Iterable[Any]) -> OneTripCursor:
        return self._keep(await self._connection._execute(_executemany, self._connection, sql, parameters))  # type: ignore[no-untyped-call]

    async def fetchone(self) -> Any:
        return self._rows.pop(0) if self._rows else None

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        size = self.arraysize if size is None else size
        taken, self._rows = self._rows[:size], self._rows[size:]
        return taken

    async def fetchall(self) -> list[Any]:
        taken, self._rows = self._rows, []
        return taken

    async def close(self) -> None:
        self._rows = []

    async def setinputsizes(self, *sizes: Any) -> None:
        """Nothing to do (SQLite's driver ignores them too)."""


class OneTripConnection(aiosqlite.Connection):
    """An aiosqlite connection whose cursors run each statement in one trip (see the module's docstring).

    `_execute` (queue a function for the connection's thread) is aiosqlite's own way of running work there; its
    public methods are built on it. pyproject pins aiosqlite to the releases this was checked against.
    """

    def cursor(self) -> OneTripCursor:  # type: ignore[override]
        return OneTripCursor(self)


def one_trip_creator(url: str | URL, connect_args: dict[str, Any]) -> Callable[[], OneTripConnection]:
    """The `async_creator` of an engine on `url`: connections opened with the arguments SQLAlchemy itself would
    pass to `aiosqlite.connect` for that URL (path, URI mode, check_same_thread), plus `connect_args`."""
    url = make_url(url)
    args, kwargs = url.get_dialect()().create_connect_args(url)
    kwargs.update(connect_args)
    (database,) = args

    def connector() -> sqlite3.Connection:
        return sqlite3.connect(database, **kwargs)

    def create() -> OneTripConnection:
        connection = OneTripConnection(connector, 64)
        connection._thread.daemon = True  # as SQLAlchemy's dialect sets it: a forgotten connection never blocks exit
        return connection

    return create


__all__ = ["OneTripConnection", "OneTripCursor", "one_trip_creator"]
