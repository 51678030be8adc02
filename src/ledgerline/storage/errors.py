"""Database failures an operator can cause, described in one readable line; and the ones that
mean "busy, retry shortly", raised as ``DatabaseBusy`` (HTTP 503 with ``Retry-After``)."""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError, OperationalError, TimeoutError as PoolTimeout

from ledgerline.domain.errors import ServiceUnavailable
from ledgerline.storage.engine import UnsupportedDatabase

RETRY_AFTER_SECONDS = 2
# PostgreSQL states that pass: lock not available, statement/lock timeout (query canceled),
# too many connections, serialization failure, deadlock, the server shutting down.
_BUSY_STATES = frozenset({"55P03", "57014", "53300", "40001", "40P01", "57P01", "57P03"})
_BUSY_SQLITE = ("database is locked", "database table is locked", "database is busy")


class DatabaseBusy(ServiceUnavailable):
    default_message = "The database is busy. Please retry your request shortly."


# A conflict between two transactions that the database resolved by aborting one of them:
# serialization failure, deadlock detected. Running the aborted transaction again succeeds.
_CONFLICT_STATES = frozenset({"40001", "40P01"})


def is_conflict(exc: BaseException) -> bool:
    """True when ``exc`` (or what it was raised from) is a conflict with another transaction
    that running the whole transaction again resolves."""
    seen: BaseException | None = exc
    for _ in range(4):  # the error itself, or a few links down its chain
        if seen is None:
            return False
        if isinstance(seen, ConcurrentUpdate):
            return True
        if (
            isinstance(seen, DBAPIError)
            and getattr(seen.orig, "sqlstate", None) in _CONFLICT_STATES
        ):
            return True
        seen = seen.__cause__
    return False


class ConcurrentUpdate(Exception):
    """Raised by a store when another transaction changed what this one read and must now
    write (e.g. both created the same row): the writer runs the whole batch again."""


def busy_error(exc: BaseException) -> DatabaseBusy | None:
    """A ``DatabaseBusy`` when ``exc`` means the database is busy or out of reach for now
    (locked, timed out, out of connections, restarting); None for anything else."""
    if isinstance(exc, DatabaseBusy):
        return exc
    busy = isinstance(exc, PoolTimeout | ConcurrentUpdate)
    if isinstance(exc, DBAPIError):
        state = getattr(exc.orig, "sqlstate", None)
        text = str(exc.orig).lower()
        busy = (
            state in _BUSY_STATES
            or any(marker in text for marker in _BUSY_SQLITE)
            or (isinstance(exc, OperationalError) and exc.connection_invalidated)
        )
    if not busy:
        return None
    error = DatabaseBusy(retry_after=RETRY_AFTER_SECONDS)
    error.__cause__ = exc
    return error


def describe_database_error(exc: BaseException) -> str | None:
    """A readable line for a bad URL or an unreachable database; None for anything else."""
    if isinstance(exc, UnsupportedDatabase):
        return str(exc)
    if isinstance(exc, OperationalError):
        return f"cannot use the database: {str(exc.orig).strip().splitlines()[0]}"
    return None
