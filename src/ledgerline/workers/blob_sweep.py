"""Remove the bytes of attachments no record uses any more (``storage.blobs``).

A record goes when the person who sent the file deletes their account; its bytes are
removed here, once the blob has not been written or re-stored for ``grace`` seconds (an
upload writes its bytes a moment before its record, and a re-upload of the same content
refreshes the file). Hourly by default.
"""

from __future__ import annotations

import asyncio

import structlog

from ledgerline.domain.clock import Clock
from ledgerline.storage.blobs import BlobStore
from ledgerline.storage.database import Database
from ledgerline.storage.stores import attachments as attachment_store
from ledgerline.workers.periodic import PeriodicWorker

log = structlog.get_logger(__name__)


class BlobSweepWorker(PeriodicWorker):
    failure_event = "blob_sweep_failed"

    def __init__(
        self,
        *,
        db: Database,
        blobs: BlobStore,
        clock: Clock,
        grace: float = 3600.0,
        interval: float = 3600.0,
    ) -> None:
        self.db = db
        self.blobs = blobs
        self.clock = clock
        self.grace = grace
        super().__init__(interval=interval)

    async def run_once(self) -> int:
        """One pass; how many blobs it removed."""
        cutoff = self.clock.now().timestamp() - self.grace
        candidates = await asyncio.to_thread(self.blobs.keys_untouched_since, cutoff)
        if not candidates:
            return 0
        used = await self.db.read(attachment_store.referenced_keys, candidates)
        unused = [key for key in candidates if key not in used]
        for key in unused:
            await asyncio.to_thread(self.blobs.delete, key)
        if unused:
            log.info("blobs_swept", count=len(unused))
        return len(unused)
