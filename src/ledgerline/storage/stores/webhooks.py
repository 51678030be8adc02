"""The webhook outbox: events to banks, written in the sender's transaction, sent later.

Per (page, psid) only the oldest pending event is ever due (the partition's *head*), which is
what keeps delivery in order per person while other people and other businesses go on.

A dispatcher *claims* the events it is about to send (``claim_due``): a lease
(``claimed_by``, ``claimed_until``) that other dispatchers — in other processes on the same
database — respect, so an event is never sent by two of them at once; a dispatcher that dies
mid-send loses its lease when it runs out and another one sends the event (at-least-once).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from ledgerline.storage.prepared import Prepared
from ledgerline.storage.tables import threads, webhook_attempts, webhook_events
from ledgerline.telemetry import tracing

PENDING = "pending"
DELIVERED = "delivered"
FAILED = "failed"
ENDED = (DELIVERED, FAILED)
ERASED_EVENT = "{}"  # what an event's payload becomes once erased


@dataclass(frozen=True, slots=True)
class OutboxEvent:
    event_id: int
    page_id: str
    psid: str
    kind: str
    event: dict[str, Any]
    attempts: int
    created_at: int
    traceparent: str | None = None


_ENQUEUE = Prepared(  # every message, postback, read and delivery a bank hears of
    webhook_events.insert()
    .values(
        page_id=sa.bindparam("page_id"),
        psid=sa.bindparam("psid"),
        kind=sa.bindparam("kind"),
        event=sa.bindparam("event"),
        status=PENDING,
        attempts=0,
        next_attempt_at=sa.bindparam("now"),
        created_at=sa.bindparam("now"),
        traceparent=sa.bindparam("traceparent"),
    )
    .returning(webhook_events.c.event_id)
)


def enqueue(
    conn: sa.Connection, *, page_id: str, psid: str, kind: str, event: dict[str, Any], now: int
) -> int:
    inserted = _ENQUEUE.first(
        conn,
        {
            "page_id": page_id,
            "psid": psid,
            "kind": kind,
            "event": json.dumps(event, ensure_ascii=False, separators=(",", ":")),
            "now": now,
            "traceparent": tracing.traceparent(),
        },
    )
    return 0 if inserted is None else int(inserted[0])


def _unclaimed(now: int) -> sa.ColumnElement[bool]:
    return sa.or_(webhook_events.c.claimed_until.is_(None), webhook_events.c.claimed_until <= now)


def _due_heads(now: int, page_id: str | None) -> sa.Subquery:
    """Each person's oldest pending event (the partition's head) when it is due and unclaimed,
    of one page or of every page: ``event_id`` and ``page_id``.

    Numbered per person by a window over the pending events alone (``ix_webhook_events_pending``
    gives them in order), so the cost follows the backlog, not the delivery history: the
    ``min(event_id) … GROUP BY`` form it replaces was joined back to the table by PostgreSQL
    with a scan of the primary key from the oldest event ever queued (≈20 ms a claim with
    20,000 delivered events behind 2,000 pending; ≈2 ms now)."""
    pending = webhook_events.c.status == PENDING
    ranked = sa.select(
        webhook_events.c.event_id,
        webhook_events.c.page_id,
        webhook_events.c.next_attempt_at,
        webhook_events.c.claimed_until,
        sa.func.row_number()
        .over(
            partition_by=(webhook_events.c.page_id, webhook_events.c.psid),
            order_by=webhook_events.c.event_id,
        )
        .label("rank"),
    ).where(pending if page_id is None else sa.and_(pending, webhook_events.c.page_id == page_id))
    heads = ranked.subquery("ranked")
    return (
        sa.select(heads.c.event_id, heads.c.page_id)
        .where(
            heads.c.rank == 1,
            heads.c.next_attempt_at <= now,
            sa.or_(heads.c.claimed_until.is_(None), heads.c.claimed_until <= now),
        )
        .subquery("heads")
    )


def due_heads(
    conn: sa.Connection,
    *,
    page_id: str,
    now: int,
    limit: int,
    batch_per_partition: int = 1,
    for_update: bool = False,
) -> list[OutboxEvent]:
    """The oldest pending event of each of the page's people, when its retry time has come
    and no dispatcher holds it.

    With ``batch_per_partition`` > 1, the following pending events of the same person are
    returned too (after the head, in order), for businesses that take batched POSTs.
    ``for_update`` locks the rows, skipping those another transaction is claiming
    (PostgreSQL's ``FOR UPDATE SKIP LOCKED``; SQLite's single writer needs no lock).
    """
    heads = _due_heads(now, page_id)
    first = sa.select(heads.c.event_id).order_by(heads.c.event_id).limit(limit)
    stmt = (
        sa.select(webhook_events)
        .where(
            webhook_events.c.event_id.in_(first.scalar_subquery()),
            # again on the row itself: one another claimer took meanwhile is left out
            webhook_events.c.status == PENDING,
            webhook_events.c.next_attempt_at <= now,
            _unclaimed(now),
        )
        .order_by(webhook_events.c.event_id)
    )
    if for_update:
        stmt = stmt.with_for_update(skip_locked=True)
    rows = conn.execute(stmt).mappings().all()
    events = [_event(row) for row in rows]
    if batch_per_partition <= 1:
        return events
    batched: list[OutboxEvent] = []
    for head in events:
        batched.append(head)
        followers = (
            conn.execute(
                sa.select(webhook_events)
                .where(
                    webhook_events.c.page_id == page_id,
                    webhook_events.c.psid == head.psid,
                    webhook_events.c.status == PENDING,
                    webhook_events.c.event_id > head.event_id,
                )
                .order_by(webhook_events.c.event_id)
                .limit(batch_per_partition - 1)
            )
            .mappings()
            .all()
        )
        batched.extend(_event(row) for row in followers)
    return batched


def claim_due(
    conn: sa.Connection,
    *,
    page_id: str,
    now: int,
    limit: int,
    batch_per_partition: int,
    owner: str,
    lease_until: int,
) -> list[OutboxEvent]:
    """Claim the page's due events (``due_heads``) for ``owner`` until ``lease_until``;
    returns those this call claimed, in order. Safe against concurrent claimers: the update
    only takes rows that are still unclaimed."""
    events = due_heads(
        conn,
        page_id=page_id,
        now=now,
        limit=limit,
        batch_per_partition=batch_per_partition,
        for_update=True,
    )
    if not events:
        return []
    ids = [event.event_id for event in events]
    mine = set(
        conn.execute(
            webhook_events.update()
            .where(
                webhook_events.c.event_id.in_(ids),
                webhook_events.c.status == PENDING,
                _unclaimed(now),
            )
            .values(claimed_by=owner, claimed_until=lease_until)
            .returning(webhook_events.c.event_id)
        ).scalars()
    )
    claimed: list[OutboxEvent] = []
    broken: set[str] = set()  # a person's run stops at the first event that is not ours
    for event in events:
        if event.psid in broken or event.event_id not in mine:
            broken.add(event.psid)
            continue
        claimed.append(event)
    return claimed


_OUTBOX_COLUMNS = tuple(webhook_events.c)
_PERSONS_PENDING = Prepared(  # a person's next events, in order, locked (PostgreSQL)
    sa.select(*_OUTBOX_COLUMNS)
    .where(
        webhook_events.c.status == PENDING,
        webhook_events.c.page_id == sa.bindparam("page_id"),
        webhook_events.c.psid == sa.bindparam("psid"),
    )
    .order_by(webhook_events.c.event_id)
    .limit(sa.bindparam("limit"))
    .with_for_update()
)
_CLAIM_ONE = Prepared(
    webhook_events.update()
    .where(webhook_events.c.event_id == sa.bindparam("id"))
    .values(claimed_by=sa.bindparam("owner"), claimed_until=sa.bindparam("until"))
)


def claim_next_of_person(
    conn: sa.Connection,
    *,
    page_id: str,
    psid: str,
    now: int,
    batch_per_partition: int,
    owner: str,
    lease_until: int,
) -> list[OutboxEvent]:
    """Claim one person's next events for ``owner``: their oldest pending event (the head)
    and, with ``batch_per_partition`` > 1, the pending events after it, in order; nothing
    unless the head is due and unclaimed. Read through ``ix_webhook_events_pending`` (this
    person's pending events alone, not the page's backlog).

    For a dispatcher that has just recorded this person's previous attempt in the same
    transaction: their events go on one after another without a claim of the whole page.
    The rows are locked in event order before they are checked (PostgreSQL's ``FOR
    UPDATE``, not ``SKIP LOCKED``, which could skip the head and hand out the event after
    it); a claim of the page (``claim_due``) only ever skips locked rows, so it never waits
    for this one."""
    rows = _PERSONS_PENDING.all(
        conn, {"page_id": page_id, "psid": psid, "limit": max(1, batch_per_partition)}
    )
    if not rows:
        return []
    head = dict(zip((c.name for c in _OUTBOX_COLUMNS), rows[0], strict=True))
    claimed_until = head["claimed_until"]
    if int(head["next_attempt_at"]) > now or (
        claimed_until is not None and int(claimed_until) > now
    ):
        return []
    events = [
        _event(dict(zip((c.name for c in _OUTBOX_COLUMNS), row, strict=True))) for row in rows
    ]
    for event in events:
        _CLAIM_ONE.run(conn, {"id": event.event_id, "owner": owner, "until": lease_until})
    return events


def release_claims(conn: sa.Connection, *, owner: str) -> int:
    """Drop ``owner``'s claims on pending events (a dispatcher stopping cleanly).

    Events another transaction holds are skipped, never waited for (PostgreSQL's ``FOR
    UPDATE SKIP LOCKED``): they are this dispatcher's attempts being recorded, which end the
    claim themselves. Waiting for them deadlocked: a writer batch records several attempts
    in arrival order while this update took the same rows in scan order."""
    free = (
        sa.select(webhook_events.c.event_id)
        .where(webhook_events.c.claimed_by == owner, webhook_events.c.status == PENDING)
        .with_for_update(skip_locked=True)
    )
    result = conn.execute(
        webhook_events.update()
        .where(webhook_events.c.event_id.in_(free.scalar_subquery()))
        .values(claimed_by=None, claimed_until=None)
    )
    return int(result.rowcount or 0)


def pages_with_due_events(conn: sa.Connection, *, now: int) -> list[str]:
    """Pages with a person whose oldest pending event is due and not claimed."""
    heads = _due_heads(now, None)
    return [
        str(page_id) for page_id in conn.execute(sa.select(heads.c.page_id).distinct()).scalars()
    ]


def backlog(conn: sa.Connection) -> list[tuple[str, int, int]]:
    """Per business with pending events: (page_id, how many, the oldest one's created_at)
    (``ix_webhook_events_pending``)."""
    rows = conn.execute(
        sa.select(
            webhook_events.c.page_id,
            sa.func.count(),
            sa.func.min(webhook_events.c.created_at),
        )
        .where(webhook_events.c.status == PENDING)
        .group_by(webhook_events.c.page_id)
    ).all()
    return [(str(page_id), int(count), int(oldest)) for page_id, count, oldest in rows]


def next_due_time(conn: sa.Connection) -> int | None:
    return conn.execute(
        sa.select(sa.func.min(webhook_events.c.next_attempt_at)).where(
            webhook_events.c.status == PENDING
        )
    ).scalar()


def _event(row: Mapping[Any, Any]) -> OutboxEvent:
    return OutboxEvent(
        event_id=int(row["event_id"]),
        page_id=str(row["page_id"]),
        psid=str(row["psid"]),
        kind=str(row["kind"]),
        event=json.loads(str(row["event"])),
        attempts=int(row["attempts"]),
        created_at=int(row["created_at"]),
        traceparent=row["traceparent"],
    )


_RECORD_ATTEMPT = Prepared(  # a delivered attempt
    webhook_attempts.insert().values(
        event_id=sa.bindparam("event_id"),
        attempted_at=sa.bindparam("now"),
        status_code=sa.bindparam("status_code"),
        error=None,
        duration_ms=sa.bindparam("duration_ms"),
    )
)
_DELIVERED = Prepared(
    webhook_events.update()
    .where(webhook_events.c.event_id == sa.bindparam("event_id"))
    .values(
        claimed_by=None,
        claimed_until=None,
        attempts=webhook_events.c.attempts + 1,
        last_status_code=sa.bindparam("status_code"),
        last_error=None,
        status=DELIVERED,
        delivered_at=sa.bindparam("now"),
    )
)


def record_attempt(
    conn: sa.Connection,
    *,
    event_ids: list[int],
    now: int,
    status_code: int | None,
    error: str | None,
    duration_ms: int,
    delivered: bool,
    next_attempt_at: int | None,
    give_up: bool = False,
) -> None:
    if delivered:  # the common case, on prepared statements
        for event_id in event_ids:
            _RECORD_ATTEMPT.run(
                conn,
                {
                    "event_id": event_id,
                    "now": now,
                    "status_code": status_code,
                    "duration_ms": duration_ms,
                },
            )
            _DELIVERED.run(conn, {"event_id": event_id, "now": now, "status_code": status_code})
        return
    for event_id in event_ids:
        conn.execute(
            webhook_attempts.insert().values(
                event_id=event_id,
                attempted_at=now,
                status_code=status_code,
                error=None if error is None else error[:500],
                duration_ms=duration_ms,
            )
        )
    values: dict[str, object] = {
        "claimed_by": None,
        "claimed_until": None,
        "attempts": webhook_events.c.attempts + 1,
        "last_status_code": status_code,
        "last_error": None if error is None else error[:500],
    }
    if give_up:
        values.update(status=FAILED)
    else:
        values.update(next_attempt_at=next_attempt_at)
    conn.execute(
        webhook_events.update().where(webhook_events.c.event_id.in_(event_ids)).values(**values)
    )


def _kind_filter(
    stmt: sa.Select[Any], kinds: Sequence[str] | None, exclude: Sequence[str]
) -> sa.Select[Any]:
    if kinds:
        return stmt.where(webhook_events.c.kind.in_(list(kinds)))
    if exclude:
        return stmt.where(webhook_events.c.kind.not_in(list(exclude)))
    return stmt


def list_deliveries(
    conn: sa.Connection,
    *,
    page_id: str,
    limit: int,
    status: str | None,
    before: int | None,
    kinds: Sequence[str] | None = None,
    exclude_kinds: Sequence[str] = (),
) -> list[dict[str, Any]]:
    """The page's delivery log, newest first, each event with its attempts: of ``kinds``
    when given, else of every kind but ``exclude_kinds``."""
    stmt = sa.select(webhook_events).where(webhook_events.c.page_id == page_id)
    stmt = _kind_filter(stmt, kinds, exclude_kinds)
    if status:
        stmt = stmt.where(webhook_events.c.status == status)
    if before is not None:
        stmt = stmt.where(webhook_events.c.event_id < before)
    rows = (
        conn.execute(stmt.order_by(webhook_events.c.event_id.desc()).limit(limit)).mappings().all()
    )
    ids = [int(row["event_id"]) for row in rows]
    attempts: dict[int, list[dict[str, Any]]] = {event_id: [] for event_id in ids}
    if ids:
        for attempt in conn.execute(
            sa.select(webhook_attempts)
            .where(webhook_attempts.c.event_id.in_(ids))
            .order_by(webhook_attempts.c.attempt_id)
        ).mappings():
            attempts[int(attempt["event_id"])].append(
                {
                    "attempted_at": int(attempt["attempted_at"]),
                    "status_code": attempt["status_code"],
                    "error": attempt["error"],
                    "duration_ms": int(attempt["duration_ms"]),
                }
            )
    return [
        {
            "id": str(row["event_id"]),
            "kind": row["kind"],
            "psid": row["psid"],
            "status": row["status"],
            "attempts": attempts[int(row["event_id"])],
            "next_attempt_at": int(row["next_attempt_at"]) if row["status"] == PENDING else None,
            "last_status_code": row["last_status_code"],
            "created_at": int(row["created_at"]),
            "delivered_at": row["delivered_at"],
            "event": json.loads(str(row["event"])),
            "erased": None
            if row["erased_at"] is None
            else {"at": int(row["erased_at"]), "reason": row["erased_reason"]},
            "replay_of": None if row["replay_of"] is None else str(row["replay_of"]),
        }
        for row in rows
    ]


# -- replay ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """An event as the delivery log keeps it (for a replay)."""

    event_id: int
    psid: str
    kind: str
    event: str  # the JSON as queued
    status: str
    created_at: int
    erased: bool


_STORED = (
    webhook_events.c.event_id,
    webhook_events.c.psid,
    webhook_events.c.kind,
    webhook_events.c.event,
    webhook_events.c.status,
    webhook_events.c.created_at,
    webhook_events.c.erased_at,
)


def _stored(row: Any) -> StoredEvent:
    event_id, psid, kind, event, status, created_at, erased_at = row
    return StoredEvent(
        int(event_id), str(psid), str(kind), str(event), str(status), int(created_at),
        erased_at is not None,
    )  # fmt: skip


def stored_event(conn: sa.Connection, *, page_id: str, event_id: int) -> StoredEvent | None:
    """One of the page's events (None for another page's: tenants never see each other)."""
    row = conn.execute(
        sa.select(*_STORED).where(
            webhook_events.c.page_id == page_id, webhook_events.c.event_id == event_id
        )
    ).first()
    return None if row is None else _stored(row)


def stored_events_between(
    conn: sa.Connection,
    *,
    page_id: str,
    since: int,
    until: int,
    kinds: Sequence[str] | None,
    exclude_kinds: Sequence[str],
    statuses: Sequence[str],
    limit: int,
) -> list[StoredEvent]:
    """The page's events queued in [since, until) with one of ``statuses`` and a payload,
    oldest first, at most ``limit``."""
    stmt = sa.select(*_STORED).where(
        webhook_events.c.page_id == page_id,
        webhook_events.c.created_at >= since,
        webhook_events.c.created_at < until,
        webhook_events.c.status.in_(list(statuses)),
        webhook_events.c.erased_at.is_(None),
    )
    stmt = _kind_filter(stmt, kinds, exclude_kinds)
    return [
        _stored(row) for row in conn.execute(stmt.order_by(webhook_events.c.event_id).limit(limit))
    ]


def enqueue_replay(conn: sa.Connection, *, page_id: str, original: StoredEvent, now: int) -> int:
    """Queue ``original`` again, as it was (same payload, same ``mid``), due now."""
    inserted = conn.execute(
        webhook_events.insert()
        .values(
            page_id=page_id,
            psid=original.psid,
            kind=original.kind,
            event=original.event,
            status=PENDING,
            attempts=0,
            next_attempt_at=now,
            created_at=now,
            replay_of=original.event_id,
            traceparent=tracing.traceparent(),
        )
        .returning(webhook_events.c.event_id)
    ).first()
    return 0 if inserted is None else int(inserted[0])


# -- retention and erasure (``privacy.webhook_records``) ----------------------------------


@dataclass(frozen=True, slots=True)
class PersonEvent:
    """An event of one of a person's threads whose payload is still there."""

    event_id: int
    page_id: str
    psid: str
    kind: str
    status: str
    event: dict[str, Any]
    claimed_until: int | None


