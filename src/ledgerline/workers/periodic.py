"""A loop that runs a unit of database work every few seconds until stopped.

The server's periodic jobs (consent expiry, retention, deferred updates) are subclasses:
each defines ``run_once``; a failing pass is logged and retried on the next one, so a
database hiccup never kills the server.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import ClassVar

import structlog

log = structlog.get_logger(__name__)


class PeriodicWorker:
    failure_event: ClassVar[str] = "periodic_pass_failed"

    def __init__(self, *, interval: float) -> None:
        self.interval = interval
        self._stopping = asyncio.Event()

    async def run_once(self) -> object:
        raise NotImplementedError

    async def run(self) -> None:
        """``run_once`` every ``interval`` seconds until ``stop()``."""
        while not self._stopping.is_set():
            try:
                await self.run_once()
            except Exception:  # the next pass retries
                log.exception(self.failure_event)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=self.interval)

    async def stop(self) -> None:
        self._stopping.set()
