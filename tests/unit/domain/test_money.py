"""Money on the wire: decimal strings with an ISO 4217 code, checked against the currency's
minor units; errors name the field, never the value."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ledgerline.domain.errors import InvalidParameter
from ledgerline.domain.money import MAX_AMOUNT_DIGITS, Money, parse_amount, parse_decimal


def test_money_holds_a_decimal_and_an_upper_case_code() -> None:
    assert Money(Decimal("1.50"), "EUR").amount == Decimal("1.50")
    with pytest.raises(TypeError, match="Decimal"):
        Money(1.5, "EUR")  # type: ignore[arg-type]
    for code in ("eur", "EU", "EURO", "E1R"):
        with pytest.raises(ValueError, match="ISO 4217"):
            Money(Decimal(1), code)


@pytest.mark.parametrize(
    ("text", "value"),
    [("125000", Decimal(125000)), (" 12.50 ", Decimal("12.50")), ("-3", Decimal(-3)),
     ("+0.5", Decimal("0.5")), (".5", Decimal("0.5"))],
)  # fmt: skip
def test_decimal_strings_parse_exactly(text: str, value: Decimal) -> None:
    assert parse_decimal(text) == value


@pytest.mark.parametrize(
    "text", [125000, None, "", "   ", "1" * 41, "1.2.3", "12a", "1e5", "NaN", "--1", "1,000"]
)
def test_anything_but_a_plain_decimal_string_is_refused(text: object) -> None:
    with pytest.raises(ValueError, match="decimal"):
        parse_decimal(text)


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ({"amount": "125000", "currency": "VND"}, {"amount": "125000", "currency": "VND"}),
        ({"amount": "125000", "currency": "vnd"}, {"amount": "125000", "currency": "VND"}),
        ({"amount": 42, "currency": " usd "}, {"amount": "42", "currency": "USD"}),
        ({"amount": "12.50", "currency": "EUR"}, {"amount": "12.5", "currency": "EUR"}),
        ({"amount": "0.001", "currency": "KWD"}, {"amount": "0.001", "currency": "KWD"}),
        ({"amount": "100.00", "currency": "EUR"}, {"amount": "100", "currency": "EUR"}),
        ({"amount": "1200.50", "currency": "USD"}, {"amount": "1200.5", "currency": "USD"}),
    ],
)  # fmt: skip
def test_amounts_come_out_canonical(raw: dict[str, object], canonical: dict[str, str]) -> None:
    assert parse_amount(raw, "available") == canonical


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("125000", "param amount must be an object"),
        ({"amount": "1"}, "param amount[currency] is required"),
        ({"amount": "1", "currency": "  "}, "param amount[currency] is required"),
        ({"amount": "1", "currency": 704}, "param amount[currency] is required"),
        ({"amount": "1", "currency": "XYZ"}, "param amount[currency] must be an ISO 4217 currency code"),
        ({"amount": 1.5, "currency": "EUR"}, "param amount[amount] must be a decimal string: a JSON number is accepted only as a whole number (a fraction or an exponent would not be exact)"),
        ({"amount": 125000.0, "currency": "VND"}, "param amount[amount] must be a decimal string: a JSON number is accepted only as a whole number (a fraction or an exponent would not be exact)"),
        ({"amount": 1e5, "currency": "VND"}, "param amount[amount] must be a decimal string: a JSON number is accepted only as a whole number (a fraction or an exponent would not be exact)"),
        ({"amount": True, "currency": "EUR"}, 'param amount[amount] must be a decimal string such as "125000"'),
        ({"amount": 10 ** MAX_AMOUNT_DIGITS, "currency": "VND"}, "param amount[amount] is too large"),
        ({"amount": -1, "currency": "EUR"}, "param amount[amount] must not be negative"),
        ({"amount": "12,5", "currency": "EUR"}, 'param amount[amount] must be a decimal string such as "125000"'),
        ({"currency": "EUR"}, 'param amount[amount] must be a decimal string such as "125000"'),
        ({"amount": "-1", "currency": "EUR"}, "param amount[amount] must not be negative"),
        ({"amount": "1.5", "currency": "VND"}, "param amount[amount] has more decimals than VND allows"),
        ({"amount": "1.005", "currency": "EUR"}, "param amount[amount] has more decimals than EUR allows"),
        ({"amount": "9" * (MAX_AMOUNT_DIGITS + 1), "currency": "VND"}, "param amount[amount] is too large"),
    ],
)  # fmt: skip
def test_bad_amounts_are_named_by_field_never_by_value(raw: object, message: str) -> None:
    with pytest.raises(InvalidParameter) as caught:
        parse_amount(raw, "amount")
    assert caught.value.message == message
    assert str(caught.value) == f"(#100) {message}"


def test_signed_amounts_accept_a_minus() -> None:
    assert parse_amount({"amount": "-35.10", "currency": "USD"}, "a", signed=True) == {
        "amount": "-35.1",
        "currency": "USD",
    }
    assert parse_amount({"amount": "9" * MAX_AMOUNT_DIGITS, "currency": "VND"}, "a") == {
        "amount": "9" * MAX_AMOUNT_DIGITS,
        "currency": "VND",
    }
