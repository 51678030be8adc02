"""A business reads its own webhook delivery log (attempts, status codes, next retry; read and
delivery receipts hidden unless asked for), asks for events again (replay, with their
original mids), and chooses one event per POST (the default) or batches."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request

from ledgerline.api.bank.routing import check_version, graph_call, graph_route
from ledgerline.api.deps import Context, Page
from ledgerline.api.openapi import documented_schemas
from ledgerline.api.schemas import ERRORS, DeliveryLog, ReplayOut, WebhookSettingsOut
from ledgerline.delivery.replay import (
    NOISE_KINDS,
    REPLAY,
    do_replay_webhooks,
    parse_kinds,
    replay_selection,
)
from ledgerline.delivery.settings import (
    SETTINGS_CHANGE,
    WebhookSettings,
    do_set_webhook_settings,
    get_webhook_settings,
    parse_settings_change,
)
from ledgerline.domain.clock import to_ms
from ledgerline.domain.fields import json_schemas
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
    kind: Annotated[
        str | None,
        Query(
            max_length=400,
            description="Only these kinds, comma-separated (`message,postback`); `all` for "
            "every kind. By default every kind but `read` and `delivery` (receipts' noise).",
        ),
    ] = None,
    before: Annotated[
        int | None, Query(ge=0, le=2**62, description="An id from a previous page")
    ] = None,
) -> dict[str, Any]:
    check_version(version)
    kinds = parse_kinds(kind)
    rows = await ctx.db.read(
        outbox.list_deliveries,
        page_id=page.page_id,
        limit=limit,
        status=status,
        before=before,
        kinds=kinds or None,
        exclude_kinds=NOISE_KINDS if kinds is None else (),
    )
    return {"data": rows}


@graph_route(
    router,
    "/me/webhook_deliveries/replay",
    ["POST"],
    response_model=ReplayOut,
    responses=ERRORS,
    summary="Deliver events again, with their original mid: one event, or a time range",
    openapi_extra=documented_schemas(
        json_schemas(REPLAY),
        {
            "one event": {"event_id": "42"},
            "what failed last night": {
                "since": 1764370800000,
                "until": 1764399600000,
                "status": "failed",
            },
            "messages and postbacks of a day": {
                "since": 1764370800000,
                "until": 1764457200000,
                "kind": "message,postback",
            },
        },
    ),
)
async def replay_deliveries(
    request: Request, ctx: Context, version: str | None = None
) -> dict[str, Any]:
    params, auth = await graph_call(request, ctx, version)
    selection = replay_selection(params)
    replayed = await ctx.db.write(
        do_replay_webhooks,
        page_id=auth.page_id,
        selection=selection,
        now=to_ms(ctx.clock.now()),
        partition=auth.page_id,
    )
    return {
        "success": True,
        "replayed": len(replayed),
        "data": [{"id": str(r.event_id), "replay_of": str(r.replay_of)} for r in replayed],
    }


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
    return _settings_out(await ctx.db.query(get_webhook_settings, page.page_id))


@graph_route(
    router,
    "/me/webhook_settings",
    ["POST"],
    response_model=WebhookSettingsOut,
    responses=ERRORS,
    summary="Turn webhook batching on or off (one event per POST is the default)",
    openapi_extra=documented_schemas(
        json_schemas(SETTINGS_CHANGE),
        {
            "batching on": {"batching": True, "max_events": 50},
            "one event per POST": {"batching": False},
        },
    ),
)
async def change_webhook_settings(
    request: Request, ctx: Context, version: str | None = None
) -> dict[str, Any]:
    params, auth = await graph_call(request, ctx, version)
    changes = parse_settings_change(params)
    settings = await ctx.db.write(do_set_webhook_settings, page_id=auth.page_id, **changes)
    return _settings_out(settings)
