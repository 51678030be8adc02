"""SQLite WAL checkpoints off the write path.

By default SQLite checkpoints inside a committing writer once the WAL passes 1,000 pages:
that commit then copies the WAL into the database file and fsyncs it, and every request
waiting on that batch waits too. Even a PASSIVE checkpoint on another connection slows the
writer while it runs (both fsync the same disk). Ledgerline turns automatic checkpoints off
(``wal_autocheckpoint=0`` in ``engine``) and runs this thread instead: it looks every
``interval`` seconds and checkpoints (PASSIVE: never blocks the writer or readers) when the
writer has been idle for ``idle`` seconds — a lull — or, under sustained load, when the WAL
has grown past ``max_wal_bytes``; a TRUNCATE checkpoint when the database closes.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa
import structlog
from sqlalchemy.engine import Engine

log = structlog.get_logger(__name__)

CHECKPOINT_SECONDS = 1.0


IDLE_SECONDS = 0.2
MAX_WAL_BYTES = 64 * 1024 * 1024


class Checkpointer(threading.Thread):
    def __init__(
        self,
        engine: Engine,
        *,
        wal_path: Path | None,
        idle_for: Callable[[], float],
        interval: float = CHECKPOINT_SECONDS,
        idle: float = IDLE_SECONDS,
        max_wal_bytes: int = MAX_WAL_BYTES,
    ) -> None:
        super().__init__(name="ledgerline-checkpointer", daemon=True)
        self.engine = engine
        self.wal_path = wal_path
        self.idle_for = idle_for
        self.interval = interval
        self.idle = idle
        self.max_wal_bytes = max_wal_bytes
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.wait(self.interval):
            if self.idle_for() >= self.idle or self._wal_bytes() > self.max_wal_bytes:
                self.checkpoint("PASSIVE")

    def _wal_bytes(self) -> int:
        try:
            return 0 if self.wal_path is None else self.wal_path.stat().st_size
        except OSError:
            return 0

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
