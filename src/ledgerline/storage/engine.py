"""Create the SQLAlchemy engine for SQLite (embedded default) or PostgreSQL (scale-out).

Dialect differences are named capabilities here, not ``if sqlite:`` scattered around.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine, make_url


class UnsupportedDatabase(ValueError):
    pass


def normalize_url(url: str) -> URL:
    """Accept plain ``sqlite:///PATH`` and ``postgresql://...`` and pick the drivers."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return parsed.set(drivername="sqlite+pysqlite")
    if backend in ("postgresql", "postgres"):
        driver = parsed.get_driver_name()
        if driver in ("", "psycopg2", "psycopg"):
            return parsed.set(drivername="postgresql+psycopg")
        return parsed
    raise UnsupportedDatabase(
        f"unsupported database URL scheme {parsed.drivername!r}: use sqlite:///PATH "
        "or postgresql://USER@HOST:PORT/DB"
    )


@dataclass(frozen=True)
class Capabilities:
    is_sqlite: bool
    writer_threads: int


# How long a statement waits for a lock before the database is "busy" (storage.errors:
# HTTP 503 with Retry-After): SQLite's busy_timeout, PostgreSQL's lock_timeout.
BUSY_TIMEOUT_MS = 10_000


def _sqlite_pragmas(busy_timeout_ms: int) -> Any:
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # FULL: every commit is fsynced to the WAL, so an answered 200 survives power loss.
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        # Checkpoints run on a thread of their own (storage/checkpoint.py), not in a commit.
        cursor.execute("PRAGMA wal_autocheckpoint=0")
        cursor.close()

    return on_connect


def _postgres_lock_timeout(busy_timeout_ms: int) -> Any:
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Not in the connection's options: the URL may carry its own (e.g. search_path).
        with dbapi_connection.cursor() as cursor:
            cursor.execute(f"SET lock_timeout = {int(busy_timeout_ms)}")
        dbapi_connection.commit()

    return on_connect


def create_engine(
    url: str, *, busy_timeout_ms: int = BUSY_TIMEOUT_MS
) -> tuple[Engine, Capabilities]:
    parsed = normalize_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(
            parsed,
            connect_args={"check_same_thread": False, "timeout": busy_timeout_ms / 1000},
            pool_size=8,
            max_overflow=8,
        )
        sa.event.listen(engine, "connect", _sqlite_pragmas(busy_timeout_ms))
        # pysqlite's own transaction handling is bypassed so BEGIN is explicit (and IMMEDIATE
        # for writers), as SQLAlchemy documents for SQLite.
        sa.event.listen(engine, "connect", _disable_pysqlite_begin)
        sa.event.listen(engine, "begin", _begin_immediate)
        return engine, Capabilities(is_sqlite=True, writer_threads=1)
    engine = sa.create_engine(parsed, pool_size=10, max_overflow=10, pool_pre_ping=True)
    sa.event.listen(engine, "connect", _postgres_lock_timeout(busy_timeout_ms))
    return engine, Capabilities(is_sqlite=False, writer_threads=4)


def _disable_pysqlite_begin(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None


def _begin_immediate(conn: sa.Connection) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.info.get("writer") else "BEGIN")
