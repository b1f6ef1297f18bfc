"""PreviewService: builds a version's preview on demand, records its errors, screenshots it and asks for fixes.

One per server (vzero/services.py). The preview routes ask it for a version's build; the generation
manager tells it when a version completes (`version_completed`), which builds it in the background when
that is cheap (runtime installed) or needed (auto-fix), records build errors on the version, takes a
screenshot, and with VZERO_AUTO_FIX=true sends an `auto-fix-with-v0` message with the error to the model.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import os
import shutil
import time
from collections.abc import Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any

from sqlalchemy import select

from vzero.config import Settings
from vzero.core.access import Principal
from vzero.core.ids import iso, utcnow
from vzero.engine.ask import Ask
from vzero.engine.manager import GenerationManager
from vzero.errors import Conflict, InvalidInput, NotFound, PreviewUnavailable, RateLimited, VzeroError
from vzero.preview.builder import PreviewBuilder
from vzero.preview.frozen import FrozenBuilds, build_errors, build_logs
from vzero.preview.packages import PackagePolicy
from vzero.preview.result import BuildResult
from vzero.preview.runtime import ensure_runtime, is_installed
from vzero.preview.screenshots import capture, find_chromium
from vzero.runtime import Runtime
from vzero.store import chats as chat_store
from vzero.store import deployments as deployment_store
from vzero.store import projects as project_store
from vzero.store.chats import messages_of
from vzero.store.db import assert_released
from vzero.store.tables import Chat, Deployment, EnvVar, Message, Version
from vzero.store.versions import files_of

log = logging.getLogger("vzero.preview")

MAX_ERRORS = 20  # per version (and per deployment); later distinct errors are dropped
MAX_MESSAGE_CHARS = 2000
MAX_STACK_CHARS = 8000
MAX_REPORT_BYTES = 32 * 1024
REPORTS_PER_MINUTE = 30  # per version: the report URL needs no key, so anyone holding it can post
REPORT_SOURCES = ("build", "react", "window", "promise")
RUNTIME_SOURCES = ("react", "window", "promise")
_DIGEST_TTL = 60.0  # how long a version's build digest is trusted without re-reading its files (env vars may change)
INSTALL_WAIT = 2.0  # seconds a preview view waits for package installs before showing that they are under way
_PUBLIC_ENV = ("NEXT_PUBLIC_", "VITE_")


def clean_report(payload: object) -> dict[str, Any]:
    """An error report from a preview page, validated and cut to size: {source, message, stack?, createdAt}."""
    if not isinstance(payload, Mapping):
        raise InvalidInput("An error report is a JSON object {message, stack, source}")
    source, message, stack = payload.get("source"), payload.get("message"), payload.get("stack")
    if source not in REPORT_SOURCES:
        raise InvalidInput(f"source must be one of {', '.join(REPORT_SOURCES)}")
    if not isinstance(message, str) or not message.strip():
        raise InvalidInput("message must be a non-empty string")
    if stack is not None and not isinstance(stack, str):
        raise InvalidInput("stack must be a string")
    report: dict[str, Any] = {"source": source, "message": _cut(message.strip(), MAX_MESSAGE_CHARS), "createdAt": iso(utcnow())}
    if stack and stack.strip():
        report["stack"] = _cut(stack.strip(), MAX_STACK_CHARS)
    return report


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def build_problem(result: BuildResult) -> str:
    """What the model is told when a version does not build."""
    lines = []
    for error in result.errors[:10]:
        lines.append(str(error))
        if error.text:
            lines.append(f"    {error.text.strip()}")
    return "The preview failed to build:\n\n" + "\n".join(lines)


def runtime_problem(report: Mapping[str, Any]) -> str:
    """What the model is told when the page throws while it runs."""
    text = f"The preview threw an error while running ({report['source']}):\n\n{report['message']}"
    if report.get("stack"):
        text += "\n\n" + _cut(str(report["stack"]), 1500)
    return text


def fixes_since_prompt(messages: list[Message]) -> int:
    """Automatic fixes asked for since the last message the user sent: the budget counts these."""
    used = 0
    for message in reversed(messages):
        if message.role != "user":
            continue
        if message.type != "auto-fix-with-v0":
            break
        used += 1
    return used


class _Window:
    """Counts reports per key in fixed one-minute windows (a small, self-pruning dict)."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._windows: dict[str, tuple[float, int]] = {}

    def hit(self, key: str) -> None:
        now = time.monotonic()
        started, used = self._windows.get(key, (now, 0))
        if now - started >= 60:
            started, used = now, 0
        if used >= self.per_minute:
            raise RateLimited(f"Too many error reports for this preview (at most {self.per_minute} a minute)", retry_after=60 - (now - started))
        self._windows[key] = (started, used + 1)
        if len(self._windows) > 10_000:
            self._windows = {k: w for k, w in self._windows.items() if now - w[0] < 60}


