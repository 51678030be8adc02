"""Financial updates in chat: bank data becomes messages from the business's page.

``notify_records`` runs inside the ingestion's transaction (``do_ingest``): it reads the
records just stored from the vault with purpose ``notify`` (audited, within consent),
builds each message in the person's language, stores its body encrypted in the vault
(``chat_message``, record id = the message's mid) and leaves only a placeholder in the
``messages`` table. The live frame carries the real content; it is never stored in clear.
Because it shares the ingestion's transaction, a duplicate transaction gives no second
message and messages follow the order in which the bank's data was accepted.

These are account updates (Messenger tags ``ACCOUNT_UPDATE`` / ``POST_PURCHASE_UPDATE``):
the 24-hour window does not apply.

Fraud alerts carry quick replies; the person's answer reaches the bank as the
``fraud_alert_response`` webhook and the person gets a confirmation. The fraud engine
posts its scored alerts with :func:`raise_fraud_alert`.
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from ledgerline.audit import Actor
from ledgerline.chat.actions import do_post_page_message, enqueue_webhook, on_quick_reply
from ledgerline.chat.shapes import client_message
from ledgerline.domain.clock import Clock, to_ms
from ledgerline.domain.errors import ConsentRequired
from ledgerline.domain.events import MessageCreated
from ledgerline.domain.ids import new_mid, new_psid
from ledgerline.domain.scopes import Purpose, Scope
from ledgerline.domain.window import MessageTag
from ledgerline.ingest import preferences as prefs_mod
from ledgerline.ingest.formatting import Formatter
from ledgerline.linking.actions import consent_scopes
from ledgerline.storage.database import Database, UnitOfWork
from ledgerline.storage.stores import (
    businesses as business_store,
    notify as notify_store,
    people as people_store,
    threads as thread_store,
)
from ledgerline.storage.stores.notify import AlertRow
from ledgerline.storage.stores.threads import MessageRow, ThreadRow
from ledgerline.vault import NewRecord, PurposeNotAllowed, Record, RecordKind, Vault

__all__ = [
    "FRAUD_PAYLOAD_PREFIX",
    "MessageResolver",
    "notify_records",
    "on_fraud_verdict",
    "raise_fraud_alert",
]

NOTIFIER = Actor.component("notify")
FRAUD_PAYLOAD_PREFIX = "LEDGERLINE_FRAUD_ALERT"
VERDICTS = ("genuine", "fraud")

TAGS: dict[str, MessageTag] = {
    "balance": MessageTag.ACCOUNT_UPDATE,
    "digest": MessageTag.ACCOUNT_UPDATE,
    "low_balance": MessageTag.ACCOUNT_UPDATE,
    "transaction": MessageTag.ACCOUNT_UPDATE,
    "fraud_alert": MessageTag.ACCOUNT_UPDATE,
    "receipt": MessageTag.POST_PURCHASE_UPDATE,
    "shipment": MessageTag.POST_PURCHASE_UPDATE,
}


def _(msgid: str) -> str:
    """Marks a source text for extraction; translated by ``Formatter._`` at send time."""
    return msgid


SHIPMENT_TEXTS = {
    "label_created": _("Your order {order} is ready to ship with {carrier}."),
    "in_transit": _("Your order {order} is on its way with {carrier}."),
    "out_for_delivery": _("Your order {order} is out for delivery with {carrier}."),
    "delivered": _("Your order {order} was delivered by {carrier}."),
    "exception": _("There is a problem delivering your order {order} ({carrier})."),
}


@dataclass(frozen=True, slots=True)
class Audience:
    """Who a message is for: their thread, language and timezone, the business name, and
    what the person chose to hear from that business."""

    thread: ThreadRow
    fmt: Formatter
    business: str
    prefs: prefs_mod.Preferences = field(default_factory=prefs_mod.Preferences)


def _audience(
    conn: sa.Connection, page_id: str, user_id: str, now: int, thread: ThreadRow | None = None
) -> Audience:
    """``thread`` when the caller has it already (else it is looked up, or created)."""
    if thread is None:
        thread = thread_store.get_or_create_thread(
            conn, page_id, user_id, now=now, new_psid=new_psid
        )
    facts = notify_store.audience_facts(conn, page_id, user_id)
    fmt = Formatter.for_person(facts.locale, facts.timezone)
    prefs = (
        prefs_mod.Preferences() if facts.preferences is None else prefs_mod.parse(facts.preferences)
    )
    return Audience(thread, fmt, facts.business_name or "", prefs)


def _placeholder(kind: str) -> dict[str, Any]:
    """What ``messages`` keeps of a vault-held message: its kind and tag, never content."""
    placeholder: dict[str, Any] = {"vault": True, "kind": kind}
    if kind in TAGS:
        placeholder["tag"] = str(TAGS[kind])
    return placeholder


def post_vault_messages(
    uow: UnitOfWork,
    *,
    vault: Vault,
    audience: Audience,
    messages: Sequence[tuple[str, dict[str, Any], int]],
    now: int,
    actor: Actor = NOTIFIER,
) -> list[MessageRow]:
    """Post ``(kind, message, occurred_at)`` messages as the page, in order: their bodies
    encrypted in the vault under their mids (one vault write, one audit entry for all), a
    placeholder in ``messages``, the real content on the live frame only. ``occurred_at``
    is the source record's time, so retention deletes a message with its source."""
    if not messages:
        return []
    thread = audience.thread
    mids = [new_mid() for _ in messages]
    vault.put_many(
        uow.conn,
        actor=actor,
        page_id=thread.page_id,
        user_id=thread.user_id,
        records=[
            NewRecord(
                kind=RecordKind.CHAT_MESSAGE,
                payload=message,
                occurred_at=occurred_at,
                record_id=mid,
            )
            for mid, (_, message, occurred_at) in zip(mids, messages, strict=True)
        ],
    )
    placeholders = [
        (mid, _placeholder(kind)) for mid, (kind, _, _) in zip(mids, messages, strict=True)
    ]
    seqs = thread_store.insert_page_messages(
        uow.conn, thread=thread, items=placeholders, created_at=now
    )
    rows = []
    for seq, mid, (_, message, _) in zip(seqs, mids, messages, strict=True):
        row = MessageRow(seq=seq, mid=mid, sender="page", body=message, created_at=now)
        uow.emit(MessageCreated(thread.page_id, thread.user_id, client_message(row)))
        rows.append(row)
    return rows


