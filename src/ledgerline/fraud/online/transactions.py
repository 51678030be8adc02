"""How a platform transaction (CONTRACTS §2, ``POST /me/transactions``) becomes the engine's
``Transaction``: which card, which terminal, which amount.

* **Card** (the handbook's customer): the bank's ``account_id`` and ``card_last4`` within one
  (business, person); a transaction with neither is the person's "any card" at that business.
  Keys are hashes (``card_key``), never the ids themselves.
* **Terminal**: the bank's ``terminal_id`` within the business; without one, the merchant
  (name, city, country); without either, an *ephemeral* terminal (scored as never seen, never
  stored).
* **Amount**: the model was trained on the handbook's simulated amounts, which are in a
  dollar-like unit (typical payments 5–100, its scenario-1 frauds above 220). Services amounts
  are converted to US dollars with the static table ``USD_PER_UNIT`` below (approximate
  rates, November 2026; a rough scale is all the features need: the card's own ratios and
  z-scores do not depend on it), and capped at ``MAX_AMOUNT``.
* **Not scored**: credits (money coming in), currencies missing from the table.
* **Time**: ``booked_at`` (UTC); the weekend and night flags are computed in UTC, as in the
  training data.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal, InvalidOperation
from typing import Any

from ledgerline.fraud.online.scorer import MAX_AMOUNT, Transaction

EPHEMERAL_PREFIX = "~"  # shared with the SQL store: such terminals are never stored

# US dollars per unit of each currency (approximate, November 2026). Extend as needed.
USD_PER_UNIT: dict[str, Decimal] = {
    code: Decimal(rate)
    for code, rate in {
        "USD": "1",
        "EUR": "1.08",
        "GBP": "1.27",
        "CHF": "1.12",
        "JPY": "0.0067",
        "CNY": "0.14",
        "HKD": "0.128",
        "TWD": "0.031",
        "KRW": "0.00072",
        "SGD": "0.74",
        "MYR": "0.22",
        "THB": "0.028",
        "IDR": "0.000063",
        "PHP": "0.017",
        "VND": "0.00004",
        "KHR": "0.000245",
        "LAK": "0.000046",
        "INR": "0.012",
        "AUD": "0.65",
        "NZD": "0.59",
        "CAD": "0.72",
        "MXN": "0.055",
        "BRL": "0.18",
        "ZAR": "0.055",
        "AED": "0.272",
        "SAR": "0.267",
        "SEK": "0.094",
        "NOK": "0.091",
        "DKK": "0.145",
        "PLN": "0.25",
        "CZK": "0.043",
        "HUF": "0.0027",
        "TRY": "0.029",
    }.items()
}


def _key(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:32]


def model_amount(amount: dict[str, Any]) -> float | None:
    """``{"amount": "125000", "currency": "VND"}`` in the model's unit; None if unknown."""
    rate = USD_PER_UNIT.get(str(amount.get("currency", "")).upper())
    if rate is None:
        return None
    try:
        value = Decimal(str(amount["amount"])) * rate
    except (KeyError, InvalidOperation):
        return None
    return min(max(float(value), 0.0), MAX_AMOUNT)


def card_key(payload: dict[str, Any]) -> str:
    return _key("card", str(payload.get("account_id") or ""), str(payload.get("card_last4") or ""))


def terminal_key(payload: dict[str, Any]) -> str:
    terminal = payload.get("terminal_id")
    if terminal:
        return _key("terminal", str(terminal))
    merchant = payload.get("merchant") or {}
    if merchant.get("name"):
        return _key(
            "merchant",
            str(merchant["name"]).casefold(),
            str(merchant.get("city") or "").casefold(),
            str(merchant.get("country") or ""),
        )
    return EPHEMERAL_PREFIX + str(payload.get("transaction_id", ""))


def to_engine(payload: dict[str, Any]) -> Transaction | None:
    """The engine's view of a stored transaction payload, or None when it is not scored."""
    if payload.get("credit_debit") == "credit":
        return None
    amount = model_amount(payload.get("amount") or {})
    if amount is None:
        return None
    when = dt.datetime.fromtimestamp(int(payload["booked_at"]) / 1000, tz=dt.UTC)
    return Transaction(
        transaction_id=str(payload["transaction_id"]),
        card_id=card_key(payload),
        terminal_id=terminal_key(payload),
        amount=amount,
        when=when,
    )
