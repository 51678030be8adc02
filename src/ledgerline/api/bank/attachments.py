"""The Attachment Upload API: ``POST /me/message_attachments`` (any version prefix).

``{"message": {"attachment": {"type": "image", "payload": {"url": …, "is_reusable": true}}}}``
fetches the URL (SSRF-guarded, ``delivery.media_fetch``); a multipart body with the same
``message`` field and a ``filedata`` file stores the file. Either answers
``{"attachment_id"}``, to send later with ``payload.attachment_id``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel

from ledgerline.api.bank.body import (
    UPLOAD_FIELD,
    UploadedFile,
    is_multipart,
    read_params,
    read_upload,
)
from ledgerline.api.bank.routing import check_version, graph_route
from ledgerline.api.deps import Context, authenticate_page
from ledgerline.api.openapi import documented_upload
from ledgerline.api.schemas import ERRORS
from ledgerline.domain.clock import to_ms
from ledgerline.domain.errors import InvalidParameter
from ledgerline.domain.fields import Choice, Obj, json_schemas
from ledgerline.domain.messages import MEDIA_TYPES

router = APIRouter(tags=["Attachments"])


@dataclass(frozen=True, slots=True)
class UploadUrl:
    """``payload.url``: where to fetch the attachment from; with ``file_given`` (a
    multipart file came too) there must be none."""

    file_given: bool = False
    required: bool = False

    def parse(self, value: Any, param: str) -> str | None:
        if value is not None and self.file_given:
            raise InvalidParameter(f"Send either payload.url or {UPLOAD_FIELD}, not both")
        if value is not None and not isinstance(value, str):
            raise InvalidParameter(f"param {param} must be a URL")
        return value

    def schema(self, named: dict[str, dict[str, Any]]) -> dict[str, Any]:
        return {
            "type": "string",
            "format": "uri",
            "description": "Fetched once (https, public addresses only in production, no "
            f"redirects, 20 s); without it, the multipart body's `{UPLOAD_FIELD}` file",
            "examples": ["https://bank.example/card.png"],
        }


@dataclass(frozen=True, slots=True)
class Reusable:
    """``payload.is_reusable``: taken and ignored, an upload is always reusable."""

    required: bool = False

    def parse(self, value: Any, param: str) -> None:
        return None

    def schema(self, named: dict[str, dict[str, Any]]) -> dict[str, Any]:
        return {"description": "Accepted and ignored: an uploaded attachment is always reusable"}


@dataclass(frozen=True, slots=True)
class OrEmpty:
    """An object that may be left out or falsy (``null``, ``""``): read as ``{}``."""

    inner: Obj
    required: bool = False

    def parse(self, value: Any, param: str) -> dict[str, Any]:
        return self.inner.read(value or {}, param)

    def schema(self, named: dict[str, dict[str, Any]]) -> dict[str, Any]:
        return self.inner.schema(named)


def upload_body(*, file_given: bool) -> Obj:
    """The body of an upload; with ``file_given`` (a multipart ``filedata``), without a URL."""
    payload = Obj(
        "UploadPayload", {"url": UploadUrl(file_given=file_given), "is_reusable": Reusable()}
    )
    attachment = Obj(
        "UploadedAttachment",
        {"type": Choice(MEDIA_TYPES, description="What the file is"), "payload": OrEmpty(payload)},
    )
    return Obj(
        "AttachmentUpload",
        {"message": Obj("AttachmentUploadMessage", {"attachment": attachment})},
        description=f"By `url`, or a multipart body with this `message` and a `{UPLOAD_FIELD}` "
        "file (not both)",
    )


BY_URL = upload_body(file_given=False)  # the documented one
WITH_FILE = upload_body(file_given=True)


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
    openapi_extra=documented_upload(json_schemas(BY_URL), EXAMPLES, UPLOAD_FIELD),
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
    body = BY_URL if upload is None else WITH_FILE
    attachment = body.read(params)["message"]["attachment"]
    kind, url = attachment["type"], attachment["payload"]["url"]
    now = to_ms(ctx.clock.now())
    if url is not None:
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
        raise InvalidParameter(
            f"param message[attachment][payload][url] or {UPLOAD_FIELD} is required"
        )
    return {"attachment_id": row.attachment_id}
