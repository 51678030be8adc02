"""Retention, periodically: ``privacy.retention.do_purge`` every hour (by default)."""

from __future__ import annotations

import structlog

from ledgerline.domain.clock import Clock, to_ms
from ledgerline.domain.records import VaultPort
from ledgerline.privacy.retention import RetentionReport, do_purge
from ledgerline.storage.database import Database, UnitOfWork
from ledgerline.workers.periodic import PeriodicWorker

log = structlog.get_logger(__name__)


class RetentionWorker(PeriodicWorker):
    """One purge pass every ``interval`` seconds (hourly by default) until stopped."""

    failure_event = "retention_failed"

    def __init__(
        self,
        *,
        db: Database,
        vault: VaultPort[UnitOfWork],
        clock: Clock,
        interval: float = 3600.0,
    ) -> None:
        self.db = db
        self.vault = vault
        self.clock = clock
        super().__init__(interval=interval)

    async def run_once(self) -> RetentionReport:
        report = await self.db.write(
            do_purge, vault=self.vault, now=to_ms(self.clock.now()), partition="retention"
        )
        hooks = report.webhooks
        if (
            report.records_deleted
            or report.idempotency_keys_deleted
            or any((hooks.payloads_erased, hooks.unsent_given_up, hooks.entries_deleted))
        ):
            log.info(
                "retention_purged",
                records=report.records_deleted,
                idempotency_keys=report.idempotency_keys_deleted,
                webhook_payloads=hooks.payloads_erased,
                webhook_unsent=hooks.unsent_given_up,
                webhook_entries=hooks.entries_deleted,
            )
        return report