def post_vault_message(
    uow: UnitOfWork,
    *,
    vault: Vault,
    audience: Audience,
    kind: str,
    message: dict[str, Any],
    now: int,
    occurred_at: int | None = None,
    actor: Actor = NOTIFIER,
) -> MessageRow:
    """One message (see :func:`post_vault_messages`). ``kind`` names what it is (an update
    kind of ``TAGS``, or e.g. the assistant's answer, which is a response in the 24-hour
    window and has no tag)."""
    at = now if occurred_at is None else occurred_at
    return post_vault_messages(
        uow, vault=vault, audience=audience, messages=[(kind, message, at)], now=now, actor=actor
    )[0]


# -- builders ---------------------------------------------------------------------------------
def transaction_text(fmt: Formatter, tx: dict[str, Any]) -> str:
    amount = fmt.money(tx["amount"])
    when = fmt.when(int(tx["booked_at"]))
    merchant = (tx.get("merchant") or {}).get("name")
    card = fmt.card(tx.get("card_last4"))
    if tx.get("credit_debit") == "credit":
        text = fmt._("You received {amount} on {time}.", amount=amount, time=when)
    elif merchant and card:
        text = fmt._(
            "Card {card}: payment of {amount} at {merchant} on {time}.",
            card=card,
            amount=amount,
            merchant=merchant,
            time=when,
        )
    elif merchant:
        text = fmt._(
            "Payment of {amount} at {merchant} on {time}.",
            amount=amount,
            merchant=merchant,
            time=when,
        )
    elif card:
        text = fmt._(
            "Card {card}: payment of {amount} on {time}.", card=card, amount=amount, time=when
        )
    else:
        text = fmt._("Payment of {amount} on {time}.", amount=amount, time=when)
    if tx.get("status") == "pending":
        text = f"{text} {fmt._('(pending)')}"
    return text


