"""``/me/subscribed_apps``: which webhook fields the page's business receives, as Meta's
Graph API takes and answers it (``{"success": true}``; ``GET`` lists the subscribed app)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from ledgerline.api.bank.routing import check_version, graph_call, graph_route, version_number
from ledgerline.api.deps import Context, Page
from ledgerline.api.openapi import documented_schemas
from ledgerline.api.schemas import ERRORS
from ledgerline.api.subscription_schemas import SubscribedAppsOut, SubscribeOut
from ledgerline.delivery.subscriptions import (
    FIELDS_REQUIRED_FROM,
    do_subscribe_app,
    do_unsubscribe_app,
    get_subscription,
)
from ledgerline.domain.fields import json_schemas
from ledgerline.domain.webhook_fields import DEFAULT_FIELDS, subscribe_body

router = APIRouter(tags=["Webhooks"])

_LIST_KEY = "subscribed_fields[]"  # the array form some clients send (Rails, PHP)
SUBSCRIBE = subscribe_body(required=True)  # Graph v3.2 and later
SUBSCRIBE_OLD = subscribe_body(required=False)  # before v3.2, or no version: the documented one


async def _named_fields(request: Request, params: dict[str, Any]) -> Any:
    """``subscribed_fields`` however it came: a JSON value, one form/query value, or
    repeated ``subscribed_fields[]`` values."""
    if params.get("subscribed_fields") is not None:
        return params["subscribed_fields"]
    repeated = request.query_params.getlist(_LIST_KEY)
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.form()  # already read (and cached) by read_params
        repeated += [value for value in form.getlist(_LIST_KEY) if isinstance(value, str)]
    if repeated:
        return repeated
    return params.get(_LIST_KEY)


@graph_route(
    router,
    "/me/subscribed_apps",
    ["POST"],
    response_model=SubscribeOut,
    responses=ERRORS,
    summary="Subscribe the page's app to webhook fields (they replace the previous list)",
    description="Events are delivered only for subscribed fields; `standby` and "
    "`message_echoes` only when named. From Graph v3.2 `subscribed_fields` is required "
    "(`(#100) The parameter subscribed_fields is required`); an older version, or none, "
    "without it keeps the page's fields (the default ones if it was unsubscribed). An "
    'unknown field: `(#100) Param subscribed_fields[i] must be one of {…} - got "x"`.',
    openapi_extra=documented_schemas(
        json_schemas(SUBSCRIBE_OLD),
        {
            "the default fields": {"subscribed_fields": list(DEFAULT_FIELDS)},
            "with handover events and standby": {
                "subscribed_fields": [*DEFAULT_FIELDS, "messaging_handovers", "standby"]
            },
            "a comma-separated string": {"subscribed_fields": "messages,messaging_postbacks"},
        },
        required=False,
    ),
)
async def subscribe_app(
    request: Request, ctx: Context, version: str | None = None
) -> dict[str, Any]:
    params, auth = await graph_call(request, ctx, version)
    named = await _named_fields(request, params)
    number = version_number(version)
    body = SUBSCRIBE_OLD if number is None or number < FIELDS_REQUIRED_FROM else SUBSCRIBE
    fields = body.read({"subscribed_fields": named})["subscribed_fields"]
    await ctx.db.write(do_subscribe_app, page_id=auth.page_id, fields=fields)
    return {"success": True}


@graph_route(
    router,
    "/me/subscribed_apps",
    ["GET"],
    response_model=SubscribedAppsOut,
    responses=ERRORS,
    summary="The page's subscribed app and its webhook fields",
)
async def subscribed_apps(ctx: Context, page: Page, version: str | None = None) -> dict[str, Any]:
    check_version(version)
    subscription = await ctx.db.query(get_subscription, page.page_id)
    if subscription.fields is None:
        return {"data": []}
    app = {
        "id": subscription.app_id,
        "name": subscription.name,
        "subscribed_fields": list(subscription.fields),
    }
    return {"data": [app]}


@graph_route(
    router,
    "/me/subscribed_apps",
    ["DELETE"],
    response_model=SubscribeOut,
    responses=ERRORS,
    summary="Unsubscribe the page's app: no webhook event is delivered until it subscribes",
)
async def unsubscribe_app(
    request: Request, ctx: Context, version: str | None = None
) -> dict[str, Any]:
    _, auth = await graph_call(request, ctx, version)
    await ctx.db.write(do_unsubscribe_app, page_id=auth.page_id)
    return {"success": True}
