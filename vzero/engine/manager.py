"""Starts, tracks, stops and stores generations: one at a time per chat, each outliving its request."""

from __future__ import annotations

import asyncio
import functools
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, exists, func, insert, literal, select, update
from sqlalchemy.orm.attributes import set_committed_value

from vzero.core.ids import new_id, utcnow
from vzero.core.parser import parse_complete
from vzero.engine import attachments as attachment_inputs
from vzero.engine.generation import Generation, Outcome
from vzero.engine.prompt import PromptInput, build_request
from vzero.engine.usage import credits, rates_for
from vzero.errors import Conflict, PayloadTooLarge, ProviderNotConfigured, RateLimited
from vzero.providers import ChatTurn, Provider, get_provider, resolve_model
from vzero.runtime import Runtime
from vzero.store import chats as chat_store
from vzero.store.allowance import PROMPT_TYPES, day_of, prompts_query
from vzero.store.tables import Chat, Message, Project, UsageEvent, Version, new_row
from vzero.store.versions import files_of

log = logging.getLogger("vzero.engine")


@dataclass(frozen=True, slots=True)
class Ask:
    """One request for a generation, in dialect-neutral terms."""

    message: str
    author_id: str
    attachments: tuple[str, ...] = ()
    model_id: str | None = None
    thinking: bool = False
    system: str | None = None
    message_type: str = "message"  # fix-with-v0 / auto-fix-with-v0 focus the model on an error
    parts_deltas: bool = False  # asked through v2: log v2 parts deltas from the first chunk (see Generation.parts_start)


@dataclass(frozen=True, slots=True)
class Started:
    """The rows a new generation created, and the generation itself."""

    generation: Generation
    chat: Chat  # as committed when the generation started (detached)
    user_message_id: str
    message_id: str
    version_id: str
    # The chat's messages and its pending version as committed (detached): what a reader sees at this moment, with
    # the pending version showing the files the generation starts from (`generation.base_files`).
    messages: tuple[Message, ...] = ()
    version: Version | None = None


