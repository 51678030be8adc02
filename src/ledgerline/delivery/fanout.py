"""Scale-out: live frames and outbox wake-ups reach the platform's other processes.

Each process delivers its own frames to its own sockets at once, then hands them to the
broker; frames from other processes go only to local sockets. Publishing is sequential
(one task, one queue), so frames reach other processes in the order they were committed.
Frames are sealed (``Sealer``, the vault's transit cipher) before they reach the broker: they
may carry financial content, which must not sit in clear in Redis or NATS.
A wake-up tells every other dispatcher that the outbox has news; many commits in a row
give one wake-up in flight at a time. Nothing here is the only copy of anything: a lost
frame is refilled by the client from REST history, a lost wake-up by the dispatcher's poll.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import json
from collections.abc import Callable
from typing import Any, Protocol

import structlog

from ledgerline.broker import Broker, BrokerMessage
from ledgerline.delivery.live import Frame, LiveHub

log = structlog.get_logger(__name__)

LIVE = "live"
OUTBOX = "outbox"
QUEUE_LIMIT = 10_000

_Outgoing = tuple[str, Any]


class Sealer(Protocol):
    """Authenticated encryption shared by the platform's processes (``vault.TransitCipher``)."""

    def seal(self, topic: str, data: bytes) -> bytes: ...

    def open(self, topic: str, sealed: bytes) -> bytes | None: ...


class ClusterFanout:
    def __init__(
        self, *, broker: Broker, hub: LiveHub, on_wake: Callable[[], None], sealer: Sealer
    ) -> None:
        self.broker = broker
        self.hub = hub
        self.on_wake = on_wake
        self.sealer = sealer
        self._queue: asyncio.Queue[_Outgoing] = asyncio.Queue(maxsize=QUEUE_LIMIT)
        self._publisher: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake_queued = False
        self.dropped = 0

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        await self.broker.start(self._receive)
        self._publisher = asyncio.create_task(self._publish_loop(), name="fanout-publisher")
        self.hub.relay = self.frames_out

    async def close(self) -> None:
        self.hub.relay = None
        if self._publisher is not None:
            # Send what is queued (briefly), then stop.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._queue.join(), 2.0)
            self._publisher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._publisher
        await self.broker.close()

    def backlog(self) -> int:
        """Frames and wake-ups waiting to be published (metrics: the broker's lag)."""
        return self._queue.qsize()

    async def ping(self) -> None:
        """Raise when the broker cannot be reached (readiness)."""
        await self.broker.ping()

    # -- out ------------------------------------------------------------------------------
    def frames_out(self, frames: list[tuple[str, Frame]]) -> None:
        """Hand this process's frames to the other processes (on the event loop), sealed."""
        plain = json.dumps(
            [[user_id, frame] for user_id, frame in frames], separators=(",", ":")
        ).encode()
        self._put((LIVE, base64.b64encode(self.sealer.seal(LIVE, plain)).decode("ascii")))

    def wake_threadsafe(self) -> None:
        """The outbox has news (called on a writer thread after a commit)."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._wake)

    def _wake(self) -> None:
        if not self._wake_queued:
            self._wake_queued = True
            self._put((OUTBOX, None))

    def _put(self, item: _Outgoing) -> None:
        try:
            self._queue.put_nowait(item)
        except asyncio.QueueFull:
            self.dropped += 1
            if item[0] == OUTBOX:
                self._wake_queued = False

    async def _publish_loop(self) -> None:
        while True:
            topic, body = await self._queue.get()
            try:
                if topic == OUTBOX:
                    self._wake_queued = False
                await self.broker.publish(topic, body)
            except Exception:
                log.exception("fanout_publish_failed", topic=topic)
            finally:
                self._queue.task_done()

    # -- in -------------------------------------------------------------------------------
    def _receive(self, message: BrokerMessage) -> None:
        if message.topic == LIVE:
            items = self._unseal(message.body)
            frames = [
                (str(item[0]), item[1])
                for item in items
                if isinstance(item, list) and len(item) == 2 and isinstance(item[1], dict)
            ]
            self.hub.deliver(frames)
        elif message.topic == OUTBOX:
            self.on_wake()

    def _unseal(self, body: Any) -> list[Any]:
        if not isinstance(body, str):
            return []
        try:
            plain = self.sealer.open(LIVE, base64.b64decode(body, validate=True))
        except (binascii.Error, ValueError):
            plain = None
        if plain is None:
            log.warning("fanout_frames_unreadable")  # another master key, or not ours
            return []
        items = json.loads(plain)
        return items if isinstance(items, list) else []
