"""The periodic consent worker: expiry and reminders (``expire_and_remind``) every minute."""

from __future__ import annotations

import structlog

from ledgerline.domain.clock import Clock, to_ms
from ledgerline.linking.actions import ExpiryReport, expire_and_remind
from ledgerline.linking.hooks import LinkingHooks
from ledgerline.storage.database import Database
from ledgerline.workers.periodic import PeriodicWorker

log = structlog.get_logger(__name__)

PARTITION = "linking:expiry"


class ConsentWorker(PeriodicWorker):
    """``await worker.run()`` until ``await worker.stop()``; one pass every ``interval``."""

    failure_event = "consent_sweep_failed"

    def __init__(
        self, *, db: Database, clock: Clock, hooks: LinkingHooks, interval: float = 60.0
    ) -> None:
        self.db = db
        self.clock = clock
        self.hooks = hooks
        super().__init__(interval=interval)

    async def run_once(self) -> ExpiryReport:
        report = await self.db.write(
            expire_and_remind,
            now=to_ms(self.clock.now()),
            hooks=self.hooks,
            partition=PARTITION,
        )
        if report.expired or report.reminded:
            log.info("consents_swept", expired=report.expired, reminded=report.reminded)
        return report
