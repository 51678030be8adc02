"""How platform transactions map to the engine (card, terminal, amount), and what a policy
means on the validation curve."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from ledgerline.fraud.online.budget import AlertCurve, expected_at
from ledgerline.fraud.online.scorer import MAX_AMOUNT
from ledgerline.fraud.online.transactions import EPHEMERAL_PREFIX, model_amount, to_engine


def payload(**extra: Any) -> dict[str, Any]:
    return {
        "transaction_id": "t-1",
        "account_id": "acc-1",
        "card_last4": "1234",
        "amount": {"amount": "125000", "currency": "VND"},
        "credit_debit": "debit",
        "status": "booked",
        "booked_at": 1_764_378_900_000,
        "merchant": {"name": "Highlands Coffee", "city": "Hà Nội", "country": "VN"},
        "terminal_id": "T-9",
        **extra,
    }


def test_amounts_are_converted_to_the_models_dollar_unit() -> None:
    assert model_amount({"amount": "125000", "currency": "VND"}) == pytest.approx(5.0)
    assert model_amount({"amount": "12.50", "currency": "usd"}) == pytest.approx(12.5)
    assert model_amount({"amount": "1000", "currency": "JPY"}) == pytest.approx(6.7)
    assert model_amount({"amount": "1e30", "currency": "USD"}) == MAX_AMOUNT
    assert model_amount({"amount": "1", "currency": "XXX"}) is None  # not in the table
    assert model_amount({"currency": "USD"}) is None


def test_card_and_terminal_keys() -> None:
    tx = to_engine(payload())
    assert tx is not None
    assert tx.when == dt.datetime(2025, 11, 29, 1, 15, tzinfo=dt.UTC)
    assert len(tx.card_id) == len(tx.terminal_id) == 32
    assert "acc-1" not in tx.card_id
    assert "T-9" not in tx.terminal_id
    other_card = to_engine(payload(card_last4="9999"))
    assert other_card is not None
    assert other_card.card_id != tx.card_id
    assert other_card.terminal_id == tx.terminal_id
    by_merchant = to_engine(payload(terminal_id=None))
    same_merchant = to_engine(payload(terminal_id=None, transaction_id="t-2"))
    assert by_merchant is not None
    assert same_merchant is not None
    assert by_merchant.terminal_id == same_merchant.terminal_id != tx.terminal_id
    unknown = to_engine(payload(terminal_id=None, merchant=None))
    assert unknown is not None
    assert unknown.terminal_id.startswith(EPHEMERAL_PREFIX)


def test_credits_and_unknown_currencies_are_not_scored() -> None:
    assert to_engine(payload(credit_debit="credit")) is None
    assert to_engine(payload(amount={"amount": "5", "currency": "XAU"})) is None


def test_expected_alert_rate_and_precision_at_a_threshold() -> None:
    curve = AlertCurve((0.9, 0.5, 0.1), (0.001, 0.01, 0.1), (1.0, 0.6, 0.1), 1000, 10)
    assert expected_at(curve, 0.95) == (0.0, None)
    assert expected_at(curve, 0.9) == (1.0, 1.0)
    assert expected_at(curve, 0.3) == (10.0, 0.6)
    assert expected_at(curve, 0.0) == (100.0, 0.1)
