"""Media in a Send API message, re-hosted before it is stored: a ``url`` is fetched (through
the SSRF-guarded transport), an ``attachment_id`` looked up among the page's uploads, a
multipart ``filedata`` file stored; each then points at Ledgerline's own copy
(``{"url": "<public URL>/attachments/{id}/{signature}", "attachment_id"}``). Pictures of
templates and quick replies (``image_url``) point at a signed path that fetches them when
the person's app asks. Either way the person's app never loads a bank's server."""

from __future__ import annotations

from typing import Any

from ledgerline.api.bank.body import UploadedFile
from ledgerline.api.context import AppContext
from ledgerline.chat.attachments import access_page_attachment
from ledgerline.domain.clock import to_ms
from ledgerline.domain.errors import InvalidParameter
from ledgerline.storage.stores.attachments import AttachmentRow


def _sources(message: dict[str, Any]) -> list[tuple[str, dict[str, Any], str]]:
    """(kind, the dict holding the media's source, its parameter name) of a message."""
    attachment = message.get("attachment")
    if not isinstance(attachment, dict):
        return []
    payload = attachment["payload"]
    if attachment["type"] != "template":
        return [(attachment["type"], payload, "message[attachment][payload]")]
    if payload.get("template_type") == "media":
        element = payload["elements"][0]
        return [(element["media_type"], element, "message[attachment][payload][elements][0]")]
    return []


def proxy_pictures(ctx: AppContext, message: dict[str, Any]) -> None:
    """Point the pictures of templates and quick replies (``image_url``) at Ledgerline's
    fetch-on-request path, in place: the person's browser never loads the bank's URL."""
    base = ctx.public_url.rstrip("/")
    holders: list[dict[str, Any]] = list(message.get("quick_replies") or [])
    attachment = message.get("attachment")
    if isinstance(attachment, dict) and attachment["type"] == "template":
        holders += attachment["payload"].get("elements") or []
    for holder in holders:
        if isinstance(holder.get("image_url"), str):
            holder["image_url"] = base + ctx.attachments.remote_path(holder["image_url"])


async def rehost_media(
    ctx: AppContext, *, page_id: str, message: dict[str, Any], upload: UploadedFile | None
) -> str | None:
    """Re-host the message's media in place; the ``attachment_id`` to answer with when the
    bank asked for a reusable one (``is_reusable``), else None."""
    proxy_pictures(ctx, message)
    now = to_ms(ctx.clock.now())
    answer: str | None = None
    used_upload = False
    for kind, source, param in _sources(message):
        reusable = bool(source.pop("is_reusable", False))
        row: AttachmentRow
        if "url" in source:
            row = await ctx.attachments.from_url(
                page_id=page_id,
                kind=kind,
                url=source["url"],
                reusable=reusable,
                now=now,
                param=f"{param}[url]",
            )
        elif "attachment_id" in source:
            row = await ctx.db.query(
                access_page_attachment, page_id=page_id, attachment_id=source["attachment_id"]
            )
            if row.kind != kind:
                raise InvalidParameter(f"param {param}[attachment_id] is not a {kind} attachment")
        else:
            if upload is None:
                raise InvalidParameter(f"param {param} needs a url, an attachment_id or filedata")
            used_upload = True
            row = await ctx.attachments.store(
                page_id=page_id,
                user_id=None,
                kind=kind,
                data=upload.data,
                content_type=upload.content_type,
                filename=upload.filename,
                reusable=reusable,
                now=now,
            )
        source.pop("filedata", None)
        source["url"] = ctx.public_url.rstrip("/") + ctx.attachments.path(row.attachment_id)
        source["attachment_id"] = row.attachment_id
        if reusable:
            answer = row.attachment_id
    if upload is not None and not used_upload:
        raise InvalidParameter("param filedata is given but the message has no media to carry it")
    return answer
