"""SQLite WAL checkpoints off the write path.

By default SQLite checkpoints inside a committing writer once the WAL passes 1,000 pages:
that commit then copies the WAL into the database file and fsyncs it, and every request
waiting on that batch waits too (the tail of the latency). Ledgerline turns automatic
checkpoints off (``wal_autocheckpoint=0`` in ``engine``) and runs this thread instead: a
PASSIVE checkpoint every ``interval`` seconds on a connection of its own, which never
blocks the writer or readers, and a TRUNCATE checkpoint when the database closes.
"""

from __future__ import annotations

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
                conn.exec_driver_sql(f"PRAGMA wal_checkpoint({mode})")
        except sa.exc.SQLAlchemyError:  # a busy or closing database: try again later
            log.warning("wal_checkpoint_failed", mode=mode, exc_info=True)

    def stop(self) -> None:
        """Stop the thread, then fold the whole WAL into the database file."""
        self._stop_event.set()
        if self.is_alive():
            self.join()
        self.checkpoint("TRUNCATE")