def balance_text(fmt: Formatter, bal: dict[str, Any]) -> str:
    return fmt._(
        "Balance of {account}: {available} available ({current} current) as of {time}.",
        account=bal.get("account_name") or bal["account_id"],
        available=fmt.money(bal["available"]),
        current=fmt.money(bal["current"]),
        time=fmt.when(int(bal["as_of"])),
    )


def low_balance_text(fmt: Formatter, bal: dict[str, Any], threshold: dict[str, str]) -> str:
    return fmt._(
        "Low balance: {account} has {available} available, below your limit of {threshold}.",
        account=bal.get("account_name") or bal["account_id"],
        available=fmt.money(bal["available"]),
        threshold=fmt.money(threshold),
    )


def shipment_message(fmt: Formatter, ship: dict[str, Any]) -> dict[str, Any]:
    text = fmt._(SHIPMENT_TEXTS[ship["status"]], order=ship["order_id"], carrier=ship["carrier"])
    if ship.get("eta") and ship["status"] not in ("delivered", "exception"):
        text = f"{text} {fmt._('Expected {time}.', time=fmt.when(int(ship['eta'])))}"
    if not ship.get("url"):
        return {"text": text}
    return {
        "attachment": {
            "type": "template",
            "payload": {
                "template_type": "button",
                "text": text,
                "buttons": [
                    {"type": "web_url", "url": ship["url"], "title": fmt._("Track package")}
                ],
            },
        }
    }


def fraud_alert_message(
    fmt: Formatter, alert_id: str, reason: str | None, tx: dict[str, Any] | None
) -> dict[str, Any]:
    parts = [fmt._("Suspicious activity on your account.")]
    if tx is not None:
        parts.append(transaction_text(fmt, tx))
    if reason:
        # The bank's own words: end them as a sentence so "Was it you?" does not run on.
        sentence = reason if reason.rstrip()[-1:] in (".", "!", "?", "…") else f"{reason}."
        parts.append(fmt._("Reason: {reason}", reason=sentence))
    parts.append(fmt._("Was it you?"))
    return {
        "text": " ".join(parts),
        "quick_replies": [
            {
                "content_type": "text",
                "title": fmt._("Yes, it was me"),
                "payload": f"{FRAUD_PAYLOAD_PREFIX}:{alert_id}:genuine",
            },
            {
                "content_type": "text",
                "title": fmt._("No, it wasn't me"),
                "payload": f"{FRAUD_PAYLOAD_PREFIX}:{alert_id}:fraud",
            },
        ],
    }


# -- from records to messages -----------------------------------------------------------------
def notify_records(
    uow: UnitOfWork,
    *,
    vault: Vault,
    page_id: str,
    user_id: str,
    kind: RecordKind,
    record_ids: Sequence[str],
    now: int,
    thread: ThreadRow | None = None,
) -> list[str]:
    """Turn newly stored records into messages (in the caller's transaction); their mids.
    ``thread``: the (page, person) thread, when the caller has read it already.

    Updates the person's preferences hold back (quiet hours, the daily digest) are queued
    by record id and built when released; fraud alerts never wait. Updates of this thread
    already due go out first, so the thread keeps the order of acceptance.
    """
    if not record_ids:
        return []
    held_back = notify_store.has_deferred(uow.conn, page_id, user_id)
    mids = (
        release_due(uow, vault=vault, now=now, page_id=page_id, user_id=user_id)
        if held_back
        else []
    )
    records = vault.get_many(
        uow.conn,
        actor=NOTIFIER,
        purpose=Purpose.NOTIFY,
        page_id=page_id,
        user_id=user_id,
        record_ids=list(record_ids),
    )
    audience = _audience(uow.conn, page_id, user_id, now, thread)
    prefs = audience.prefs
    waiting = held_back and notify_store.has_deferred(uow.conn, page_id, user_id, mode="quiet")
    # Messages are gathered and posted together (one vault write for the whole request);
    # what posts on its own (a fraud alert) first flushes what is gathered, keeping order.
    pending: list[tuple[str, dict[str, Any], int]] = []

    def flush() -> None:
        rows = post_vault_messages(uow, vault=vault, audience=audience, messages=pending, now=now)
        mids.extend(row.mid for row in rows)
        pending.clear()

    for record_id in record_ids:
        record = records.get(record_id)
        if record is None:
            continue
        if record.kind is RecordKind.FRAUD_ALERT:
            flush()
        messages = _messages_for(uow, vault, audience, prefs, record, now)
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
        pending.extend((kind, message, record.occurred_at) for kind, message in messages)
    flush()
    return mids


