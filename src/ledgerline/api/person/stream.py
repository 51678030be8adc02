"""``WebSocket /api/v1/stream``: live frames for a person — messages, typing, reads.

Frames: ``{"type":"message","page_id","message":{…}}``, ``{"type":"typing","page_id",
"typing":bool}``, ``{"type":"read","page_id","watermark"}``. A page message pushed to the
person counts as delivered: the bank gets one ``delivery`` webhook per burst, carrying the
mids and the watermark (``workers.receipts`` writes them for all streams together).
A connection that cannot keep up is closed (code 4008); the client reconnects and fills the gap from ``GET /threads/{page_id}/messages?after=<last mid>``.
"""

from __future__ import annotations

import asyncio
import contextlib

import structlog
from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from ledgerline.api.context import AppContext
from ledgerline.api.deps import authenticate_user, session_user
from ledgerline.api.limits import enforce
from ledgerline.domain.errors import InvalidToken, PermissionDenied, RateLimited

router = APIRouter()
log = structlog.get_logger(__name__)


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
        await enforce(ctx.limits.person, user_id)
    except RateLimited as exc:
        await websocket.close(code=4429, reason=f"rate limited; retry in {exc.retry_after} s")
        return
    subscription = ctx.hub.subscribe(user_id)
    await websocket.accept()
    receiver = asyncio.create_task(_drain_client(websocket))
    receiver.add_done_callback(lambda _: subscription.end())
    receipts = ctx.receipts
    frames_sent = ctx.metrics.frames_sent
    try:
        while batch := await subscription.next_batch():
            for frame in batch:
                await websocket.send_json(frame)
                receipts.note(user_id, frame)
            frames_sent.inc(len(batch))
        if subscription.overflowed and not subscription.ended:
            await websocket.close(code=4008, reason="too slow; resync from history")
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        ctx.hub.unsubscribe(subscription)
        receiver.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await receiver


async def _drain_client(websocket: WebSocket) -> None:
    """Read (and ignore) what the client sends; returns when it disconnects."""
    with contextlib.suppress(WebSocketDisconnect, RuntimeError):
        while True:
            await websocket.receive_text()
