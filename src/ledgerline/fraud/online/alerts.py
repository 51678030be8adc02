"""Fraud alerts in chat: "Was it you?", and the person's answer.

An alert is raised by the fraud engine (``scoring``: a transaction scored above the
business's threshold) or by the bank itself (``POST /me/fraud_alerts``). Either way it is
one private message (``chat.private``) with the payment and two answers, and one alert row;
one alert per (business, person, transaction), whoever raises it. The person's answer
reaches the bank as the ``fraud_alert_response`` webhook, becomes a label for the engine
(``labels``) and gets a confirmation in the thread.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Any

from ledgerline.audit import Actor
from ledgerline.chat.actions import do_post_page_message, enqueue_webhook
from ledgerline.chat.private import post_private_message
from ledgerline.domain.errors import ConsentRequired
from ledgerline.domain.events import FraudAlertAnswered, FraudAlertRaised
from ledgerline.domain.records import Record, RecordAccess, RecordKind
from ledgerline.domain.scopes import Purpose, Scope
from ledgerline.fraud.online.labels import record_verdict
from ledgerline.language.formatter import Formatter
from ledgerline.storage.database import UnitOfWork
from ledgerline.storage.stores import updates as notify_store
from ledgerline.storage.stores.threads import ThreadRow
from ledgerline.storage.stores.updates import AlertRow
from ledgerline.updates.notify import Audience, audience_of
from ledgerline.updates.texts import transaction_text

ALERTS = Actor.component("notify")
FRAUD_PAYLOAD_PREFIX = "LEDGERLINE_FRAUD_ALERT"
VERDICTS = ("genuine", "fraud")


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


def _new_alert_id() -> str:
    return "fa_" + secrets.token_hex(12)


def open_alert(
    uow: UnitOfWork,
    *,
    access: RecordAccess,
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
    if Scope.TRANSACTIONS in (access.scopes() or frozenset()):
        found = access.reading(Purpose.NOTIFY, actor=ALERTS).find(
            RecordKind.TRANSACTION, transaction_id
        )
        tx = None if found is None else found.payload
    alert_id = _new_alert_id()
    message = fraud_alert_message(audience.fmt, alert_id, reason, tx)
    row = post_private_message(
        uow,
        access=access,
        thread=thread,
        kind="fraud_alert",
        message=message,
        now=now,
        actor=ALERTS,
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
    uow.emit(FraudAlertRaised(thread.page_id, source))
    return alert


def open_bank_alerts(
    uow: UnitOfWork, *, access: RecordAccess, records: Sequence[Record], now: int
) -> None:
    """The bank's own alerts (``POST /me/fraud_alerts``), just stored: ask the person."""
    audience = audience_of(uow, access.page_id, access.user_id, now)
    for record in records:
        open_alert(
            uow,
            access=access,
            audience=audience,
            transaction_id=str(record.payload["transaction_id"]),
            reason=str(record.payload.get("reason") or ""),
            source="bank",
            score=None,
            now=now,
        )


def raise_fraud_alert(
    uow: UnitOfWork,
    *,
    access: RecordAccess,
    transaction_id: str,
    score: float,
    now: int,
    reason: str | None = None,
) -> AlertRow:
    """Ask the person about a transaction the fraud engine scored as suspicious.

    Call it inside a writer action (``db.write``) — ideally the ingestion's own transaction,
    right after the transaction is stored. Posts the alert message with its quick replies
    (never deferred) and records the alert; one alert per (business, person, transaction),
    so a second call returns the existing alert. The person (``access``: their vault access
    at the business) needs a live link with the ``fraud_alerts`` scope (otherwise
    ``ConsentRequired``).
    """
    audience = audience_of(uow, access.page_id, access.user_id, now)
    if Scope.FRAUD_ALERTS not in (access.scopes() or frozenset()):
        raise ConsentRequired("no consent to send fraud alerts to this person")
    return open_alert(
        uow,
        access=access,
        audience=audience,
        transaction_id=transaction_id,
        reason=reason,
        source="score",
        score=score,
        now=now,
    )


# -- the person's answer ------------------------------------------------------------------------
def answer_fraud_alert(uow: UnitOfWork, thread: ThreadRow, payload: str, now: int) -> bool:
    """A quick reply to a fraud alert: tell the bank, confirm to the person. False when the
    payload is not an open alert of this thread (then it is an ordinary quick reply)."""
    parts = payload.split(":")
    if len(parts) != 3 or parts[0] != FRAUD_PAYLOAD_PREFIX or parts[2] not in VERDICTS:
        return False
    alert = notify_store.get_alert(uow.conn, parts[1])
    if alert is None or (alert.page_id, alert.user_id) != (thread.page_id, thread.user_id):
        return False
    audience = audience_of(uow, thread.page_id, thread.user_id, now)
    fmt = audience.fmt
    verdict = parts[2]
    if not notify_store.answer_alert(uow.conn, alert.alert_id, verdict, now):
        text = fmt._("You have already answered this alert.")
    else:
        record_verdict(uow, alert, verdict, now)  # the engine keeps it as a label
        uow.emit(FraudAlertAnswered(thread.page_id, verdict))
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