class GenerationManager:
    """The process's running generations by message and by chat."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.by_message: dict[str, Generation] = {}
        self._busy_chats: set[str] = set()
        self._provider: Provider | None = None
        # The manager's write transactions (starts, stores, marking failed) run one at a time, on either store.
        # SQLite lets one writer in at a time and makes the others poll with sleeps of up to 100 ms: with many
        # generations starting at once that wait, not the work, set the time to first token; queueing here, in order
        # and without sleeping, is cheaper. On PostgreSQL, stores that ran side by side when many replies ended together
        # (200 within a second in bench_stream) took the CPU from the replies still streaming: added p99 20-27 ms against
        # 1-2 ms queued, and 11-18 ms with at most 16 at once (a pool without overflow, whose connections the others
        # would otherwise open and close per store).
        self._writes = asyncio.Lock()
        # Starts run one after another (on either store), which keeps replies already streaming on time during a
        # burst of new ones: measured with 200 at once on SQLite, p99 added latency 6.5 ms with whole starts queued
        # and 1.2 s with only their commits queued, for a p99 time to first token of 3.8 vs 2.9 s.
        self._start_queue = asyncio.Lock()

    def provider(self) -> Provider:
        """The configured provider, built on first use (ProviderNotConfigured says what to set)."""
        if self._provider is None:
            self._provider = get_provider(self.runtime.settings)
        return self._provider

    def load_provider(self) -> None:
        """Build the configured provider now, at startup, so the first generation does not pay for importing its
        SDK and the parts of it loaded on first use (~1 s of CPU for openai's). Without a provider the server still
        starts: it serves everything that needs no model, and a generation gets ProviderNotConfigured saying what
        to set."""
        try:
            self.provider().warm()
        except ProviderNotConfigured as exc:
            log.info("generations will be refused until a model provider is set up: %s", exc.message)
        except Exception as exc:  # noqa: BLE001 - reported again, as the API's error, by the first generation
            log.warning("the model provider could not be loaded at startup: %s", exc)

    def running(self, message_id: str) -> Generation | None:
        generation = self.by_message.get(message_id)
        return generation if generation is not None and not generation.done else None

    async def start(self, chat: Chat, ask: Ask, *, new: bool = False) -> Started:
        """Create the user message, the assistant message and a pending version, then generate in the background.

        With `new=True` the chat is not stored yet (`store.chats.new_chat`): it is stored in the same transaction,
        so a generation that cannot start leaves no empty chat behind.
        """
        provider = self.provider()
        limit = self.runtime.settings.max_message_chars
        if len(ask.message) > limit:
            raise PayloadTooLarge(f"The message is {len(ask.message)} characters; the limit is {limit} (VZERO_MAX_MESSAGE_CHARS)")
        if chat.id in self._busy_chats:
            raise Conflict("A generation is already running in this chat; wait for it to finish or stop it")
        self._busy_chats.add(chat.id)
        try:
            return await self._start(chat, ask, provider, new)
        except BaseException:
            self._busy_chats.discard(chat.id)
            raise

    async def _start(self, chat: Chat, ask: Ask, provider: Provider, new: bool) -> Started:
        runtime = self.runtime
        settings = runtime.settings
        resolved = await attachment_inputs.resolve(runtime, list(ask.attachments), provider.supports_images)
        # The fewest round trips that are still safe: this runs once per message and sets the time to first token.
        async with self._start_queue, self._writes, runtime.db.session() as session:
            count_prompts = settings.daily_message_limit > 0 and ask.message_type in PROMPT_TYPES
            state = await _chat_state(session, None if new else chat.id, ask.author_id if count_prompts else None)
            if not new:
                chat = await session.get(Chat, chat.id) or chat
            if state.running:
                raise Conflict("A generation is running in this chat; wait for it to finish or stop it first")
            limit = settings.daily_message_limit
            if limit > 0 and ask.message_type in PROMPT_TYPES and state.prompts_today >= limit:
                raise RateLimited(f"Daily message limit of {limit} reached; it resets at midnight UTC (VZERO_DAILY_MESSAGE_LIMIT)", retry_after=3600)
            base = await session.get(Version, chat.latest_version_id) if chat.latest_version_id else None
            files = await files_of(session, runtime.blobs, base) if base is not None else _empty()
            # The outcome's manifest is stored as a delta against the files the generation starts from.
            base_manifest = base.manifest_hash if base is not None else None
            project = await session.get(Project, chat.project_id) if chat.project_id else None
            earlier = [] if new else await chat_store.messages_of(session, chat.id)
            history = _history(earlier)
            model = resolve_model(settings, ask.model_id)
            request, shown = build_request(
                PromptInput(
                    model=model,
                    files=files,
                    history=history,
                    message=ask.message,
                    chat_system=ask.system or chat.system,
                    project_instructions=project.instructions if project else None,
                    images=tuple(resolved.images),
                    text_attachments=tuple(resolved.texts),
                    fix_error=ask.message_type in ("fix-with-v0", "auto-fix-with-v0"),
                    thinking=ask.thinking,
                    max_output_tokens=settings.max_output_tokens,
                    file_budget_chars=settings.context_file_budget_chars,
                )
            )
            now = utcnow()
            user = Message(
                id=new_id(), chat_id=chat.id, seq=state.message_seq + 1, role="user", type=ask.message_type, content=ask.message,
                parts=[], attachments=resolved.records, status="completed",
                finish_reason=None, author_id=ask.author_id, input_tokens=0, output_tokens=0, cache_read_tokens=0,
                cache_write_tokens=0, created_at=now, updated_at=now,
            )
            assistant = Message(
                id=new_id(), chat_id=chat.id, seq=state.message_seq + 2, role="assistant", type="message", content="", parts=[],
                attachments=[], status="running", parent_id=user.id, model_id=ask.model_id or model, input_tokens=0,
                output_tokens=0, cache_read_tokens=0, cache_write_tokens=0, created_at=now, updated_at=now,
            )
            version = Version(
                id=new_id(), chat_id=chat.id, seq=state.version_seq + 1, message_id=assistant.id, parent_id=base.id if base else None,
                status="pending", manifest_hash=None, errors=[], created_at=now, updated_at=now,
            )
            assistant.version_id = version.id
            # Plain INSERTs and an UPDATE, not the ORM's unit of work, which cost more CPU than the database did.
            changed = {"updated_at": now}
            if not chat.text:
                changed["text"] = ask.message
            if not chat.name:
                changed["name"] = _title(ask.message)
            connection = await session.connection()
            if new:
                for key, value in changed.items():
                    setattr(chat, key, value)
                await connection.execute(_INSERT_CHAT, new_row(chat))
            else:
                await connection.execute(update(Chat.__table__).where(Chat.__table__.c.id == chat.id).values(changed))
                for key, value in changed.items():
                    set_committed_value(chat, key, value)
            await connection.execute(_INSERT_MESSAGE, [new_row(user), new_row(assistant)])
            await connection.execute(_INSERT_VERSION, new_row(version))
            await session.commit()
        generation = Generation(
            chat_id=chat.id, message_id=assistant.id, version_id=version.id, request=request, base_files=files,
            provider=provider, files_read=shown, author_id=ask.author_id, chat_owner_id=chat.owner_id,
            parts_deltas=ask.parts_deltas,
        )
        self.by_message[assistant.id] = generation
        generation.start(functools.partial(self._store, base_manifest=base_manifest))
        hooks = runtime.services.get("hooks")
        if hooks is not None:
            if new:
                hooks.emit("chat.created", chat_id=chat.id, owner_id=chat.owner_id)
            for created in (user.id, assistant.id):
                hooks.emit("message.created", chat_id=chat.id, message_id=created, owner_id=chat.owner_id)
        return Started(generation, chat, user.id, assistant.id, version.id, (*earlier, user, assistant), version)

    async def _store(self, generation: Generation, outcome: Outcome, base_manifest: str | None = None) -> None:
        """Write the outcome in one transaction: the message, the version and the usage ledger.

        `base_manifest` is the manifest hash of the version whose files the generation started from (`base_files`).
        """
        runtime = self.runtime
        try:
            try:
                tally = outcome.tally
                cost = credits(tally, rates_for(generation.request.model, runtime.settings.credit_rates))
                now = utcnow()
                completed = outcome.status == "completed"
                async with self._writes, runtime.db.session() as session:
                    # Plain UPDATEs by primary key, built once (nothing to load first; the ORM's bulk-update machinery
                    # cost more CPU than the database). If the chat was deleted meanwhile they touch no row.
                    connection = await session.connection()
                    await connection.execute(_FINISH_MESSAGE, {
                        "key": generation.message_id, "status": outcome.status, "finish_reason": outcome.finish_reason,
                        "error": outcome.error, "content": outcome.content, "raw": outcome.raw, "parts": outcome.parts,
                        "experimental_content": outcome.experimental_content, "input_tokens": tally.input,
                        "output_tokens": tally.output, "cache_read_tokens": tally.cache_read,
                        "cache_write_tokens": tally.cache_write, "credits": cost, "updated_at": now,
                    })
                    # A failed or stopped version keeps what was written so far, but never becomes the latest.
                    manifest = await runtime.blobs.put_files(session, outcome.files, base=base_manifest)
                    await connection.execute(_FINISH_VERSION, {
                        "key": generation.version_id, "status": "completed" if completed else "failed", "manifest_hash": manifest, "updated_at": now,
                    })
                    if completed:
                        await connection.execute(_CHAT_LATEST, {"key": generation.chat_id, "latest_version_id": generation.version_id, "updated_at": now})
                    else:
                        await connection.execute(_CHAT_TOUCHED, {"key": generation.chat_id, "updated_at": now})
                    if tally.total:
                        await connection.execute(_USAGE_EVENT, {
                            "id": new_id(), "user_id": generation.author_id or generation.chat_owner_id, "chat_id": generation.chat_id,
                            "message_id": generation.message_id, "type": "message", "model": generation.request.model, "input_tokens": tally.input,
                            "output_tokens": tally.output, "cache_read_tokens": tally.cache_read, "cache_write_tokens": tally.cache_write,
                            "credits": cost["total"], "created_at": now,
                        })
                    await session.commit()
            except Exception:
                # The outcome could not be stored (disk full, database gone): never leave the message "running",
                # which would hold the chat busy until a restart. Mark both rows failed in a write as small as possible.
                await self._mark_failed(generation, "The reply could not be stored; the previous version is unchanged.")
                raise
            hooks = runtime.services.get("hooks")
            if hooks is not None:
                hooks.emit("message.finished", chat_id=generation.chat_id, message_id=generation.message_id, owner_id=generation.chat_owner_id)
            preview = runtime.services.get("preview")
            if preview is not None and completed:
                preview.version_completed(generation.chat_id, generation.version_id)  # only schedules: never blocks
        finally:
            self._busy_chats.discard(generation.chat_id)
            # Keep finished generations briefly so a late `resume` can still replay them from memory.
            asyncio.get_running_loop().call_later(60, self.by_message.pop, generation.message_id, None)

    async def _mark_failed(self, generation: Generation, note: str) -> None:
        try:
            async with self._writes, self.runtime.db.session() as session:
                now = utcnow()
                await session.execute(update(Message).where(Message.id == generation.message_id).values(
                    status="failed", finish_reason="error", error=note, content=note, updated_at=now,
                ))
                await session.execute(update(Version).where(Version.id == generation.version_id).values(status="failed", updated_at=now))
                await session.commit()
        except Exception:  # noqa: BLE001 - the restart recovery marks it failed then
            log.exception("could not mark generation %s failed", generation.message_id)

    async def stop(self, message_id: str) -> bool:
        generation = self.running(message_id)
        if generation is None:
            return False
        generation.stop()
        await asyncio.wait([generation.task], timeout=10) if generation.task else None
        return True

    async def shutdown(self) -> None:
        """Stop what runs (each stores itself as stopped), then close the provider."""
        running = [g for g in self.by_message.values() if not g.done]
        for generation in running:
            generation.stop()
        if running:
            await asyncio.wait([g.task for g in running if g.task], timeout=15)
        if self._provider is not None:
            await self._provider.aclose()


async def recover_interrupted(runtime: Runtime) -> int:
    """After a crash: generations that were running are failed; the last completed version stays the latest."""
    async with runtime.db.session() as session:
        rows = (await session.execute(select(Message.id).where(Message.status == "running"))).scalars().all()
        if rows:
            now = utcnow()
            note = "The server stopped while this reply was being generated; nothing it wrote was kept."
            await session.execute(
                update(Message).where(Message.id.in_(rows)).values(status="failed", finish_reason="error", error=note, content=note, updated_at=now)
            )
        await session.execute(update(Version).where(Version.status == "pending").values(status="failed", updated_at=utcnow()))
        await session.commit()
    if rows:
        log.warning("marked %d interrupted generation(s) as failed", len(rows))
    return len(rows)


def _update_by_key(table: Any, *columns: str) -> Any:
    """UPDATE table SET columns... WHERE id = :key, built once: executed with a dict of the column values and `key`."""
    return update(table).where(table.c.id == bindparam("key")).values({name: bindparam(name) for name in columns})


_FINISH_MESSAGE = _update_by_key(
    Message.__table__, "status", "finish_reason", "error", "content", "raw", "parts", "experimental_content", "input_tokens",
    "output_tokens", "cache_read_tokens", "cache_write_tokens", "credits", "updated_at",
)
_FINISH_VERSION = _update_by_key(Version.__table__, "status", "manifest_hash", "updated_at")
_CHAT_LATEST = _update_by_key(Chat.__table__, "latest_version_id", "updated_at")
_CHAT_TOUCHED = _update_by_key(Chat.__table__, "updated_at")
_USAGE_EVENT = insert(UsageEvent.__table__)
_INSERT_CHAT = insert(Chat.__table__)
_INSERT_MESSAGE = insert(Message.__table__)
_INSERT_VERSION = insert(Version.__table__)


@dataclass(frozen=True, slots=True)
class _ChatState:
    message_seq: int
    version_seq: int
    running: bool
    prompts_today: int


def _state_query(of_chat: bool, count_prompts: bool) -> Any:
    """What `_chat_state` asks, built once per shape (a statement built per call is walked again for its cache key)."""
    chat_id = bindparam("chat_id")
    today: Any = prompts_query(bindparam("author_id"), bindparam("since")).scalar_subquery() if count_prompts else literal(0)
    if not of_chat:
        return select(today)
    return select(
        select(func.coalesce(func.max(Message.seq), 0)).where(Message.chat_id == chat_id).scalar_subquery(),
        select(func.coalesce(func.max(Version.seq), 0)).where(Version.chat_id == chat_id).scalar_subquery(),
        exists().where(Message.chat_id == chat_id, Message.status == "running"),
        today,
    )


_STATE_QUERIES = {(of_chat, count): _state_query(of_chat, count) for of_chat in (False, True) for count in (False, True)}


async def _chat_state(session: Any, chat_id: str | None, author_id: str | None) -> _ChatState:
    """One query for what starting a generation must know: sequence numbers, a running generation, and today's
    prompts of `author_id` (counted only when a daily limit applies: None skips the count)."""
    if chat_id is None and author_id is None:
        return _ChatState(0, 0, False, 0)
    params: dict[str, Any] = {"chat_id": chat_id}
    if author_id is not None:
        params.update(author_id=author_id, since=day_of(utcnow())[0])
    connection = await session.connection()
    row = (await connection.execute(_STATE_QUERIES[(chat_id is not None, author_id is not None)], params)).one()
    if chat_id is None:
        return _ChatState(0, 0, False, int(row[0]))
    return _ChatState(int(row[0]), int(row[1]), bool(row[2]), int(row[3]))


def _empty() -> Any:
    from vzero.core.files import FileSet

    return FileSet()


def _history(messages: list[Message]) -> tuple[ChatTurn, ...]:
    """Earlier turns; assistant replies shortened to their prose and the list of files they wrote."""
    turns: list[ChatTurn] = []
    for message in messages:
        if message.role == "user":
            turns.append(ChatTurn(role="user", text=message.content))
        elif message.status == "completed" and message.raw:
            parsed = parse_complete(message.raw)
            written = "".join(f"\n[wrote {f.path}]" for f in parsed.files)
            turns.append(ChatTurn(role="assistant", text=(parsed.text.strip() + written).strip() or "(done)"))
    return tuple(turns)


def _title(message: str) -> str:
    first = " ".join(message.split())[:80]
    return first if len(first) < 80 else first[:77] + "..."
