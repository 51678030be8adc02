"""Fraud alerts in chat: "Was it you?", and the person's answer.

An alert is raised by the fraud engine (``scoring``: a transaction scored above the
business's threshold) or by the bank itself (``POST /me/fraud_alerts``). Either way it is
one private message (``chat.private``) and one alert row; one alert per (business, person,
transaction), whoever raises it.

The message is a button template with two postbacks ("Yes, it was me" / "No, it wasn't
me"), so its answers stay on screen whatever comes after it (quick replies vanish at the
next message). Its ``summary`` (amount and merchant first) lets the web app draw a
distinct alert card. It stays answerable for :data:`ALERT_TTL_MS` (7 days); its state
(``chat.state``) then says what the answer was and what follows, or that it expired.

The person answers with a button (or a quick reply of an alert posted before buttons), or
by typing (``answers``: "không phải tôi", "it was me"…; unsure ones are confirmed first).
The answer reaches the bank as the ``fraud_alert_response`` webhook, becomes a label for
the engine (``labels``) and gets a confirmation in the thread.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Any

from ledgerline.audit import Actor
from ledgerline.chat.actions import do_post_page_message, enqueue_webhook
from ledgerline.chat.private import post_private_message
from ledgerline.chat.state import answered_state, open_state, set_message_state
from ledgerline.domain.errors import ConsentRequired
from ledgerline.domain.events import FraudAlertAnswered, FraudAlertRaised
from ledgerline.domain.records import Record, RecordAccess, RecordKind, VaultPort
from ledgerline.domain.scopes import Purpose, Scope
from ledgerline.fraud.online.answers import FRAUD, GENUINE, read_answer
from ledgerline.fraud.online.labels import record_verdict, report_payment
from ledgerline.language.formatter import Formatter
from ledgerline.storage.database import UnitOfWork
from ledgerline.storage.stores import updates as notify_store
from ledgerline.storage.stores.threads import MessageRow, ThreadRow
from ledgerline.storage.stores.updates import AlertRow
from ledgerline.updates.notify import Audience, audience_of
from ledgerline.updates.texts import payment_summary, transaction_text

ALERTS = Actor.component("notify")
FRAUD_PAYLOAD_PREFIX = "LEDGERLINE_FRAUD_ALERT"
VERDICTS = (GENUINE, FRAUD)
ALERT_TTL_MS = 7 * 24 * 3600 * 1000  # answerable for 7 days
MAX_REASON = 300


def alert_payload(alert_id: str, verdict: str) -> str:
    return f"{FRAUD_PAYLOAD_PREFIX}:{alert_id}:{verdict}"


def answer_title(fmt: Formatter, verdict: str) -> str:
    return fmt._("Yes, it was me") if verdict == GENUINE else fmt._("No, it wasn't me")


def _answer_buttons(fmt: Formatter, alert_id: str) -> list[dict[str, Any]]:
    return [
        {
            "type": "postback",
            "title": answer_title(fmt, verdict),
            "payload": alert_payload(alert_id, verdict),
        }
        for verdict in VERDICTS
    ]


def fraud_alert_message(
    fmt: Formatter, alert_id: str, reason: str | None, tx: dict[str, Any] | None
) -> dict[str, Any]:
    """The alert: a button template whose two postbacks answer it."""
    summary: dict[str, Any] = (
        {"kind": "fraud_alert"} if tx is None else payment_summary(fmt, tx, "fraud_alert")
    )
    parts = [fmt._("Suspicious activity on your account.")]
    if tx is not None:
        parts.append(transaction_text(fmt, tx, summary))
    if reason:
        # The bank's own words: end them as a sentence so "Was it you?" does not run on.
        reason = reason.strip()[:MAX_REASON]
        sentence = reason if reason[-1:] in (".", "!", "?", "…") else f"{reason}."
        parts.append(fmt._("Reason: {reason}", reason=sentence))
    parts.append(fmt._("Was it you?"))
    summary["alert_id"] = alert_id
    if reason:
        summary["reason"] = reason
    return {
        "attachment": {
            "type": "template",
            "payload": {
                "template_type": "button",
                "text": " ".join(parts),
                "buttons": _answer_buttons(fmt, alert_id),
                "summary": summary,
            },
        }
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
    expires_at = now + ALERT_TTL_MS
    row = post_private_message(
        uow,
        access=access,
        thread=thread,
        kind="fraud_alert",
        message=fraud_alert_message(audience.fmt, alert_id, reason, tx),
        now=now,
        actor=ALERTS,
        state=open_state(expires_at),
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
        expires_at=expires_at,
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
    right after the transaction is stored. Posts the alert message with its buttons (never
    deferred) and records the alert; one alert per (business, person, transaction), so a
    second call returns the existing alert. The person (``access``: their vault access at
    the business) needs a live link with the ``fraud_alerts`` scope (otherwise
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
def outcome_note(fmt: Formatter, bank: str, verdict: str) -> str:
    """What follows from a verdict, shown on the answered alert (and the payment)."""
    if verdict == GENUINE:
        return fmt._("{bank} was told the payment was yours.", bank=bank)
    return fmt._("{bank} was told it wasn't you and will block the card.", bank=bank)


def settle_alert(
    uow: UnitOfWork,
    thread: ThreadRow,
    alert: AlertRow,
    verdict: str,
    now: int,
    *,
    via: str,
    answer_mid: str | None,
    audience: Audience,
    even_expired: bool = False,
    access: RecordAccess | None = None,
) -> bool:
    """Record ``verdict`` on an open alert (not expired, unless ``even_expired``: "Not me"
    on the payment itself): the engine's label, the bank's ``fraud_alert_response``
    webhook, the alert's (and its confirmation's) state; a ``fraud`` verdict also counts
    at once at the payment's terminal (``labels.report_payment``, with the person's
    ``access``). False when the alert was answered already or has expired (nothing is done)."""
    if not notify_store.answer_alert(
        uow.conn,
        alert.alert_id,
        verdict,
        now,
        via=via,
        answer_mid=answer_mid,
        even_expired=even_expired,
    ):
        return False
    record_verdict(uow, alert, verdict, now)  # the engine keeps it as a label
    if verdict == FRAUD and access is not None:
        report_payment(uow, access, alert.transaction_ref, now)
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
    fmt = audience.fmt
    state = answered_state(
        answer_title(fmt, verdict),
        outcome_note(fmt, audience.business, verdict),
        verdict=verdict,
    )
    set_message_state(uow, thread, alert.mid, state)
    if alert.confirm_mid is not None:
        set_message_state(uow, thread, alert.confirm_mid, state)
    return True


def thank_you(fmt: Formatter, bank: str, verdict: str) -> str:
    if verdict == GENUINE:
        return fmt._(
            "Thank you. We told {bank} the payment was yours; nothing else is needed.", bank=bank
        )
    return fmt._(
        "Thank you. We told {bank} it wasn't you. They will block the card and "
        "contact you about the next steps; you will not be charged for fraud "
        "you reported.",
        bank=bank,
    )


def _say(uow: UnitOfWork, thread: ThreadRow, text: str, now: int) -> None:
    do_post_page_message(
        uow, page_id=thread.page_id, user_id=thread.user_id, message={"text": text}, now=now
    )


def _not_answerable(fmt: Formatter, audience: Audience, alert: AlertRow, now: int) -> str:
    if alert.status == "open":  # so it expired
        when = alert.expires_at if alert.expires_at is not None else alert.created_at
        return fmt._(
            "This alert expired on {time}, so {bank} was not told. If the payment wasn't "
            "you, tap “Not me” on it or write to {bank} here.",
            time=fmt.when(when),
            bank=audience.business,
        )
    return fmt._("You have already answered this alert.")


class AlertAnswers:
    """The handlers of a person's answer, for ``chat.routing.Inbound`` (built by
    ``bootstrap`` with the vault, which the confirmation of a typed answer reads)."""

    def __init__(self, vault: VaultPort[UnitOfWork]) -> None:
        self.vault = vault

    def on_payload(
        self, uow: UnitOfWork, thread: ThreadRow, row: MessageRow, payload: str, now: int
    ) -> bool:
        """A button (or quick reply) of an alert. False when the payload is not an alert of
        this thread (then it is an ordinary postback or quick reply)."""
        parts = payload.split(":")
        if len(parts) != 3 or parts[0] != FRAUD_PAYLOAD_PREFIX or parts[2] not in VERDICTS:
            return False
        alert = notify_store.get_alert(uow.conn, parts[1])
        if alert is None or (alert.page_id, alert.user_id) != (thread.page_id, thread.user_id):
            return False
        audience = audience_of(uow, thread.page_id, thread.user_id, now, thread)
        via = "button" if "postback" in row.body else "quick_reply"
        verdict = parts[2]
        access = self.vault.access(uow, page_id=thread.page_id, user_id=thread.user_id)
        if settle_alert(
            uow,
            thread,
            alert,
            verdict,
            now,
            via=via,
            answer_mid=row.mid,
            audience=audience,
            access=access,
        ):
            _say(uow, thread, thank_you(audience.fmt, audience.business, verdict), now)
        else:
            _say(uow, thread, _not_answerable(audience.fmt, audience, alert, now), now)
        return True

    def on_typed(self, uow: UnitOfWork, thread: ThreadRow, row: MessageRow, now: int) -> bool:
        """A typed message while an alert waits for its answer: a sure answer is taken; an
        unsure one gets the question again, naming the payment; after that question a
        bare yes or no answers it. False (an ordinary message) otherwise."""
        answer = read_answer(str(row.body.get("text") or ""))
        if answer is None:
            return False  # most messages: no look at the database at all
        waiting = notify_store.open_alerts(uow.conn, thread.page_id, thread.user_id, now)
        if not waiting:
            return False
        # The alert a confirmation was asked about, else the newest.
        alert = next((a for a in waiting if a.pending_verdict is not None), waiting[0])
        audience = audience_of(uow, thread.page_id, thread.user_id, now, thread)
        confirming = alert.pending_verdict is not None
        if (answer.sure and len(waiting) == 1) or confirming:
            if settle_alert(
                uow,
                thread,
                alert,
                answer.verdict,
                now,
                via="typed",
                answer_mid=row.mid,
                audience=audience,
                access=self.vault.access(uow, page_id=thread.page_id, user_id=thread.user_id),
            ):
                _say(uow, thread, thank_you(audience.fmt, audience.business, answer.verdict), now)
                return True
            return False  # pragma: no cover - it was open a moment ago, in this transaction
        self._ask_again(uow, thread, alert, answer.verdict, audience, now)
        return True

    def _ask_again(
        self,
        uow: UnitOfWork,
        thread: ThreadRow,
        alert: AlertRow,
        verdict: str,
        audience: Audience,
        now: int,
    ) -> None:
        """The confirmation question: the payment named, the same two buttons."""
        fmt = audience.fmt
        summary = self._summary(uow, alert)
        if summary.get("amount") and summary.get("merchant"):
            what = fmt._(
                "the payment of {amount} at {merchant}",
                amount=summary["amount"],
                merchant=summary["merchant"],
            )
        elif summary.get("amount"):
            what = fmt._("the payment of {amount}", amount=summary["amount"])
        else:
            what = fmt._("the payment in the alert")
        text = fmt._("To be sure we understood you: {what} — was it you?", what=what)
        message = {
            "attachment": {
                "type": "template",
                "payload": {
                    "template_type": "button",
                    "text": text,
                    "buttons": _answer_buttons(fmt, alert.alert_id),
                    "summary": {**summary, "kind": "fraud_alert", "confirmation": True},
                },
            }
        }
        expires = alert.expires_at or alert.created_at + ALERT_TTL_MS
        posted = post_private_message(
            uow,
            access=self.vault.access(uow, page_id=thread.page_id, user_id=thread.user_id),
            thread=thread,
            kind="fraud_alert",
            message=message,
            now=now,
            actor=ALERTS,
            state=open_state(expires),
        )
        notify_store.set_pending_verdict(uow.conn, alert.alert_id, verdict, posted.mid)
        if alert.confirm_mid is not None:  # asked before: that question is superseded
            set_message_state(uow, thread, alert.confirm_mid, {"status": "superseded"})

    def _summary(self, uow: UnitOfWork, alert: AlertRow) -> dict[str, Any]:
        """The alert's own ``summary`` (amount, merchant…), read back from its message."""
        if alert.mid is None:
            return {}
        access = self.vault.access(uow, page_id=alert.page_id, user_id=alert.user_id)
        found = access.reading(Purpose.NOTIFY, actor=ALERTS).get_many([alert.mid])
        record = found.get(alert.mid)
        if record is None:
            return {}
        payload = (record.payload.get("attachment") or {}).get("payload") or {}
        summary = payload.get("summary")
        return dict(summary) if isinstance(summary, dict) else {}
