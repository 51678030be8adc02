"""Releases financial updates held back by quiet hours or for the daily digest."""

from __future__ import annotations

import asyncio
import contextlib

import structlog

from ledgerline.domain.clock import Clock, to_ms
from ledgerline.ingest.notify import release_due
from ledgerline.storage.database import Database
from ledgerline.vault import Vault

log = structlog.get_logger(__name__)


class UpdatesWorker:
    """One release pass every ``interval`` seconds until stopped."""

    def __init__(self, *, db: Database, vault: Vault, clock: Clock, interval: float = 30.0) -> None:
        self.db = db
        self.vault = vault
        self.clock = clock
        self.interval = interval
        self._stopping = asyncio.Event()

    async def run_once(self) -> int:
        mids = await self.db.write(
            release_due, vault=self.vault, now=to_ms(self.clock.now()), partition="updates"
        )
        if mids:
            log.info("updates_released", messages=len(mids))
        return len(mids)

    async def run(self) -> None:
        while not self._stopping.is_set():
            try:
                await self.run_once()
            except Exception:  # the next pass retries; never kill the server
                log.exception("updates_release_failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=self.interval)

    async def stop(self) -> None:
        self._stopping.set()
