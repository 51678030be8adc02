"""Live fan-out to people: each open WebSocket has a bounded queue of frames.

The hub runs on the event loop; events committed on writer threads reach it through
``publish_threadsafe``. A client too slow to drain its queue is dropped (it reconnects and
fills the gap from the REST history), so one slow phone never holds the others back.
When scaled out, ``relay`` (``delivery.fanout``) carries this process's frames to the other
processes, whose frames come back through ``deliver`` (local sockets only).

A socket's sender waits on its queue alone (``next_batch``): ``Subscription.end`` wakes it
when the client leaves, so no task is made per frame.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict
from collections.abc import Callable
from typing import Any

QUEUE_LIMIT = 1000

Frame = dict[str, Any]


class Subscription:
    def __init__(self, user_id: str) -> None:
        self.user_id = user_id
        self.queue: asyncio.Queue[Frame | None] = asyncio.Queue(maxsize=QUEUE_LIMIT)
        self.overflowed = False
        self.ended = False

    def offer(self, frame: Frame) -> None:
        if self.overflowed or self.ended:
            return
        try:
            self.queue.put_nowait(frame)
        except asyncio.QueueFull:
            # Too slow: drop what is queued and leave only the sentinel, so the stream
            # closes the socket and the client resyncs from history.
            self.overflowed = True
            while not self.queue.empty():
                self.queue.get_nowait()
            self.queue.put_nowait(None)

    def end(self) -> None:
        """The client went away: wake the sender so that it stops."""
        if self.ended:
            return
        self.ended = True
        if not self.overflowed:
            # A full queue means the sender is not waiting: it sees ``ended`` next.
            with contextlib.suppress(asyncio.QueueFull):
                self.queue.put_nowait(None)

    async def next_batch(self) -> list[Frame]:
        """Every frame queued, waiting for the first; empty when the stream must stop
        (the client left, or it fell behind: ``overflowed``)."""
        batch: list[Frame] = []
        item = await self.queue.get()
        while item is not None:
            batch.append(item)
            if self.queue.empty():
                break
            item = self.queue.get_nowait()
        if item is None or self.ended:
            return []
        return batch


class LiveHub:
    def __init__(self) -> None:
        self._subs: dict[str, set[Subscription]] = defaultdict(set)
        self._loop: asyncio.AbstractEventLoop | None = None
        self.listeners: list[Callable[[str, Frame], None]] = []
        self.relay: Callable[[list[tuple[str, Frame]]], None] | None = None

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    def subscribe(self, user_id: str) -> Subscription:
        sub = Subscription(user_id)
        self._subs[user_id].add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        subs = self._subs.get(sub.user_id)
        if subs is not None:
            subs.discard(sub)
            if not subs:
                del self._subs[sub.user_id]

    def connected(self, user_id: str) -> bool:
        return bool(self._subs.get(user_id))

    def connection_count(self) -> int:
        """Sockets open on this process (metrics)."""
        return sum(len(subs) for subs in list(self._subs.values()))

    def publish(self, user_id: str, frame: Frame) -> None:
        self.publish_many([(user_id, frame)])

    def publish_many(self, frames: list[tuple[str, Frame]]) -> None:
        """Frames made in this process: to local sockets, and to other processes' (relay)."""
        self.deliver(frames)
        if self.relay is not None and frames:
            self.relay(frames)

    def deliver(self, frames: list[tuple[str, Frame]]) -> None:
        """To this process's sockets only."""
        for user_id, frame in frames:
            for sub in list(self._subs.get(user_id, ())):
                sub.offer(frame)
            for listener in self.listeners:
                listener(user_id, frame)

    def publish_threadsafe(self, frames: list[tuple[str, Frame]]) -> None:
        if self._loop is None or self._loop.is_closed():
            return
        self._loop.call_soon_threadsafe(self.publish_many, frames)


def frames_for(events: list[object]) -> list[tuple[str, Frame]]:
    """The live frames committed events turn into, addressed by user id."""
    from ledgerline.domain.events import LiveFrame, MessageCreated, PageRead, TypingChanged

    frames: list[tuple[str, Frame]] = []
    for event in events:
        if isinstance(event, MessageCreated):
            frames.append(
                (
                    event.user_id,
                    {"type": "message", "page_id": event.page_id, "message": event.message},
                )
            )
        elif isinstance(event, TypingChanged):
            frames.append(
                (
                    event.user_id,
                    {"type": "typing", "page_id": event.page_id, "typing": event.typing},
                )
            )
        elif isinstance(event, LiveFrame):
            frames.append((event.to, event.frame))
        elif isinstance(event, PageRead):
            frames.append(
                (
                    event.user_id,
                    {"type": "read", "page_id": event.page_id, "watermark": event.watermark},
                )
            )
    return frames
