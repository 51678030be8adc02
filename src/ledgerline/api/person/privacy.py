"""The person's rights over HTTP: ``GET /api/v1/me/export`` and ``GET /api/v1/me/access-log``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from ledgerline.api.deps import Context, UserId
from ledgerline.api.schemas import ERRORS
from ledgerline.privacy.access_log import access_log_in_words

router = APIRouter(prefix="/api/v1/me", tags=["People: privacy"])


@router.get(
    "/export",
    responses=ERRORS,
    summary="Everything held about me: profile, links and consents, messages, "
    "financial records (decrypted), customer-service records (conversations, agents' notes)",
)
async def export(ctx: Context, user_id: UserId) -> JSONResponse:
    data = await ctx.db.write(ctx.privacy.export, user_id=user_id, partition=f"export:{user_id}")
    return JSONResponse(
        data,
        headers={
            "Content-Disposition": 'attachment; filename="ledgerline-export.json"',
            "Cache-Control": "no-store",
        },
    )


@router.get(
    "/access-log",
    responses=ERRORS,
    summary="Every access to my financial data, newest first, in plain words",
)
async def access_log(
    ctx: Context,
    user_id: UserId,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    before: Annotated[
        int | None, Query(ge=0, le=2**62, description="An id from a previous page")
    ] = None,
) -> dict[str, Any]:
    entries = await ctx.db.query(access_log_in_words, user_id=user_id, limit=limit, before=before)
    return {"data": entries}
