"""Starts, tracks, stops and stores generations: one at a time per chat, each outliving its request."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.orm.attributes import set_committed_value

from vzero.core.files import FileSet
from vzero.core.parser import parse_complete
from vzero.engine import attachments as attachment_inputs
from vzero.engine.ask import Ask
from vzero.engine.calls import CallPolicy, ModelCall
from vzero.engine.events import View
from vzero.engine.generation import NOT_RUN, Generation, Outcome
from vzero.engine.prompt import PromptInput, build_request
from vzero.engine.toolbox import Budget, Resume, ToolPlan, grant_key
from vzero.engine.tooling import Tooling
from vzero.engine.usage import credits, rates_for
from vzero.errors import Conflict, PayloadTooLarge, ProviderNotConfigured, RateLimited
from vzero.providers import ChatTurn, ToolCall, ToolResult, get_provider, resolve_model
from vzero.runtime import Runtime
from vzero.store import generations as generation_store
from vzero.store import projects as project_store
from vzero.store.allowance import PROMPT_TYPES
from vzero.store.db import assert_released
from vzero.store.generations import StartRows
from vzero.store.tables import Chat, Message, Version
from vzero.tools.actions import AskUserQuestions, ExitPlanMode, GetOrRequestIntegration, answer_text
from vzero.tools.base import Tool
from vzero.tools.images import GenerateImage, ImageEndpoint

log = logging.getLogger("vzero.engine")


class Notify(Protocol):
    """Where the manager reports what happened to a chat (webhooks)."""

    def __call__(self, event: str, *, chat_id: str | None, message_id: str | None = None, owner_id: str | None = None) -> None: ...


@dataclass(frozen=True, slots=True)
class Started:
    """A new generation, with the rows its start created (detached, as committed: `generation.rows`)."""

    generation: Generation
    earlier: tuple[Message, ...] = ()  # the chat's messages before these

    @property
    def chat(self) -> Chat:
        return self.generation.rows.chat

    @property
    def user(self) -> Message:
        return self.generation.rows.user

    @property
    def assistant(self) -> Message:
        return self.generation.rows.assistant

    @property
    def version(self) -> Version:
        """Pending: it shows the files the generation starts from (`generation.base_files`)."""
        return self.generation.rows.version

    @property
    def message_id(self) -> str:
        return self.generation.message_id

    @property
    def messages(self) -> tuple[Message, ...]:
        """The chat's messages as a reader sees them at this moment."""
        return (*self.earlier, self.user, self.assistant)


