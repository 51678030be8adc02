"""SQLite WAL checkpoints off the write path.

By default SQLite checkpoints inside a committing writer once the WAL passes 1,000 pages:
that commit then copies the WAL into the database file and fsyncs it, and every request
waiting on that batch waits too. Even a PASSIVE checkpoint on another connection slows the
writer while it runs (both fsync the same disk). Ledgerline turns automatic checkpoints off
(``wal_autocheckpoint=0`` in ``engine``) and runs this thread instead: it looks every
``interval`` seconds and, if anything was written since its last checkpoint, checkpoints
(PASSIVE: never blocks the writer or readers) when the writer has been idle for ``idle``
seconds — a lull — or, under sustained load, once ``max_pending`` seconds have passed since
the last one: the WAL then never holds more than a few seconds of writes, so no checkpoint
has much to copy (one that folded 64 MB at once stalled commits for ≈200 ms). A TRUNCATE
checkpoint when the database closes.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable

import sqlalchemy as sa
import structlog
from sqlalchemy.engine import Engine

log = structlog.get_logger(__name__)

CHECKPOINT_SECONDS = 1.0


IDLE_SECONDS = 0.2
MAX_PENDING_SECONDS = 2.0


class Checkpointer(threading.Thread):
    def __init__(
        self,
        engine: Engine,
        *,
        idle_for: Callable[[], float],
        last_write: Callable[[], float],
        interval: float = CHECKPOINT_SECONDS,
        idle: float = IDLE_SECONDS,
        max_pending: float = MAX_PENDING_SECONDS,
    ) -> None:
        """``idle_for()``: seconds the writers have been idle (0 while busy);
        ``last_write()``: ``time.monotonic()`` when a writer last finished work."""
        super().__init__(name="ledgerline-checkpointer", daemon=True)
        self.engine = engine
        self.idle_for = idle_for
        self.last_write = last_write
        self.interval = interval
        self.idle = idle
        self.max_pending = max_pending
        self._last_checkpoint = time.monotonic()
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.wait(self.interval):
            if self.last_write() <= self._last_checkpoint:
                continue  # nothing new in the WAL
            started = time.monotonic()
            if self.idle_for() >= self.idle or started - self._last_checkpoint >= self.max_pending:
                self.checkpoint("PASSIVE")
                self._last_checkpoint = started

    def checkpoint(self, mode: str) -> None:
        try:
            with self.engine.connect() as conn:
                # Straight to the driver: a checkpoint cannot run inside a transaction, and
                # SQLAlchemy would begin one (BEGIN) before its first statement.
                driver = conn.connection.driver_connection
                assert driver is not None  # noqa: S101 - an open pooled connection
                busy, _, _ = driver.execute(f"PRAGMA wal_checkpoint({mode})").fetchone()
        except (sa.exc.SQLAlchemyError, sqlite3.Error) as exc:  # try again later
            log.warning("wal_checkpoint_failed", mode=mode, error=str(exc))
            return
        if busy and mode != "PASSIVE":
            log.warning("wal_checkpoint_incomplete", mode=mode)

    def stop(self) -> None:
        """Stop the thread, then fold the whole WAL into the database file."""
        self._stop_event.set()
        if self.is_alive():
            self.join()
        self.checkpoint("TRUNCATE")
