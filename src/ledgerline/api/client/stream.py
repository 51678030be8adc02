"""``WebSocket /api/v1/stream``: live frames for a person — messages, typing, reads.

Frames: ``{"type":"message","page_id","message":{…}}``, ``{"type":"typing","page_id",
"typing":bool}``, ``{"type":"read","page_id","watermark"}``. A page message pushed to the
person counts as delivered: the bank gets one ``delivery`` webhook per burst, carrying the
mids and the watermark. A connection that cannot keep up is closed (code 4008); the client
reconnects and fills the gap from ``GET /threads/{page_id}/messages?after=<last mid>``.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime
from typing import Any

import structlog
from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from ledgerline.api.context import AppContext
from ledgerline.api.deps import authenticate_user, session_user
from ledgerline.api.limits import enforce
from ledgerline.chat.actions import do_mark_delivered
from ledgerline.delivery.live import Frame
from ledgerline.domain.clock import to_ms
from ledgerline.domain.errors import InvalidToken, PermissionDenied, RateLimited

router = APIRouter()
log = structlog.get_logger(__name__)


def _delivered_from(frame: Frame, pending: dict[str, tuple[list[str], int]]) -> None:
    if frame.get("type") != "message":
        return
    message: dict[str, Any] = frame["message"]
    if message.get("from") != "page":
        return
    mids, _ = pending.get(frame["page_id"], ([], 0))
    mids.append(message["mid"])
    pending[frame["page_id"]] = (mids, to_ms_iso(message["created_time"]))


def to_ms_iso(created_time: str) -> int:
    return to_ms(datetime.fromisoformat(created_time))


async def _flush_delivered(
    ctx: AppContext, user_id: str, pending: dict[str, tuple[list[str], int]]
) -> None:
    now = to_ms(ctx.clock.now())
    for page_id, (mids, watermark) in pending.items():
        try:
            await ctx.db.write(
                do_mark_delivered,
                user_id=user_id,
                page_id=page_id,
                mids=mids,
                watermark=watermark,
                now=now,
                partition=f"{page_id}:{user_id}",
            )
        except Exception:  # delivery receipts are best effort; never break the stream
            log.exception("delivery_mark_failed", page_id=page_id)


DELIVERY_RECEIPT_SECONDS = 0.25


async def _flush_later(
    ctx: AppContext, user_id: str, pending: dict[str, tuple[list[str], int]]
) -> None:
    """Wait a moment so a burst of frames gives one ``delivery`` event, then send it."""
    await asyncio.sleep(DELIVERY_RECEIPT_SECONDS)
    batch = dict(pending)
    pending.clear()
    await _flush_delivered(ctx, user_id, batch)


@router.websocket("/api/v1/stream")
async def stream(websocket: WebSocket) -> None:
    ctx: AppContext = websocket.app.state.ctx
    token = websocket.query_params.get("access_token")
    header = websocket.headers.get("authorization", "")
    if not token and header.lower().startswith("bearer "):
        token = header[7:].strip()
    try:
        user_id = (None if token else await session_user(websocket)) or await authenticate_user(
            ctx, token
        )
    except (InvalidToken, PermissionDenied):
        await websocket.close(code=4401, reason="invalid access token")
        return
    try:
        enforce(ctx.limits.person, user_id)
    except RateLimited as exc:
        await websocket.close(code=4429, reason=f"rate limited; retry in {exc.retry_after} s")
        return
    subscription = ctx.hub.subscribe(user_id)
    await websocket.accept()
    receiver = asyncio.create_task(_drain_client(websocket))
    background: set[asyncio.Task[None]] = set()
    pending: dict[str, tuple[list[str], int]] = {}
    try:
        while True:
            getter = asyncio.create_task(subscription.queue.get())
            done, _ = await asyncio.wait({getter, receiver}, return_when=asyncio.FIRST_COMPLETED)
            if receiver in done:
                getter.cancel()
                break
            batch: list[Frame | None] = [getter.result()]
            while not subscription.queue.empty():
                batch.append(subscription.queue.get_nowait())
            if None in batch:  # overflowed: the client must resync from history
                await websocket.close(code=4008, reason="too slow; resync from history")
                break
            for frame in batch:
                assert frame is not None  # noqa: S101 - checked above
                await websocket.send_json(frame)
                _delivered_from(frame, pending)
            if pending and not background:
                # One delivery receipt per thread per DELIVERY_RECEIPT_SECONDS, not per frame.
                task = asyncio.create_task(_flush_later(ctx, user_id, pending))
                background.add(task)
                task.add_done_callback(background.discard)
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        ctx.hub.unsubscribe(subscription)
        receiver.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await receiver
        if background:
            await asyncio.gather(*background, return_exceptions=True)
        if pending:
            await _flush_delivered(ctx, user_id, dict(pending))


async def _drain_client(websocket: WebSocket) -> None:
    """Read (and ignore) what the client sends; returns when it disconnects."""
    with contextlib.suppress(WebSocketDisconnect, RuntimeError):
        while True:
            await websocket.receive_text()
