"""The append-only, hash-chained audit log and its verification.

Use :class:`AuditLog` (bound to a clock) or the module functions :func:`append`,
:func:`verify` and :func:`access_log`; all take the caller's SQLAlchemy connection so an
entry is written in the same transaction as the change it records.
"""

from ledgerline.audit.entries import (
    GENESIS_HASH,
    Action,
    Actor,
    ActorKind,
    AuditEntry,
    AuditEvent,
    Outcome,
)
from ledgerline.audit.log import (
    AuditLog,
    BadEntry,
    VerifyReport,
    access_log,
    append,
    before_commit_steps,
    verify,
)

__all__ = [
    "GENESIS_HASH",
    "Action",
    "Actor",
    "ActorKind",
    "AuditEntry",
    "AuditEvent",
    "AuditLog",
    "BadEntry",
    "Outcome",
    "VerifyReport",
    "access_log",
    "append",
    "before_commit_steps",
    "verify",
]
