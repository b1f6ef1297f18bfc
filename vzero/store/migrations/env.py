"""Alembic environment: vzero runs migrations itself on start, on the connection it is handed."""

from __future__ import annotations

from alembic import context

from vzero.store.tables import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only for `alembic revision --autogenerate` by a developer
    from sqlalchemy import create_engine

    connection = create_engine(context.config.get_main_option("sqlalchemy.url") or "sqlite://").connect()

context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
