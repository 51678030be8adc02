"""``WebSocket /api/v1/stream``: live frames for a person — messages, typing, reads.

Frames: ``{"type":"message","page_id","message":{…}}``, ``{"type":"typing","page_id",
"typing":bool}``, ``{"type":"read","page_id","watermark"}``. A page message pushed to the
person counts as delivered: the bank gets one ``delivery`` webhook per burst, carrying the
mids and the watermark (``receipts.DeliveryReceipts`` writes them for all streams together).
A connection that cannot keep up is closed (code 4008); the client reconnects and fills the gap from ``GET /threads/{page_id}/messages?after=<last mid>``.
"""

from __future__ import annotations

import asyncio
import contextlib

import structlog
from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from ledgerline.api.client.receipts import DeliveryReceipts
from ledgerline.api.context import AppContext
from ledgerline.api.deps import authenticate_user, session_user
from ledgerline.api.limits import enforce
from ledgerline.delivery.live import Frame
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
        enforce(ctx.limits.person, user_id)
    except RateLimited as exc:
        await websocket.close(code=4429, reason=f"rate limited; retry in {exc.retry_after} s")
        return
    subscription = ctx.hub.subscribe(user_id)
    await websocket.accept()
    receiver = asyncio.create_task(_drain_client(websocket))
    receipts: DeliveryReceipts = websocket.app.state.receipts
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
                receipts.note(user_id, frame)
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