def _post_all(
    uow: UnitOfWork,
    vault: Vault,
    audience: Audience,
    messages: list[tuple[str, dict[str, Any]]],
    now: int,
    occurred_at: int,
) -> list[str]:
    items = [(kind, message, occurred_at) for kind, message in messages]
    rows = post_vault_messages(uow, vault=vault, audience=audience, messages=items, now=now)
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
    vault: Vault,
    now: int,
    page_id: str | None = None,
    user_id: str | None = None,
) -> list[str]:
    """Post the held-back updates that are due (of one thread, or of everyone), in order;
    a day's digest of transactions becomes one message. Returns the mids posted."""
    rows = notify_store.due(uow.conn, now, page_id=page_id, user_id=user_id)
    if not rows:
        return []
    threads: dict[tuple[str, str], list[notify_store.DeferredRow]] = defaultdict(list)
    for row in rows:
        threads[(row.page_id, row.user_id)].append(row)
    mids: list[str] = []
    for (page, user), candidates in threads.items():
        claimed = notify_store.claim_deferred(uow.conn, [row.seq for row in candidates])
        held = [row for row in candidates if row.seq in claimed]
        if not held:
            continue
        if consent_scopes(uow.conn, page, user, now) is None:
            continue  # unlinked meanwhile: nothing to say, the data is gone
        try:
            records = vault.get_many(
                uow.conn,
                actor=NOTIFIER,
                purpose=Purpose.NOTIFY,
                page_id=page,
                user_id=user,
                record_ids=[row.record_id for row in held],
            )
        except PurposeNotAllowed:  # consent narrowed meanwhile: drop what it no longer covers
            continue
        audience = _audience(uow.conn, page, user, now)
        prefs = audience.prefs
        digest: list[Record] = []
        for row in held:
            record = records.get(row.record_id)
            if record is None:
                continue
            if row.mode == "digest":
                digest.append(record)
                continue
            messages = _messages_for(uow, vault, audience, prefs, record, now)
            mids.extend(_post_all(uow, vault, audience, messages, now, record.occurred_at))
        if digest:
            message = {"text": digest_text(audience, [r.payload for r in digest])}
            first = min(r.occurred_at for r in digest)
            mids.extend(_post_all(uow, vault, audience, [("digest", message)], now, first))
    return mids


def digest_text(audience: Audience, transactions: list[dict[str, Any]]) -> str:
    fmt = audience.fmt
    head = fmt._(
        "Your transactions with {bank} since the last digest: {count}.",
        bank=audience.business,
        count=len(transactions),
    )
    return "\n".join([head, *(f"• {transaction_text(fmt, tx)}" for tx in transactions)])


def _messages_for(
    uow: UnitOfWork,
    vault: Vault,
    audience: Audience,
    prefs: prefs_mod.Preferences,
    record: Record,
    now: int,
) -> list[tuple[str, dict[str, Any]]]:
    fmt, data = audience.fmt, record.payload
    match record.kind:
        case RecordKind.TRANSACTION:
            if not prefs.wants("transactions") or prefs_mod.below(
                data["amount"], prefs.min_transaction_amount
            ):
                return []
            return [("transaction", {"text": transaction_text(fmt, data)})]
        case RecordKind.BALANCE:
            out: list[tuple[str, dict[str, Any]]] = []
            if prefs.wants("balances"):
                out.append(("balance", {"text": balance_text(fmt, data)}))
            threshold = prefs.low_balance_thresholds.get(
                data["account_id"], prefs.low_balance_thresholds.get("*")
            )
            if (
                threshold is not None
                and prefs.wants("low_balance")
                and prefs_mod.below(data["available"], threshold)
            ):
                out.append(("low_balance", {"text": low_balance_text(fmt, data, threshold)}))
            return out
        case RecordKind.RECEIPT:
            if not prefs.wants("receipts"):
                return []
            return [("receipt", {"attachment": {"type": "template", "payload": dict(data)}})]
        case RecordKind.SHIPMENT:
            if not prefs.wants("shipments"):
                return []
            return [("shipment", shipment_message(fmt, data))]
        case RecordKind.FRAUD_ALERT:
            _open_alert(
                uow,
                vault=vault,
                audience=audience,
                transaction_id=str(data["transaction_id"]),
                reason=str(data.get("reason") or ""),
                source="bank",
                score=None,
                now=now,
            )
            return []  # posted by _open_alert
    return []  # pragma: no cover - other kinds are not notified