def events_of_person(conn: sa.Connection, user_id: str) -> list[PersonEvent]:
    """The person's events not erased yet, with every business, oldest first: their threads
    (``ix_threads_user``) joined to the outbox on (page, psid) (``ix_webhook_events_pending``)."""
    rows = conn.execute(
        sa.select(
            webhook_events.c.event_id,
            webhook_events.c.page_id,
            webhook_events.c.psid,
            webhook_events.c.kind,
            webhook_events.c.status,
            webhook_events.c.event,
            webhook_events.c.claimed_until,
        )
        .join(
            threads,
            sa.and_(
                threads.c.page_id == webhook_events.c.page_id,
                threads.c.psid == webhook_events.c.psid,
            ),
        )
        .where(
            threads.c.user_id == user_id,
            webhook_events.c.status.in_((PENDING, *ENDED)),
            webhook_events.c.erased_at.is_(None),
        )
        .order_by(webhook_events.c.event_id)
    ).all()
    return [
        PersonEvent(
            int(event_id), str(page_id), str(psid), str(kind), str(status),
            json.loads(str(event)), None if claimed is None else int(claimed),
        )
        for event_id, page_id, psid, kind, status, event, claimed in rows
    ]  # fmt: skip


def _erased(now: int, reason: str) -> dict[str, Any]:
    return {"event": ERASED_EVENT, "erased_at": now, "erased_reason": reason}


