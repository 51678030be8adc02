"""The bank's small bot: what it answers to a message or a postback in its thread.

Pure: the caller says who wrote (a linked customer or not) and what; the bot gives back the
messages to send and, for a balance request, asks the caller to share the balance through
the financial-data API (so the person sees it only within the consent they gave).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from demobank.customers import Customer
from demobank.texts import say

BALANCE, CARDS, HELP, GET_STARTED = "BALANCE", "CARDS", "HELP", "GET_STARTED"
AGENT = "AGENT"  # the person asks for a human: the bank hands the thread to the agent inbox
PAGE_INBOX_APP_ID = "263902037430900"  # Messenger's Page Inbox (human agents)
# What the bank shares, so what its Log In button asks for (not customer_service: whether
# agents may see the data is the person's own choice on the consent screen).
LINK_SCOPES = ["balances", "transactions", "receipts", "shipments", "fraud_alerts"]

_WORDS = {
    AGENT: re.compile(
        r"(nhân viên|nhan vien|tư vấn viên|tu van vien|gặp người|a person|someone|human|agent)",
        re.IGNORECASE,
    ),
    BALANCE: re.compile(r"\b(balance|số dư|so du)\b", re.IGNORECASE),
    CARDS: re.compile(r"\b(cards?|thẻ)\b", re.IGNORECASE),
    HELP: re.compile(r"\b(help|trợ giúp|giúp|tro giup)\b", re.IGNORECASE),
    GET_STARTED: re.compile(r"\b(hi|hello|hey|chào|xin chào|alo)\b", re.IGNORECASE),
}


@dataclass(frozen=True)
class Answer:
    messages: list[dict[str, Any]] = field(default_factory=list)
    share_balance: bool = False
    hand_to_agents: bool = False  # pass the thread to the agent inbox after the messages


def link_invitation(
    locale: str, link_url: str, text_key: str = "greeting_unlinked"
) -> dict[str, Any]:
    """The greeting with Messenger's account-link button (the button has no title), and
    replies to suggest to someone who is not a linked customer yet: what linking gives,
    and a person."""
    return {
        "quick_replies": [
            {"content_type": "text", "title": say(locale, key), "payload": payload}
            for key, payload in (("qr_what_linking", HELP), ("qr_person", AGENT))
        ],
        "attachment": {
            "type": "template",
            "payload": {
                "template_type": "button",
                "text": say(locale, text_key),
                # What the bank asks to share (Ledgerline's extension of the button):
                # these start ticked on the consent screen; customer service is left to
                # the person.
                "buttons": [{"type": "account_link", "url": link_url, "scopes": LINK_SCOPES}],
            },
        },
    }


def menu(locale: str, text: str) -> dict[str, Any]:
    """A text with the bot's quick replies."""
    return {
        "text": text,
        "quick_replies": [
            {"content_type": "text", "title": say(locale, key), "payload": payload}
            for key, payload in (("qr_balance", BALANCE), ("qr_cards", CARDS), ("qr_help", HELP))
        ],
    }


def intent(text: str | None, payload: str | None) -> str | None:
    if payload in (BALANCE, CARDS, HELP, GET_STARTED, AGENT):
        return payload
    for name, words in _WORDS.items():
        if text and words.search(text):
            return name
    return None


def answer(
    *,
    customer: Customer | None,
    locale: str,
    text: str | None,
    payload: str | None,
    link_url: str,
    card_frozen: bool = False,
) -> Answer:
    """What to send back to one message or postback."""
    if intent(text, payload) == AGENT:  # linked or not, a person may ask for a person
        return Answer([{"text": say(locale, "to_agents")}], hand_to_agents=True)
    if customer is None:
        key = "help_unlinked" if intent(text, payload) == HELP else "greeting_unlinked"
        return Answer([link_invitation(locale, link_url, key)])
    wanted = intent(text, payload)
    if wanted == BALANCE:
        return Answer(share_balance=True)
    if wanted == CARDS:
        key = "cards_frozen" if card_frozen else "cards_active"
        return Answer([menu(locale, say(locale, key, last4=customer.card_last4))])
    if wanted == HELP:
        return Answer([menu(locale, say(locale, "help"))])
    if wanted == GET_STARTED:
        greeting = say(locale, "greeting_linked", name=customer.short_name)
        return Answer([menu(locale, greeting)])
    return Answer([menu(locale, say(locale, "fallback"))])
