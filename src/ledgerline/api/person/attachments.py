"""A person sends a photo or a file to a business: ``POST /api/v1/threads/{page_id}/attachments``
(multipart ``filedata``). The bank gets Messenger's ``message.attachments`` webhook, whose
``payload.url`` is Ledgerline's copy."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from ledgerline.api.bank.body import read_upload
from ledgerline.api.deps import Context, UserId
from ledgerline.api.schemas import ERRORS, MidOut
from ledgerline.chat.actions import do_user_message
from ledgerline.domain.clock import to_ms
from ledgerline.domain.errors import InvalidParameter, NotFound
from ledgerline.storage.stores import businesses as business_store

router = APIRouter(prefix="/api/v1", tags=["People: messaging"])


def kind_of(content_type: str | None) -> str:
    major = (content_type or "").split("/")[0].lower()
    return major if major in ("image", "audio", "video") else "file"


@router.post(
    "/threads/{page_id}/attachments",
    status_code=201,
    response_model=MidOut,
    responses=ERRORS,
    summary="Send a photo or a file (multipart `filedata`, at most 25 MB)",
    description="Images (JPEG, PNG, GIF, WebP), audio, video and files (PDF, text, CSV, "
    "ZIP, Office documents), as for banks' attachments. The business receives a `message` "
    "webhook with `attachments: [{type, payload: {url}}]`.",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {"filedata": {"type": "string", "format": "binary"}},
                        "required": ["filedata"],
                    }
                }
            },
        }
    },
)
async def send_attachment(
    request: Request, ctx: Context, user_id: UserId, page_id: str
) -> dict[str, Any]:
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise InvalidParameter("Send the file as multipart/form-data, in the field filedata")
    _params, upload = await read_upload(request)
    if upload is None:
        raise InvalidParameter("param filedata is required")
    if await ctx.db.read(business_store.get_business, page_id) is None:
        raise NotFound(f"No business with page id {page_id[:40]}")
    now = to_ms(ctx.clock.now())
    kind = kind_of(upload.content_type)
    row = await ctx.attachments.store(
        page_id=page_id,
        user_id=user_id,
        kind=kind,
        data=upload.data,
        content_type=upload.content_type,
        filename=upload.filename,
        reusable=False,
        now=now,
    )
    url = ctx.public_url.rstrip("/") + ctx.attachments.path(row.attachment_id)
    message = await ctx.db.write(
        do_user_message,
        user_id=user_id,
        page_id=page_id,
        body={"attachments": [{"type": kind, "payload": {"url": url}}]},
        now=now,
        inbound=ctx.inbound,
        partition=page_id,
    )
    return {"mid": message.mid}
