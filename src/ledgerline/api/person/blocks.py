"""A person blocks or unblocks a business (``/api/v1/threads/{page_id}/block``).

While blocked, the business's Send API calls to the person answer ``(#551)`` and nothing is
stored; the person cannot write to it either until they unblock it.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from ledgerline.api.deps import Context, UserId
from ledgerline.api.schemas import ERRORS, BlockList, BlockOut
from ledgerline.chat.blocking import do_block_business, do_unblock_business
from ledgerline.domain.clock import to_ms
from ledgerline.storage.stores import blocks as block_store

router = APIRouter(prefix="/api/v1", tags=["People: messaging"])

BLOCK_ERRORS: dict[int | str, dict[str, Any]] = {
    **ERRORS,
    404: {"model": ERRORS[400]["model"], "description": "No business with this page id"},
}


@router.post(
    "/threads/{page_id}/block",
    response_model=BlockOut,
    responses=BLOCK_ERRORS,
    summary="Block a business: it can no longer message you (its Send API gets #551)",
)
async def block_business(ctx: Context, user_id: UserId, page_id: str) -> dict[str, Any]:
    await ctx.db.write(
        do_block_business,
        user_id=user_id,
        page_id=page_id,
        now=to_ms(ctx.clock.now()),
        partition=page_id,
    )
    return {"success": True, "blocked": True}


@router.delete(
    "/threads/{page_id}/block",
    response_model=BlockOut,
    responses=BLOCK_ERRORS,
    summary="Unblock a business: it may message you again (within Messenger's rules)",
)
async def unblock_business(ctx: Context, user_id: UserId, page_id: str) -> dict[str, Any]:
    await ctx.db.write(do_unblock_business, user_id=user_id, page_id=page_id, partition=page_id)
    return {"success": True, "blocked": False}


@router.get(
    "/blocks",
    response_model=BlockList,
    responses=ERRORS,
    summary="The businesses you blocked, most recent first",
)
async def list_blocks(ctx: Context, user_id: UserId) -> dict[str, Any]:
    rows = await ctx.db.read(block_store.list_blocks, user_id)
    return {
        "data": [
            {"page_id": row.page_id, "name": row.name, "blocked_at": row.blocked_at} for row in rows
        ]
    }
