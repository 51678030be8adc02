"""The person-facing API: directory, threads, messages, read marks (``/api/v1``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from ledgerline.api.deps import Context, UserId
from ledgerline.api.schemas import (
    ERRORS,
    AlertList,
    BusinessList,
    MessageList,
    MidOut,
    ReadOut,
    ThreadList,
    UserMessageIn,
)
from ledgerline.chat.actions import do_user_message, do_user_read
from ledgerline.chat.wire import client_message, iso_time
from ledgerline.domain.clock import to_ms
from ledgerline.domain.errors import InvalidParameter, NotFound
from ledgerline.storage.stores import (
    businesses as business_store,
    threads as thread_store,
    updates as alert_store,
)

router = APIRouter(prefix="/api/v1", tags=["People: messaging"])


@router.get(
    "/businesses",
    response_model=BusinessList,
    responses=ERRORS,
    summary="The business directory a person searches to start a thread",
)
async def list_businesses(
    ctx: Context,
    user_id: UserId,
    q: Annotated[
        str | None,
        Query(
            max_length=100,
            description="Words the name holds, in any order, case and diacritics aside "
            "(`ngan hang` finds “Ngân hàng Demo”)",
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> dict[str, Any]:
    rows = await ctx.db.read(business_store.list_businesses, query=q, limit=limit)
    return {"data": [{"page_id": row.page_id, "name": row.name} for row in rows]}


@router.get(
    "/threads",
    response_model=ThreadList,
    response_model_exclude_none=True,
    responses=ERRORS,
    summary="The person's threads, most recent first, with unread counts",
)
async def list_threads(ctx: Context, user_id: UserId) -> dict[str, Any]:
    summaries = await ctx.db.read(thread_store.list_user_threads, user_id)
    waiting = await ctx.db.read(alert_store.open_alert_counts, user_id, to_ms(ctx.clock.now()))
    pairs = _pairs(summaries)
    lasts = await _resolve(ctx, user_id, pairs)
    by_page = {page_id: row for (page_id, _old), row in zip(pairs, lasts, strict=True)}
    return {
        "data": [
            {
                "page_id": s.page_id,
                "page_name": s.page_name,
                "last_message": None
                if s.page_id not in by_page
                else client_message(by_page[s.page_id]),
                "unread": s.unread,
                "open_alerts": waiting.get(s.page_id, 0),
            }
            for s in summaries
        ]
    }


def _pairs(
    summaries: list[thread_store.ThreadSummary],
) -> list[tuple[str, thread_store.MessageRow]]:
    return [(s.page_id, s.last_message) for s in summaries if s.last_message is not None]


async def _resolve(
    ctx: Context, user_id: str, items: list[tuple[str, thread_store.MessageRow]]
) -> list[thread_store.MessageRow]:
    """Bodies of private messages, decrypted for the person (``chat.private``)."""
    return await ctx.messages.resolve(user_id, items)


async def _require_business(ctx: Context, page_id: str) -> None:
    if await ctx.db.read(business_store.get_business, page_id) is None:
        raise NotFound(f"No business with page id {page_id[:40]}")


@router.get(
    "/threads/{page_id}/messages",
    response_model=MessageList,
    responses=ERRORS,
    response_model_exclude_none=True,
    summary="Messages of a thread, oldest first",
)
async def list_messages(
    ctx: Context,
    user_id: UserId,
    page_id: str,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    before: Annotated[
        str | None, Query(max_length=64, description="A mid: messages before it")
    ] = None,
    after: Annotated[
        str | None, Query(max_length=64, description="A mid: messages after it")
    ] = None,
    after_seq: Annotated[
        int | None,
        Query(
            ge=0,
            le=2**62,
            description="A message number (`seq`): the messages numbered after it, oldest "
            "first. What a client refills with: it can never skip a message.",
        ),
    ] = None,
) -> dict[str, Any]:
    await _require_business(ctx, page_id)
    thread = await ctx.db.read(thread_store.get_thread, page_id, user_id)
    if thread is None:
        return {"data": []}

    if after_seq is not None and (before is not None or after is not None):
        raise InvalidParameter("param after_seq cannot be combined with before or after")

    def load(conn: Any) -> list[thread_store.MessageRow]:
        if after_seq is not None:
            return thread_store.list_messages(
                conn, thread.thread_id, limit=limit, after_number=after_seq
            )
        before_seq = after_mark = None
        if before is not None:
            before_seq = thread_store.message_seq(conn, thread.thread_id, before)
            if before_seq is None:
                raise InvalidParameter("param before is not a message of this thread")
        if after is not None:
            after_mark = thread_store.message_seq(conn, thread.thread_id, after)
            if after_mark is None:
                raise InvalidParameter("param after is not a message of this thread")
        return thread_store.list_messages(
            conn, thread.thread_id, limit=limit, before_seq=before_seq, after_seq=after_mark
        )

    rows = await _resolve(ctx, user_id, [(page_id, row) for row in await ctx.db.read(load)])
    return {"data": [client_message(row) for row in rows]}


@router.get(
    "/threads/{page_id}/alerts",
    response_model=AlertList,
    responses=ERRORS,
    response_model_exclude_none=True,
    summary="Fraud alerts of a thread waiting for the person's answer, newest first",
)
async def list_open_alerts(ctx: Context, user_id: UserId, page_id: str) -> dict[str, Any]:
    """What the app pins above the thread until it is answered or expires (7 days): each
    alert with its message (decrypted for the person, like the thread's)."""
    await _require_business(ctx, page_id)
    now = to_ms(ctx.clock.now())

    def load(conn: Any) -> tuple[list[Any], list[thread_store.MessageRow]]:
        thread = thread_store.get_thread(conn, page_id, user_id)
        if thread is None:
            return [], []
        alerts = alert_store.open_alerts(conn, page_id, user_id, now)
        mids = [a.mid for a in alerts if a.mid is not None]
        return alerts, thread_store.messages_by_mid(conn, thread.thread_id, mids)

    alerts, rows = await ctx.db.read(load)
    resolved = {
        row.mid: row for row in await _resolve(ctx, user_id, [(page_id, row) for row in rows])
    }
    return {
        "data": [
            {
                "alert_id": alert.alert_id,
                "mid": alert.mid,
                "expires_time": iso_time(alert.expires_at),
                "message": client_message(resolved[alert.mid]),
            }
            for alert in alerts
            if alert.mid in resolved and alert.expires_at is not None
        ]
    }


@router.post(
    "/threads/{page_id}/messages",
    status_code=201,
    response_model=MidOut,
    responses=ERRORS,
    summary="Send a text, quick reply or postback to a business",
)
async def post_message(
    ctx: Context, user_id: UserId, page_id: str, body: UserMessageIn
) -> dict[str, Any]:
    given = [k for k in ("text", "quick_reply", "postback") if getattr(body, k) is not None]
    if len(given) != 1:
        raise InvalidParameter("Send exactly one of text, quick_reply or postback")
    content: dict[str, Any]
    if body.text is not None:
        content = {"text": body.text}
    elif body.quick_reply is not None:
        content = {
            "text": body.quick_reply.title,
            "quick_reply": {"payload": body.quick_reply.payload},
        }
    else:
        assert body.postback is not None  # noqa: S101 - one of three, checked above
        content = {"text": body.postback.title, "postback": {"payload": body.postback.payload}}
    await _require_business(ctx, page_id)
    row = await ctx.db.write(
        do_user_message,
        user_id=user_id,
        page_id=page_id,
        body=content,
        now=to_ms(ctx.clock.now()),
        inbound=ctx.inbound,
        partition=page_id,
    )
    return {"mid": row.mid}


@router.post(
    "/threads/{page_id}/read",
    response_model=ReadOut,
    responses=ERRORS,
    summary="Mark the thread read (the business receives a read event)",
)
async def mark_read(
    ctx: Context, user_id: UserId, page_id: str, response: Response
) -> dict[str, Any]:
    await _require_business(ctx, page_id)
    watermark = await ctx.db.write(
        do_user_read,
        user_id=user_id,
        page_id=page_id,
        now=to_ms(ctx.clock.now()),
        partition=page_id,
    )
    return {"success": True, "watermark": watermark}