class GenerationManager:
    """The process's running generations by message and by chat.

    `views` are built for every generation (each dialect's rendering of its events: see `engine.events.View`);
    `notify` hears of created chats and messages and finished replies; `on_version_completed(chat id, version id)`
    of every version a generation completes (the preview builds it).
    """

    def __init__(self, runtime: Runtime, *, views: Sequence[Callable[[], View]] = (), notify: Notify | None = None) -> None:
        self.runtime = runtime
        self.views = tuple(views)
        self.notify = notify
        self.on_version_completed: Callable[[str, str], None] | None = None
        self.by_message: dict[str, Generation] = {}
        self._busy_chats: set[str] = set()
        self._model: ModelCall | None = None
        self._images: ImageEndpoint | None = None
        # Queued: SQLite lets one writer in at a time (the others poll with sleeps), and stores running side by side
        # take the CPU from replies still streaming; starts queue behind each other for the same reason.
        self._writes = asyncio.Lock()
        self._start_queue = asyncio.Lock()

    def model(self) -> ModelCall:
        """The configured provider under the engine's call policy, built on first use (ProviderNotConfigured says
        what to set)."""
        if self._model is None:
            settings = self.runtime.settings
            self._model = ModelCall(get_provider(settings), CallPolicy.from_settings(settings))
        return self._model

    def load_provider(self) -> None:
        """Build the provider now, at startup, so the first generation does not pay for importing its SDK. Without
        one the server still starts: a generation then gets ProviderNotConfigured saying what to set."""
        try:
            self.model().provider.warm()
        except ProviderNotConfigured as exc:
            log.info("generations will be refused until a model provider is set up: %s", exc.message)
        except Exception as exc:  # noqa: BLE001 - reported again, as the API's error, by the first generation
            log.warning("the model provider could not be loaded at startup: %s", exc)

    def running(self, message_id: str) -> Generation | None:
        generation = self.by_message.get(message_id)
        return generation if generation is not None and not generation.done else None

    async def start(
        self, chat: Chat, ask: Ask, *, new: bool = False, tooling: Tooling | None = None, base: FileSet | None = None
    ) -> Started:
        """Create the user message, the assistant message and a pending version, then generate in the background.

        With `new=True` the chat is not stored yet (`store.chats.new_chat`): it is stored in the same transaction,
        so a generation that cannot start leaves no empty chat behind. `tooling`: what the request brings besides
        the model (`engine.tooling.prepare`); `base`: the files a new chat starts from (a design system).
        """
        assert_released("a generation's start")
        model = self.model()
        limit = self.runtime.settings.max_message_chars
        if len(ask.message) > limit:
            raise PayloadTooLarge(f"The message is {len(ask.message)} characters; the limit is {limit} (VZERO_MAX_MESSAGE_CHARS)")
        if chat.id in self._busy_chats:
            raise Conflict("A generation is already running in this chat; wait for it to finish or stop it")
        self._busy_chats.add(chat.id)
        try:
            return await self._start(chat, ask, model, new, tooling or Tooling(), base)
        except BaseException:
            self._busy_chats.discard(chat.id)
            raise

    async def _start(self, chat: Chat, ask: Ask, model: ModelCall, new: bool, tooling: Tooling, base: FileSet | None) -> Started:
        runtime = self.runtime
        settings = runtime.settings
        resolved = await attachment_inputs.resolve(runtime, list(ask.attachments), model.supports_images)
        limit = settings.daily_message_limit
        counted = limit > 0 and ask.message_type in PROMPT_TYPES
        async with self._start_queue, self._writes, runtime.db.session() as session:
            beginning = await generation_store.begin(session, runtime.blobs, chat, new=new, count_prompts_of=ask.author_id if counted else None)
            if beginning.running:
                raise Conflict("A generation is running in this chat; wait for it to finish or stop it first")
            if counted and beginning.prompts_today >= limit:
                raise RateLimited(f"Daily message limit of {limit} reached; it resets at midnight UTC (VZERO_DAILY_MESSAGE_LIMIT)", retry_after=3600)
            chat = beginning.chat
            if base is not None and not beginning.files:
                beginning.files = base
            configuration = {**(chat.model_configuration or {}), **ask.configuration()}  # follow-ups keep the chat's
            model_name = resolve_model(settings, configuration.get("modelId"))
            resume = _resume(beginning.earlier, ask.task)
            request, shown = build_request(
                PromptInput(
                    model=model_name,
                    files=beginning.files,
                    history=_history(beginning.earlier, resolving=resume is not None),
                    message=ask.message,
                    chat_system=ask.system or chat.system,
                    project_instructions=beginning.project.instructions if beginning.project else None,
                    images=tuple(resolved.images),
                    text_attachments=tuple(resolved.texts),
                    fix_error=ask.message_type in ("fix-with-v0", "auto-fix-with-v0"),
                    thinking=bool(configuration.get("thinking")),
                    max_output_tokens=settings.max_output_tokens,
                    file_budget_chars=settings.context_file_budget_chars,
                    tool_instructions=tooling.instructions,
                    answers_tools=resume is not None,
                )
            )
            rows = await generation_store.insert_start(
                session, beginning, new=new, message=ask.message, message_type=ask.message_type, author_id=ask.author_id,
                attachments=resolved.records, model_id=configuration.get("modelId") or model_name, title=_title(ask.message),
                task=ask.task, configuration=configuration if ask.configuration() and not new else None,
            )
            await session.commit()
        tools = [*self._built_in_tools(chat), *tooling.tools]
        if configuration.get("imageGenerations") and settings.image_provider:
            tools.append(GenerateImage(self.image_endpoint(), settings.max_images_per_version))
        plan = ToolPlan(
            tools=tuple(tools), sources=tooling.sources,
            grants=_grants(beginning.earlier, ask.task), resume=resume,
            budget=Budget(settings.agent_max_rounds, settings.agent_budget_seconds, settings.agent_max_tokens),
            timeout=settings.tool_timeout, max_output_chars=settings.tool_max_output_chars,
        )
        generation = Generation(
            chat_id=chat.id, message_id=rows.assistant.id, version_id=rows.version.id, request=request, base_files=beginning.files,
            model=model, files_read=shown, author_id=ask.author_id, chat_owner_id=chat.owner_id,
            views=tuple(make() for make in self.views), rows=rows, tools=plan,
        )
        self.by_message[generation.message_id] = generation
        generation.start(functools.partial(self._store, base_manifest=beginning.base.manifest_hash if beginning.base else None))
        if self.notify is not None:
            if new:
                self.notify("chat.created", chat_id=chat.id, owner_id=chat.owner_id)
            for created in (rows.user.id, rows.assistant.id):
                self.notify("message.created", chat_id=chat.id, message_id=created, owner_id=chat.owner_id)
        return Started(generation, tuple(beginning.earlier))

    def image_endpoint(self) -> ImageEndpoint:
        """The images/generations endpoint (VZERO_IMAGE_PROVIDER), built on first use."""
        if self._images is None:
            self._images = ImageEndpoint(self.runtime.settings)
        return self._images

    def _built_in_tools(self, chat: Chat) -> tuple[Tool, ...]:
        """The actions every reply may take: questions for the user, a plan to approve, environment variables."""
        project_id = chat.project_id
        db = self.runtime.db

        async def env_names() -> frozenset[str]:
            async with db.session() as session:
                return frozenset(v.key for v in await project_store.env_vars_of(session, project_id or ""))

        return (AskUserQuestions(), ExitPlanMode(), GetOrRequestIntegration(env_names, project_id))

    async def _store(self, generation: Generation, outcome: Outcome, *, base_manifest: str | None) -> None:
        """Write the outcome in one transaction: the message, the version and the usage ledger; then update the
        started rows to match, so a closing snapshot needs no read."""
        runtime = self.runtime
        try:
            tally = outcome.tally
            cost = credits(tally, rates_for(generation.request.model, runtime.settings.credit_rates))
            end = generation_store.Finish(
                message_id=generation.message_id, version_id=generation.version_id, chat_id=generation.chat_id,
                status=outcome.status, finish_reason=outcome.finish_reason, error=outcome.error, content=outcome.content,
                raw=outcome.raw, parts=outcome.parts, columns=outcome.columns,
                tokens=(tally.input, tally.output, tally.cache_read, tally.cache_write), credits=cost,
                model=generation.request.model, user_id=generation.author_id or generation.chat_owner_id, files=outcome.files,
                base_manifest=base_manifest, turns=outcome.rounds, images=outcome.images, image_model=runtime.settings.image_model,
                image_credits=rates_for(runtime.settings.image_model, runtime.settings.credit_rates).get("image", 0.0),
            )
            try:
                async with self._writes, runtime.db.session() as session:
                    stored_at, manifest = await generation_store.finish(session, runtime.blobs, end)
                    await session.commit()
            except Exception:
                # The outcome could not be stored (disk full, database gone): never leave the message "running",
                # which would hold the chat busy until a restart.
                note = "The reply could not be stored; the previous version is unchanged."
                await self._mark_failed(generation, note)
                _settle(generation.rows, "failed", "error", note, note)
                raise
            _settle(generation.rows, end.status, end.finish_reason, end.error, end.content, end, stored_at, manifest)
            if self.notify is not None:
                self.notify("message.finished", chat_id=generation.chat_id, message_id=generation.message_id, owner_id=generation.chat_owner_id)
            if outcome.status == "completed" and self.on_version_completed is not None:
                self.on_version_completed(generation.chat_id, generation.version_id)  # only schedules: never blocks
        finally:
            self._busy_chats.discard(generation.chat_id)
            # Kept briefly so that a late `resume` can still replay the reply from memory.
            asyncio.get_running_loop().call_later(60, self.by_message.pop, generation.message_id, None)

    async def _mark_failed(self, generation: Generation, note: str) -> None:
        try:
            async with self._writes, self.runtime.db.session() as session:
                await generation_store.mark_failed(session, generation.message_id, generation.version_id, note)
                await session.commit()
        except Exception:
            log.exception("could not mark generation %s failed", generation.message_id)

    async def stop(self, message_id: str) -> bool:
        """Stop a running reply and wait (a little) until it has stored itself as stopped."""
        generation = self.running(message_id)
        if generation is None:
            return False
        assert_released("a stopped generation to store itself")
        generation.stop()
        if generation.task is not None:
            await asyncio.wait([generation.task], timeout=10)
        return True

    async def shutdown(self) -> None:
        """Stop what runs (each stores itself as stopped), then close the provider."""
        running = [g for g in self.by_message.values() if not g.done]
        for generation in running:
            generation.stop()
        if running:
            await asyncio.wait([g.task for g in running if g.task], timeout=15)
        if self._model is not None:
            await self._model.aclose()
        if self._images is not None:
            await self._images.aclose()


