"""The Send API: ``POST /me/messages`` and ``POST /{PAGE_ID}/messages``, any version prefix."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request

from ledgerline.api.bank.body import (
    UPLOAD_FIELD,
    UploadedFile,
    is_multipart,
    read_params,
    read_upload,
)
from ledgerline.api.bank.media import rehost_media
from ledgerline.api.bank.routing import check_version, graph_route
from ledgerline.api.context import AppContext
from ledgerline.api.deps import Context, authenticate_page
from ledgerline.api.limits import enforce
from ledgerline.api.openapi import documented_upload
from ledgerline.api.schemas import ERRORS, SEND_EXAMPLES, SendResponse
from ledgerline.chat.actions import do_page_mark_seen, do_send_page_message
from ledgerline.chat.blocking import access_reachable_thread
from ledgerline.delivery.live import frames_for
from ledgerline.domain.clock import to_ms
from ledgerline.domain.errors import InvalidParameter, PermissionDenied
from ledgerline.domain.events import TypingChanged
from ledgerline.domain.fields import json_schemas
from ledgerline.domain.messages import MESSAGE
from ledgerline.domain.send_request import (
    NOTIFICATION_TYPE,
    PERSONA_ID,
    RECIPIENT,
    SEND_REQUEST,
    SENDER_ACTION,
    messaging_policy,
)
from ledgerline.storage.database import person_partition

router = APIRouter(tags=["Send API"])


def recipient_psid(params: dict[str, Any]) -> str:
    return RECIPIENT.parse(params.get("recipient"), "recipient")


@graph_route(
    router,
    "/{node}/messages",
    ["POST"],
    response_model=SendResponse,
    response_model_exclude_none=True,
    responses=ERRORS,
    summary="Send a message or a sender action to a person",
    openapi_extra=documented_upload(json_schemas(SEND_REQUEST), SEND_EXAMPLES, UPLOAD_FIELD),
)
async def send_message(
    request: Request,
    ctx: Context,
    node: Annotated[
        str, Path(pattern=r"^(me|[0-9]{1,32})$", description="`me` or the page id", examples=["me"])
    ],
    version: str | None = None,
) -> dict[str, Any]:
    return await send(ctx, request, node, version)


async def send(ctx: AppContext, request: Request, node: str, version: str | None) -> dict[str, Any]:
    """The Send API itself (also served by ``lane``, ahead of FastAPI's router)."""
    check_version(version)
    upload: UploadedFile | None = None
    if is_multipart(request):  # pymessenger2's send_attachment: the file in ``filedata``
        params, upload = await read_upload(request)
    else:
        params = await read_params(request)
    auth = await authenticate_page(ctx, request, params)
    await enforce(ctx.limits.send, auth.page_id)
    if node not in ("me", auth.page_id):
        raise PermissionDenied("The access token does not belong to this page")
    psid = recipient_psid(params)
    sender_action = SENDER_ACTION.parse(params.get("sender_action"), "sender_action")
    message = params.get("message")
    if sender_action is not None:
        if message is not None:
            raise InvalidParameter("sender_action cannot be sent with a message")
        answer = await _sender_action(ctx, auth.page_id, psid, sender_action)
        ctx.metrics.send_action.inc()
        return answer
    if message is None:
        raise InvalidParameter("param message must be non-empty")
    messaging_type, tag = messaging_policy(params)
    NOTIFICATION_TYPE.parse(params.get("notification_type"), "notification_type")
    persona_id = PERSONA_ID.parse(params.get("persona_id"), "persona_id")
    normalized = MESSAGE.parse(message, "message")
    attachment_id = await rehost_media(ctx, page_id=auth.page_id, message=normalized, upload=upload)
    sent = await ctx.db.write(
        do_send_page_message,
        page_id=auth.page_id,
        psid=psid,
        message=normalized,
        messaging_type=messaging_type,
        tag=tag,
        now=ctx.clock.now(),
        persona_id=persona_id,
        partition=person_partition(auth.page_id, psid),
    )
    ctx.metrics.send_message.inc()
    answer = {"recipient_id": sent.recipient_id, "message_id": sent.message_id}
    if attachment_id is not None:
        answer["attachment_id"] = attachment_id
    return answer


async def _sender_action(ctx: AppContext, page_id: str, psid: str, action: str) -> dict[str, Any]:
    if action == "mark_seen":
        await ctx.db.write(
            do_page_mark_seen,
            page_id=page_id,
            psid=psid,
            now=to_ms(ctx.clock.now()),
            partition=person_partition(page_id, psid),
        )
        return {"recipient_id": psid}
    thread = await ctx.db.query(access_reachable_thread, page_id, psid)
    event = TypingChanged(page_id, thread.user_id, action == "typing_on")
    ctx.hub.publish_many(frames_for([event]))
    return {"recipient_id": psid}
