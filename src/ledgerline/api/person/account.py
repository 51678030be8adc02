"""``DELETE /api/v1/me?confirm=true``: the person deletes their account (``privacy.account``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from ledgerline.api.deps import Context, UserId
from ledgerline.api.schemas import ERRORS
from ledgerline.domain.clock import to_ms
from ledgerline.domain.errors import InvalidParameter

router = APIRouter(prefix="/api/v1", tags=["People: privacy"])


class DeletedOut(BaseModel):
    success: bool = True


@router.delete(
    "/me",
    response_model=DeletedOut,
    responses=ERRORS,
    summary="Delete my account: links end (banks are told, shared data erased), tokens and "
    "sessions stop working, businesses can no longer message me (#551). Cannot be undone.",
)
async def delete_account(
    ctx: Context,
    user_id: UserId,
    confirm: Annotated[
        bool, Query(description="Must be `true`: deleting an account cannot be undone")
    ] = False,
) -> dict[str, Any]:
    if not confirm:
        raise InvalidParameter("Add confirm=true: deleting the account cannot be undone")
    await ctx.db.write(
        ctx.privacy.delete_account,
        user_id=user_id,
        now=to_ms(ctx.clock.now()),
        partition=f"account:{user_id}",
    )
    ctx.user_tokens.clear()  # this process forgets the token now; others within 5 s
    return {"success": True}
