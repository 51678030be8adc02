"""A business reads its own webhook delivery log: attempts, status codes, next retry."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from ledgerline.api.deps import Context, Page
from ledgerline.api.platform.routing import check_version, graph_route
from ledgerline.api.schemas import ERRORS, DeliveryLog
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
