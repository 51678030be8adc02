"""The periodic consent worker: expiry and reminders (``expire_and_remind``) every minute."""

from __future__ import annotations

import asyncio
import contextlib

import structlog

from ledgerline.domain.clock import Clock, to_ms
from ledgerline.linking.actions import ExpiryReport, expire_and_remind
from ledgerline.linking.hooks import LinkingHooks
from ledgerline.storage.database import Database

log = structlog.get_logger(__name__)

PARTITION = "linking:expiry"


class ConsentWorker:
    """``await worker.run()`` until ``await worker.stop()``; one pass every ``interval``."""

    def __init__(
        self, *, db: Database, clock: Clock, hooks: LinkingHooks, interval: float = 60.0
    ) -> None:
        self.db = db
        self.clock = clock
        self.hooks = hooks
        self.interval = interval
        self._stopping = asyncio.Event()

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

    async def run(self) -> None:
        while not self._stopping.is_set():
            try:
                await self.run_once()
            except Exception:  # the next pass retries; never kill the server
                log.exception("consent_sweep_failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=self.interval)

    async def stop(self) -> None:
        self._stopping.set()
