"""`chats.revision` is raised by the database itself: any write of a chat, its messages or its versions, however made."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, text

from vzero.store import chats as store
from vzero.store.db import MIGRATIONS, Database
from vzero.store.revisions import triggers_present
from vzero.store.tables import Base
from vzero.store.users import create_user_with_key

NOW = "2026-11-22 07:00:00"


async def _revision(runtime: Any, chat_id: str) -> int:
    async with runtime.db.session() as session:
        return (await session.execute(text("SELECT revision FROM chats WHERE id = :id"), {"id": chat_id})).scalar_one()


async def _sql(runtime: Any, statement: str, **params: Any) -> None:
    """One raw statement in a transaction of its own, as a writer that knows nothing of revisions would run it."""
    async with runtime.db.session() as session:
        await session.execute(text(statement), params)
        await session.commit()


_INSERT_MESSAGE = (
    "INSERT INTO messages (id, chat_id, seq, role, type, content, parts, attachments, status, input_tokens, output_tokens, "
    "cache_read_tokens, cache_write_tokens, created_at) VALUES (:id, :chat, :seq, 'user', 'message', 'hi', '[]', '[]', "
    f"'completed', 0, 0, 0, 0, '{NOW}')"
)
_INSERT_VERSION = (
    "INSERT INTO versions (id, chat_id, seq, status, errors, created_at) "
    f"VALUES (:id, :chat, :seq, 'completed', '[]', '{NOW}')"
)


async def test_every_write_of_a_chat_or_its_rows_raises_its_revision(runtime: Any) -> None:
    assert runtime.db.revisions_tracked
    async with runtime.db.session() as session:
        mine = await store.create_chat(session, "default", name="mine")
        other = await store.create_chat(session, "default", name="other")
        await session.commit()
    mine_id, other_id = mine.id, other.id
    seen = [await _revision(runtime, mine_id)]

    async def raised(statement: str, *, moves: bool = False, **params: Any) -> None:
        before_other = await _revision(runtime, other_id)
        await _sql(runtime, statement, **params)
        now = await _revision(runtime, mine_id)
        assert now > seen[-1], statement
        seen.append(now)
        other_now = await _revision(runtime, other_id)
        assert other_now > before_other if moves else other_now == before_other, statement

    await raised(_INSERT_MESSAGE, id="m1", chat=mine_id, seq=1)
    await raised("UPDATE messages SET content = 'changed' WHERE id = 'm1'")
    await raised(_INSERT_VERSION, id="v1", chat=mine_id, seq=1)
    await raised("UPDATE versions SET status = 'failed' WHERE id = 'v1'")
    await raised("UPDATE chats SET favorite = true WHERE id = :id", id=mine_id)  # no updated_at: still raised
    await raised("UPDATE chats SET name = 'renamed', updated_at = updated_at WHERE id = :id", id=mine_id)
    await raised("UPDATE chats SET revision = 0 WHERE id = :id", id=mine_id)  # a writer cannot lower it
    await raised("UPDATE messages SET chat_id = :other WHERE id = 'm1'", moves=True, other=other_id)  # both chats change
    await raised("UPDATE messages SET chat_id = :mine WHERE id = 'm1'", moves=True, mine=mine_id)
    await raised("DELETE FROM messages WHERE id = 'm1'")
    await raised("DELETE FROM versions WHERE id = 'v1'")

    # Rows of another chat leave this one alone; a write rolled back leaves no trace.
    before = await _revision(runtime, mine_id)
    await _sql(runtime, _INSERT_MESSAGE, id="m2", chat=other_id, seq=1)
    await _sql(runtime, "UPDATE chats SET name = 'x' WHERE id = :id", id=other_id)
    async with runtime.db.session() as session:
        await session.execute(text("UPDATE chats SET name = 'gone' WHERE id = :id"), {"id": mine_id})
        await session.rollback()
    assert await _revision(runtime, mine_id) == before

    # The ORM writers (what the API uses) are covered by the same triggers.
    async with runtime.db.session() as session:
        chat = await session.get(store.Chat, mine_id)
        assert chat is not None
        await store.add_message(session, chat, role="user", content="hello")
        await session.commit()
    assert await _revision(runtime, mine_id) > before


async def test_cascades_raise_it_too(runtime: Any) -> None:
    """A project deleted under a chat (ON DELETE SET NULL) changes the chat: its revision follows."""
    async with runtime.db.session() as session:
        owner = await create_user_with_key(session, "owner")
        await session.execute(text(
            f"INSERT INTO projects (id, owner_id, name, privacy, created_at) VALUES ('p1', :owner, 'p', 'private', '{NOW}')"
        ), {"owner": owner.user_id})
        chat = await store.create_chat(session, owner.user_id, project_id="p1")
        await session.commit()
    before = await _revision(runtime, chat.id)
    await _sql(runtime, "DELETE FROM projects WHERE id = 'p1'")
    async with runtime.db.session() as session:
        assert (await session.execute(text("SELECT project_id FROM chats WHERE id = :id"), {"id": chat.id})).scalar_one() is None
    assert await _revision(runtime, chat.id) > before


def test_create_all_creates_the_triggers_too() -> None:
    engine = create_engine("sqlite://")
    with engine.begin() as connection:
        Base.metadata.create_all(connection)
        assert triggers_present(connection)
        Base.metadata.create_all(connection)  # tables there already: nothing created, no error
        connection.execute(text("INSERT INTO users (id, email, created_at) VALUES ('u', 'u@x', :now)"), {"now": NOW})
        connection.execute(text(
            "INSERT INTO chats (id, owner_id, privacy, favorite, metadata, text, api_version, created_at) "
            "VALUES ('c', 'u', 'private', 0, '{}', '', 'v1', :now)"
        ), {"now": NOW})
        connection.execute(text(_INSERT_MESSAGE), {"id": "m", "chat": "c", "seq": 1})
        assert connection.execute(text("SELECT revision FROM chats")).scalar_one() == 1


async def test_migration_0002_goes_down_and_up(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'v.db'}")
    await db.open()
    assert db.revisions_tracked

    def migrate(connection: Any, target: str, up: bool) -> bool:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.attributes["connection"] = connection
        (command.upgrade if up else command.downgrade)(config, target)
        return triggers_present(connection)

    async with db.engine.begin() as connection:
        assert not await connection.run_sync(migrate, "0001", False)
        columns = [row[1] for row in (await connection.exec_driver_sql("PRAGMA table_info(chats)")).all()]
        assert "revision" not in columns
        assert await connection.run_sync(migrate, "head", True)
    await db.close()
    reopened = Database(db.url)
    await reopened.open()
    assert reopened.revisions_tracked
    await reopened.close()


async def test_a_returned_sqlite_connection_is_rolled_back_only_when_a_transaction_is_open(tmp_path: Path) -> None:
    """The pool's reset skips the no-op rollback outside a transaction, and still rolls back one left open."""
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'r.db'}")
    await db.open()
    async with db.engine.connect() as connection:  # a write left uncommitted on a connection going back to the pool
        raw = (await connection.get_raw_connection()).driver_connection
        await raw.execute("INSERT INTO users (id, email, created_at) VALUES ('u', 'u@x', ?)", (NOW,))
        assert raw.in_transaction
    for _ in range(20):  # whichever pooled connection comes next: none holds the write or a lock
        async with db.engine.connect() as connection:
            raw = (await connection.get_raw_connection()).driver_connection
            assert not raw.in_transaction
            assert await raw.execute_fetchall("SELECT count(*) FROM users WHERE id = 'u'") == [(0,)]
    async with db.session() as session:  # and a writer can write
        await session.execute(text("INSERT INTO users (id, email, created_at) VALUES ('w', 'w@x', :now)"), {"now": NOW})
        await session.commit()
    await db.close()