def _new_alert_id() -> str:
    return "fa_" + secrets.token_hex(12)


def _open_alert(
    uow: UnitOfWork,
    *,
    vault: Vault,
    audience: Audience,
    transaction_id: str,
    reason: str | None,
    source: str,
    score: float | None,
    now: int,
) -> AlertRow:
    thread = audience.thread
    existing = notify_store.alert_for_transaction(
        uow.conn, thread.page_id, thread.user_id, transaction_id
    )
    if existing is not None:  # one alert per transaction, whoever raises it
        return existing
    tx: dict[str, Any] | None = None
    granted = consent_scopes(uow.conn, thread.page_id, thread.user_id, now) or frozenset()
    if Scope.TRANSACTIONS in granted:
        found = vault.find(
            uow.conn,
            actor=NOTIFIER,
            purpose=Purpose.NOTIFY,
            page_id=thread.page_id,
            user_id=thread.user_id,
            kind=RecordKind.TRANSACTION,
            ref=transaction_id,
        )
        tx = None if found is None else found.payload
    alert_id = _new_alert_id()
    message = fraud_alert_message(audience.fmt, alert_id, reason, tx)
    row = post_vault_message(
        uow, vault=vault, audience=audience, kind="fraud_alert", message=message, now=now
    )
    alert = AlertRow(
        alert_id=alert_id,
        page_id=thread.page_id,
        user_id=thread.user_id,
        transaction_ref=transaction_id,
        source=source,
        score=score,
        status="open",
        verdict=None,
        mid=row.mid,
        created_at=now,
        answered_at=None,
    )
    notify_store.insert_alert(uow.conn, alert)
    return alert


def raise_fraud_alert(
    uow: UnitOfWork,
    *,
    vault: Vault,
    page_id: str,
    user_id: str,
    transaction_id: str,
    score: float,
    now: int,
    reason: str | None = None,
) -> AlertRow:
    """Ask the person about a transaction the fraud engine scored as suspicious.

    Call it inside a writer action (``db.write``) — ideally the ingestion's own transaction,
    right after the transaction is stored. Posts the alert message with its quick replies
    (never deferred) and records the alert; one alert per (business, person, transaction),
    so a second call returns the existing alert. The person needs a live link with the
    ``fraud_alerts`` scope (otherwise ``ConsentRequired`` from the vault).
    """
    audience = _audience(uow.conn, page_id, user_id, now)
    granted = consent_scopes(uow.conn, page_id, user_id, now) or frozenset()
    if Scope.FRAUD_ALERTS not in granted:
        raise ConsentRequired("no consent to send fraud alerts to this person")
    return _open_alert(
        uow,
        vault=vault,
        audience=audience,
        transaction_id=transaction_id,
        reason=reason,
        source="score",
        score=score,
        now=now,
    )


# -- the person's answer ------------------------------------------------------------------------
VerdictHook = Callable[[UnitOfWork, AlertRow, str, int], None]
_verdict_hooks: list[VerdictHook] = []


def on_fraud_verdict(hook: VerdictHook) -> VerdictHook:
    """Call ``hook(uow, alert, verdict, now)`` in the answer's transaction (the fraud engine
    keeps the verdict as a label)."""
    if hook not in _verdict_hooks:
        _verdict_hooks.append(hook)
    return hook


