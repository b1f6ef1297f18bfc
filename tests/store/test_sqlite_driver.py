"""The SQLite driver: each statement is one trip to the connection's thread, with what SQLAlchemy reads unchanged."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import exc

from vzero.store.db import Database
from vzero.store.sqlite_driver import OneTripConnection

metadata = sa.MetaData()
items = sa.Table(
    "items", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String, nullable=False, unique=True),
    sa.Column("data", sa.JSON),
)


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[Database]:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'driver.db'}")
    async with db.engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    yield db
    await db.close()


@pytest.fixture
def trips(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The name of every function sent to a connection's thread."""
    sent: list[str] = []
    original = OneTripConnection._execute

    async def counting(self: OneTripConnection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        sent.append(getattr(fn, "__name__", repr(fn)))
        return await original(self, fn, *args, **kwargs)

    monkeypatch.setattr(OneTripConnection, "_execute", counting)
    return sent


async def test_a_statement_is_one_trip(database: Database, trips: list[str]) -> None:
    async with database.engine.connect() as connection:
        await connection.execute(sa.select(sa.literal(1)))  # the connection's first use: settle it
        trips.clear()
        rows = (await connection.execute(sa.select(items.c.id))).all()
        assert rows == []
        assert trips == ["_execute"]  # no cursor opened, fetched from or closed in trips of their own
        trips.clear()
        await connection.execute(items.insert(), [{"name": "a"}, {"name": "b"}])
        assert trips == ["_executemany"]


async def test_results_are_what_sqlalchemy_reads_from_sqlite(database: Database) -> None:
    async with database.engine.begin() as connection:
        inserted = await connection.execute(items.insert().values(name="first", data={"k": [1, "é"]}))
        assert inserted.inserted_primary_key == (1,)  # from the cursor's lastrowid
        many = await connection.execute(items.insert(), [{"name": f"n{i}"} for i in range(5)])
        assert many.rowcount == 5
        returned = await connection.execute(items.insert().values(name="last").returning(items.c.id, items.c.name))
        assert returned.all() == [(7, "last")]
        updated = await connection.execute(items.update().where(items.c.name.like("n%")).values(data={"x": True}))
        assert updated.rowcount == 5
        deleted = await connection.execute(items.delete().where(items.c.id > 100))
        assert deleted.rowcount == 0
        result = await connection.execute(sa.select(items.c.name, items.c.data).order_by(items.c.id))
        assert result.keys() == ["name", "data"]  # the description
        assert result.first() == ("first", {"k": [1, "é"]})
        assert len((await connection.execute(sa.select(items))).all()) == 7
        assert (await connection.execute(sa.select(items.c.id).where(items.c.id == 2))).scalar_one() == 2
        partial = await connection.execute(sa.select(items.c.id).order_by(items.c.id))
        assert partial.fetchmany(2) == [(1,), (2,)] and partial.fetchone() == (3,) and len(partial.fetchall()) == 4


async def test_errors_and_rollbacks_are_sqlalchemys(database: Database) -> None:
    async with database.engine.begin() as connection:
        await connection.execute(items.insert().values(name="taken"))
    with pytest.raises(exc.IntegrityError):
        async with database.engine.begin() as connection:
            await connection.execute(items.insert().values(name="other"))
            await connection.execute(items.insert().values(name="taken"))
    with pytest.raises(exc.OperationalError, match="no such table"):
        async with database.engine.connect() as connection:
            await connection.execute(sa.text("SELECT * FROM missing"))
    async with database.engine.connect() as connection:
        names = (await connection.execute(sa.select(items.c.name))).scalars().all()
    assert names == ["taken"]  # the failed transaction left nothing behind


async def test_the_connection_is_aiosqlites_with_this_cursor(database: Database) -> None:
    async with database.engine.connect() as connection:
        raw = (await connection.get_raw_connection()).driver_connection
        assert isinstance(raw, OneTripConnection)
        cursor = await raw.cursor()
        await cursor.execute("SELECT ?, ?", (1, "two"))
        assert cursor.description[0][0] == "?" and await cursor.fetchall() == [(1, "two")]
        assert await raw.execute_fetchall("PRAGMA journal_mode") == [("wal",)]  # the pool's PRAGMAs ran through it


def test_a_new_row_has_every_column_and_fills_the_objects_defaults() -> None:
    from datetime import datetime, timezone

    from vzero.store.tables import Chat, new_row

    now = datetime.now(timezone.utc)
    chat = Chat(id="c1", owner_id="u1", privacy="private", created_at=now, updated_at=None)
    row = new_row(chat)
    assert set(row) == {column.key for column in Chat.__table__.columns}
    assert row["metadata"] == {} and row["favorite"] is False and row["text"] == "" and row["api_version"] == "v1"
    assert row["revision"] == 0 and row["name"] is None and row["updated_at"] is None and row["created_at"] == now
    # The object reads as a flushed one would: defaults set, and each new object gets its own mutable default.
    assert chat.meta == {} and chat.favorite is False and chat.meta is not new_row(Chat(id="c2"))["metadata"]
