"""Releases financial updates held back by quiet hours or for the daily digest."""

from __future__ import annotations

import structlog

from ledgerline.domain.clock import Clock, to_ms
from ledgerline.domain.records import VaultPort
from ledgerline.storage.database import Database, UnitOfWork
from ledgerline.updates.notify import release_due
from ledgerline.workers.periodic import PeriodicWorker

log = structlog.get_logger(__name__)


class UpdatesWorker(PeriodicWorker):
    """One release pass every ``interval`` seconds until stopped."""

    failure_event = "updates_release_failed"

    def __init__(
        self, *, db: Database, vault: VaultPort[UnitOfWork], clock: Clock, interval: float = 30.0
    ) -> None:
        self.db = db
        self.vault = vault
        self.clock = clock
        super().__init__(interval=interval)

    async def run_once(self) -> int:
        mids = await self.db.write(
            release_due, vault=self.vault, now=to_ms(self.clock.now()), partition="updates"
        )
        if mids:
            log.info("updates_released", messages=len(mids))
        return len(mids)
