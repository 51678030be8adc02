"""Delivery receipts for every open stream of this process, written together.

A page message pushed to a person's socket counts as delivered. Rather than one write per
frame, or per socket, the (person, page) watermarks noted by all streams are gathered and
written every ``interval`` seconds: the bank still gets one ``delivery`` webhook per thread
per burst, not one per message.

Each thread's watermark is written by an action in that person's partition
(``person_partition``, as the Send API and ingestion): it runs on the writer that writes the
person's messages and locks that thread's row alone, so every batch of every writer of
every process still locks rows in partition order. One action for a page's threads at once
(partition: the page) locked them on another writer, in its own order, while the Send API
locked them in theirs: on PostgreSQL they deadlocked (``bench/scale.py`` saw 6 in a
10-second run of one process, each a stalled batch and a retry). A page whose business has
no webhook URL has no reader for its receipts: its flush reads that and writes nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime
from typing import Any

import structlog

from ledgerline.chat.actions import (
    DeliveredMark,
    do_mark_delivered_many,
    threads_to_mark_delivered,
)
from ledgerline.delivery.live import Frame
from ledgerline.domain.clock import Clock, to_ms
from ledgerline.storage.database import Database, person_partition

log = structlog.get_logger(__name__)

DELIVERY_RECEIPT_SECONDS = 0.25


class DeliveryReceipts:
    def __init__(
        self, db: Database, clock: Clock, interval: float = DELIVERY_RECEIPT_SECONDS
    ) -> None:
        self.db = db
        self.clock = clock
        self.interval = interval
        # page_id -> user_id -> (mids, watermark)
        self._pending: dict[str, dict[str, tuple[list[str], int]]] = {}
        self._flusher: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    def note(self, user_id: str, frame: Frame) -> None:
        """Record that ``frame`` reached ``user_id``'s device (only page messages count)."""
        if frame.get("type") != "message":
            return
        message: dict[str, Any] = frame["message"]
        if message.get("from") != "page":
            return
        per_page = self._pending.setdefault(frame["page_id"], {})
        mids, _ = per_page.get(user_id, ([], 0))
        mids.append(message["mid"])
        watermark = to_ms(datetime.fromisoformat(message["created_time"]))
        per_page[user_id] = (mids, watermark)
        if self._flusher is None:
            self._flusher = asyncio.create_task(self._flush_later())

    async def _flush_later(self) -> None:
        await asyncio.sleep(self.interval)
        self._flusher = None  # notes from now on schedule the next flush
        await self.flush()

    async def flush(self) -> None:
        pending, self._pending = self._pending, {}
        now = to_ms(self.clock.now())
        for page_id, per_user in pending.items():
            try:
                threads = await self.db.query(
                    threads_to_mark_delivered, page_id=page_id, user_ids=list(per_user)
                )
            except Exception:  # receipts are best effort; never break the streams
                log.exception("delivery_mark_failed", page_id=page_id, threads=len(per_user))
                continue
            writes = [
                self.db.write(
                    do_mark_delivered_many,
                    page_id=page_id,
                    marks=[DeliveredMark(user_id=user_id, mids=tuple(mids), watermark=watermark)],
                    now=now,
                    partition=person_partition(page_id, threads[user_id].psid),
                )
                for user_id, (mids, watermark) in sorted(per_user.items())
                if user_id in threads
            ]
            for outcome in await asyncio.gather(*writes, return_exceptions=True):
                if isinstance(outcome, BaseException):
                    log.error("delivery_mark_failed", page_id=page_id, error=repr(outcome))

    async def run(self) -> None:
        """Streams call ``note``; this only waits for the end (``workers.runner``)."""
        await self._stopping.wait()

    async def stop(self) -> None:
        await self.close()
        self._stopping.set()

    async def close(self) -> None:
        """Write what is pending (on shutdown)."""
        if self._flusher is not None:
            self._flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._flusher
            self._flusher = None
        await self.flush()
