"""Turn the failures an operator can cause into one readable line on stderr and an exit code.

Under ``--json`` the line is a JSON object, ``{"error": {"message", "exit_code"}}``. Exit
codes (``docs/operations.md``): 0 done, 1 failed (refused input, unreachable database, a
broken audit chain, a failed backup…), 2 usage (unknown command or option), 3 not found
(no such business or person).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

import typer

from ledgerline.domain.errors import LedgerlineError

FAILED = 1
USAGE = 2
NOT_FOUND = 3


def json_requested(argv: list[str] | None = None) -> bool:
    return "--json" in (sys.argv[1:] if argv is None else argv)


def report(message: str, exit_code: int) -> None:
    """Write the error line (JSON under ``--json``) to stderr."""
    if json_requested():
        line = json.dumps(
            {"error": {"message": message, "exit_code": exit_code}}, ensure_ascii=False
        )
    else:
        line = f"error: {message}"
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


def _message(exc: BaseException) -> str | None:
    from ledgerline.bootstrap import KeyFileError
    from ledgerline.broker import UnsupportedBroker
    from ledgerline.storage.backup import BackupError
    from ledgerline.storage.errors import describe_database_error

    described = describe_database_error(exc)
    if described is not None:
        return described
    if isinstance(exc, KeyFileError | UnsupportedBroker | BackupError):
        return str(exc)
    if isinstance(exc, LedgerlineError):
        return exc.message
    if isinstance(exc, PermissionError | FileNotFoundError | IsADirectoryError):
        return str(exc)
    return None


def run_with_clean_errors(app: Callable[..., Any]) -> None:
    try:
        code = app(standalone_mode=False)
    except typer.TyperException as exc:  # usage: unknown option, missing argument…
        show = getattr(exc, "show", None)
        if callable(show) and not (json_requested() and type(exc).__name__ != "NoArgsIsHelpError"):
            show()  # the usual usage text
        else:
            report(exc.format_message(), exc.exit_code)
        sys.exit(exc.exit_code)
    except typer.Abort:
        report("aborted", FAILED)
        sys.exit(FAILED)
    except Exception as exc:
        message = _message(exc)
        if message is None:
            raise
        report(message, FAILED)
        sys.exit(FAILED)
    sys.exit(code if isinstance(code, int) else 0)
