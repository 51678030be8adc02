"""Database failures an operator can cause, described in one readable line."""

from __future__ import annotations

from sqlalchemy.exc import OperationalError

from ledgerline.storage.engine import UnsupportedDatabase


def describe_database_error(exc: BaseException) -> str | None:
    """A readable line for a bad URL or an unreachable database; None for anything else."""
    if isinstance(exc, UnsupportedDatabase):
        return str(exc)
    if isinstance(exc, OperationalError):
        return f"cannot use the database: {str(exc.orig).strip().splitlines()[0]}"
    return None