async def recover_interrupted(runtime: Runtime) -> int:
    """After a crash: generations that were running are failed; the last completed version stays the latest."""
    async with runtime.db.session() as session:
        failed = await generation_store.fail_interrupted(session)
        await session.commit()
    if failed:
        log.warning("marked %d interrupted generation(s) as failed", failed)
    return failed


def _settle(
    rows: StartRows, status: str, reason: str, error: str | None, content: str, end: generation_store.Finish | None = None,
    at: datetime | None = None, manifest: str | None = None,
) -> None:
    """The started rows as the end wrote them (detached objects: nothing is loaded or flushed)."""
    assistant, version, chat = rows.assistant, rows.version, rows.chat
    values: dict[str, object] = {"status": status, "finish_reason": reason, "error": error, "content": content}
    if end is not None:
        values.update(
            raw=end.raw, parts=end.parts, experimental_content=end.columns.get("experimental_content"), input_tokens=end.tokens[0],
            output_tokens=end.tokens[1], cache_read_tokens=end.tokens[2], cache_write_tokens=end.tokens[3], credits=end.credits,
            updated_at=at,
        )
        set_committed_value(version, "updated_at", at)
        set_committed_value(version, "manifest_hash", manifest)
        set_committed_value(chat, "updated_at", at)
        if status == "completed":
            set_committed_value(chat, "latest_version_id", version.id)
    for key, value in values.items():
        set_committed_value(assistant, key, value)
    set_committed_value(version, "status", "completed" if status == "completed" else "failed")


