"""Serving re-hosted attachments: ``GET /attachments/{attachment_id}/{signature}``.

The signature (``chat.attachments.Attachments.signature``) is the capability: whoever was
given the URL — the person in their thread, the bank in its webhook — may load it, as with
Messenger's CDN URLs; a wrong one is a plain 404. Every answer carries ``nosniff`` and a CSP
that sandboxes it, and only audio, video and images are shown inline: a file is a download.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from ledgerline.api.deps import Context
from ledgerline.domain.errors import NotFound
from ledgerline.storage.stores import attachments as attachment_store

router = APIRouter(tags=["Attachments"])
INLINE = ("image", "audio", "video")
SAFE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Cross-Origin-Resource-Policy": "same-origin",
}


@router.get("/attachments/remote", include_in_schema=False)
async def get_remote_image(
    ctx: Context,
    url: Annotated[str, Query(max_length=2000)],
    sig: Annotated[str, Query(pattern=r"^[0-9a-f]{32}$")],
) -> Response:
    """A template's picture, fetched for the person (``Attachments.remote_path``): only
    URLs the platform signed when the bank sent them."""
    if not ctx.attachments.verify_remote(url, sig):
        raise NotFound("No such picture")
    data, content_type = await ctx.attachments.fetch_remote_image(url)
    return Response(
        content=data,
        media_type=content_type,
        headers={**SAFE_HEADERS, "Cache-Control": "private, max-age=3600"},
    )


@router.get(
    "/attachments/{attachment_id}/{signature}",
    summary="A re-hosted attachment (the URL in messages and webhooks)",
    response_class=Response,
    # Not an API call: the URL handed out in messages and webhooks (docs/bank-api.md).
    include_in_schema=False,
)
async def get_attachment_file(
    ctx: Context,
    attachment_id: Annotated[str, Path(pattern=r"^[0-9]{1,32}$")],
    signature: Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")],
) -> Response:
    if not ctx.attachments.verify(attachment_id, signature):
        raise NotFound("No such attachment")
    row = await ctx.db.read(attachment_store.get_attachment, attachment_id)
    data = None if row is None else await ctx.attachments.read(row)
    if row is None or data is None:
        raise NotFound("No such attachment")
    disposition = "inline" if row.kind in INLINE else "attachment"
    return Response(
        content=data,
        media_type=row.content_type,
        headers={
            **SAFE_HEADERS,
            "Content-Disposition": f'{disposition}; filename="{row.filename}"',
            "Cache-Control": "private, max-age=86400, immutable",
        },
    )
