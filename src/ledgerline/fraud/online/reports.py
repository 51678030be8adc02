""" "Not me" on a payment: the person reports a transaction as not theirs, unasked.

Every payment message carries a "Not me" postback (``updates.texts.transaction_message``:
``LEDGERLINE_NOT_ME:<mid>:<transaction_id>``). One tap:

- when the platform or the bank already asked "Was it you?" about that payment and the
  alert is still open (even past its expiry), it answers the alert: ``fraud_alert_response``
  with ``verdict: fraud``, as the alert's own button would;
- otherwise it records a person-reported fraud — an alert row with ``source = person``,
  answered ``fraud`` at once (same storage, erasure on unlink and label path as a verdict:
  ``labels.record_label``) — and tells the bank with its own webhook event,
  ``fraud_report`` ``{"report_id", "transaction_id"}``, which the bank answers as it does an
  alert's verdict (e.g. freezing the card);
- the payment's card then says so (``chat.state``), and the person gets a confirmation;
- the payment's terminal counts the report at once for everyone else who pays there
  (``labels.report_payment``: chat-speed labels, only for people who share ``fraud_alerts``).

Reading the payment to check it is the person's own is their own access (purpose
``user_access``, audited like every read of their data).
"""

from __future__ import annotations

import secrets

from ledgerline.audit import Actor
from ledgerline.chat.actions import do_post_page_message, enqueue_webhook
from ledgerline.chat.state import answered_state, set_message_state
from ledgerline.domain.records import RecordKind, VaultPort
from ledgerline.domain.scopes import Purpose
from ledgerline.fraud.online.alerts import outcome_note, settle_alert
from ledgerline.fraud.online.answers import FRAUD
from ledgerline.fraud.online.labels import record_label, report_payment
from ledgerline.storage.database import UnitOfWork
from ledgerline.storage.stores import threads as thread_store, updates as notify_store
from ledgerline.storage.stores.threads import MessageRow, ThreadRow
from ledgerline.storage.stores.updates import AlertRow
from ledgerline.updates.notify import audience_of
from ledgerline.updates.texts import NOT_ME_PREFIX

MAX_REF = 128


def _new_report_id() -> str:
    return "fr_" + secrets.token_hex(12)


class NotMeReports:
    """The handler of "Not me", for ``chat.routing.Inbound`` (built by ``bootstrap``)."""

    def __init__(self, vault: VaultPort[UnitOfWork]) -> None:
        self.vault = vault

    def on_payload(
        self, uow: UnitOfWork, thread: ThreadRow, row: MessageRow, payload: str, now: int
    ) -> bool:
        if not payload.startswith(NOT_ME_PREFIX):
            return False
        mid, _, ref = payload[len(NOT_ME_PREFIX) :].partition(":")
        audience = audience_of(uow, thread.page_id, thread.user_id, now, thread)
        fmt, bank = audience.fmt, audience.business
        payment = (
            None
            if not mid or not ref or len(ref) > MAX_REF
            else self.vault.access(uow, page_id=thread.page_id, user_id=thread.user_id)
            .reading(Purpose.USER_ACCESS, actor=Actor.person(thread.user_id))
            .find(RecordKind.TRANSACTION, ref)
        )
        if payment is None or thread_store.get_message(uow.conn, thread.thread_id, mid) is None:
            text = fmt._(
                "We could not find this payment any more. If it wasn't you, write to {bank} here.",
                bank=bank,
            )
            self._say(uow, thread, text, now)
            return True
        alert = notify_store.alert_for_transaction(uow.conn, thread.page_id, thread.user_id, ref)
        if alert is not None and alert.status != "open":
            self._say(
                uow, thread, fmt._("You already told {bank} about this payment.", bank=bank), now
            )
            return True
        if alert is not None:  # "Was it you?" was asked: this answers it
            settle_alert(
                uow,
                thread,
                alert,
                FRAUD,
                now,
                via="report",
                answer_mid=row.mid,
                audience=audience,
                even_expired=True,
            )
        else:
            self._report(uow, thread, row, mid, ref, now)
        # Chat-speed labels: the payment's terminal counts the report at once.
        report_payment(
            uow, self.vault.access(uow, page_id=thread.page_id, user_id=thread.user_id), ref, now
        )
        state = answered_state(fmt._("Not me"), outcome_note(fmt, bank, FRAUD), verdict=FRAUD)
        set_message_state(uow, thread, mid, state)
        self._say(
            uow,
            thread,
            fmt._(
                "Thank you. We told {bank} this payment wasn't you. They will block the card "
                "and contact you about the next steps.",
                bank=bank,
            ),
            now,
        )
        return True

    def _report(
        self, uow: UnitOfWork, thread: ThreadRow, row: MessageRow, mid: str, ref: str, now: int
    ) -> None:
        report_id = _new_report_id()
        notify_store.insert_alert(
            uow.conn,
            AlertRow(
                alert_id=report_id,
                page_id=thread.page_id,
                user_id=thread.user_id,
                transaction_ref=ref,
                source="person",
                score=None,
                status="answered",
                verdict=FRAUD,
                mid=mid,
                created_at=now,
                answered_at=now,
                answered_via="report",
                answer_mid=row.mid,
            ),
        )
        record_label(uow, thread.page_id, thread.user_id, ref, FRAUD, now)
        enqueue_webhook(
            uow,
            thread,
            "fraud_report",
            now,
            fraud_report={"report_id": report_id, "transaction_id": ref},
        )

    @staticmethod
    def _say(uow: UnitOfWork, thread: ThreadRow, text: str, now: int) -> None:
        do_post_page_message(
            uow, page_id=thread.page_id, user_id=thread.user_id, message={"text": text}, now=now
        )
