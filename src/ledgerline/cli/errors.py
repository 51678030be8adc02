"""Turn the failures an operator can cause into a readable line on stderr and exit code 1."""

from __future__ import annotations

import sys
from collections.abc import Callable

from ledgerline.domain.errors import LedgerlineError


def _message(exc: BaseException) -> str | None:
    from sqlalchemy.exc import OperationalError

    from ledgerline.bootstrap import KeyFileError
    from ledgerline.storage.engine import UnsupportedDatabase

    if isinstance(exc, UnsupportedDatabase | KeyFileError):
        return str(exc)
    if isinstance(exc, OperationalError):
        return f"cannot use the database: {str(exc.orig).strip().splitlines()[0]}"
    if isinstance(exc, LedgerlineError):
        return exc.message
    if isinstance(exc, PermissionError | FileNotFoundError | IsADirectoryError):
        return str(exc)
    return None


def run_with_clean_errors(app: Callable[[], object]) -> None:
    try:
        app()
    except Exception as exc:
        message = _message(exc)
        if message is None:
            raise
        sys.stderr.write(f"error: {message}\n")
        sys.exit(1)
