"""Turn the failures an operator can cause into a readable line on stderr and exit code 1."""

from __future__ import annotations

import sys
from collections.abc import Callable

from ledgerline.domain.errors import LedgerlineError


def _message(exc: BaseException) -> str | None:
    from ledgerline.bootstrap import KeyFileError
    from ledgerline.broker import UnsupportedBroker
    from ledgerline.storage.errors import describe_database_error

    described = describe_database_error(exc)
    if described is not None:
        return described
    if isinstance(exc, KeyFileError | UnsupportedBroker):
        return str(exc)
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
