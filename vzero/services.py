"""The server's long-lived services, typed and wired once: webhooks, generations, previews.

`Services.build` connects them explicitly: the generation manager reports to the webhooks and, through a callback
it is given, to the previews; the previews start automatic fixes through the manager they are given.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from vzero.config import Settings
from vzero.engine.events import View
from vzero.engine.manager import GenerationManager, recover_interrupted
from vzero.hooks import HookDispatcher
from vzero.preview.service import PreviewService
from vzero.runtime import Runtime
from vzero.store.users import ensure_default_user

log = logging.getLogger("vzero")


@dataclass
class Services:
    """What a running server holds besides its runtime (settings, database, blobs)."""

    runtime: Runtime
    hooks: HookDispatcher
    generations: GenerationManager
    previews: PreviewService

    @classmethod
    def build(cls, settings: Settings, *, views: Sequence[Callable[[], View]] = ()) -> Services:
        """The services of one server; `views` are the API dialects' renderings every generation keeps."""
        runtime = Runtime.from_settings(settings)
        hooks = HookDispatcher(runtime)
        generations = GenerationManager(runtime, views=views, notify=hooks.emit)
        previews = PreviewService(runtime, generations=generations)  # lazy: node starts on the first build
        generations.on_version_completed = previews.version_completed
        return cls(runtime, hooks, generations, previews)

    async def start(self) -> None:
        """Migrate the database, make sure the default user exists, recover from a crash, start the webhooks."""
        runtime = self.runtime
        runtime.settings.data_dir.mkdir(parents=True, exist_ok=True)
        await runtime.db.open()
        async with runtime.db.session() as session:
            await ensure_default_user(session)
            await session.commit()
        await recover_interrupted(runtime)
        await self.hooks.start()

    async def stop(self) -> None:
        await self.generations.shutdown()
        await self.previews.aclose()
        await self.hooks.stop()
        await self.runtime.db.close()

    def warm_up(self) -> None:
        """Load now what the first requests would otherwise load: the provider's SDK and anyio's asyncio backend,
        which FastAPI's dependencies load lazily (about a second of CPU, paid by the first reply otherwise)."""
        import anyio

        anyio.get_cancelled_exc_class()  # imports anyio._backends._asyncio (needs the running loop: call from the lifespan)
        self.generations.load_provider()


def settle_heap() -> None:
    """Put what is alive now out of the garbage collector's reach, and let it run less often.

    After startup the heap holds about a million objects that live as long as the process (modules, routes,
    schemas, SDK types), which every full collection walked. Only for a process that runs one app for its
    lifetime (`vzero serve`): frozen objects are never freed.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 10, 10)
