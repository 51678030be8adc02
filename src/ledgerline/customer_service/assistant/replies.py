"""What the assistant says: pure functions from the person's formatter and data to messages.

Texts are English msgids translated through the assistant's gettext catalogue
(``customer_service/assistant/locales/<lang>/LC_MESSAGES/assistant.po``), which falls back to the financial
updates' catalogue: a transaction or a balance reads exactly as in the updates
(``ingest.notify.transaction_text`` / ``balance_text``, Babel money, ``•••• 1234``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Any

from babel.dates import format_date

from ledgerline.customer_service.assistant.slots import Amount, DayRange
from ledgerline.domain.scopes import Scope
from ledgerline.language.formatter import UPDATES, Catalogue, Formatter
from ledgerline.linking.texts import catalogue as linking_texts
from ledgerline.updates.texts import balance_text, transaction_text

ASSISTANT = Catalogue(Path(__file__).parent / "locales", "assistant", fallback=UPDATES)
QUICK_REPLY_PREFIX = "LEDGERLINE_ASSISTANT"
MAX_LISTED = 5
# What the assistant's Log In button asks for: what it answers about, and leave to use it.
ASSISTANT_SCOPES = [s.value for s in (Scope.BALANCES, Scope.TRANSACTIONS, Scope.CUSTOMER_SERVICE)]


def _(msgid: str) -> str:
    """Marks a source text for extraction; translated by ``Formatter._`` at send time."""
    return msgid


class BankAction(StrEnum):
    """What the assistant asks the bank to do: the ``postback.payload`` the bank receives."""

    CARD_FREEZE = "ASSISTANT_CARD_FREEZE"
    CARD_UNFREEZE = "ASSISTANT_CARD_UNFREEZE"
    CARD_LOST = "ASSISTANT_CARD_LOST"
    DISPUTE = "ASSISTANT_DISPUTE"
    BRANCH_ATM = "ASSISTANT_BRANCH_ATM"


# The postback's ``title`` (the bank reads it; not translated, like a button's payload).
ACTION_TITLES = {
    BankAction.CARD_FREEZE: "Freeze card",
    BankAction.CARD_UNFREEZE: "Unfreeze card",
    BankAction.CARD_LOST: "Report lost card",
    BankAction.DISPUTE: "Dispute a payment",
    BankAction.BRANCH_ATM: "Branch or ATM question",
}

_ASK = {
    (BankAction.CARD_FREEZE, True): _("Shall I ask {bank} to freeze your card {card}?"),
    (BankAction.CARD_FREEZE, False): _("Shall I ask {bank} to freeze your card?"),
    (BankAction.CARD_UNFREEZE, True): _("Shall I ask {bank} to unfreeze your card {card}?"),
    (BankAction.CARD_UNFREEZE, False): _("Shall I ask {bank} to unfreeze your card?"),
    (BankAction.CARD_LOST, True): _(
        "Shall I report your card {card} as lost to {bank}? They will block it for good "
        "and tell you about a replacement."
    ),
    (BankAction.CARD_LOST, False): _(
        "Shall I report your card as lost to {bank}? They will block it for good and tell "
        "you about a replacement."
    ),
    (BankAction.DISPUTE, True): _("Shall I ask {bank} to dispute this payment? {payment}"),
    (BankAction.DISPUTE, False): _(
        "Shall I ask {bank} to open a dispute? They will ask you here which payment it is."
    ),
}

_DONE = {
    BankAction.CARD_FREEZE: _("I have asked {bank} to freeze your card. They will confirm here."),
    BankAction.CARD_UNFREEZE: _(
        "I have asked {bank} to unfreeze your card. They will confirm here."
    ),
    BankAction.CARD_LOST: _(
        "I have reported your card as lost to {bank}. They will block it and reply here."
    ),
    BankAction.DISPUTE: _("I have asked {bank} to open a dispute. They will reply here."),
    BankAction.BRANCH_ATM: _("I have passed your question to {bank}. They will answer here."),
}


@dataclass(frozen=True, slots=True)
class Confirmation:
    """A pending request, carried by the quick replies' payloads (no state on our side).
    ``record_id`` is the vault id of the disputed payment: the bank's own transaction id
    is never written in clear into a message."""

    action: BankAction
    card_last4: str | None = None
    record_id: str | None = None

    def payload(self, answer: str) -> str:
        parts = [QUICK_REPLY_PREFIX, answer, self.action.value]
        parts += [self.card_last4 or "-", self.record_id or "-"]
        return ":".join(parts)

    @classmethod
    def parse(cls, payload: str) -> tuple[str, Confirmation] | None:
        """``(answer, confirmation)`` of one of our payloads; None for anything else."""
        parts = payload.split(":")
        if len(parts) != 5 or parts[0] != QUICK_REPLY_PREFIX or parts[1] not in ("yes", "no"):
            return None
        try:
            action = BankAction(parts[2])
        except ValueError:
            return None
        card = parts[3] if parts[3].isdigit() and len(parts[3]) == 4 else None
        record = parts[4] if parts[4].startswith("rec_") else None
        return parts[1], cls(action, card, record)


def text(value: str, **marker: str) -> dict[str, Any]:
    """A plain message; ``marker`` is kept in the stored body (not shown to anyone)."""
    return {"text": value[:2000], **marker}


def assistant_formatter(locale: str | None, timezone: str | None) -> Formatter:
    return Formatter.for_person(locale, timezone, ASSISTANT)


def period(fmt: Formatter, days: DayRange) -> str:
    first = format_date(days.first, format="medium", locale=fmt.lang)
    if days.first == days.last:
        return fmt._("on {day}", day=first)
    last = format_date(days.last, format="medium", locale=fmt.lang)
    return fmt._("from {first} to {last}", first=first, last=last)


def money(fmt: Formatter, amount: Amount, fallback_currency: str) -> str:
    value = {"amount": str(amount.value), "currency": amount.currency or fallback_currency}
    return fmt.money(value)


# -- small talk and routing -------------------------------------------------------------------
def greeting(fmt: Formatter, bank: str) -> dict[str, Any]:
    return text(
        fmt._(
            "Hello! I am the {bank} assistant. I can tell you your balance, show your recent "
            "transactions, look up a payment, freeze or unfreeze your card, report a lost "
            "card, start a dispute, or pass you to a person.",
            bank=bank,
        )
    )


def thanks(fmt: Formatter) -> dict[str, Any]:
    return text(fmt._("You are welcome! Write any time."))


NOT_UNDERSTOOD = "not_understood"


def not_understood(fmt: Formatter) -> dict[str, Any]:
    return text(
        fmt._(
            "Sorry, I did not understand. You can ask about your balance, your recent "
            "transactions or a payment, freeze or unfreeze your card, report a lost card or "
            'dispute a payment — or write "talk to a person".'
        ),
        assistant=NOT_UNDERSTOOD,
    )


def to_person(
    fmt: Formatter, bank: str, *, after_misunderstanding: bool = False, after_failure: bool = False
) -> dict[str, Any]:
    if after_failure:
        return text(
            fmt._(
                "Sorry, I cannot answer that right now, so I am passing you to a person at "
                "{bank}. They can see this conversation.",
                bank=bank,
            )
        )
    if after_misunderstanding:
        return text(
            fmt._(
                "I still did not understand, so I am passing you to a person at {bank}. "
                "They can see this conversation, so you do not need to repeat yourself.",
                bank=bank,
            )
        )
    return text(
        fmt._(
            "I am passing you to a person at {bank}. They can see this conversation, so "
            "you do not need to repeat yourself.",
            bank=bank,
        )
    )


def bank_unreachable(fmt: Formatter, bank: str) -> dict[str, Any]:
    return text(
        fmt._(
            "I cannot pass requests to {bank} from here right now, so I am passing you to "
            "a person who can help.",
            bank=bank,
        )
    )


# -- consent ----------------------------------------------------------------------------------
def not_linked(fmt: Formatter, bank: str, account_link_url: str | None) -> dict[str, Any]:
    if account_link_url is None:
        return text(
            fmt._(
                "To answer questions about your account I need your {bank} account linked, "
                "with customer service allowed. You can link it from {bank}'s app or website.",
                bank=bank,
            )
        )
    words = fmt._(
        "To answer questions about your account I need your {bank} account linked, with "
        "customer service allowed. You choose what to share, and you can change it or "
        "unlink at any time in the privacy centre.",
        bank=bank,
    )
    return {
        "attachment": {
            "type": "template",
            "payload": {
                "template_type": "button",
                "text": words[:640],
                # What the assistant needs to answer: these start ticked, nothing else.
                "buttons": [
                    {"type": "account_link", "url": account_link_url, "scopes": ASSISTANT_SCOPES}
                ],
            },
        }
    }


def scope_missing(fmt: Formatter, bank: str, missing: Sequence[Scope]) -> dict[str, Any]:
    return text(
        fmt._(
            "You have not allowed {bank} to use this for customer service ({scopes}), so I "
            "cannot look at it. You can allow it in the privacy centre, under your link "
            "with {bank}.",
            bank=bank,
            scopes=linking_texts(fmt.lang).scope_list(missing),
        )
    )


# -- answers from the person's data -----------------------------------------------------------
def balances(fmt: Formatter, bank: str, latest: Sequence[dict[str, Any]]) -> dict[str, Any]:
    if not latest:
        return text(fmt._("{bank} has not shared a recent balance with me.", bank=bank))
    lines = [balance_text(fmt, b) for b in latest]
    return text("\n".join(lines))


def transactions(
    fmt: Formatter, txs: Sequence[dict[str, Any]], days: DayRange | None
) -> dict[str, Any]:
    if not txs:
        if days is None:
            return text(fmt._("I found no recent transactions."))
        return text(fmt._("I found no transactions {period}.", period=period(fmt, days)))
    shown = list(txs)[-MAX_LISTED:]
    if days is None:
        head = fmt._("Your latest transactions:")
    else:
        head = fmt._("Your transactions {period}:", period=period(fmt, days))
    more = len(txs) - len(shown)
    lines = [head, *(f"• {transaction_text(fmt, tx)}" for tx in reversed(shown))]
    if more:
        lines.append(fmt._("…and {count} earlier.", count=more))
    return text("\n".join(lines))


def payments_found(
    fmt: Formatter, matches: Sequence[dict[str, Any]], amount: Amount | None, days: DayRange | None
) -> dict[str, Any]:
    if len(matches) == 1:
        return text(
            fmt._("I found this payment: {payment}", payment=transaction_text(fmt, matches[0]))
        )
    if matches:
        shown = list(matches)[-MAX_LISTED:]
        head = fmt._("I found {count} payments that match:", count=len(matches))
        return text("\n".join([head, *(f"• {transaction_text(fmt, tx)}" for tx in shown)]))
    where = "" if days is None else " " + period(fmt, days)
    if amount is not None:
        said = money(fmt, amount, "VND")
        return text(
            fmt._("I could not find a payment of {amount}{period}.", amount=said, period=where)
        )
    return text(fmt._("I could not find a payment{period}.", period=where))


def which_payment(fmt: Formatter) -> dict[str, Any]:
    return text(
        fmt._('Which payment do you mean? Tell me its amount or day, for example "125k yesterday".')
    )


# -- requests to the bank ---------------------------------------------------------------------
def confirm(
    fmt: Formatter, bank: str, request: Confirmation, payment: dict[str, Any] | None = None
) -> dict[str, Any]:
    card = fmt.card(request.card_last4)
    if request.action is BankAction.DISPUTE:
        question = fmt._(
            _ASK[(request.action, payment is not None)],
            bank=bank,
            payment="" if payment is None else transaction_text(fmt, payment),
        )
    else:
        question = fmt._(_ASK[(request.action, card is not None)], bank=bank, card=card or "")
    return {
        "text": question[:2000],
        "quick_replies": [
            {"content_type": "text", "title": fmt._("Yes"), "payload": request.payload("yes")},
            {"content_type": "text", "title": fmt._("No"), "payload": request.payload("no")},
        ],
    }


def done(fmt: Formatter, bank: str, action: BankAction) -> dict[str, Any]:
    return text(fmt._(_DONE[action], bank=bank))


def cancelled(fmt: Formatter, bank: str) -> dict[str, Any]:
    return text(fmt._("All right, I have not asked {bank} for anything.", bank=bank))


def amount_matches(tx: dict[str, Any], amount: Amount) -> bool:
    """The transaction's amount is the one said (in its currency, when one was said)."""
    money_ = tx.get("amount") or {}
    try:
        value = Decimal(str(money_.get("amount")))
    except ArithmeticError:
        return False
    if amount.currency is not None and money_.get("currency") != amount.currency:
        return False
    return abs(value) == amount.value


def on_day(local_day: date, days: DayRange | None) -> bool:
    return days is None or days.first <= local_day <= days.last
