"""A refusal recorder that appends the refusal's audit entry in its own transaction."""

from __future__ import annotations

from concurrent.futures import Future
from typing import Any

import structlog

from ledgerline.audit import AuditEvent, append
from ledgerline.storage.database import Database, UnitOfWork
from ledgerline.vault.vault import RefusalRecorder

log = structlog.get_logger(__name__)


def _append_refusal(uow: UnitOfWork, event: AuditEvent, at: int) -> None:
    append(uow.conn, event, at=at)


def _log_failure(future: Future[Any]) -> None:
    error = future.exception()
    if error is not None:
        log.error("audit_refusal_not_recorded", error_type=type(error).__name__)


def database_refusal_recorder(db: Database) -> RefusalRecorder:
    """Queue each refusal's audit entry on ``db``'s writer (it commits on its own).

    The caller is never blocked (the entry commits shortly after), so it is safe to use
    from inside an action running on a writer thread.
    """

    def record(event: AuditEvent, at: int) -> None:
        db.submit(_append_refusal, event, at).add_done_callback(_log_failure)

    return record
