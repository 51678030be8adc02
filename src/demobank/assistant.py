"""What the bank does with a request Ledgerline's built-in assistant passes it.

When a person asks the assistant to freeze or unfreeze a card, report it lost, dispute a
payment, or asks about branches and ATMs, the assistant hands the thread to the bank
(``pass_thread_control``, metadata ``assistant: <payload>``) and sends a ``postback`` whose
``payload`` names the request and whose ``details`` carry what the person said
(``card_last4``, ``transaction_id``, ``text``). The bank acts, answers in the thread, and
passes the thread back to the assistant.

Pure: ``handle`` says what to answer and which card to freeze or unfreeze; the caller
(``Bank``) changes its state, sends, and hands the thread back.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from demobank.customers import Customer
from demobank.state import SharedTransaction
from demobank.texts import say

# Ledgerline's built-in assistant: one fixed app id on every page (documented with the
# handover API); the bank also learns it from the ``pass_thread_control`` event.
ASSISTANT_APP_ID = "1536977330000001"
HANDED_BY_ASSISTANT = "assistant:"  # how the assistant's handover metadata starts

FREEZE = "ASSISTANT_CARD_FREEZE"
UNFREEZE = "ASSISTANT_CARD_UNFREEZE"
LOST = "ASSISTANT_CARD_LOST"
DISPUTE = "ASSISTANT_DISPUTE"
BRANCH_ATM = "ASSISTANT_BRANCH_ATM"
REQUESTS = frozenset({FREEZE, UNFREEZE, LOST, DISPUTE, BRANCH_ATM})


@dataclass(frozen=True, slots=True)
class Branch:
    city: str
    name: str
    address: str
    words: re.Pattern[str]  # how people name the city (folded: no diacritics, lower case)


BRANCHES: tuple[Branch, ...] = (
    Branch(
        "Hà Nội",
        "Chi nhánh Hoàn Kiếm",
        "25 Lý Thái Tổ, Hoàn Kiếm, Hà Nội",
        re.compile(r"\b(ha noi|hanoi|hn|hoan kiem)\b"),
    ),
    Branch(
        "TP. Hồ Chí Minh",
        "Chi nhánh Quận 1",
        "72 Lê Thánh Tôn, Bến Nghé, Quận 1, TP. Hồ Chí Minh",
        re.compile(r"\b(ho chi minh|hcm|tphcm|sai gon|saigon|sg|quan 1|district 1)\b"),
    ),
    Branch(
        "Đà Nẵng",
        "Chi nhánh Hải Châu",
        "10 Bạch Đằng, Hải Châu, Đà Nẵng",
        re.compile(r"\b(da nang|danang|dn|hai chau)\b"),
    ),
)


@dataclass(frozen=True, slots=True)
class Handled:
    """The bank's answer to one request, and what it changes."""

    text: str
    freeze: str | None = None  # the card to freeze (its last four digits)
    unfreeze: str | None = None
    note: str = ""  # one line for the back office's activity log


def fold(text: str) -> str:
    """Lower case, no diacritics, ``đ`` → ``d``: how the branch words are matched."""
    decomposed = unicodedata.normalize("NFD", text.lower().replace("đ", "d"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def branches_for(question: str) -> tuple[Branch, ...]:
    """The branches in the cities the question names; all of them when it names none."""
    folded = fold(question)
    named = tuple(b for b in BRANCHES if b.words.search(folded))
    return named or BRANCHES


def money(locale: str, amount: int) -> str:
    grouped = f"{amount:,}"
    return f"{grouped.replace(',', '.')} ₫" if locale == "vi" else f"₫{grouped}"


def handle(
    payload: str,
    details: dict[str, Any],
    *,
    customer: Customer,
    locale: str,
    frozen: bool,
    case_number: str,
    transaction: SharedTransaction | None = None,
) -> Handled:
    """The answer to the request ``payload`` of a linked ``customer``.

    ``frozen``: their card is frozen already; ``transaction``: the shared payment a dispute
    names (``details["transaction_id"]``), when the bank knows it."""
    if payload == BRANCH_ATM:
        question = str(details.get("text") or "")
        lines = [f"• {b.name}: {b.address}" for b in branches_for(question)]
        text = "\n".join([say(locale, "as_branches"), *lines])
        return Handled(text, note=f"answered a branch/ATM question for {customer.username}")
    if payload == DISPUTE:
        who = customer.username
        if transaction is not None:
            text = say(
                locale,
                "as_dispute_payment",
                amount=money(locale, transaction.amount),
                merchant=transaction.merchant,
                case=case_number,
            )
            return Handled(text, note=f"dispute {case_number} for {who}: {transaction.merchant}")
        return Handled(
            say(locale, "as_dispute", case=case_number), note=f"dispute {case_number} for {who}"
        )
    last4 = customer.card_last4
    asked = str(details.get("card_last4") or "")
    if asked and asked != last4:
        return Handled(
            say(locale, "as_unknown_card", asked=asked, last4=last4),
            note=f"{customer.username} named a card that is not theirs",
        )
    if payload == FREEZE:
        key = "as_already_frozen" if frozen else "as_frozen"
        return Handled(say(locale, key, last4=last4), freeze=last4)
    if payload == UNFREEZE:
        key = "as_unfrozen" if frozen else "as_not_frozen"
        return Handled(say(locale, key, last4=last4), unfreeze=last4 if frozen else None)
    if payload == LOST:
        return Handled(say(locale, "as_lost", last4=last4), freeze=last4)
    raise ValueError(f"not an assistant request: {payload!r}")
