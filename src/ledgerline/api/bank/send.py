"""The Send API: ``POST /me/messages`` and ``POST /{PAGE_ID}/messages``, any version prefix."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request

from ledgerline.api.bank.body import UploadedFile, is_multipart, read_params, read_upload
from ledgerline.api.bank.media import rehost_media
from ledgerline.api.bank.routing import check_version, graph_route
from ledgerline.api.context import AppContext
from ledgerline.api.deps import Context, authenticate_page
from ledgerline.api.limits import enforce
from ledgerline.api.openapi import documented_body
from ledgerline.api.schemas import ERRORS, SEND_EXAMPLES, SendRequest, SendResponse
from ledgerline.chat.actions import do_page_mark_seen, do_send_page_message
from ledgerline.chat.blocking import access_reachable_thread
from ledgerline.delivery.live import frames_for
from ledgerline.domain.clock import to_ms
from ledgerline.domain.errors import InvalidParameter, PermissionDenied
from ledgerline.domain.events import TypingChanged
from ledgerline.domain.messages import normalize_page_message
from ledgerline.domain.window import LEGACY_TAGS, MessageTag, MessagingType
from ledgerline.storage.database import person_partition

router = APIRouter(tags=["Send API"])

SENDER_ACTIONS = ("typing_on", "typing_off", "mark_seen")


def recipient_psid(params: dict[str, Any]) -> str:
    recipient = params.get("recipient")
    if not isinstance(recipient, dict):
        raise InvalidParameter("param recipient must be an object with an id")
    psid = recipient.get("id")
    if isinstance(psid, bool) or not isinstance(psid, str | int) or not str(psid).strip():
        if recipient.get("user_ref") or recipient.get("phone_number"):
            raise InvalidParameter("Only recipient.id (a PSID) is supported")
        raise InvalidParameter("param recipient[id] is required")
    return str(psid).strip()


def parse_policy(params: dict[str, Any]) -> tuple[MessagingType, MessageTag | None]:
    raw_type = params.get("messaging_type") or "RESPONSE"
    try:
        messaging_type = MessagingType(str(raw_type).upper())
    except ValueError:
        raise InvalidParameter(
            "param messaging_type must be one of RESPONSE, UPDATE, MESSAGE_TAG"
        ) from None
    raw_tag = params.get("tag")
    tag: MessageTag | None = None
    if raw_tag:
        name = str(raw_tag).upper()
        try:
            tag = LEGACY_TAGS.get(name) or MessageTag(name)
        except ValueError:
            known = ", ".join(t.value for t in MessageTag)
            raise InvalidParameter(f"param tag must be one of {known}") from None
    if messaging_type is MessagingType.MESSAGE_TAG and tag is None:
        raise InvalidParameter("param tag is required when messaging_type is MESSAGE_TAG")
    return messaging_type, tag


@graph_route(
    router,
    "/{node}/messages",
    ["POST"],
    response_model=SendResponse,
    response_model_exclude_none=True,
    responses=ERRORS,
    summary="Send a message or a sender action to a person",
    openapi_extra=documented_body(SendRequest, SEND_EXAMPLES),
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
    sender_action = params.get("sender_action")
    message = params.get("message")
    if sender_action is not None:
        if message is not None:
            raise InvalidParameter("sender_action cannot be sent with a message")
        answer = await _sender_action(ctx, auth.page_id, psid, str(sender_action).lower())
        ctx.metrics.send_action.inc()
        return answer
    if message is None:
        raise InvalidParameter("param message must be non-empty")
    messaging_type, tag = parse_policy(params)
    persona_id = _persona_id(params.get("persona_id"))
    normalized = normalize_page_message(message)
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


def _persona_id(value: Any) -> str | None:
    """``persona_id`` (Messenger's Personas): a string or number of digits, or absent."""
    if value is None or value == "":
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip().isdigit() or len(value.strip()) > 32:
        raise InvalidParameter("param persona_id is not a persona of this page")
    return value.strip()


async def _sender_action(ctx: AppContext, page_id: str, psid: str, action: str) -> dict[str, Any]:
    if action not in SENDER_ACTIONS:
        raise InvalidParameter(f"param sender_action must be one of {', '.join(SENDER_ACTIONS)}")
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
