"""The Attachment Upload API: ``POST /me/message_attachments`` (any version prefix).

``{"message": {"attachment": {"type": "image", "payload": {"url": …, "is_reusable": true}}}}``
fetches the URL (SSRF-guarded, ``delivery.media_fetch``); a multipart body with the same
``message`` field and a ``filedata`` file stores the file. Either answers
``{"attachment_id"}``, to send later with ``payload.attachment_id``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from ledgerline.api.bank.body import UploadedFile, is_multipart, read_params, read_upload
from ledgerline.api.bank.routing import check_version, graph_route
from ledgerline.api.deps import Context, authenticate_page
from ledgerline.api.openapi import documented_body
from ledgerline.api.schemas import ERRORS
from ledgerline.domain.attachments import media_kind
from ledgerline.domain.clock import to_ms
from ledgerline.domain.errors import InvalidParameter, require_object

router = APIRouter(tags=["Attachments"])


class AttachmentUploadIn(BaseModel):
    message: dict[str, Any] = Field(
        description="`{attachment: {type: image|audio|video|file, payload: {url?, "
        "is_reusable}}}`; without `url`, the multipart body's `filedata` file"
    )


class AttachmentUploadOut(BaseModel):
    attachment_id: str


EXAMPLES = {
    "by url": {
        "message": {
            "attachment": {
                "type": "image",
                "payload": {"url": "https://bank.example/card.png", "is_reusable": True},
            }
        }
    }
}


@graph_route(
    router,
    "/me/message_attachments",
    ["POST"],
    response_model=AttachmentUploadOut,
    responses={
        **ERRORS,
        200: {"content": {"application/json": {"example": {"attachment_id": "1857777774821032"}}}},
    },
    summary="Upload an attachment (by URL or as a multipart file) for later sends",
    description="Ledgerline keeps its own copy (the person's app never loads your URL): "
    "a URL is fetched once — https, public addresses only in production, no redirects, "
    "20 s — and a file comes as multipart `filedata`. At most 25 MB; images must be JPEG, "
    "PNG, GIF or WebP (checked against the bytes), audio MP3/MP4/AAC/OGG/WAV/WebM, video "
    "MP4/WebM/QuickTime/3GPP, files PDF, text, CSV, ZIP or Office documents. Multipart "
    "bodies may be 25 MiB + 64 KiB; other bodies 2 MiB.",
    openapi_extra=documented_body(AttachmentUploadIn, EXAMPLES),
)
async def upload_attachment(
    request: Request, ctx: Context, version: str | None = None
) -> dict[str, Any]:
    check_version(version)
    upload: UploadedFile | None = None
    if is_multipart(request):
        params, upload = await read_upload(request)
    else:
        params = await read_params(request)
    auth = await authenticate_page(ctx, request, params)
    message = require_object(params.get("message"), "message")
    attachment = require_object(message.get("attachment"), "message[attachment]")
    kind = media_kind(attachment.get("type"), "message[attachment][type]")
    payload = require_object(attachment.get("payload") or {}, "message[attachment][payload]")
    url = payload.get("url")
    now = to_ms(ctx.clock.now())
    if url is not None and upload is not None:
        raise InvalidParameter("Send either payload.url or filedata, not both")
    if url is not None:
        if not isinstance(url, str):
            raise InvalidParameter("param message[attachment][payload][url] must be a URL")
        row = await ctx.attachments.from_url(
            page_id=auth.page_id,
            kind=kind,
            url=url,
            reusable=True,
            now=now,
            param="message[attachment][payload][url]",
        )
    elif upload is not None:
        row = await ctx.attachments.store(
            page_id=auth.page_id,
            user_id=None,
            kind=kind,
            data=upload.data,
            content_type=upload.content_type,
            filename=upload.filename,
            reusable=True,
            now=now,
        )
    else:
        raise InvalidParameter("param message[attachment][payload][url] or filedata is required")
    return {"attachment_id": row.attachment_id}