def _history(messages: Sequence[Message], *, resolving: bool = False) -> tuple[ChatTurn, ...]:
    """Earlier turns; assistant replies shortened to their prose and the list of files they wrote, with the tool
    calls they made and their results. `resolving`: the last reply's waiting call gets its result from this one."""
    turns: list[ChatTurn] = []
    last = len(messages) - 1
    for index, message in enumerate(messages):
        if message.role == "user":
            if message.task is not None and index and _waiting(messages[index - 1]):
                continue  # an answer to a waiting call: it went back to the model as that call's result
            turns.append(ChatTurn(role="user", text=message.content))
        elif message.status == "completed" and message.turns:
            turns.extend(_rounds(message, messages[index + 1 :], open_end=resolving and index == last))
        elif message.status == "completed" and message.raw:
            turns.append(ChatTurn(role="assistant", text=_summary(message.raw)))
    return tuple(turns)


def _summary(raw: str) -> str:
    parsed = parse_complete(raw)
    written = "".join(f"\n[wrote {f.path}]" for f in parsed.files)
    return (parsed.text.strip() + written).strip() or "(done)"


def _waiting(message: Message) -> dict[str, Any] | None:
    """The call a reply ended waiting on, if it did."""
    if message.role != "assistant" or message.status != "completed" or not message.turns:
        return None
    pending = message.turns[-1].get("pending")
    return pending if isinstance(pending, dict) else None


