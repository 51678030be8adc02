"""The web app tells the platform the person opened a thread through an m.me-style link
(``/m/{page_id}?ref=…``); the bank gets Messenger's ``messaging_referrals`` event."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from ledgerline.api.deps import Context, UserId
from ledgerline.api.schemas import ERRORS
from ledgerline.chat.referrals import check_ref, do_open_from_link
from ledgerline.domain.clock import to_ms

router = APIRouter(prefix="/api/v1", tags=["People: messaging"])


class ReferralIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"ref": "spring-campaign"}]}
    )
    ref: str = Field(description="The `ref` of the link that opened the thread")


class ReferralOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"success": True}]})
    success: bool = True


@router.post(
    "/threads/{page_id}/referral",
    response_model=ReferralOut,
    responses=ERRORS,
    summary="The person opened this thread through a link with a ref (the bank gets a "
    "messaging_referrals event)",
)
async def opened_from_link(
    ctx: Context, user_id: UserId, page_id: str, body: ReferralIn
) -> dict[str, Any]:
    ref = check_ref(body.ref)
    await ctx.db.write(
        do_open_from_link,
        user_id=user_id,
        page_id=page_id,
        ref=ref,
        now=to_ms(ctx.clock.now()),
        partition=page_id,
    )
    return {"success": True}
