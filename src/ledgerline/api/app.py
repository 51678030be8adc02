"""The ASGI application: bank API, person API, WebSocket stream, docs."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI

from ledgerline.api.client import stream as client_stream, threads as client_threads
from ledgerline.api.context import AppContext
from ledgerline.api.errors import install_error_handlers
from ledgerline.api.openapi import install_openapi
from ledgerline.api.platform import deliveries as platform_deliveries, send as platform_send

DESCRIPTION = """
Ledgerline's HTTP API.

* **Bank-facing (Messenger-compatible)**: `/me/messages`, `/{PAGE_ID}/messages`, with or
  without a `/vN.M` prefix; auth with `?access_token=PAGE_ACCESS_TOKEN` or
  `Authorization: Bearer`. Errors use Messenger's `{"error": {...}}` shape.
* **Person-facing**: `/api/v1/...` with `Authorization: Bearer USER_ACCESS_TOKEN`, and the
  WebSocket `/api/v1/stream?access_token=…`.
"""


def create_app(ctx: AppContext) -> FastAPI:
    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        ctx.hub.bind(asyncio.get_running_loop())
        task = asyncio.create_task(ctx.dispatcher.run()) if ctx.run_dispatcher else None
        try:
            yield
        finally:
            if task is not None:
                await ctx.dispatcher.stop()
                await task

    app = FastAPI(
        title="Ledgerline",
        version="0.1.0",
        lifespan=lifespan,
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.ctx = ctx
    install_error_handlers(app)
    app.include_router(platform_send.router)
    app.include_router(platform_deliveries.router)
    app.include_router(client_threads.router)
    app.include_router(client_stream.router)
    for router in ctx.extras.get("routers", []):
        app.include_router(router)
    install_openapi(app, title="Ledgerline", version="0.1.0", description=DESCRIPTION)
    return app
