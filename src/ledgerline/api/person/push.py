"""Web Push for a person's browsers (``/api/v1/push``): the deployment's VAPID public key,
and the subscriptions the person allowed with the kinds of updates each wants."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from ledgerline.api.deps import Context, UserId
from ledgerline.api.schemas import ERRORS
from ledgerline.chat.wire import iso_time
from ledgerline.delivery.webpush import (
    DEFAULT_TOPICS,
    PushSender,
    check_subscription,
    do_subscribe,
    do_unsubscribe,
)
from ledgerline.domain.clock import to_ms
from ledgerline.domain.errors import NotFound
from ledgerline.storage.stores import push as push_store

router = APIRouter(prefix="/api/v1/push", tags=["People: notifications"])


class PushKeys(BaseModel):
    p256dh: str = Field(min_length=1, max_length=128)
    auth: str = Field(min_length=1, max_length=64)


class SubscriptionIn(BaseModel):
    """``PushSubscription.toJSON()`` and the kinds of updates to notify."""

    endpoint: str = Field(min_length=1, max_length=2000)
    keys: PushKeys
    topics: list[str] = Field(
        default_factory=lambda: sorted(DEFAULT_TOPICS),
        max_length=4,
        description="alerts (fraud alerts), payments, updates (balances, receipts, "
        "deliveries), messages (what banks and agents write)",
    )


def _sender(push: PushSender | None) -> PushSender:
    if push is None:
        raise NotFound("Web Push is not available on this platform")
    return push


@router.get("/key", responses=ERRORS, summary="The VAPID public key to subscribe with")
async def push_key(ctx: Context, user_id: UserId) -> dict[str, str]:
    return {"public_key": _sender(ctx.push).public_key}


@router.post(
    "/subscriptions",
    status_code=201,
    responses=ERRORS,
    summary="Notify this browser (a Web Push subscription) about the chosen kinds of updates",
)
async def subscribe(ctx: Context, user_id: UserId, body: SubscriptionIn) -> dict[str, Any]:
    push = _sender(ctx.push)
    topics = check_subscription(
        push.crypto,
        endpoint=body.endpoint,
        p256dh=body.keys.p256dh,
        auth=body.keys.auth,
        topics=body.topics,
        allow_insecure=ctx.allow_insecure_urls,
    )
    await ctx.db.write(
        do_subscribe,
        user_id=user_id,
        endpoint=body.endpoint,
        p256dh=body.keys.p256dh,
        auth=body.keys.auth,
        topics=topics,
        now=to_ms(ctx.clock.now()),
    )
    push.subscribed(user_id)
    return {"success": True, "topics": sorted(topics)}


@router.get("/subscriptions", responses=ERRORS, summary="This person's push subscriptions")
async def list_subscriptions(ctx: Context, user_id: UserId) -> dict[str, Any]:
    rows = await ctx.db.read(push_store.subscriptions_of, user_id)
    return {
        "data": [
            {
                "endpoint": row.endpoint,
                "topics": sorted(row.topics),
                "created_time": iso_time(row.created_at),
            }
            for row in rows
        ]
    }


@router.delete("/subscriptions", responses=ERRORS, summary="Stop notifying this browser")
async def unsubscribe(
    ctx: Context, user_id: UserId, endpoint: Annotated[str, Query(max_length=2000)]
) -> dict[str, bool]:
    if not await ctx.db.write(do_unsubscribe, user_id=user_id, endpoint=endpoint):
        raise NotFound("No such push subscription")
    return {"success": True}
