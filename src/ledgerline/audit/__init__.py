"""The append-only, hash-chained audit log and its verification.

Use :class:`AuditLog` (bound to a clock) or the module functions :func:`append`,
:func:`verify` and :func:`access_log`; all take the caller's SQLAlchemy connection so an
entry is written in the same transaction as the change it records. The chain is keyed with
the audit key (given to the database by :func:`before_commit_steps`) and its head is kept
outside the database too (:class:`AnchorFile`).
"""

from ledgerline.audit.anchors import Anchor, AnchorFile, AnchorRead
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
    AuditNotConfigured,
    BadEntry,
    LogFilter,
    VerifyReport,
    access_log,
    append,
    before_commit_steps,
    count_own_reads,
    head,
    verify,
)

__all__ = [
    "GENESIS_HASH",
    "Action",
    "Actor",
    "ActorKind",
    "Anchor",
    "AnchorFile",
    "AnchorRead",
    "AuditEntry",
    "AuditEvent",
    "AuditLog",
    "AuditNotConfigured",
    "BadEntry",
    "LogFilter",
    "Outcome",
    "VerifyReport",
    "access_log",
    "append",
    "before_commit_steps",
    "count_own_reads",
    "head",
    "verify",
]
