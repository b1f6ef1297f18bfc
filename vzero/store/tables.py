"""SQLAlchemy tables: the durable shape of users, chats, messages, versions and the rest."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, BigInteger, Boolean, DateTime, Float, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint, event
from sqlalchemy.engine import Connection
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from vzero.store import revisions


class Base(DeclarativeBase):
    """Declarative base of every vzero table."""

    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[Any]: JSON, datetime: DateTime(timezone=True)}


def new_row(obj: Base) -> dict[str, Any]:
    """A new object's row for a plain INSERT: every column, keyed as the table's; the columns' Python-side defaults
    are filled in on the object too, so it reads as it would after an ORM flush (without the unit of work's cost).
    """
    row: dict[str, Any] = {}
    state = obj.__dict__
    for prop in obj.__mapper__.column_attrs:
        column = prop.columns[0]
        if prop.key in state:
            value = state[prop.key]
        else:
            default = column.default
            if default is None:
                value = None
            elif default.is_callable:
                value = default.arg(None)  # SQLAlchemy wraps a callable to take a context
            else:
                value = default.arg
            setattr(obj, prop.key, value)
        row[column.key] = value
    return row


ID = String(32)


class User(Base):
    __tablename__ = "users"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str | None] = mapped_column(String(255))
    email: Mapped[str] = mapped_column(String(320))
    team_id: Mapped[str | None] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime | None]


class ApiKey(Base):
    __tablename__ = "api_keys"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]


class Blob(Base):
    """A file content, stored once per distinct content (sha256 of the raw bytes)."""

    __tablename__ = "blobs"
    hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    encoding: Mapped[str] = mapped_column(String(8))  # "raw" or "zlib"
    data: Mapped[bytes] = mapped_column(LargeBinary)


class Project(Base):
    __tablename__ = "projects"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    instructions: Mapped[str | None] = mapped_column(Text)
    icon: Mapped[str | None] = mapped_column(String(64))
    privacy: Mapped[str] = mapped_column(String(16))
    vercel_project_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime | None]


class EnvVar(Base):
    __tablename__ = "env_vars"
    __table_args__ = (UniqueConstraint("project_id", "key"),)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(255))
    value_encrypted: Mapped[str] = mapped_column(Text)
    created_at: Mapped[int] = mapped_column(BigInteger)  # ms since epoch, as the API shows it
    updated_at: Mapped[int | None] = mapped_column(BigInteger)


class Chat(Base):
    __tablename__ = "chats"
    __table_args__ = (Index("ix_chats_owner_updated", "owner_id", "updated_at"),)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    project_id: Mapped[str | None] = mapped_column(ForeignKey("projects.id", ondelete="SET NULL"), index=True)
    name: Mapped[str | None] = mapped_column(String(255))
    privacy: Mapped[str] = mapped_column(String(16))
    favorite: Mapped[bool] = mapped_column(Boolean, default=False)
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", JSON, default=dict)
    text: Mapped[str] = mapped_column(Text, default="")
    system: Mapped[str | None] = mapped_column(Text)
    model_configuration: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    api_version: Mapped[str] = mapped_column(String(4), default="v1")  # dialect that created it
    latest_version_id: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime | None]
    # Raised by the database on every change of the chat, its messages or its versions (`store.revisions`);
    # never written by vzero, and not refreshed on an object already loaded: read it in a query.
    revision: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class Message(Base):
    __tablename__ = "messages"
    # ix_messages_author_created: today's prompts of a user (the daily limit, checked at every start) without a scan
    # of every message ever written.
    __table_args__ = (UniqueConstraint("chat_id", "seq"), Index("ix_messages_author_created", "author_id", "created_at"))
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    chat_id: Mapped[str] = mapped_column(ForeignKey("chats.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(16))
    type: Mapped[str] = mapped_column(String(32))
    content: Mapped[str] = mapped_column(Text, default="")
    raw: Mapped[str | None] = mapped_column(Text)  # the model's whole reply, as it wrote it
    parts: Mapped[list[Any]] = mapped_column(JSON, default=list)  # v2 typed parts, in order
    experimental_content: Mapped[list[Any] | None] = mapped_column(JSON)  # v1 content AST
    attachments: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # running -> completed | failed | stopped; user messages are completed at once
    status: Mapped[str] = mapped_column(String(16))
    finish_reason: Mapped[str | None] = mapped_column(String(32))
    error: Mapped[str | None] = mapped_column(Text)
    parent_id: Mapped[str | None] = mapped_column(String(32))
    author_id: Mapped[str | None] = mapped_column(String(32))
    model_id: Mapped[str | None] = mapped_column(String(128))
    version_id: Mapped[str | None] = mapped_column(String(32))
    input_tokens: Mapped[int] = mapped_column(Integer, default=0)
    output_tokens: Mapped[int] = mapped_column(Integer, default=0)
    cache_read_tokens: Mapped[int] = mapped_column(Integer, default=0)
    cache_write_tokens: Mapped[int] = mapped_column(Integer, default=0)
    credits: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime | None]
    # An assistant reply that called tools: its rounds as the model saw them (engine.generation `rounds`), the
    # history of the next reply. A user message that answered a task: the task (a resolve body's `task`).
    turns: Mapped[list[Any] | None] = mapped_column(JSON)
    task: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class Version(Base):
    __tablename__ = "versions"
    __table_args__ = (UniqueConstraint("chat_id", "seq"),)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    chat_id: Mapped[str] = mapped_column(ForeignKey("chats.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    message_id: Mapped[str | None] = mapped_column(String(32))
    parent_id: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))  # pending | completed | failed
    # hash of a blob holding the version's file list: [[path, blob hash, locked], ...]
    manifest_hash: Mapped[str | None] = mapped_column(String(64))
    errors: Mapped[list[Any]] = mapped_column(JSON, default=list)  # build / run-time errors of the preview
    screenshot: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime | None]


class UsageEvent(Base):
    """One line of the usage ledger: a model call's tokens and credit cost."""

    __tablename__ = "usage_events"
    __table_args__ = (Index("ix_usage_user_created", "user_id", "created_at"),)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    user_id: Mapped[str] = mapped_column(String(32))
    chat_id: Mapped[str | None] = mapped_column(String(32))
    message_id: Mapped[str | None] = mapped_column(String(32))
    type: Mapped[str] = mapped_column(String(32))
    model: Mapped[str | None] = mapped_column(String(128))
    input_tokens: Mapped[int] = mapped_column(Integer, default=0)
    output_tokens: Mapped[int] = mapped_column(Integer, default=0)
    cache_read_tokens: Mapped[int] = mapped_column(Integer, default=0)
    cache_write_tokens: Mapped[int] = mapped_column(Integer, default=0)
    credits: Mapped[float] = mapped_column(Float, default=0.0)
    created_at: Mapped[datetime]


class Hook(Base):
    __tablename__ = "hooks"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    url: Mapped[str] = mapped_column(Text)
    events: Mapped[list[Any]] = mapped_column(JSON, default=list)
    chat_id: Mapped[str | None] = mapped_column(String(32))
    secret: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime | None]