def erase_payloads_txn(conn: sa.Connection, event_ids: list[int], *, now: int, reason: str) -> None:
    """Erase these events' payloads. A pending one is withdrawn (``failed``): it can no longer
    be sent. Its attempts stay; an attempt in flight still records how it ended."""
    for start in range(0, len(event_ids), 500):
        conn.execute(
            webhook_events.update()
            .where(webhook_events.c.event_id.in_(event_ids[start : start + 500]))
            .values(
                status=sa.case(
                    (webhook_events.c.status == PENDING, FAILED), else_=webhook_events.c.status
                ),
                **_erased(now, reason),
            )
        )


def hold_pending_txn(conn: sa.Connection, *, page_id: str, psid: str, until: int) -> None:
    """No pending event of (page, psid) is due before ``until`` (keeps order behind an
    attempt still in flight)."""
    conn.execute(
        webhook_events.update()
        .where(
            webhook_events.c.page_id == page_id,
            webhook_events.c.psid == psid,
            webhook_events.c.status == PENDING,
            webhook_events.c.next_attempt_at < until,
        )
        .values(next_attempt_at=until)
    )


def _count_by_page(result: sa.CursorResult[Any]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for (page_id,) in result:
        counts[str(page_id)] = counts.get(str(page_id), 0) + 1
    return counts


def give_up_unsent_txn(conn: sa.Connection, *, created_before: int, now: int) -> dict[str, int]:
    """Pending events queued before ``created_before`` that no dispatcher holds (never
    attempted: the business lost its webhook URL, or no server ran) are failed and their
    payloads erased; the count per business."""
    return _count_by_page(
        conn.execute(
            webhook_events.update()
            .where(
                webhook_events.c.created_at < created_before,
                webhook_events.c.erased_at.is_(None),
                webhook_events.c.status == PENDING,
                _unclaimed(now),
            )
            .values(status=FAILED, **_erased(now, "retention"))
            .returning(webhook_events.c.page_id)
        )
    )


def erase_old_payloads_txn(conn: sa.Connection, *, created_before: int, now: int) -> dict[str, int]:
    """Erase the payloads of delivered and failed events queued before ``created_before``
    (``ix_webhook_events_age``); the count per business."""
    return _count_by_page(
        conn.execute(
            webhook_events.update()
            .where(
                webhook_events.c.created_at < created_before,
                webhook_events.c.erased_at.is_(None),
                webhook_events.c.status.in_(ENDED),
            )
            .values(**_erased(now, "retention"))
            .returning(webhook_events.c.page_id)
        )
    )


def delete_old_entries_txn(conn: sa.Connection, *, created_before: int, now: int) -> dict[str, int]:
    """Delete delivered and failed events queued before ``created_before``, with their
    attempts (never one an attempt is still in flight for); the count per business.

    The rows are locked first (PostgreSQL), so an attempt recorded concurrently waits for
    this transaction instead of slipping in between the two deletes."""
    ids = list(
        conn.execute(
            sa.select(webhook_events.c.event_id)
            .where(
                webhook_events.c.created_at < created_before,
                webhook_events.c.status.in_(ENDED),
                _unclaimed(now),
            )
            .with_for_update()
        ).scalars()
    )
    counts: dict[str, int] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        conn.execute(webhook_attempts.delete().where(webhook_attempts.c.event_id.in_(chunk)))
        for page_id, n in _count_by_page(
            conn.execute(
                webhook_events.delete()
                .where(webhook_events.c.event_id.in_(chunk))
                .returning(webhook_events.c.page_id)
            )
        ).items():
            counts[page_id] = counts.get(page_id, 0) + n
    return counts