class PreviewService:
    """Previews of versions and deployments for one runtime."""

    def __init__(self, runtime: Runtime, builder: PreviewBuilder | None = None, *, generations: GenerationManager | None = None) -> None:
        settings = runtime.settings
        self.runtime = runtime
        self.generations = generations  # starts automatic fixes (none without it)
        self.builder = builder or PreviewBuilder(
            settings.data_dir,
            runtime_dir=settings.preview_runtime_dir,
            packages_dir=settings.preview_packages_dir,
            policy=package_policy(settings),
        )
        self.frozen = FrozenBuilds(settings.data_dir / "deployments")
        self.chromium = find_chromium() if settings.screenshots else None
        self.stats: collections.Counter[str] = collections.Counter()  # builds, cache hits, screenshots, auto-fixes
        self._digests: collections.OrderedDict[tuple[str, str], tuple[str, float]] = collections.OrderedDict()
        self._reports = _Window(REPORTS_PER_MINUTE)
        self._install: asyncio.Task[Path] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._record_lock = asyncio.Lock()
        self._fix_lock = asyncio.Lock()
        self._fixed: set[str] = set()
        self._shooting: set[str] = set()
        self._shots = asyncio.Semaphore(1)  # one Chromium at a time

    @property
    def runtime_dir(self) -> Path:
        return self.builder.runtime_dir

    @property
    def packages_dir(self) -> Path:
        """The on-demand package cache the pages' `vendor/npm/...` files come from."""
        return self.builder.packages_dir

    # --- the npm runtime -----------------------------------------------------------------------------------------
    @property
    def installing(self) -> bool:
        """True while the preview runtime is being installed in the background."""
        return self._install is not None and not self._install.done()

    def _start_install(self) -> asyncio.Task[Path]:
        if self._install is None or (self._install.done() and (self._install.cancelled() or self._install.exception() is not None)):
            log.info("installing the preview runtime into %s (first use)", self.runtime_dir)
            self._install = asyncio.create_task(ensure_runtime(self.runtime.settings.data_dir, runtime_dir=self.runtime_dir))
            self._install.add_done_callback(self._installed)
        return self._install

    def _installed(self, task: asyncio.Task[Path]) -> None:
        if not task.cancelled() and (error := task.exception()) is not None:
            log.error("installing the preview runtime failed (the next preview view retries): %s", getattr(error, "message", error))

    async def _require_runtime(self, *, wait: bool) -> None:
        """Return once the runtime is installed; without `wait`, start installing it and say so instead of blocking."""
        if is_installed(self.runtime_dir):
            return
        failed = self._install if self._install is not None and self._install.done() and not self._install.cancelled() else None
        error = failed.exception() if failed is not None else None
        task = self._start_install()
        if wait:
            await asyncio.shield(task)
            return
        if isinstance(error, VzeroError):
            raise PreviewUnavailable(f"The last install of the preview runtime failed, retrying now: {error.message}")
        raise PreviewUnavailable("The preview runtime is being installed (npm ci, first use only); try again in a minute")

    # --- version previews ---------------------------------------------------------------------------------------
    async def version_preview(
        self, chat_id: str, version_id: str, *, wait_for_runtime: bool = False, wait_for_packages: bool = False
    ) -> BuildResult:
        """The build of a completed version (from the cache when its files were built before).

        NotFound for an unknown version (or one of another chat), Conflict while it is being generated,
        PreviewUnavailable while the runtime installs or when the toolchain cannot run, PackagesInstalling
        (unless `wait_for_packages`) while packages the app needs are still being installed.
        """
        known = self._digests.get((chat_id, version_id))
        if known is not None and time.monotonic() - known[1] < _DIGEST_TTL:
            hit = await self.builder.cached(known[0])
            if hit is not None:
                self.stats["cache_hits"] += 1
                return hit
        version, files, env = await self._load(chat_id, version_id)
        assert_released("a preview build")
        await self._require_runtime(wait=wait_for_runtime)
        result = await self.builder.build(files, key=chat_id, env=env, wait=None if wait_for_packages else INSTALL_WAIT)
        self.stats["cache_hits" if result.cached else "builds"] += 1
        self._digests[(chat_id, version_id)] = (result.digest, time.monotonic())
        self._digests.move_to_end((chat_id, version_id))
        while len(self._digests) > 4096:
            self._digests.popitem(last=False)
        if not result.ok:
            await self._record_build(chat_id, version_id, result)
        elif version.screenshot is None:
            self._queue_screenshot(chat_id, version_id, result)
        return result

    async def _load(self, chat_id: str, version_id: str) -> tuple[Version, dict[str, bytes], dict[str, str]]:
        async with self.runtime.db.session() as session:
            version = await session.get(Version, version_id)
            if version is None or version.chat_id != chat_id:
                raise NotFound(f"No preview here: version {version_id} of chat {chat_id} does not exist")
            if version.status == "pending":
                raise Conflict("This version is still being generated; its preview is ready when it completes")
            if version.status != "completed":
                raise NotFound(f"Version {version_id} {version.status}; only a completed version has a preview")
            files = await files_of(session, self.runtime.blobs, version)
            chat = await session.get(Chat, chat_id)
            env = await self._public_env(session, chat.project_id) if chat is not None and chat.project_id else {}
        return version, {entry.path: entry.content for entry in files.entries()}, env

    async def _public_env(self, session: Any, project_id: str) -> dict[str, str]:
        """The project's NEXT_PUBLIC_*/VITE_* variables: public by their name, so a preview may carry them."""
        rows = (await session.execute(select(EnvVar).where(EnvVar.project_id == project_id))).scalars()
        public = [row for row in rows if row.key.startswith(_PUBLIC_ENV)]
        if not public:
            return {}
        box = self.runtime.secret_box
        env = {}
        for row in public:
            try:
                env[row.key] = box.decrypt(row.value_encrypted)
            except VzeroError:
                log.warning("could not decrypt env var %s of project %s for a preview", row.key, project_id)
        return env

    async def _record_build(self, chat_id: str, version_id: str, result: BuildResult) -> bool:
        """Put a failed build's errors on the version (once per build); True when they were new."""
        async with self._record_lock, self.runtime.db.session() as session:
            version = await session.get(Version, version_id)
            if version is None or version.chat_id != chat_id:
                return False
            kept = [e for e in version.errors or [] if e.get("source") != "build"]
            if any(e.get("source") == "build" and e.get("digest") == result.digest for e in version.errors or []):
                return False
            now = iso(utcnow())
            new = [
                {"source": "build", **{k: v for k, v in asdict(e).items() if v is not None}, "digest": result.digest, "createdAt": now}
                for e in result.errors[:MAX_ERRORS]
            ]
            for entry in new:
                entry["message"] = _cut(str(entry["message"]), MAX_MESSAGE_CHARS)
            version.errors = (new + kept)[:MAX_ERRORS]
            await session.commit()
        return True

    # --- error reports from preview pages -----------------------------------------------------------------------
    async def report(self, chat_id: str, version_id: str, payload: object) -> bool:
        """Record an error the page reported; True when it was new (repeats, build errors and overflow are dropped)."""
        report = clean_report(payload)
        self._reports.hit(f"version:{version_id}")
        if report["source"] == "build":
            return False  # the server recorded its own build errors, with their location
        async with self._record_lock, self.runtime.db.session() as session:
            version = await session.get(Version, version_id)
            if version is None or version.chat_id != chat_id or version.status != "completed":
                raise NotFound("No preview here to report errors for")
            errors = list(version.errors or [])
            if len(errors) >= MAX_ERRORS or any(e.get("source") == report["source"] and e.get("message") == report["message"] for e in errors):
                return False
            version.errors = [*errors, report]
            await session.commit()
        self.stats["reports"] += 1
        if self.runtime.settings.auto_fix:
            self._spawn(self._auto_fix(chat_id, version_id, runtime_problem(report)))
        return True

    # --- after a generation ---------------------------------------------------------------------------------------
    def version_completed(self, chat_id: str, version_id: str) -> None:
        """A generation completed a version: build it in the background (errors, screenshot, auto-fix)."""
        self._spawn(self._follow_up(chat_id, version_id))

    async def _follow_up(self, chat_id: str, version_id: str) -> None:
        auto_fix = self.runtime.settings.auto_fix
        if not auto_fix and not is_installed(self.runtime_dir):
            return  # nothing needs the build yet; the first view installs the runtime and builds it
        try:
            result = await self.version_preview(chat_id, version_id, wait_for_runtime=auto_fix, wait_for_packages=True)
        except VzeroError as exc:
            log.warning("background preview of version %s failed: %s", version_id, exc.message)
            return
        if not result.ok and auto_fix:
            await self._auto_fix(chat_id, version_id, build_problem(result))

    def _spawn(self, work: Any) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("preview background task failed", exc_info=task.exception())

    async def idle(self) -> None:
        """Wait until no background work is left (tests and shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    # --- auto-fix ----------------------------------------------------------------------------------------------------
    async def _auto_fix(self, chat_id: str, version_id: str, problem: str) -> bool:
        """Ask the model to fix the chat's latest version, within the budget of fixes per user message."""
        settings = self.runtime.settings
        manager = self.generations
        if not settings.auto_fix or settings.auto_fix_attempts <= 0 or manager is None:
            return False
        async with self._fix_lock:
            if version_id in self._fixed:
                return False
            async with self.runtime.db.session() as session:
                chat = await session.get(Chat, chat_id)
                version = await session.get(Version, version_id)
                if chat is None or version is None or chat.latest_version_id != version_id or version.status != "completed":
                    return False  # the chat moved on; fixing an older version would undo newer work
                messages = await messages_of(session, chat_id)
            by_model = any(m.id == version.message_id and m.role == "assistant" for m in messages)
            if not by_model or any(m.status == "running" for m in messages):
                return False  # only what the model wrote is fixed automatically, and never during a generation
            used = fixes_since_prompt(messages)
            if used >= settings.auto_fix_attempts:
                log.info("auto-fix budget of %d used up in chat %s; leaving version %s as it is", settings.auto_fix_attempts, chat_id, version_id)
                return False
            if len(self._fixed) > 10_000:
                self._fixed.clear()
            self._fixed.add(version_id)
            try:
                await manager.start(chat, Ask(message=problem, author_id=chat.owner_id, message_type="auto-fix-with-v0"))
            except VzeroError as exc:
                log.warning("auto-fix of version %s not started: %s", version_id, exc.message)
                return False
        self.stats["auto_fixes"] += 1
        log.info("auto-fix %d/%d started for version %s of chat %s", used + 1, settings.auto_fix_attempts, version_id, chat_id)
        return True

    # --- screenshots ---------------------------------------------------------------------------------------------
    def _queue_screenshot(self, chat_id: str, version_id: str, result: BuildResult) -> None:
        if self.chromium is None or version_id in self._shooting:
            return
        self._shooting.add(version_id)
        self._spawn(self._screenshot(chat_id, version_id, result))

    async def _screenshot(self, chat_id: str, version_id: str, result: BuildResult) -> None:
        try:
            async with self._shots:
                png = await capture(result, self.runtime_dir, chromium=self.chromium, packages_dir=self.packages_dir)
            async with self.runtime.db.session() as session:
                version = await session.get(Version, version_id)
                if version is None or version.chat_id != chat_id:
                    return
                [digest] = await self.runtime.blobs.put_many(session, [png])
                version.screenshot = digest
                await session.commit()
            self.stats["screenshots"] += 1
        except VzeroError as exc:
            log.warning("no screenshot of version %s: %s", version_id, exc.message)
        finally:
            self._shooting.discard(version_id)

    async def screenshot(self, chat_id: str, version_id: str) -> bytes | None:
        """The PNG screenshot of a version, if one was taken."""
        async with self.runtime.db.session() as session:
            version = await session.get(Version, version_id)
            if version is None or version.chat_id != chat_id or not version.screenshot:
                return None
            found = await self.runtime.blobs.get_many(session, [version.screenshot])
        return found.get(version.screenshot)

    # --- deployments -----------------------------------------------------------------------------------------------
    async def deploy(self, principal: Principal, chat_id: str, version_id: str, project_id: str | None = None) -> Deployment:
        """Build a completed version of a chat the caller may change, freeze the build at a URL of its own and record
        it (PreviewUnavailable while the runtime is being installed); a failed build still makes a deployment, with
        its errors. `project_id`, when given, must be the chat's project."""
        async with self.runtime.db.session() as session:
            access = await chat_store.chat_for(session, principal, chat_id, write=True)
            version = await chat_store.version_of(session, chat_id, version_id)
            if version.status == "pending":
                raise Conflict(f"Version {version.id} is still being generated; deploy it once it has completed")
            if version.status != "completed":
                raise InvalidInput(f"Version {version.id} {version.status}; only a completed version can be deployed")
            if project_id is not None:
                await project_store.project_for(session, principal, project_id)
                if project_id != access.chat.project_id:
                    raise InvalidInput(f"Chat {chat_id} is not in project {project_id}")
        chat, owner_id, project_id = access.chat, principal.user_id, access.chat.project_id
        assert_released("a deployment's build")
        deployment_id = deployment_store.new_deployment_id()
        try:
            result = await self.version_preview(chat.id, version_id, wait_for_packages=True)
            await asyncio.to_thread(self.frozen.freeze, deployment_id, result, self.runtime_dir)
            if result.bundles:
                await asyncio.to_thread(self._freeze_bundles, deployment_id, result)
            async with self.runtime.db.session() as session:
                deployment = await deployment_store.create_deployment(
                    session, deployment_id=deployment_id, owner_id=owner_id, chat=chat, version_id=version_id, project_id=project_id,
                    ok=result.ok, build_key=result.digest or None, logs=build_logs(result, chat_id=chat.id, version_id=version_id),
                    errors=build_errors(result),
                )
                await session.commit()
        except BaseException:
            await self.undeploy(deployment_id)
            raise
        return deployment

    def _freeze_bundles(self, deployment_id: str, result: BuildResult) -> None:
        """Copy the package bundles a deployed page loads beside its vendor snapshot: the cache may evict them."""
        frozen = self.frozen.load(deployment_id)
        if frozen is None:
            raise PreviewUnavailable(f"the build of deployment {deployment_id} could not be stored")
        target = frozen[1] / "vendor" / "npm"
        for folder in result.bundles:
            source = self.packages_dir / "bundles" / folder
            if (target / folder).is_dir():
                continue
            tmp = target / f"{folder}.tmp-{os.getpid()}"
            shutil.copytree(source, tmp, copy_function=_link_or_copy, dirs_exist_ok=True)
            try:
                tmp.rename(target / folder)
            except OSError:
                shutil.rmtree(tmp, ignore_errors=True)
                if not (target / folder).is_dir():
                    raise

    async def deployed(self, deployment_id: str) -> tuple[BuildResult, Path] | None:
        """A deployment's frozen build and the folder holding its vendor snapshot; None once it is deleted."""
        return await asyncio.to_thread(self.frozen.load, deployment_id)

    async def undeploy(self, deployment_id: str) -> None:
        """Remove a deployment's files: its URL answers 404 from now on."""
        await asyncio.to_thread(self.frozen.remove, deployment_id)

    async def report_deployment(self, deployment_id: str, payload: object) -> bool:
        """Record an error a deployed page reported on the deployment (its errors and log)."""
        report = clean_report(payload)
        self._reports.hit(f"deployment:{deployment_id}")
        if report["source"] == "build":
            return False
        async with self._record_lock, self.runtime.db.session() as session:
            deployment = await session.get(Deployment, deployment_id)
            if deployment is None:
                raise NotFound("No deployment here to report errors for")
            added = deployment_store.add_report(deployment, report, max_errors=MAX_ERRORS)
            await session.commit()
        return added

    async def aclose(self) -> None:
        """Stop background work and the bundler worker."""
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
        if self._install is not None and not self._install.done():
            self._install.cancel()  # the npm process itself finishes in its thread; its result is kept on disk
        await self.builder.aclose()


def package_policy(settings: Settings) -> PackagePolicy:
    """The on-demand install rules the settings give (VZERO_PREVIEW_NPM_*)."""
    return PackagePolicy(
        installs=settings.preview_npm_installs,
        registry=settings.preview_npm_registry,
        allow=tuple(settings.preview_npm_allow),
        deny=tuple(settings.preview_npm_deny),
        max_package_bytes=settings.preview_npm_max_package_bytes,
        max_tarball_bytes=settings.preview_npm_max_tarball_bytes,
        cache_bytes=settings.preview_npm_cache_bytes,
        timeout=settings.preview_npm_timeout,
    )


def _link_or_copy(source: str, target: str) -> None:
    # A bundle folder is written once and never changed, so a hard link is as good as a copy.
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


__all__ = ["MAX_ERRORS", "MAX_REPORT_BYTES", "PreviewService", "clean_report"]