class Deployment(Base):
    __tablename__ = "deployments"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    chat_id: Mapped[str] = mapped_column(String(32), index=True)
    version_id: Mapped[str] = mapped_column(String(32))
    project_id: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    build_key: Mapped[str | None] = mapped_column(String(64))
    logs: Mapped[list[Any]] = mapped_column(JSON, default=list)
    errors: Mapped[list[Any]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime]


class McpServer(Base):
    __tablename__ = "mcp_servers"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    url: Mapped[str] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    auth: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    scope: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime | None]


class WebSession(Base):
    """A browser signed in to the workspace; its cookie's token is stored only as a sha256 hash."""

    __tablename__ = "web_sessions"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # The key it signed in with (revoking the key ends the session); None for a sign-in link or VZERO_API_KEY.
    api_key_id: Mapped[str | None] = mapped_column(ForeignKey("api_keys.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))  # sent back in X-CSRF-Token by the workspace's unsafe requests
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)


class SignInLink(Base):
    """A one-time sign-in link (`vzero serve` prints one): single use, short-lived, stored as a sha256 hash."""

    __tablename__ = "sign_in_links"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]


class Skill(Base):
    """A memory skill: instructions a user (or the user's team) keeps for the model, attached by name."""

    __tablename__ = "skills"
    __table_args__ = (UniqueConstraint("owner_id", "scope", "name"),)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    scope: Mapped[str] = mapped_column(String(16))  # user | team (shared with the owner's team)
    team_id: Mapped[str | None] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(128))
    description: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime | None]


@event.listens_for(Base.metadata, "after_create")
def _revision_triggers(_metadata: object, connection: Connection, tables: list[Any], **_kw: object) -> None:
    """`create_all` gets the triggers migration 0002 creates, when it has just created the tables they watch."""
    if {"chats", *revisions.CHILD_TABLES} <= {table.name for table in tables}:
        revisions.create_triggers(connection)
