"""The assistant at work: one person's message in, answers and requests out, in the
caller's transaction (the person's message, the answers, the vault reads' audit entries,
the bank's webhook event and a handover commit together).

Data comes from the vault with purpose ``customer_service`` (actor ``component:assistant``),
so every read is consent-checked and audited; a person who has not granted
``customer_service`` and the data's own scope gets a polite refusal and the way to grant it.
Answers built from financial data are stored encrypted like the financial updates
(``chat.private.post_private_message``); everything else is a plain page message.

Requests the bank must carry out (freeze, unfreeze, lost card, dispute) are confirmed by
the person first (quick replies), then the thread is passed to the bank's app (handover:
the bank gets ``pass_thread_control``) and the request follows as a ``postback`` webhook
event whose ``payload`` is a ``BankAction`` (``ASSISTANT_CARD_FREEZE``, …); a branch or
ATM question goes the same way at once. Owning the thread, the bank answers with the Send
API like any message, and may pass the thread back to the assistant. "Talk to a person",
or not understanding twice in a row, passes the thread to the agent inbox.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

import structlog

from ledgerline.audit import Actor
from ledgerline.chat.actions import do_post_page_message, enqueue_webhook
from ledgerline.chat.ownership import PAGE_INBOX_APP_ID
from ledgerline.chat.private import post_private_message
from ledgerline.customer_service import handover
from ledgerline.customer_service.assistant import replies
from ledgerline.customer_service.assistant.nlu import Intent, Understanding, understand
from ledgerline.customer_service.assistant.replies import BankAction, Confirmation
from ledgerline.customer_service.assistant.slots import DayRange
from ledgerline.delivery.subscriptions import business_receives
from ledgerline.domain.clock import to_ms
from ledgerline.domain.errors import NotFound, PurposeNotAllowed
from ledgerline.domain.ids import new_mid
from ledgerline.domain.records import Record, RecordAccess, RecordKind, VaultPort
from ledgerline.domain.scopes import Purpose, Scope
from ledgerline.language.formatter import Formatter
from ledgerline.storage.database import UnitOfWork
from ledgerline.storage.stores import (
    businesses as business_store,
    people as people_store,
    threads as thread_store,
)
from ledgerline.storage.stores.threads import MessageRow, ThreadRow

__all__ = ["ASSISTANT", "Assistant"]

log = structlog.get_logger(__name__)
ASSISTANT = Actor.component("assistant")
DAY_MS = 86_400_000
MISUNDERSTANDING_WINDOW_MS = 30 * 60_000  # "twice" means twice within half an hour
BALANCE_WINDOW_DAYS = 35
TRANSACTION_WINDOW_DAYS = 30
BANK_ACTIONS = {
    Intent.CARD_FREEZE: BankAction.CARD_FREEZE,
    Intent.CARD_UNFREEZE: BankAction.CARD_UNFREEZE,
    Intent.LOST_CARD: BankAction.CARD_LOST,
}
KIND_SCOPES = {RecordKind.BALANCE: Scope.BALANCES, RecordKind.TRANSACTION: Scope.TRANSACTIONS}


@dataclass(frozen=True, slots=True)
class _Turn:
    """One message being answered: who, where, in which words and language."""

    uow: UnitOfWork
    thread: ThreadRow
    access: RecordAccess  # the person's records at this business, loaded once a turn
    fmt: Formatter
    bank: str
    business_app_id: str
    webhook: bool  # the bank receives postbacks (a webhook URL, subscribed to them)
    account_link_url: str | None
    now: int

    @property
    def page_id(self) -> str:
        return self.thread.page_id

    @property
    def user_id(self) -> str:
        return self.thread.user_id


class NoConsent(Exception):
    def __init__(self, message: dict[str, Any]) -> None:
        super().__init__("no consent")
        self.message = message


@dataclass
class Assistant:
    """It answers in the threads it owns: ``on_message`` is its entry in ``chat.routing``'s
    answerers (wired by ``bootstrap``)."""

    vault: VaultPort[UnitOfWork]
    understander: Callable[[str, Any], Understanding] = understand

    # -- entry points -------------------------------------------------------------------------
    def on_message(self, uow: UnitOfWork, thread: ThreadRow, row: MessageRow, now: int) -> None:
        """Answer a person's message (already stored) in a thread the assistant owns.

        A failure never costs the person their message: what the assistant wrote is rolled
        back, the failure is logged, and the person is passed to the agent inbox."""
        try:
            with uow.savepoint():
                self._answer_message(uow, thread, row, now)
        except Exception:
            log.exception("assistant_failed", page_id=thread.page_id)
            try:
                with uow.savepoint():
                    turn = self._turn(uow, thread, now)
                    self._say(turn, replies.to_person(turn.fmt, turn.bank, after_failure=True))
                    self._to_inbox(turn, "could not answer")
            except Exception:
                log.exception("assistant_fallback_failed", page_id=thread.page_id)

    def _answer_message(
        self, uow: UnitOfWork, thread: ThreadRow, row: MessageRow, now: int
    ) -> None:
        body = row.body
        turn = self._turn(uow, thread, now)
        payload = (body.get("quick_reply") or {}).get("payload")
        if isinstance(payload, str) and self._confirmed(turn, payload):
            return
        text = str(body.get("text") or "")
        heard = self.understander(text, turn.fmt.local(now).date())
        try:
            self._answer(turn, heard, text)
        except NoConsent as refusal:
            self._say(turn, refusal.message)

    def _confirmed(self, turn: _Turn, payload: str) -> bool:
        """The person's Yes/No to a request; False when the payload is not ours."""
        parsed = Confirmation.parse(payload)
        if parsed is None:
            return False
        answer, request = parsed
        if answer == "no":
            self._say(turn, replies.cancelled(turn.fmt, turn.bank))
            return True
        details: dict[str, Any] = {}
        if request.card_last4:
            details["card_last4"] = request.card_last4
        if request.record_id:
            transaction_id = self._transaction_id(turn, request.record_id)
            if transaction_id:
                details["transaction_id"] = transaction_id
        self._ask_bank(turn, request.action, details)
        return True

    # -- the answers ------------------------------------------------------------------------
    def _answer(self, turn: _Turn, heard: Understanding, text: str) -> None:
        fmt, bank, slots = turn.fmt, turn.bank, heard.slots
        if not heard.understood:
            self._not_understood(turn)
            return
        match heard.intent:
            case Intent.GREETING:
                self._say(turn, replies.greeting(fmt, bank))
            case Intent.THANKS:
                self._say(turn, replies.thanks(fmt))
            case Intent.HUMAN:
                self._say(turn, replies.to_person(fmt, bank, after_misunderstanding=False))
                self._to_inbox(turn, "asked for a person")
            case Intent.BALANCE:
                since = turn.now - BALANCE_WINDOW_DAYS * DAY_MS
                latest: dict[str, dict[str, Any]] = {}
                for record in self._read(turn, RecordKind.BALANCE, since, None):
                    latest[str(record.payload.get("account_id"))] = record.payload
                self._say_private(turn, replies.balances(fmt, bank, list(latest.values())))
            case Intent.RECENT_TRANSACTIONS:
                txs = [r.payload for r in self._transactions(turn, slots.days)]
                self._say_private(turn, replies.transactions(fmt, txs, slots.days))
            case Intent.PAYMENT_LOOKUP:
                if slots.amount is None and slots.days is None:
                    self._say(turn, replies.which_payment(fmt))
                    return
                found = [r.payload for r in self._matching(turn, heard)]
                self._say_private(
                    turn, replies.payments_found(fmt, found, slots.amount, slots.days)
                )
            case Intent.DISPUTE:
                self._dispute(turn, heard)
            case Intent.CARD_FREEZE | Intent.CARD_UNFREEZE | Intent.LOST_CARD:
                request = Confirmation(BANK_ACTIONS[heard.intent], card_last4=slots.card_last4)
                self._say(turn, replies.confirm(fmt, bank, request))
            case Intent.BRANCH_ATM:
                self._ask_bank(turn, BankAction.BRANCH_ATM, {"text": text[:1000]})
            case _:  # pragma: no cover - OUT_OF_SCOPE is never "understood"
                self._not_understood(turn)

    def _not_understood(self, turn: _Turn) -> None:
        last = thread_store.last_message(turn.uow.conn, turn.thread.thread_id, sender="page")
        if (
            last is not None
            and last.body.get("assistant") == replies.NOT_UNDERSTOOD
            and turn.now - last.created_at <= MISUNDERSTANDING_WINDOW_MS
        ):
            self._say(turn, replies.to_person(turn.fmt, turn.bank, after_misunderstanding=True))
            self._to_inbox(turn, "not understood twice")
            return
        self._say(turn, replies.not_understood(turn.fmt))

    def _dispute(self, turn: _Turn, heard: Understanding) -> None:
        slots = heard.slots
        found: list[Record] = []
        if slots.amount is not None or slots.days is not None:
            try:
                found = self._matching(turn, heard)
            except NoConsent:
                found = []  # the bank can still be asked; it will identify the payment
        if len(found) == 1:
            request = Confirmation(BankAction.DISPUTE, record_id=found[0].record_id)
            message = replies.confirm(turn.fmt, turn.bank, request, found[0].payload)
            self._say_private(turn, message)
            return
        self._say(turn, replies.confirm(turn.fmt, turn.bank, Confirmation(BankAction.DISPUTE)))

    # -- the bank and the inbox -------------------------------------------------------------
    def _ask_bank(self, turn: _Turn, action: BankAction, details: dict[str, Any]) -> None:
        if not turn.webhook:
            self._say(turn, replies.bank_unreachable(turn.fmt, turn.bank))
            self._to_inbox(turn, f"bank unreachable for {action.value}")
            return
        postback = {  # an event of its own: its own mid (banks deduplicate on mids)
            "title": replies.ACTION_TITLES[action],
            "payload": action.value,
            "mid": new_mid(),
            "details": details,
        }
        self._say(turn, replies.done(turn.fmt, turn.bank, action))
        # The bank's app takes the conversation from here (Messenger's handover): it gets the
        # ``pass_thread_control`` event, then the request in ``messaging`` (it owns the thread
        # now), answers with the Send API, and may pass the thread back to the assistant.
        handover.pass_control(
            turn.uow,
            page_id=turn.page_id,
            user_id=turn.user_id,
            to_app_id=turn.business_app_id,
            metadata=f"assistant: {action.value}",
            now=turn.now,
        )
        enqueue_webhook(turn.uow, turn.thread, "postback", turn.now, postback=postback)

    def _to_inbox(self, turn: _Turn, reason: str) -> None:
        handover.pass_control(
            turn.uow,
            page_id=turn.page_id,
            user_id=turn.user_id,
            to_app_id=PAGE_INBOX_APP_ID,
            metadata=f"assistant: {reason}",
            now=turn.now,
        )

    # -- reading the person's data ----------------------------------------------------------
    def _require(self, turn: _Turn, kind: RecordKind) -> None:
        granted = turn.access.scopes()
        if granted is None:
            raise NoConsent(replies.not_linked(turn.fmt, turn.bank, turn.account_link_url))
        needed = [Scope.CUSTOMER_SERVICE, KIND_SCOPES[kind]]
        missing = [scope for scope in needed if scope not in granted]
        if missing:
            raise NoConsent(replies.scope_missing(turn.fmt, turn.bank, missing))

    def _read(self, turn: _Turn, kind: RecordKind, since: int, until: int | None) -> list[Record]:
        self._require(turn, kind)
        try:
            reading = turn.access.reading(Purpose.CUSTOMER_SERVICE, actor=ASSISTANT)
            return reading.read(kinds=[kind], since=since, until=until)
        except PurposeNotAllowed as exc:  # consent changed under us: the vault said no
            missing = [Scope.CUSTOMER_SERVICE, KIND_SCOPES[kind]]
            raise NoConsent(replies.scope_missing(turn.fmt, turn.bank, missing)) from exc

    def _bounds(self, turn: _Turn, days: DayRange | None) -> tuple[int, int | None]:
        if days is None:
            return turn.now - TRANSACTION_WINDOW_DAYS * DAY_MS, None
        zone = turn.fmt.local(turn.now).tzinfo
        first = datetime.combine(days.first, time.min, tzinfo=zone)
        after = datetime.combine(days.last + timedelta(days=1), time.min, tzinfo=zone)
        return to_ms(first), to_ms(after)

    def _transactions(self, turn: _Turn, days: DayRange | None) -> list[Record]:
        since, until = self._bounds(turn, days)
        return self._read(turn, RecordKind.TRANSACTION, since, until)

    def _matching(self, turn: _Turn, heard: Understanding) -> list[Record]:
        amount = heard.slots.amount
        return [
            record
            for record in self._transactions(turn, heard.slots.days)
            if amount is None or replies.amount_matches(record.payload, amount)
        ]

    def _transaction_id(self, turn: _Turn, record_id: str) -> str | None:
        try:
            self._require(turn, RecordKind.TRANSACTION)
            reading = turn.access.reading(Purpose.CUSTOMER_SERVICE, actor=ASSISTANT)
            record = reading.get(record_id)
        except (NoConsent, NotFound, PurposeNotAllowed):
            return None
        if record.kind is not RecordKind.TRANSACTION:
            return None
        value = record.payload.get("transaction_id")
        return None if value is None else str(value)

    # -- saying things ----------------------------------------------------------------------
    def _turn(self, uow: UnitOfWork, thread: ThreadRow, now: int) -> _Turn:
        person = people_store.get_user(uow.conn, thread.user_id)
        business = business_store.get_business(uow.conn, thread.page_id)
        fmt = replies.assistant_formatter(
            None if person is None else person.locale, None if person is None else person.timezone
        )
        return _Turn(
            uow=uow,
            thread=thread,
            access=self.vault.access(uow, page_id=thread.page_id, user_id=thread.user_id),
            fmt=fmt,
            bank="" if business is None else business.name,
            business_app_id="" if business is None else business.app_id,
            webhook=business is not None and business_receives(business, "postback"),
            account_link_url=None if business is None else business.account_link_url,
            now=now,
        )

    def _say(self, turn: _Turn, message: dict[str, Any]) -> None:
        do_post_page_message(
            turn.uow, page_id=turn.page_id, user_id=turn.user_id, message=message, now=turn.now
        )

    def _say_private(self, turn: _Turn, message: dict[str, Any]) -> None:
        """A message built from financial data: its body goes into the vault."""
        post_private_message(
            turn.uow,
            access=turn.access,
            thread=turn.thread,
            kind="assistant",
            message=message,
            now=turn.now,
            actor=ASSISTANT,
        )
