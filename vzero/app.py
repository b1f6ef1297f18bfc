"""Builds the FastAPI app: /v1, /v2, previews, the workspace (web UI) and its sign-in, and /healthz."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from vzero.api import errors, signin, web_sessions
from vzero.api.hosts import HostSplit
from vzero.api.limits import BodyLimit
from vzero.api.v1 import router as v1_router
from vzero.api.v2 import router as v2_router
from vzero.config import Settings
from vzero.preview import routes as preview_routes
from vzero.runtime import Runtime
from vzero.startup import settle_heap, start_runtime, stop_runtime, warm_up
from vzero.ui import routes as ui_routes


def create_app(settings: Settings | None = None, *, own_process: bool = False) -> FastAPI:
    """The ASGI app. `own_process`: the app is the process's only one (`vzero serve`), so it may tune the process."""
    settings = settings or Settings()
    runtime = Runtime.from_settings(settings)
    workspace = ui_routes.Workspace(settings) if settings.ui else None

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await start_runtime(runtime)
        if workspace is not None:
            workspace.start(build=own_process)  # a missing build is made by `vzero serve`, in the background
        if own_process:
            warm_up(runtime)  # what the first requests would load, loaded now and frozen with the rest
            settle_heap()
        app.state.ready = True
        try:
            yield
        finally:
            app.state.ready = False
            if workspace is not None:
                await workspace.stop()
            await stop_runtime(runtime)

    app = FastAPI(title="vzero", version="0.1.0", lifespan=lifespan)
    app.state.runtime = runtime
    app.state.ready = False
    errors.install(app)
    app.include_router(v1_router.router, prefix="/v1")
    app.include_router(v2_router.router, prefix="/v2")
    app.include_router(preview_routes.router)
    app.state.web_sessions = web_sessions.SessionCache()
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
