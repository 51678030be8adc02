"""SQLite WAL checkpoints off the write path.

By default SQLite checkpoints inside a committing writer once the WAL passes 1,000 pages:
that commit then copies the WAL into the database file and fsyncs it, and every request
waiting on that batch waits too (the tail of the latency). Ledgerline turns automatic
checkpoints off (``wal_autocheckpoint=0`` in ``engine``) and runs this thread instead: a
PASSIVE checkpoint every ``interval`` seconds on a connection of its own, which never
blocks the writer or readers, and a TRUNCATE checkpoint when the database closes.
"""

from __future__ import annotations

import sqlite3
import threading

import sqlalchemy as sa
import structlog
from sqlalchemy.engine import Engine

log = structlog.get_logger(__name__)

CHECKPOINT_SECONDS = 1.0


class Checkpointer(threading.Thread):
    def __init__(self, engine: Engine, interval: float = CHECKPOINT_SECONDS) -> None:
        super().__init__(name="ledgerline-checkpointer", daemon=True)
        self.engine = engine
        self.interval = interval
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.wait(self.interval):
            self.checkpoint("PASSIVE")

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
