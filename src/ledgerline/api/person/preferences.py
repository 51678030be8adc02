"""What a person wants to hear from a business they linked (``/api/v1/links/{page_id}/preferences``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body

from ledgerline.api.deps import Context, UserId
from ledgerline.api.schemas import ERRORS
from ledgerline.domain.clock import to_ms
from ledgerline.domain.errors import InvalidParameter
from ledgerline.updates import preferences

router = APIRouter(prefix="/api/v1", tags=["People: financial updates"])

EXAMPLE = {
    "categories": {"balances": True, "transactions": True, "low_balance": True},
    "min_transaction_amount": {"amount": "50000", "currency": "VND"},
    "low_balance_thresholds": {"acc-1": {"amount": "500000", "currency": "VND"}},
}


@router.get(
    "/links/{page_id}/preferences",
    responses=ERRORS,
    summary="Which financial updates this business's thread shows",
)
async def get_preferences(ctx: Context, user_id: UserId, page_id: str) -> dict[str, Any]:
    result: dict[str, Any] = await ctx.db.query(
        preferences.get_for_person, page_id=page_id, user_id=user_id, now=to_ms(ctx.clock.now())
    )
    return result


@router.put(
    "/links/{page_id}/preferences",
    responses=ERRORS,
    summary="Change some preferences (keys not given keep their value); fraud alerts stay on",
)
async def put_preferences(
    ctx: Context,
    user_id: UserId,
    page_id: str,
    body: Annotated[dict[str, Any], Body(examples=[EXAMPLE])],
) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise InvalidParameter("The body must be a JSON object")
    result: dict[str, Any] = await ctx.db.write(
        preferences.do_update,
        page_id=page_id,
        user_id=user_id,
        body=body,
        now=to_ms(ctx.clock.now()),
        partition=page_id,
    )
    return result
