"""The audit log: append inside the caller's transaction, verify the chain, read a person's log.

Appends made by writer actions are chained together right before their batch commits (one
lock of the chain head, held only for the commit), elsewhere at once; either way appenders
take turns on the head and the chain stays linear. Commits happen in ``seq`` order, which
lets ``verify`` run without a lock while others append.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ledgerline.audit.entries import (
    GENESIS_HASH,
    Actor,
    ActorKind,
    AuditEntry,
    AuditEvent,
    DetailValue,
    canonical_json,
    chain_hash,
    entry_body,
)
from ledgerline.domain.clock import Clock, to_ms
from ledgerline.storage.database import BeforeCommit, defer_to_commit
from ledgerline.storage.stores import audit as store

if TYPE_CHECKING:
    from sqlalchemy import Connection


@dataclass(frozen=True, slots=True)
class BadEntry:
    """The first place the chain is broken."""

    seq: int
    problem: str  # modified | broken_link | missing | beyond_head | truncated | head_mismatch | anchor_mismatch
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "problem": self.problem, "message": self.message}


@dataclass(frozen=True, slots=True)
class VerifyReport:
    ok: bool
    entries: int  # entries checked (all of them when ok)
    head_seq: int
    head_hash: str
    first_bad: BadEntry | None = None

    def to_dict(self) -> dict[str, Any]:
        result: dict[str, Any] = {
            "ok": self.ok,
            "entries": self.entries,
            "head": {"seq": self.head_seq, "hash": self.head_hash},
        }
        if self.first_bad is not None:
            result["first_bad"] = self.first_bad.to_dict()
        return result


def _entry_from_row(row: store.AuditRow) -> AuditEntry:
    return AuditEntry(
        seq=row.seq,
        at=row.at,
        actor=Actor(ActorKind(row.actor_kind), row.actor_id),
        action=row.action,
        outcome=row.outcome,
        page_id=row.page_id,
        user_id=row.user_id,
        purpose=row.purpose,
        record_kind=row.record_kind,
        record_ids=tuple(json.loads(row.record_ids)),
        detail=_parse_detail(row.detail),
        prev_hash=row.prev_hash,
        entry_hash=row.entry_hash,
    )


def _parse_detail(text: str) -> dict[str, DetailValue]:
    value = json.loads(text)
    return dict(value)


def _row_hash(row: store.AuditRow) -> str:
    body = entry_body(
        seq=row.seq,
        at=row.at,
        actor_kind=row.actor_kind,
        actor_id=row.actor_id,
        action=row.action,
        outcome=row.outcome,
        page_id=row.page_id,
        user_id=row.user_id,
        purpose=row.purpose,
        record_kind=row.record_kind,
        record_ids=row.record_ids,
        detail=row.detail,
    )
    return chain_hash(row.prev_hash, body)


def append(conn: Connection, event: AuditEvent, *, at: int) -> None:
    """Append ``event`` at epoch-ms ``at`` as part of the caller's transaction.

    Inside a writer's action the entry is chained right before the batch commits, together
    with the batch's other entries (:func:`_append_batch`): the chain head is locked once per
    batch and only for its last moment, so appenders on PostgreSQL no longer queue behind
    each other's whole batches. If the action rolls back, so does its entry. Elsewhere (a
    plain transaction) the entry is chained at once.
    """
    if not defer_to_commit(conn, AUDIT_STEP, (event, at)):
        _append_batch(conn, [(event, at)])


AUDIT_STEP = "audit"


def _append_batch(conn: Connection, events: list[tuple[AuditEvent, int]]) -> None:
    """Chain ``events`` in order: lock the head, insert every entry, move the head once."""
    head_seq, head_hash = store.lock_head_txn(conn)
    rows = []
    for event, at in events:
        row = _sealed_row(event, at, seq=head_seq + 1, prev_hash=head_hash)
        rows.append(row)
        head_seq, head_hash = row.seq, row.entry_hash
    store.append_many_txn(conn, rows)


def before_commit_steps() -> dict[str, BeforeCommit]:
    """The step a :class:`~ledgerline.storage.database.Database` runs before each writer
    batch commits, so the batch's entries are chained with one lock of the head."""
    return {AUDIT_STEP: _append_batch}