def _rounds(message: Message, after: Sequence[Message], *, open_end: bool) -> list[ChatTurn]:
    """A reply's rounds as turns: each round's text and calls, then their results; the results of a call that
    waited come from the reply that answered it, else say what the user did instead."""
    turns: list[ChatTurn] = []
    later: dict[str, dict[str, Any]] = {}
    pending = _waiting(message)
    if pending is not None and not open_end:
        answer = after[0] if after and after[0].role == "user" else None
        reply = after[1] if len(after) > 1 and after[1].role == "assistant" else None
        resumed = reply.turns[0].get("resumed") if reply is not None and reply.status == "completed" and reply.turns else None
        if resumed:
            later = {r["id"]: r for r in resumed}
        elif answer is not None and answer.task is not None:
            later = {pending["id"]: {"output": answer_text(answer.task)}}
        else:
            later = {pending["id"]: {"output": "The user did not answer: they sent a new message instead."}}
    for entry in message.turns or []:
        if "resumed" in entry:
            continue  # the previous reply's results: given with it
        text = _summary(entry.get("text") or "") if entry.get("text") else ""
        calls = tuple(ToolCall(c["id"], c["name"], c.get("input") or {}) for c in entry.get("calls") or [])
        if not calls:
            if text:
                turns.append(ChatTurn(role="assistant", text=text))
            continue
        turns.append(ChatTurn(role="assistant", text=text, tool_calls=calls))
        if "pending" in entry and open_end:
            break  # this reply gives them
        known = {r["id"]: r for r in entry.get("results") or []}
        known.update(later)
        results = tuple(
            ToolResult(c.id, c.name, str(known[c.id].get("output", "")), bool(known[c.id].get("error"))) if c.id in known
            else ToolResult(c.id, c.name, NOT_RUN, is_error=True)
            for c in calls
        )
        turns.append(ChatTurn(role="user", text="", tool_results=results))
    return turns


def _resume(earlier: Sequence[Message], task: dict[str, Any] | None) -> Resume | None:
    """What a resolve gives the call the chat's latest reply waits on (None: it waits on none, or this is no resolve)."""
    if task is None or not earlier:
        return None
    pending = _waiting(earlier[-1])
    if pending is None:
        return None
    entry = earlier[-1].turns[-1]  # type: ignore[index]
    calls = tuple(ToolCall(c["id"], c["name"], c.get("input") or {}) for c in entry.get("calls") or [])
    results = tuple(ToolResult(r["id"], r["name"], str(r.get("output", "")), bool(r.get("error"))) for r in entry.get("results") or [])
    return Resume(calls, results, ToolCall(pending["id"], pending["name"], pending.get("input") or {}), task)


def _grants(earlier: Sequence[Message], task: dict[str, Any] | None) -> frozenset[str]:
    """The tool calls the user allowed in this chat (strict: a tool with exactly that input)."""
    tasks = [m.task for m in earlier if m.role == "user" and m.task]
    if task is not None:
        tasks.append(task)
    return frozenset(
        grant_key(p["toolName"], p.get("input")) for t in tasks if t.get("type") == "confirmed-permissions" for p in t.get("permissions") or []
    )


def _title(message: str) -> str:
    first = " ".join(message.split())[:80]
    return first if len(first) < 80 else first[:77] + "..."
