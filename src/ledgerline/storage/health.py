"""Can this process serve? The database's half of ``/readyz``.

``check_database`` opens a connection of its own (not one from the pool, which may predate a
failover or a switch to read-only), checks that the schema is at the newest migration, and
tries a write it then rolls back: ``UPDATE alembic_version`` to the value it has. On a
read-only database (a PostgreSQL standby or ``default_transaction_read_only``, a SQLite
file that cannot be written) the write fails, and the check says so.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from alembic.runtime.migration import MigrationContext
from sqlalchemy.pool import NullPool

from ledgerline.storage.engine import normalize_url
from ledgerline.storage.migrate import head_revision

PROBE_TIMEOUT_SECONDS = 2


@dataclass(frozen=True, slots=True)
class DatabaseHealth:
    reachable: bool
    writable: bool
    revision: str | None
    head: str | None
    error: str | None = None

    @property
    def at_head(self) -> bool:
        return self.revision is not None and self.revision == self.head

    @property
    def ok(self) -> bool:
        return self.reachable and self.writable and self.at_head


def _first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    text = str(orig).strip().splitlines()
    return (text[0] if text else type(orig).__name__)[:300]


class DatabaseProbe:
    """Checks a database the way a new process would see it. Blocking: run it on a thread."""

    def __init__(self, url: str) -> None:
        parsed = normalize_url(url)
        if parsed.get_backend_name() == "sqlite":
            args: dict[str, object] = {"timeout": PROBE_TIMEOUT_SECONDS}
        else:
            args = {"connect_timeout": PROBE_TIMEOUT_SECONDS}
        self.engine = sa.create_engine(parsed, poolclass=NullPool, connect_args=args)
        self.head = head_revision()

    def check(self) -> DatabaseHealth:
        try:
            conn = self.engine.connect()
        except sa.exc.SQLAlchemyError as exc:
            return DatabaseHealth(False, False, None, self.head, _first_line(exc))
        with conn:
            try:
                revision = MigrationContext.configure(conn).get_current_revision()
            except sa.exc.SQLAlchemyError as exc:
                return DatabaseHealth(True, False, None, self.head, _first_line(exc))
            finally:
                conn.rollback()
            try:
                with conn.begin() as transaction:
                    conn.execute(sa.text("UPDATE alembic_version SET version_num = version_num"))
                    transaction.rollback()
            except sa.exc.SQLAlchemyError as exc:
                return DatabaseHealth(True, False, revision, self.head, _first_line(exc))
        return DatabaseHealth(True, True, revision, self.head)

    def close(self) -> None:
        self.engine.dispose()