def _sealed_row(event: AuditEvent, at: int, *, seq: int, prev_hash: str) -> store.AuditRow:
    fields = entry_body(
        seq=seq,
        at=at,
        actor_kind=str(event.actor.kind),
        actor_id=event.actor.id,
        action=str(event.action),
        outcome=str(event.outcome),
        page_id=event.page_id,
        user_id=event.user_id,
        purpose=None if event.purpose is None else str(event.purpose),
        record_kind=None if event.record_kind is None else str(event.record_kind),
        record_ids=canonical_json(list(event.record_ids)),
        detail=canonical_json(dict(event.detail)),
    )
    return store.AuditRow(**fields, prev_hash=prev_hash, entry_hash=chain_hash(prev_hash, fields))


def verify(conn: Connection, *, anchor: tuple[int, str] | None = None) -> VerifyReport:
    """Check the whole chain; report the first entry that is modified, missing or out of place.

    Args:
        anchor: optionally ``(seq, entry_hash)`` recorded earlier somewhere else (e.g. from a
            previous ``verify``); the entry at ``seq`` must still have that hash. This catches
            a rewrite of the whole chain, which no unkeyed chain can detect on its own.
    """
    expected_seq = 1
    prev_hash = GENESIS_HASH
    checked = 0
    anchor_seen = anchor is None

    def report(bad: BadEntry | None) -> VerifyReport:
        head_seq, head_hash = store.read_head(conn)
        return VerifyReport(
            ok=bad is None,
            entries=checked,
            head_seq=head_seq,
            head_hash=head_hash,
            first_bad=bad,
        )

    for row in store.iter_entries(conn):
        if row.seq != expected_seq:
            return report(
                BadEntry(
                    expected_seq,
                    "missing",
                    f"entry {expected_seq} is missing (next entry found is {row.seq})",
                )
            )
        if row.prev_hash != prev_hash:
            return report(
                BadEntry(
                    row.seq,
                    "broken_link",
                    f"entry {row.seq} does not follow entry {row.seq - 1} "
                    "(an entry was inserted, deleted or reordered)",
                )
            )
        if _row_hash(row) != row.entry_hash:
            return report(
                BadEntry(row.seq, "modified", f"entry {row.seq} does not match its hash (modified)")
            )
        if anchor is not None and row.seq == anchor[0]:
            if row.entry_hash != anchor[1]:
                return report(
                    BadEntry(
                        row.seq,
                        "anchor_mismatch",
                        f"entry {row.seq} differs from the anchored hash (chain rewritten)",
                    )
                )
            anchor_seen = True
        prev_hash = row.entry_hash
        expected_seq += 1
        checked += 1

    # Read the head after the scan: an append that committed meanwhile only moves it forward.
    head_seq, head_hash = store.read_head(conn)
    last_seq = expected_seq - 1
    if head_seq < last_seq:
        return report(
            BadEntry(
                head_seq + 1,
                "beyond_head",
                f"entry {head_seq + 1} lies beyond the chain head (inserted)",
            )
        )
    if head_seq == last_seq and head_hash != prev_hash:
        return report(
            BadEntry(
                last_seq,
                "head_mismatch",
                f"the chain head does not match entry {last_seq} (entries replaced)",
            )
        )
    if head_seq > last_seq and store.max_seq(conn) <= last_seq:
        return report(
            BadEntry(
                last_seq + 1,
                "truncated",
                f"entries {last_seq + 1}..{head_seq} are missing (the log was truncated)",
            )
        )
    if anchor is not None and not anchor_seen:
        return report(
            BadEntry(anchor[0], "anchor_mismatch", f"anchored entry {anchor[0]} is missing")
        )
    return report(None)


def access_log(
    conn: Connection, user_id: str, *, limit: int = 100, before_seq: int | None = None
) -> list[AuditEntry]:
    """Entries about one person (any business), newest first; page with ``before_seq``."""
    rows = store.entries_for_user(conn, user_id, limit=limit, before_seq=before_seq)
    return [_entry_from_row(row) for row in rows]


class AuditLog:
    """The audit log bound to a clock (what bootstrap builds and passes around)."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    def append(self, conn: Connection, event: AuditEvent) -> None:
        """Append as part of the caller's transaction (see :func:`append`)."""
        append(conn, event, at=to_ms(self.clock.now()))

    def verify(self, conn: Connection, *, anchor: tuple[int, str] | None = None) -> VerifyReport:
        return verify(conn, anchor=anchor)

    def access_log(
        self, conn: Connection, user_id: str, *, limit: int = 100, before_seq: int | None = None
    ) -> list[AuditEntry]:
        return access_log(conn, user_id, limit=limit, before_seq=before_seq)
