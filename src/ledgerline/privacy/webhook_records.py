"""What the webhook outbox keeps about people, for how long, and what their rights do to it.

Each event the platform queues for a bank (``webhook_events``) holds a copy of what it
tells the bank: a person's message and quick-reply payloads, postbacks, handover metadata,
a fraud-alert verdict, a linking code. The copy is needed only until the bank has it; the
delivery log (``GET /me/webhook_deliveries``, the console) shows it for a while so a bank can
debug its receiver. So:

* **Retention** (hourly, with the other purges): a delivered or failed event's payload is
  erased ``PAYLOAD_DAYS`` after it was queued (the entry, its status and attempts stay in
  the delivery log); the entry and its attempts are deleted ``LOG_DAYS`` after it was
  queued. A pending event is never touched while it may still go out (the dispatcher gives
  up after 3 days); one still pending after ``PAYLOAD_DAYS`` was never attempted (the
  business lost its webhook URL) and is failed and erased.
* **Account deletion** (art. 17): in the deletion's transaction, the payload of every event
  of the person's threads is erased — delivered and failed ones, and pending ones, which are
  withdrawn (``failed``: never sent) — except the pending ``account_linking`` ``unlinked``
  events: the bank must learn that the link ended (the deletion itself queues them), and
  they carry nothing but that. Those go out as usual (at-least-once, in order). An event
  already in flight when the account is deleted may still arrive; the person's later
  events wait for that attempt's lease, so order per person holds.

Every erasure is audited with counts only: ``erase_webhook_events`` per business and
person on deletion, ``purge_webhook_events`` per business on retention.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from ledgerline.audit import Actor, AuditEvent, append
from ledgerline.storage.database import UnitOfWork
from ledgerline.storage.stores import webhooks as outbox

DAY_MS = 24 * 3600 * 1000
PAYLOAD_DAYS = 7
LOG_DAYS = 30
ACCOUNT_DELETED = "account_deleted"
ERASE_ACTION = "erase_webhook_events"
PURGE_ACTION = "purge_webhook_events"


def still_goes_out(kind: str, event: dict[str, Any]) -> bool:
    """An event a deletion leaves to be sent: the bank learning that the link ended."""
    linking = event.get("account_linking")
    return (
        kind == "account_linking"
        and isinstance(linking, dict)
        and (linking.get("status") == "unlinked")
    )


def erase_person_txn(uow: UnitOfWork, *, actor: Actor, user_id: str, now: int) -> None:
    """The person deleted their account (see the module docstring)."""
    conn = uow.conn
    events = [
        e
        for e in outbox.events_of_person(conn, user_id)
        if not (e.status == outbox.PENDING and still_goes_out(e.kind, e.event))
    ]
    if not events:
        return
    outbox.erase_payloads_txn(conn, [e.event_id for e in events], now=now, reason=ACCOUNT_DELETED)
    in_flight: dict[tuple[str, str], int] = {}
    for e in events:
        if e.status == outbox.PENDING and e.claimed_until is not None and e.claimed_until > now:
            key = (e.page_id, e.psid)
            in_flight[key] = max(in_flight.get(key, 0), e.claimed_until)
    for (page_id, psid), until in sorted(in_flight.items()):
        outbox.hold_pending_txn(conn, page_id=page_id, psid=psid, until=until)
    withdrawn = Counter(e.page_id for e in events if e.status == outbox.PENDING)
    erased = Counter(e.page_id for e in events if e.status != outbox.PENDING)
    for page_id in sorted(withdrawn.keys() | erased.keys()):
        append(
            conn,
            AuditEvent(
                actor=actor,
                action=ERASE_ACTION,
                page_id=page_id,
                user_id=user_id,
                detail={
                    "reason": ACCOUNT_DELETED,
                    "withdrawn": withdrawn[page_id],
                    "payloads": erased[page_id],
                },
            ),
            at=now,
        )


@dataclass(frozen=True, slots=True)
class WebhookPurge:
    payloads_erased: int = 0
    unsent_given_up: int = 0
    entries_deleted: int = 0


def purge_expired_txn(uow: UnitOfWork, *, actor: Actor, now: int) -> WebhookPurge:
    """One retention pass over the outbox (see the module docstring); one audit entry per
    business it changed anything of."""
    conn = uow.conn
    payload_cutoff = now - PAYLOAD_DAYS * DAY_MS
    unsent = outbox.give_up_unsent_txn(conn, created_before=payload_cutoff, now=now)
    payloads = outbox.erase_old_payloads_txn(conn, created_before=payload_cutoff, now=now)
    entries = outbox.delete_old_entries_txn(conn, created_before=now - LOG_DAYS * DAY_MS, now=now)
    for page_id in sorted(unsent.keys() | payloads.keys() | entries.keys()):
        append(
            conn,
            AuditEvent(
                actor=actor,
                action=PURGE_ACTION,
                page_id=page_id,
                detail={
                    "payloads": payloads.get(page_id, 0),
                    "unsent": unsent.get(page_id, 0),
                    "entries": entries.get(page_id, 0),
                    "payload_days": PAYLOAD_DAYS,
                    "log_days": LOG_DAYS,
                },
            ),
            at=now,
        )
    return WebhookPurge(sum(payloads.values()), sum(unsent.values()), sum(entries.values()))
