"""Financial updates in chat: bank data becomes messages from the business's page.

``notify_records`` runs inside the ingestion's transaction (``ingest.actions.do_ingest``):
it reads the records just stored from the vault with purpose ``notify`` (audited, within
consent), builds each message in the person's language (``texts``) and posts it as a
private message (``chat.private``: the body sealed in the vault, a placeholder in
``messages``). Because it shares the ingestion's transaction, a duplicate transaction gives
no second message and messages follow the order in which the bank's data was accepted.

What the person chose to hear (``preferences``) filters and holds back updates: quiet hours
and the daily digest queue them by record id; ``release_due`` posts them when due
(``workers.updates``). These are account updates (Messenger tags ``ACCOUNT_UPDATE`` /
``POST_PURCHASE_UPDATE``): the 24-hour window does not apply.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ledgerline.audit import Actor
from ledgerline.chat.private import post_private_messages
from ledgerline.domain.clock import to_ms
from ledgerline.domain.errors import PurposeNotAllowed
from ledgerline.domain.ids import new_mid, new_psid
from ledgerline.domain.records import Record, RecordAccess, RecordKind, VaultPort
from ledgerline.domain.scopes import Purpose
from ledgerline.language.formatter import Formatter
from ledgerline.storage.database import UnitOfWork
from ledgerline.storage.stores import threads as thread_store, updates as notify_store
from ledgerline.storage.stores.threads import ThreadRow
from ledgerline.updates import preferences as prefs_mod
from ledgerline.updates.texts import (
    balance_message,
    digest_text,
    low_balance_message,
    shipment_message,
    transaction_message,
)

NOTIFIER = Actor.component("notify")
Outgoing = tuple[str, dict[str, Any], str | None]  # (kind, message, its mid if made already)


@dataclass(frozen=True, slots=True)
class Audience:
    """Who a message is for: their thread, language and timezone, the business name, and
    what the person chose to hear from that business."""

    thread: ThreadRow
    fmt: Formatter
    business: str
    prefs: prefs_mod.Preferences = field(default_factory=prefs_mod.Preferences)


def audience_of(
    uow: UnitOfWork, page_id: str, user_id: str, now: int, thread: ThreadRow | None = None
) -> Audience:
    """``thread`` when the caller has it already (else it is looked up, or created)."""
    if thread is None:
        thread = thread_store.get_or_create_thread(
            uow.conn, page_id, user_id, now=now, new_psid=new_psid
        )
    facts = notify_store.audience_facts(uow.conn, page_id, user_id)
    fmt = Formatter.for_person(facts.locale, facts.timezone)
    prefs = (
        prefs_mod.Preferences() if facts.preferences is None else prefs_mod.parse(facts.preferences)
    )
    return Audience(thread, fmt, facts.business_name or "", prefs)


# -- from records to messages -----------------------------------------------------------------
def notify_records(
    uow: UnitOfWork,
    *,
    access: RecordAccess,
    kind: RecordKind,
    record_ids: Sequence[str],
    now: int,
    thread: ThreadRow | None = None,
) -> list[str]:
    """Turn newly stored records into messages (in the caller's transaction); their mids.
    ``access``: the vault access of the (business, person) that stored them; ``thread``:
    their thread, when the caller has read it already.

    Updates the person's preferences hold back (quiet hours, the daily digest) are queued
    by record id and built when released. Updates of this thread already due go out first,
    so the thread keeps the order of acceptance. Fraud alerts are not updates: they never
    wait, and the fraud engine posts them (``fraud.online.alerts``) once this has run.
    """
    if not record_ids:
        return []
    page_id, user_id = access.page_id, access.user_id
    held_back = notify_store.has_deferred(uow.conn, page_id, user_id)
    mids = _release_thread(uow, access, now) if held_back else []
    if kind is RecordKind.FRAUD_ALERT:  # not an update: the fraud engine posts it next
        return mids
    records = access.reading(Purpose.NOTIFY, actor=NOTIFIER).get_many(record_ids)
    audience = audience_of(uow, page_id, user_id, now, thread)
    prefs = audience.prefs
    waiting = held_back and notify_store.has_deferred(uow.conn, page_id, user_id, mode="quiet")
    # Messages are gathered and posted together (one vault write for the whole request);
    # what posts on its own (a fraud alert) first flushes what is gathered, keeping order.
    pending: list[tuple[str, dict[str, Any], int]] = []
    pending_mids: list[str | None] = []

    def flush() -> None:
        rows = post_private_messages(
            uow,
            access=access,
            thread=audience.thread,
            messages=pending,
            now=now,
            actor=NOTIFIER,
            mids=pending_mids,
        )
        mids.extend(row.mid for row in rows)
        pending.clear()
        pending_mids.clear()

    for record_id in record_ids:
        record = records.get(record_id)
        if record is None:
            continue
        messages = _messages_for(audience, prefs, record, now)
        if not messages:
            continue
        hold = _hold(prefs, audience, record, now)
        if hold is None and waiting:  # keep the order behind updates still held back
            hold = ("quiet", notify_store.last_due(uow.conn, page_id, user_id) or now)
        if hold is not None:
            mode, due_at = hold
            notify_store.defer(
                uow.conn,
                page_id=page_id,
                user_id=user_id,
                record_id=record_id,
                mode=mode,
                due_at=due_at,
            )
            waiting = waiting or mode == "quiet"
            continue
        pending.extend((kind, message, record.occurred_at) for kind, message, _ in messages)
        pending_mids.extend(mid for _, _, mid in messages)
    flush()
    return mids


def _post_all(
    uow: UnitOfWork,
    access: RecordAccess,
    audience: Audience,
    messages: list[Outgoing],
    now: int,
    occurred_at: int,
) -> list[str]:
    items = [(kind, message, occurred_at) for kind, message, _ in messages]
    rows = post_private_messages(
        uow,
        access=access,
        thread=audience.thread,
        messages=items,
        now=now,
        actor=NOTIFIER,
        mids=[mid for _, _, mid in messages],
    )
    return [row.mid for row in rows]


def _hold(
    prefs: prefs_mod.Preferences, audience: Audience, record: Record, now: int
) -> tuple[str, int] | None:
    """(mode, due) when the update must wait: transactions go to the digest; anything else
    waits out the quiet hours. Fraud alerts never reach here (they are posted directly)."""
    local = audience.fmt.local(now)
    due: datetime | None = None
    mode = "quiet"
    if record.kind is RecordKind.TRANSACTION:
        due = prefs.next_digest(local)
        mode = "digest" if due is not None else "quiet"
    quiet_end = prefs.quiet_until(due or local)
    if quiet_end is not None:
        due = quiet_end
    return None if due is None else (mode, to_ms(due))


def release_due(
    uow: UnitOfWork,
    *,
    vault: VaultPort[UnitOfWork],
    now: int,
    page_id: str | None = None,
    user_id: str | None = None,
) -> list[str]:
    """Post the held-back updates that are due (of one thread, or of everyone), in order;
    a day's digest of transactions becomes one message. Returns the mids posted."""
    rows = notify_store.due(uow.conn, now, page_id=page_id, user_id=user_id)
    threads: dict[tuple[str, str], list[notify_store.DeferredRow]] = defaultdict(list)
    for row in rows:
        threads[(row.page_id, row.user_id)].append(row)
    mids: list[str] = []
    for (page, user), candidates in threads.items():
        access = vault.access(uow, page_id=page, user_id=user)
        mids.extend(_release(uow, access, candidates, now))
    return mids


def _release_thread(uow: UnitOfWork, access: RecordAccess, now: int) -> list[str]:
    """The due updates of ``access``'s thread (they go out before anything newer)."""
    due = notify_store.due(uow.conn, now, page_id=access.page_id, user_id=access.user_id)
    return _release(uow, access, due, now)


def _release(
    uow: UnitOfWork, access: RecordAccess, candidates: list[notify_store.DeferredRow], now: int
) -> list[str]:
    """Post one thread's due updates (``candidates``), those this action could claim."""
    if not candidates:
        return []
    claimed = notify_store.claim_deferred(uow.conn, [row.seq for row in candidates])
    held = [row for row in candidates if row.seq in claimed]
    if not held:
        return []
    if access.scopes() is None:
        return []  # unlinked meanwhile: nothing to say, the data is gone
    try:
        records = access.reading(Purpose.NOTIFY, actor=NOTIFIER).get_many(
            [row.record_id for row in held]
        )
    except PurposeNotAllowed:  # consent narrowed meanwhile: drop what it no longer covers
        return []
    audience = audience_of(uow, access.page_id, access.user_id, now)
    prefs = audience.prefs
    mids: list[str] = []
    digest: list[Record] = []
    for row in held:
        record = records.get(row.record_id)
        if record is None:
            continue
        if row.mode == "digest":
            digest.append(record)
            continue
        messages = _messages_for(audience, prefs, record, now)
        mids.extend(_post_all(uow, access, audience, messages, now, record.occurred_at))
    if digest:
        message = {
            "text": digest_text(audience.fmt, audience.business, [r.payload for r in digest])
        }
        first = min(r.occurred_at for r in digest)
        mids.extend(_post_all(uow, access, audience, [("digest", message, None)], now, first))
    return mids


def _messages_for(
    audience: Audience,
    prefs: prefs_mod.Preferences,
    record: Record,
    now: int,
) -> list[Outgoing]:
    """The messages a record becomes: ``(kind, message, mid)``; a payment's mid is made
    here, because its "Not me" button names it."""
    fmt, data = audience.fmt, record.payload
    match record.kind:
        case RecordKind.TRANSACTION:
            if not prefs.wants("transactions") or prefs_mod.below(
                data["amount"], prefs.min_transaction_amount
            ):
                return []
            mid = new_mid()
            return [("transaction", transaction_message(fmt, data, mid), mid)]
        case RecordKind.BALANCE:
            out: list[Outgoing] = []
            if prefs.wants("balances"):
                out.append(("balance", balance_message(fmt, data), None))
            threshold = prefs.low_balance_thresholds.get(
                data["account_id"], prefs.low_balance_thresholds.get("*")
            )
            if (
                threshold is not None
                and prefs.wants("low_balance")
                and prefs_mod.below(data["available"], threshold)
            ):
                out.append(("low_balance", low_balance_message(fmt, data, threshold), None))
            return out
        case RecordKind.RECEIPT:
            if not prefs.wants("receipts"):
                return []
            return [("receipt", {"attachment": {"type": "template", "payload": dict(data)}}, None)]
        case RecordKind.SHIPMENT:
            if not prefs.wants("shipments"):
                return []
            return [("shipment", shipment_message(fmt, data), None)]
    return []  # fraud alerts are posted by the fraud engine
