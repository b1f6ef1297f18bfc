"""Builds the FastAPI app: /v1, /v2, previews, the workspace (web UI) and its sign-in, and /healthz."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from vzero.api import errors, signin, web_sessions
from vzero.api.deps import KeyCache
from vzero.api.hosts import HostSplit
from vzero.api.limits import BodyLimit
from vzero.api.v1 import router as v1_router
from vzero.api.v1.content import V1Content
from vzero.api.v1.views import V1Views
from vzero.api.v2 import router as v2_router
from vzero.api.v2.views import V2Views
from vzero.config import Settings
from vzero.preview import routes as preview_routes
from vzero.services import Services, settle_heap
from vzero.ui import routes as ui_routes

# What every generation keeps besides its parts: v1's content AST (stored with the reply) and its stream frames.
GENERATION_VIEWS = (V1Content,)


def create_app(settings: Settings | None = None, *, own_process: bool = False) -> FastAPI:
    """The ASGI app. `own_process`: the app is the process's only one (`vzero serve`), so it may tune the process."""
    settings = settings or Settings()
    services = Services.build(settings, views=GENERATION_VIEWS)
    workspace = ui_routes.Workspace(settings) if settings.ui else None

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await services.start()
        if workspace is not None:
            workspace.start(build=own_process)  # a missing build is made by `vzero serve`, in the background
        if own_process:
            services.warm_up()  # what the first requests would load, loaded now and frozen with the rest
            settle_heap()
        app.state.ready = True
        try:
            yield
        finally:
            app.state.ready = False
            if workspace is not None:
                await workspace.stop()
            await services.stop()

    app = FastAPI(title="vzero", version="0.1.0", lifespan=lifespan)
    app.state.services = services
    app.state.runtime = services.runtime
    app.state.previews = services.previews
    app.state.keys = KeyCache()
    app.state.web_sessions = web_sessions.SessionCache()
    app.state.v1_views = V1Views(services.runtime)
    app.state.v2_views = V2Views(services.runtime, services.generations)
    app.state.ready = False
    errors.install(app)
    app.include_router(v1_router.router, prefix="/v1")
    app.include_router(v2_router.router, prefix="/v2")
    app.include_router(preview_routes.router)
    app.include_router(signin.router)
    if workspace is not None:
        app.state.workspace = workspace
        app.include_router(ui_routes.router)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> JSONResponse:
        if not app.state.ready:
            return JSONResponse({"status": "starting"}, status_code=503)
        return JSONResponse({"status": "ok"})

    app.add_middleware(BodyLimit, max_bytes=settings.max_request_bytes)
    app.add_middleware(HostSplit, origins=settings.origins)  # previews on their own host, or sandboxed
    return app
