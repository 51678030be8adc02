"""The audit log: append inside the caller's transaction, verify the chain, read a person's log.

Appends made by writer actions are chained together right before their batch commits (one
lock of the chain head, held only for the commit), elsewhere at once; either way appenders
take turns on the head and the chain stays linear. Commits happen in ``seq`` order, which
lets ``verify`` run without a lock while others append.

Chaining needs the audit key, which never enters the database: the composition root gives
it to the :class:`~ledgerline.storage.database.Database` as :func:`before_commit_steps`, and
a database built without them cannot append (:class:`AuditNotConfigured`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ledgerline.audit.anchors import Anchor, AnchorFile
from ledgerline.audit.entries import (
    GENESIS_HASH,
    Actor,
    ActorKind,
    AuditEntry,
    AuditEvent,
    DetailValue,
    canonical_json,
    check_key,
    entry_body,
    keyed_hash,
    legacy_hash,
)
from ledgerline.domain.clock import Clock, to_ms
from ledgerline.storage.database import BeforeCommit, commit_step, defer_to_commit
from ledgerline.storage.stores import audit as store
from ledgerline.storage.stores.audit import LogFilter as LogFilter

if TYPE_CHECKING:
    from sqlalchemy import Connection


@dataclass(frozen=True, slots=True)
class BadEntry:
    """The first place the chain is broken."""

    seq: int
    # modified | broken_link | missing | beyond_head | truncated | head_mismatch |
    # anchor_mismatch | bad_anchor | marker_moved
    problem: str
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
    keyed_from: int = 1  # entries before it are legacy (unkeyed)
    anchors: int = 0  # anchors checked (from the anchor file and --anchor)
    newest_anchor_at: int | None = None  # epoch ms of the newest anchor in the file

    def to_dict(self) -> dict[str, Any]:
        result: dict[str, Any] = {
            "ok": self.ok,
            "entries": self.entries,
            "head": {"seq": self.head_seq, "hash": self.head_hash},
            "keyed_from": self.keyed_from,
            "anchors": self.anchors,
            "newest_anchor_at": self.newest_anchor_at,
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


def _row_hash(row: store.AuditRow, *, key: bytes, keyed_from: int) -> str:
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
    if row.seq < keyed_from:
        return legacy_hash(row.prev_hash, body)
    return keyed_hash(key, row.prev_hash, body)


class AuditNotConfigured(RuntimeError):
    """The database was built without the audit log's step (and so without its key)."""


def append(conn: Connection, event: AuditEvent, *, at: int) -> None:
    """Append ``event`` at epoch-ms ``at`` as part of the caller's transaction.

    Inside a writer's action the entry is chained right before the batch commits, together
    with the batch's other entries (:func:`_append_batch`): the chain head is locked once per
    batch and only for its last moment, so appenders on PostgreSQL no longer queue behind
    each other's whole batches. If the action rolls back, so does its entry. Elsewhere (a
    read transaction) the entry is chained at once.

    Raises:
        AuditNotConfigured: the database has no audit step (see :func:`before_commit_steps`).
    """
    if defer_to_commit(conn, AUDIT_STEP, (event, at)):
        return
    step = commit_step(conn, AUDIT_STEP)
    if step is None:
        raise AuditNotConfigured(
            "this database cannot append to the audit log: build it with "
            "before_commit=audit.before_commit_steps(audit_key)"
        )
    step(conn, [(event, at)])


AUDIT_STEP = "audit"


def _append_batch(conn: Connection, events: list[tuple[AuditEvent, int]], *, key: bytes) -> None:
    """Chain ``events`` in order: lock the head, insert every entry, move the head once."""
    head = store.lock_head_txn(conn)
    head_seq, head_hash = head.seq, head.entry_hash
    rows = []
    for event, at in events:
        row = _sealed_row(event, at, seq=head_seq + 1, prev_hash=head_hash, key=key)
        rows.append(row)
        head_seq, head_hash = row.seq, row.entry_hash
    store.append_many_txn(conn, rows)


def before_commit_steps(key: bytes) -> dict[str, BeforeCommit]:
    """The step a :class:`~ledgerline.storage.database.Database` runs before each writer
    batch commits, so the batch's entries are chained (under ``key``, the audit key) with
    one lock of the head; outside a batch, :func:`append` runs it at once."""
    chain_key = check_key(key)

    def chain(conn: Connection, events: list[tuple[AuditEvent, int]]) -> None:
        _append_batch(conn, events, key=chain_key)

    return {AUDIT_STEP: chain}


def _sealed_row(
    event: AuditEvent, at: int, *, seq: int, prev_hash: str, key: bytes
) -> store.AuditRow:
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
    return store.AuditRow(
        **fields, prev_hash=prev_hash, entry_hash=keyed_hash(key, prev_hash, fields)
    )


def head(conn: Connection) -> Anchor:
    """The chain head now, as an anchor to keep outside the database (``at`` is 0: the
    caller stamps it)."""
    now = store.read_head(conn)
    return Anchor(seq=now.seq, entry_hash=now.entry_hash, keyed_from=now.keyed_from, at=0)


