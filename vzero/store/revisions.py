"""`chats.revision`: a counter the database itself raises whenever anything a reader of the chat sees changes.

Triggers on both stores raise it on every INSERT, UPDATE and DELETE of one of the chat's `messages` or `versions`
rows and on every UPDATE of the chat row itself, in the writer's own transaction: a reader that sees a revision
sees everything written up to it, and no writer (ORM, bulk UPDATE, raw SQL, a cascade) can forget to raise it.
Readers may therefore cache what they derive from a chat under its revision (`api.v1.views.ChatBodies`).

Migration 0002 creates the triggers; `Base.metadata.create_all` gets them too (`tables.py` listens for it).
A change to the statements below needs a new migration that drops and recreates the triggers (and a frozen copy
of these statements in 0002, which must keep creating what it created).
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection

CHILD_TABLES = ("messages", "versions")

# SQLite: AFTER triggers; a trigger's UPDATE of chats fires the chats trigger, whose WHEN clause is false for it.
_SQLITE_CREATE = [
    # Any other change of the chat row: raised once more (an UPDATE that already raises it is left alone).
    "CREATE TRIGGER chats_revision AFTER UPDATE ON chats FOR EACH ROW WHEN NEW.revision <= OLD.revision "
    "BEGIN UPDATE chats SET revision = OLD.revision + 1 WHERE id = NEW.id; END",
]
for _table in CHILD_TABLES:
    _SQLITE_CREATE += [
        f"CREATE TRIGGER {_table}_chat_revision_insert AFTER INSERT ON {_table} FOR EACH ROW "
        "BEGIN UPDATE chats SET revision = revision + 1 WHERE id = NEW.chat_id; END",
        f"CREATE TRIGGER {_table}_chat_revision_update AFTER UPDATE ON {_table} FOR EACH ROW "
        "BEGIN UPDATE chats SET revision = revision + 1 WHERE id = NEW.chat_id OR id = OLD.chat_id; END",
        f"CREATE TRIGGER {_table}_chat_revision_delete AFTER DELETE ON {_table} FOR EACH ROW "
        "BEGIN UPDATE chats SET revision = revision + 1 WHERE id = OLD.chat_id; END",
    ]
_SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS chats_revision",
    *(f"DROP TRIGGER IF EXISTS {t}_chat_revision_{op}" for t in CHILD_TABLES for op in ("insert", "update", "delete")),
]

# PostgreSQL: the chat row's own changes in a BEFORE trigger (no second write), its children's in AFTER triggers.
_POSTGRES_CREATE = [
    """CREATE OR REPLACE FUNCTION vzero_chats_revision() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.revision <= OLD.revision THEN
        NEW.revision := OLD.revision + 1;
    END IF;
    RETURN NEW;
END $$""",
    """CREATE OR REPLACE FUNCTION vzero_chat_child_revision() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        UPDATE chats SET revision = revision + 1 WHERE id = OLD.chat_id;
    ELSE
        UPDATE chats SET revision = revision + 1 WHERE id = NEW.chat_id;
        IF TG_OP = 'UPDATE' THEN
            IF OLD.chat_id IS DISTINCT FROM NEW.chat_id THEN
                UPDATE chats SET revision = revision + 1 WHERE id = OLD.chat_id;
            END IF;
        END IF;
    END IF;
    RETURN NULL;
END $$""",
    "CREATE TRIGGER chats_revision BEFORE UPDATE ON chats FOR EACH ROW EXECUTE FUNCTION vzero_chats_revision()",
    *(
        f"CREATE TRIGGER {t}_chat_revision AFTER INSERT OR UPDATE OR DELETE ON {t} FOR EACH ROW "
        "EXECUTE FUNCTION vzero_chat_child_revision()"
        for t in CHILD_TABLES
    ),
]
_POSTGRES_DROP = [
    "DROP TRIGGER IF EXISTS chats_revision ON chats",
    *(f"DROP TRIGGER IF EXISTS {t}_chat_revision ON {t}" for t in CHILD_TABLES),
    "DROP FUNCTION IF EXISTS vzero_chat_child_revision()",
    "DROP FUNCTION IF EXISTS vzero_chats_revision()",
]

# The trigger names each store must have for revisions to be trusted.
_SQLITE_NAMES = ["chats_revision", *(f"{t}_chat_revision_{op}" for t in CHILD_TABLES for op in ("insert", "update", "delete"))]
_POSTGRES_NAMES = ["chats_revision", *(f"{t}_chat_revision" for t in CHILD_TABLES)]


def create_statements(dialect: str) -> list[str]:
    return list(_SQLITE_CREATE if dialect == "sqlite" else _POSTGRES_CREATE)


def drop_statements(dialect: str) -> list[str]:
    return list(_SQLITE_DROP if dialect == "sqlite" else _POSTGRES_DROP)


def create_triggers(connection: Connection) -> None:
    for statement in create_statements(connection.dialect.name):
        connection.execute(text(statement))


def drop_triggers(connection: Connection) -> None:
    for statement in drop_statements(connection.dialect.name):
        connection.execute(text(statement))


def triggers_present(connection: Connection) -> bool:
    """Whether every revision trigger exists: without them a cached reading could go stale, so nothing is cached."""
    if connection.dialect.name == "sqlite":
        query = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
        wanted = _SQLITE_NAMES
    else:
        query = "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgenabled <> 'D'"
        wanted = _POSTGRES_NAMES
    found = {row[0] for row in connection.execute(text(query))}
    return all(name in found for name in wanted)
