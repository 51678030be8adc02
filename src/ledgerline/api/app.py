"""The ASGI application: bank API, person API, WebSocket stream, docs."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI

from ledgerline.api.client import (
    account as client_account,
    blocks as client_blocks,
    handover as client_handover,
    linking as client_linking,
    linking_pages,
    preferences as client_preferences,
    privacy as client_privacy,
    stream as client_stream,
    threads as client_threads,
)
from ledgerline.api.client.receipts import DeliveryReceipts
from ledgerline.api.context import AppContext
from ledgerline.api.errors import install_error_handlers
from ledgerline.api.openapi import install_openapi
from ledgerline.api.platform import (
    deliveries as platform_deliveries,
    financial as platform_financial,
    handover as platform_handover,
    linking as platform_linking,
    send as platform_send,
)
from ledgerline.api.platform.lane import GraphLane
from ledgerline.ingest.worker import UpdatesWorker
from ledgerline.linking.hooks import hooks_from
from ledgerline.linking.worker import ConsentWorker
from ledgerline.privacy.retention import RetentionWorker

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
        if ctx.fanout is not None:
            await ctx.fanout.start()
        task = asyncio.create_task(ctx.dispatcher.run()) if ctx.run_dispatcher else None
        consents = ConsentWorker(
            db=ctx.db,
            clock=ctx.clock,
            hooks=hooks_from(ctx.extras),
            interval=float(ctx.extras.get("consent_worker_interval", 60.0)),
        )
        consent_task = asyncio.create_task(consents.run()) if ctx.run_dispatcher else None
        vault = ctx.extras.get("vault")
        retention = (
            None
            if vault is None
            else RetentionWorker(
                db=ctx.db,
                vault=vault,
                clock=ctx.clock,
                interval=float(ctx.extras.get("retention_interval", 3600.0)),
            )
        )
        retention_task = (
            asyncio.create_task(retention.run())
            if ctx.run_dispatcher and retention is not None
            else None
        )
        updates = (
            None
            if vault is None
            else UpdatesWorker(
                db=ctx.db,
                vault=vault,
                clock=ctx.clock,
                interval=float(ctx.extras.get("updates_interval", 30.0)),
            )
        )
        updates_task = (
            asyncio.create_task(updates.run())
            if ctx.run_dispatcher and updates is not None
            else None
        )
        try:
            yield
        finally:
            await receipts.close()  # before the dispatcher stops: they queue webhooks
            if updates is not None and updates_task is not None:
                await updates.stop()
                await updates_task
            if retention is not None and retention_task is not None:
                await retention.stop()
                await retention_task
            if consent_task is not None:
                await consents.stop()
                await consent_task
            if task is not None:
                await ctx.dispatcher.stop()
                await task
            if ctx.fanout is not None:
                await ctx.fanout.close()

    app = FastAPI(
        title="Ledgerline",
        version="0.1.0",
        lifespan=lifespan,
        # FastAPI's built-in OpenTelemetry hooks: Ledgerline exports nothing through
        # OpenTelemetry, and checking for providers on every request costs CPU.
        telemetry={"tracing": False, "metrics": False, "logs": False, "operation_spans": False},
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.ctx = ctx
    receipts = DeliveryReceipts(ctx.db, ctx.clock)
    app.state.receipts = receipts
    install_error_handlers(app)
    app.add_middleware(GraphLane, ctx=ctx)  # the hot bank endpoints, ahead of the router
    app.include_router(platform_send.router)
    app.include_router(platform_deliveries.router)
    app.include_router(platform_financial.router)
    app.include_router(platform_handover.router)
    app.include_router(client_threads.router)
    app.include_router(client_handover.router)
    app.include_router(client_blocks.router)
    app.include_router(client_account.router)
    app.include_router(client_privacy.router)
    app.include_router(client_preferences.router)
    app.include_router(client_stream.router)
    app.include_router(platform_linking.router)
    app.include_router(client_linking.router)
    app.include_router(linking_pages.router)
    for router in ctx.extras.get("routers", []):
        app.include_router(router)
    install_openapi(app, title="Ledgerline", version="0.1.0", description=DESCRIPTION)
    return app
