"""Today's prompts of a user are counted at every start (the daily limit): through an index, not a table scan."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import inspect

from vzero.core.ids import utcnow
from vzero.store.allowance import day_of, prompts_query
from vzero.store.db import MIGRATIONS, Database


def _indexes(connection: Any) -> set[str]:
    return {index["name"] for index in inspect(connection).get_indexes("messages")}


def _migrate(connection: Any, target: str, up: bool) -> set[str]:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    (command.upgrade if up else command.downgrade)(config, target)
    return _indexes(connection)


async def test_the_count_of_todays_prompts_searches_the_author_index(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'p.db'}")
    await db.open()
    query = prompts_query("user-1", day_of(utcnow())[0])
    sql = str(query.compile(db.engine, compile_kwargs={"literal_binds": True}))
    async with db.engine.connect() as connection:
        plan = " ".join(str(row[-1]) for row in (await connection.exec_driver_sql("EXPLAIN QUERY PLAN " + sql)).all())
    await db.close()
    assert "USING INDEX ix_messages_author_created" in plan, plan


async def test_migration_0003_goes_down_and_up(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'm.db'}")
    await db.open()
    async with db.engine.begin() as connection:
        assert "ix_messages_author_created" in await connection.run_sync(_indexes)
        assert "ix_messages_author_created" not in await connection.run_sync(_migrate, "0002", False)
        assert "ix_messages_author_created" in await connection.run_sync(_migrate, "head", True)
    await db.close()
