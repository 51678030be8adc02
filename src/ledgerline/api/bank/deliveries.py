"""A business reads its own webhook delivery log (attempts, status codes, next retry) and
chooses one event per POST (the default) or batches."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request

from ledgerline.api.bank.body import read_params
from ledgerline.api.bank.routing import check_version, graph_route
from ledgerline.api.deps import Context, Page, authenticate_page
from ledgerline.api.openapi import documented_body
from ledgerline.api.schemas import ERRORS, DeliveryLog, WebhookSettingsIn, WebhookSettingsOut
from ledgerline.delivery.settings import (
    WebhookSettings,
    do_set_webhook_settings,
    get_webhook_settings,
    parse_settings_change,
)
from ledgerline.storage.stores import webhooks as outbox

router = APIRouter(tags=["Webhooks"])


@graph_route(
    router,
    "/me/webhook_deliveries",
    ["GET"],
    response_model=DeliveryLog,
    responses=ERRORS,
    summary="The page's webhook delivery log, newest first",
)
async def delivery_log(
    ctx: Context,
    page: Page,
    version: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    status: Literal["pending", "delivered", "failed"] | None = None,
    before: Annotated[
        int | None, Query(ge=0, le=2**62, description="An id from a previous page")
    ] = None,
) -> dict[str, Any]:
    check_version(version)
    rows = await ctx.db.read(
        outbox.list_deliveries, page_id=page.page_id, limit=limit, status=status, before=before
    )
    return {"data": rows}


def _settings_out(settings: WebhookSettings) -> dict[str, Any]:
    return {"success": True, "batching": settings.batching, "max_events": settings.max_events}


@graph_route(
    router,
    "/me/webhook_settings",
    ["GET"],
    response_model=WebhookSettingsOut,
    responses=ERRORS,
    summary="How webhooks are delivered to the page: one event per POST, or batches",
)
async def read_webhook_settings(
    ctx: Context, page: Page, version: str | None = None
) -> dict[str, Any]:
    check_version(version)
    return _settings_out(await ctx.db.read(get_webhook_settings, page.page_id))


@graph_route(
    router,
    "/me/webhook_settings",
    ["POST"],
    response_model=WebhookSettingsOut,
    responses=ERRORS,
    summary="Turn webhook batching on or off (one event per POST is the default)",
    openapi_extra=documented_body(
        WebhookSettingsIn,
        {
            "batching on": {"batching": True, "max_events": 50},
            "one event per POST": {"batching": False},
        },
    ),
)
async def change_webhook_settings(
    request: Request, ctx: Context, version: str | None = None
) -> dict[str, Any]:
    check_version(version)
    params = await read_params(request)
    auth = await authenticate_page(ctx, request, params)
    changes = parse_settings_change(params)
    settings = await ctx.db.write(do_set_webhook_settings, page_id=auth.page_id, **changes)
    return _settings_out(settings)
