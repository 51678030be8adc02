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
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from ledgerline.storage.tables import webhook_attempts, webhook_events

PENDING = "pending"
DELIVERED = "delivered"
FAILED = "failed"


@dataclass(frozen=True, slots=True)
class OutboxEvent:
    event_id: int
    page_id: str
    psid: str
    kind: str
    event: dict[str, Any]
    attempts: int
    created_at: int


def enqueue(
    conn: sa.Connection, *, page_id: str, psid: str, kind: str, event: dict[str, Any], now: int
) -> int:
    result = conn.execute(
        webhook_events.insert().values(
            page_id=page_id,
            psid=psid,
            kind=kind,
            event=json.dumps(event, ensure_ascii=False, separators=(",", ":")),
            status=PENDING,
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
    )
    key = result.inserted_primary_key
    return int(key[0]) if key else 0


def _unclaimed(now: int) -> sa.ColumnElement[bool]:
    return sa.or_(webhook_events.c.claimed_until.is_(None), webhook_events.c.claimed_until <= now)


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
    heads = (
        sa.select(sa.func.min(webhook_events.c.event_id).label("head"))
        .where(webhook_events.c.status == PENDING, webhook_events.c.page_id == page_id)
        .group_by(webhook_events.c.psid)
        .subquery()
    )
    stmt = (
        sa.select(webhook_events)
        .where(
            webhook_events.c.event_id.in_(sa.select(heads.c.head)),
            webhook_events.c.next_attempt_at <= now,
            _unclaimed(now),
        )
        .order_by(webhook_events.c.event_id)
        .limit(limit)
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
    conn.execute(
        webhook_events.update()
        .where(
            webhook_events.c.event_id.in_(ids),
            webhook_events.c.status == PENDING,
            _unclaimed(now),
        )
        .values(claimed_by=owner, claimed_until=lease_until)
    )
    mine = set(
        conn.execute(
            sa.select(webhook_events.c.event_id).where(
                webhook_events.c.event_id.in_(ids),
                webhook_events.c.claimed_by == owner,
                webhook_events.c.claimed_until == lease_until,
            )
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


def release_claims(conn: sa.Connection, *, owner: str) -> int:
    """Drop ``owner``'s claims on pending events (a dispatcher stopping cleanly)."""
    result = conn.execute(
        webhook_events.update()
        .where(webhook_events.c.claimed_by == owner, webhook_events.c.status == PENDING)
        .values(claimed_by=None, claimed_until=None)
    )
    return int(result.rowcount or 0)


def pages_with_due_events(conn: sa.Connection, *, now: int) -> list[str]:
    """Pages with a person whose oldest pending event is due and not claimed."""
    heads = (
        sa.select(sa.func.min(webhook_events.c.event_id).label("head"))
        .where(webhook_events.c.status == PENDING)
        .group_by(webhook_events.c.page_id, webhook_events.c.psid)
        .subquery()
    )
    return [
        str(page_id)
        for page_id in conn.execute(
            sa.select(webhook_events.c.page_id)
            .where(
                webhook_events.c.event_id.in_(sa.select(heads.c.head)),
                webhook_events.c.next_attempt_at <= now,
                _unclaimed(now),
            )
            .distinct()
        ).scalars()
    ]


def next_due_time(conn: sa.Connection) -> int | None:
    return conn.execute(
        sa.select(sa.func.min(webhook_events.c.next_attempt_at)).where(
            webhook_events.c.status == PENDING
        )
    ).scalar()


def _event(row: sa.RowMapping) -> OutboxEvent:
    return OutboxEvent(
        event_id=int(row["event_id"]),
        page_id=str(row["page_id"]),
        psid=str(row["psid"]),
        kind=str(row["kind"]),
        event=json.loads(str(row["event"])),
        attempts=int(row["attempts"]),
        created_at=int(row["created_at"]),
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
    if delivered:
        values.update(status=DELIVERED, delivered_at=now)
    elif give_up:
        values.update(status=FAILED)
    else:
        values.update(next_attempt_at=next_attempt_at)
    conn.execute(
        webhook_events.update().where(webhook_events.c.event_id.in_(event_ids)).values(**values)
    )


def list_deliveries(
    conn: sa.Connection, *, page_id: str, limit: int, status: str | None, before: int | None
) -> list[dict[str, Any]]:
    """The page's delivery log, newest first, each event with its attempts."""
    stmt = sa.select(webhook_events).where(webhook_events.c.page_id == page_id)
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
        }
        for row in rows
    ]