def answer_fraud_alert(uow: UnitOfWork, thread: ThreadRow, payload: str, now: int) -> bool:
    """A quick reply to a fraud alert: tell the bank, confirm to the person. False when the
    payload is not an open alert of this thread (then it is an ordinary quick reply)."""
    parts = payload.split(":")
    if len(parts) != 3 or parts[0] != FRAUD_PAYLOAD_PREFIX or parts[2] not in VERDICTS:
        return False
    alert = notify_store.get_alert(uow.conn, parts[1])
    if alert is None or (alert.page_id, alert.user_id) != (thread.page_id, thread.user_id):
        return False
    audience = _audience(uow.conn, thread.page_id, thread.user_id, now)
    fmt = audience.fmt
    verdict = parts[2]
    if not notify_store.answer_alert(uow.conn, alert.alert_id, verdict, now):
        text = fmt._("You have already answered this alert.")
    else:
        for hook in _verdict_hooks:
            hook(uow, alert, verdict, now)
        enqueue_webhook(
            uow,
            thread,
            "fraud_alert_response",
            now,
            fraud_alert_response={
                "alert_id": alert.alert_id,
                "transaction_id": alert.transaction_ref,
                "verdict": verdict,
            },
        )
        if verdict == "genuine":
            text = fmt._(
                "Thank you. We told {bank} the payment was yours; nothing else is needed.",
                bank=audience.business,
            )
        else:
            text = fmt._(
                "Thank you. We told {bank} it wasn't you. They will block the card and "
                "contact you about the next steps; you will not be charged for fraud "
                "you reported.",
                bank=audience.business,
            )
    do_post_page_message(
        uow, page_id=thread.page_id, user_id=thread.user_id, message={"text": text}, now=now
    )
    return True


on_quick_reply(answer_fraud_alert)


# -- reading the encrypted messages back ------------------------------------------------------
def erased_text(fmt: Formatter, business: str, *, linked: bool) -> str:
    if linked:  # still linked: the business's retention period removed it
        return fmt._("This update was deleted after {bank}'s retention period.", bank=business)
    return fmt._("This update was erased when you unlinked {bank}.", bank=business)


def is_vault_message(row: MessageRow) -> bool:
    return row.sender == "page" and row.body.get("vault") is True


def resolve_messages(
    uow: UnitOfWork,
    *,
    vault: Vault,
    user_id: str,
    items: Sequence[tuple[str, MessageRow]],
    now: int,
) -> list[MessageRow]:
    """The rows with their bodies decrypted for the person (purpose ``user_access``,
    audited); an erased body becomes a placeholder text naming the business."""
    wanted: dict[str, list[str]] = defaultdict(list)
    for page_id, row in items:
        if is_vault_message(row):
            wanted[page_id].append(row.mid)
    if not wanted:
        return [row for _page, row in items]
    found: dict[str, dict[str, Any]] = {}
    erased: dict[str, str] = {}
    person = people_store.get_user(uow.conn, user_id)
    fmt = Formatter.for_person(
        None if person is None else person.locale, None if person is None else person.timezone
    )
    for page_id, mids in wanted.items():
        records = vault.get_many(
            uow.conn,
            actor=Actor.person(user_id),
            purpose=Purpose.USER_ACCESS,
            page_id=page_id,
            user_id=user_id,
            record_ids=mids,
        )
        found.update({mid: dict(rec.payload) for mid, rec in records.items()})
        business = business_store.get_business(uow.conn, page_id)
        linked = consent_scopes(uow.conn, page_id, user_id, now) is not None
        erased[page_id] = erased_text(fmt, "" if business is None else business.name, linked=linked)
    out = []
    for page_id, row in items:
        if not is_vault_message(row):
            out.append(row)
            continue
        body = found.get(row.mid) or {"text": erased[page_id]}
        out.append(
            MessageRow(
                seq=row.seq, mid=row.mid, sender=row.sender, body=body, created_at=row.created_at
            )
        )
    return out


class MessageResolver:
    """The port the client API uses (``AppContext.extras["message_resolver"]``) to show
    messages whose body is in the vault, without importing the vault itself."""

    def __init__(self, db: Database, vault: Vault, clock: Clock) -> None:
        self.db = db
        self.vault = vault
        self.clock = clock

    async def resolve(
        self, user_id: str, items: Sequence[tuple[str, MessageRow]]
    ) -> list[MessageRow]:
        if not any(is_vault_message(row) for _page, row in items):
            return [row for _page, row in items]
        return await self.db.write(
            resolve_messages,
            vault=self.vault,
            user_id=user_id,
            items=list(items),
            now=to_ms(self.clock.now()),
        )
