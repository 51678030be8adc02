"""Counting the SQL statements a piece of work sends, in the style of zulip's
``assert_database_query_count``: pin a hot path's count so that a regression fails.

The count is taken at the driver, not through SQLAlchemy's events: the hot statements run
straight on the DB-API cursor (``storage/prepared.py``), and the writer's savepoints on the
driver connection, so ``before_cursor_execute`` would miss most of them. On SQLite every
statement the connection runs reaches ``set_trace_callback``; on PostgreSQL every cursor the
connection makes is a counting one (psycopg's ``cursor_factory``).

Watched connections: the writer that runs ``partition``'s actions (a tiny action attaches
the counter to it, another detaches it), and every pooled connection checked out for reads
meanwhile. Transaction control (BEGIN, COMMIT, ROLLBACK, SAVEPOINT, RELEASE) is not counted:
it depends on how a writer batched its queue, not on the work.
"""

from __future__ import annotations

import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import psycopg
import sqlalchemy as sa

from ledgerline.storage.database import Database, UnitOfWork

_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "END")


@dataclass
class StatementLog:
    """The statements seen while watching, in order (transaction control left out)."""

    statements: list[str] = field(default_factory=list)
    _saved_factories: dict[int, Any] = field(default_factory=dict, repr=False)

    @property
    def count(self) -> int:
        return len(self.statements)

    def seen(self, sql: str) -> None:
        text = " ".join(sql.split())
        if not text or text.startswith("--") or text.upper().startswith(_CONTROL):
            return
        self.statements.append(text)

    def attach(self, dbapi_connection: Any) -> None:
        if isinstance(dbapi_connection, sqlite3.Connection):
            dbapi_connection.set_trace_callback(self.seen)
            return
        if not isinstance(dbapi_connection, psycopg.Connection):  # pragma: no cover
            raise TypeError(f"cannot watch a {type(dbapi_connection).__name__}")
        if id(dbapi_connection) in self._saved_factories:
            return
        log = self
        base: type[psycopg.Cursor[Any]] = dbapi_connection.cursor_factory

        class CountingCursor(base):  # type: ignore[misc,valid-type]
            def execute(self, query: Any, *args: Any, **kwargs: Any) -> Any:
                log.seen(_text(query))
                return super().execute(query, *args, **kwargs)

            def executemany(self, query: Any, params_seq: Any, *args: Any, **kwargs: Any) -> Any:
                params = list(params_seq)  # one execution each, as SQLite reports them
                for _ in params:
                    log.seen(_text(query))
                return super().executemany(query, params, *args, **kwargs)

        self._saved_factories[id(dbapi_connection)] = base
        dbapi_connection.cursor_factory = CountingCursor

    def detach(self, dbapi_connection: Any) -> None:
        if isinstance(dbapi_connection, sqlite3.Connection):
            dbapi_connection.set_trace_callback(None)
            return
        base = self._saved_factories.pop(id(dbapi_connection), None)
        if base is not None:
            dbapi_connection.cursor_factory = base

    def describe(self) -> str:
        return "\n".join(f"{n:3}. {sql}" for n, sql in enumerate(self.statements, 1))


def _text(query: Any) -> str:
    if isinstance(query, bytes):
        return query.decode()
    if isinstance(query, str):
        return query
    return str(query)  # a psycopg.sql.Composed: good enough to read


def _driver(uow: UnitOfWork) -> Any:
    return uow.conn.connection.dbapi_connection


@contextmanager
def counting_statements(db: Database, *, partition: str | None = None) -> Iterator[StatementLog]:
    """Count the statements sent while the block runs (see the module docstring)."""
    log = StatementLog()
    db.write_sync(lambda uow: log.attach(_driver(uow)), partition=partition)

    def on_checkout(dbapi_connection: Any, *_: Any) -> None:
        log.attach(dbapi_connection)

    def on_checkin(dbapi_connection: Any, *_: Any) -> None:
        log.detach(dbapi_connection)

    sa.event.listen(db.engine, "checkout", on_checkout)
    sa.event.listen(db.engine, "checkin", on_checkin)
    log.statements.clear()  # the attaching action's own work is not the block's
    try:
        yield log
    finally:
        sa.event.remove(db.engine, "checkout", on_checkout)
        sa.event.remove(db.engine, "checkin", on_checkin)
        db.write_sync(lambda uow: log.detach(_driver(uow)), partition=partition)


@contextmanager
def assert_statement_count(
    db: Database,
    expected: int,
    *,
    partition: str | None = None,
    background: tuple[str, ...] = (),
) -> Iterator[StatementLog]:
    """Fail unless the block sends exactly ``expected`` statements (listing them if not).
    ``background``: text of statements a background task of the app may send meanwhile
    (they are not the block's; any other statement counts)."""
    with counting_statements(db, partition=partition) as log:
        yield log
        seen = [sql for sql in log.statements if not any(text in sql for text in background)]
    if len(seen) != expected:
        listing = "\n".join(f"{n:3}. {sql}" for n, sql in enumerate(seen, 1))
        raise AssertionError(f"{len(seen)} statements, expected {expected}:\n{listing}")


@dataclass
class RoundTrips:
    """What a PostgreSQL connection sent, from libpq's protocol trace: ``count`` is the
    round trips (each ends with the server's ReadyForQuery, which libpq waits for: BEGIN,
    COMMIT and savepoints included); ``queries`` lists the simple queries and prepared
    statements' names as sent."""

    trace: str = ""

    @property
    def count(self) -> int:
        return sum(
            1
            for line in self.trace.splitlines()
            if line.split("\t")[:3:2] == ["B", "ReadyForQuery"]
        )


@contextmanager
def counting_round_trips(db: Database, *, partition: str | None) -> Iterator[RoundTrips]:
    """Count the round trips the writer of ``partition`` makes while the block runs
    (PostgreSQL only): from the end of the attaching action to the start of the detaching
    one, whole batches included (a batch that sends nothing costs none: psycopg begins a
    transaction with its first statement)."""
    from psycopg import pq

    found = RoundTrips()
    with tempfile.TemporaryFile() as out:

        def attach(uow: UnitOfWork) -> None:
            pgconn = _driver(uow).pgconn
            pgconn.trace(out.fileno())
            pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS | pq.Trace.REGRESS_MODE)

        db.write_sync(attach, partition=partition)
        try:
            yield found
        finally:
            db.write_sync(lambda uow: _driver(uow).pgconn.untrace(), partition=partition)
            out.seek(0)
            found.trace = out.read().decode(errors="replace")
