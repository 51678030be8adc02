"""Keeps the audit chain's head outside the database: a line in the anchor file every
``interval`` seconds when the head moved, and one more when the worker stops."""

from __future__ import annotations

import asyncio

import structlog

from ledgerline.audit import Anchor, AnchorFile, head
from ledgerline.domain.clock import Clock, to_ms
from ledgerline.storage.database import Database
from ledgerline.workers.periodic import PeriodicWorker

log = structlog.get_logger(__name__)


class AuditAnchorWorker(PeriodicWorker):
    """``await worker.run()`` until ``await worker.stop()``; the last pass runs on the way
    out, so a clean shutdown leaves the final head anchored."""

    failure_event = "audit_anchor_failed"

    def __init__(
        self, *, db: Database, anchors: AnchorFile, clock: Clock, interval: float = 60.0
    ) -> None:
        self.db = db
        self.anchors = anchors
        self.clock = clock
        self._last: tuple[int, str] | None = None
        super().__init__(interval=interval)

    async def run_once(self) -> Anchor | None:
        """Anchor the head if it moved since this worker last anchored it."""
        now = await self.db.read(head)
        if now.seq == 0 or self._last == (now.seq, now.entry_hash):
            return None
        anchor = Anchor(
            seq=now.seq,
            entry_hash=now.entry_hash,
            keyed_from=now.keyed_from,
            at=to_ms(self.clock.now()),
        )
        await asyncio.to_thread(self.anchors.append, anchor)
        self._last = (anchor.seq, anchor.entry_hash)
        return anchor

    async def run(self) -> None:
        await super().run()
        try:
            await self.run_once()
        except Exception:
            log.exception(self.failure_event)