def verify(
    conn: Connection,
    *,
    key: bytes,
    anchors: AnchorFile | None = None,
    anchor: tuple[int, str] | None = None,
) -> VerifyReport:
    """Check the whole chain; report the first entry that is modified, missing or out of place.

    Args:
        key: the audit key the chain is keyed with (entries before the head's
            ``keyed_from`` are legacy, checked with the unkeyed hash).
        anchors: the anchor file (heads recorded outside the database by the platform); its
            every anchored entry must still exist with that hash, which catches a truncated
            log, a rewound head and a log rolled back and grown again.
        anchor: optionally one more ``(seq, entry_hash)`` recorded elsewhere (e.g. printed
            by an earlier ``verify``).
    """
    key = check_key(key)
    found = None if anchors is None else anchors.read()
    anchored: dict[int, str] = {}
    markers: set[int] = set()
    newest_at: int | None = None
    for kept in [] if found is None else found.anchors:
        anchored[kept.seq] = kept.entry_hash
        markers.add(kept.keyed_from)
        newest_at = kept.at if newest_at is None else max(newest_at, kept.at)
    if anchor is not None:
        anchored[anchor[0]] = anchor[1]
    anchored.pop(0, None)  # an empty chain's head anchors nothing
    keyed_from = store.read_head(conn).keyed_from
    expected_seq = 1
    prev_hash = GENESIS_HASH
    checked = 0

    def report(bad: BadEntry | None) -> VerifyReport:
        now = store.read_head(conn)
        return VerifyReport(
            ok=bad is None,
            entries=checked,
            head_seq=now.seq,
            head_hash=now.entry_hash,
            first_bad=bad,
            keyed_from=keyed_from,
            anchors=len(anchored),
            newest_anchor_at=newest_at,
        )

    if found is not None and found.bad_line is not None:
        return report(
            BadEntry(
                0,
                "bad_anchor",
                f"line {found.bad_line} of the anchor file is not an anchor "
                "signed with this audit key (forged, edited or another key)",
            )
        )
    if markers and markers != {keyed_from}:
        return report(
            BadEntry(
                keyed_from,
                "marker_moved",
                f"the keyed chain is said to start at entry {keyed_from}, but the anchors "
                f"say {min(markers)} (legacy entries claimed to rewrite them)",
            )
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
        if _row_hash(row, key=key, keyed_from=keyed_from) != row.entry_hash:
            return report(
                BadEntry(row.seq, "modified", f"entry {row.seq} does not match its hash (modified)")
            )
        expected_hash = anchored.get(row.seq)
        if expected_hash is not None and row.entry_hash != expected_hash:
            return report(
                BadEntry(
                    row.seq,
                    "anchor_mismatch",
                    f"entry {row.seq} differs from its anchor kept outside the database "
                    "(the log was rewritten, or rewound and grown again)",
                )
            )
        prev_hash = row.entry_hash
        expected_seq += 1
        checked += 1

    # Read the head after the scan: an append that committed meanwhile only moves it forward.
    now = store.read_head(conn)
    last_seq = expected_seq - 1
    if now.seq < last_seq:
        return report(
            BadEntry(
                now.seq + 1,
                "beyond_head",
                f"entry {now.seq + 1} lies beyond the chain head (inserted)",
            )
        )
    if now.seq == last_seq and now.entry_hash != prev_hash:
        return report(
            BadEntry(
                last_seq,
                "head_mismatch",
                f"the chain head does not match entry {last_seq} (entries replaced)",
            )
        )
    if now.seq > last_seq and store.max_seq(conn) <= last_seq:
        return report(
            BadEntry(
                last_seq + 1,
                "truncated",
                f"entries {last_seq + 1}..{now.seq} are missing (the log was truncated)",
            )
        )
    beyond = max(anchored, default=0)
    if beyond > last_seq:
        return report(
            BadEntry(
                last_seq + 1,
                "truncated",
                f"the log ends at entry {last_seq} but entry {beyond} was anchored outside "
                "the database (the log was truncated or its head rewound)",
            )
        )
    return report(None)


def access_log(
    conn: Connection,
    user_id: str,
    *,
    limit: int = 100,
    before_seq: int | None = None,
    where: LogFilter | None = None,
) -> list[AuditEntry]:
    """Entries about one person (any business), newest first; page with ``before_seq``,
    narrow with ``where`` (one business, some actors, the person's own reads left out)."""
    rows = store.entries_for_user(conn, user_id, limit=limit, before_seq=before_seq, where=where)
    return [_entry_from_row(row) for row in rows]


def count_own_reads(conn: Connection, user_id: str, page_id: str | None = None) -> int:
    """How many entries record the person reading their own data (one business's or all)."""
    return store.count_own_reads(conn, user_id, page_id)


class AuditLog:
    """The audit log bound to a clock (what bootstrap builds and passes around)."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    def append(self, conn: Connection, event: AuditEvent) -> None:
        """Append as part of the caller's transaction (see :func:`append`)."""
        append(conn, event, at=to_ms(self.clock.now()))

    def access_log(
        self, conn: Connection, user_id: str, *, limit: int = 100, before_seq: int | None = None
    ) -> list[AuditEntry]:
        return access_log(conn, user_id, limit=limit, before_seq=before_seq)
