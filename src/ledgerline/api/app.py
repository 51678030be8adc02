"""The ASGI application: bank API, person API, WebSocket stream, docs."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI

from ledgerline.api import attachment_files, operations
from ledgerline.api.bank import (
    attachments as platform_attachments,
    deliveries as platform_deliveries,
    financial as platform_financial,
    handover as platform_handover,
    linking as platform_linking,
    messenger_profile as platform_profile,
    personas as platform_personas,
    send as platform_send,
    subscriptions as platform_subscriptions,
    user_profile as platform_user_profile,
)
from ledgerline.api.bank.hot_path import HotPath
from ledgerline.api.context import AppContext
from ledgerline.api.errors import install_error_handlers, unexpected_error
from ledgerline.api.front_door import FrontDoor
from ledgerline.api.headers import security_headers
from ledgerline.api.openapi import install_openapi
from ledgerline.api.person import (
    account as client_account,
    attachments as client_attachments,
    blocks as client_blocks,
    handover as client_handover,
    linking as client_linking,
    linking_pages,
    page_profile as client_page_profile,
    preferences as client_preferences,
    privacy as client_privacy,
    push as client_push,
    referrals as client_referrals,
    stream as client_stream,
    threads as client_threads,
)
from ledgerline.api.telemetry import RequestTelemetry
from ledgerline.domain.ids import new_trace_id
from ledgerline.telemetry.ids import IdHasher

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
        await ctx.lifecycle.start()
        try:
            yield
        finally:
            ctx.readiness.draining = True
            ctx.access_log.flush()
            await ctx.lifecycle.stop()
            await ctx.limits.close()

    app = FastAPI(
        title="Ledgerline",
        version="0.1.0",
        lifespan=lifespan,
        # FastAPI's built-in OpenTelemetry hooks: Ledgerline exports nothing through
        # OpenTelemetry, and checking for providers on every request costs CPU.
        telemetry={"tracing": False, "metrics": False, "logs": False, "operation_spans": False},
        docs_url=None if ctx.production else "/docs",
        redoc_url=None if ctx.production else "/redoc",
    )
    app.state.ctx = ctx
    install_error_handlers(app)
    # Every HTTP request: telemetry, security headers, input checks, then the hot bank
    # endpoints' lane or FastAPI's router (api.front_door).
    app.add_middleware(
        FrontDoor,
        telemetry=RequestTelemetry(
            metrics=ctx.metrics, access_log=ctx.access_log, hash_id=IdHasher(ctx.secret_key)
        ),
        headers=security_headers(hsts=ctx.production),
        lane=HotPath(ctx),
        unexpected=unexpected_error,
        new_trace_id=new_trace_id,
    )
    app.include_router(operations.router)
    app.include_router(platform_send.router)
    app.include_router(platform_deliveries.router)
    app.include_router(platform_financial.router)
    app.include_router(platform_handover.router)
    app.include_router(platform_profile.router)
    app.include_router(platform_attachments.router)
    app.include_router(attachment_files.router)
    app.include_router(client_attachments.router)
    app.include_router(platform_user_profile.router)  # digits only: shadows nothing
    app.include_router(platform_subscriptions.router)
    app.include_router(platform_personas.router)  # DELETE /{digits}: shadows nothing
    app.include_router(client_threads.router)
    app.include_router(client_page_profile.router)
    app.include_router(client_referrals.router)
    app.include_router(client_handover.router)
    app.include_router(client_blocks.router)
    app.include_router(client_account.router)
    app.include_router(client_privacy.router)
    app.include_router(client_preferences.router)
    app.include_router(client_push.router)
    app.include_router(client_stream.router)
    app.include_router(platform_linking.router)
    app.include_router(client_linking.router)
    app.include_router(linking_pages.router)
    install_openapi(app, title="Ledgerline", version="0.1.0", description=DESCRIPTION)
    return app
