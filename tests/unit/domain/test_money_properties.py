"""Properties of amount parsing (issue 17 part 1): exact, canonical, and only 400s."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from babel.numbers import get_currency_precision
from hypothesis import given, strategies as st

from ledgerline.domain.errors import InvalidParameter
from ledgerline.domain.money import MAX_AMOUNT_DIGITS, parse_amount

CURRENCIES = ["VND", "USD", "EUR", "JPY", "KWD", "BHD", "CLF"]


@st.composite
def amounts(draw: st.DrawFn) -> tuple[str, str]:
    """A valid amount as a bank might write it: any places up to the currency's, padded
    with zeros or not, with or without a plus sign."""
    currency = draw(st.sampled_from(CURRENCIES))
    places = draw(st.integers(0, get_currency_precision(currency)))
    units = draw(st.integers(0, 10 ** (MAX_AMOUNT_DIGITS - places) - 1))
    text = str(units) if places == 0 else f"{units // 10**places}.{units % 10**places:0{places}d}"
    return draw(st.sampled_from(["", "+"])) + text, currency


@given(amounts())
def test_a_valid_amount_keeps_its_value_in_fixed_point_and_parses_to_itself(
    amount: tuple[str, str],
) -> None:
    text, currency = amount
    parsed = parse_amount({"amount": text, "currency": currency.lower()}, "amount")
    assert parsed["currency"] == currency
    assert Decimal(parsed["amount"]) == Decimal(text)
    assert "E" not in parsed["amount"]
    assert not parsed["amount"].startswith("+")
    assert parse_amount(parsed, "amount") == parsed  # canonical is a fixed point


anything = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=50),
    st.lists(st.integers(), max_size=3),
)


@given(anything, anything)
def test_any_amount_object_gives_an_amount_or_a_400_naming_the_field(
    amount: Any, currency: Any
) -> None:
    error: InvalidParameter | None = None
    try:
        parsed = parse_amount({"amount": amount, "currency": currency}, "price")
    except InvalidParameter as exc:
        error = exc
    if error is None:
        assert Decimal(parsed["amount"]) >= 0
        return
    assert error.message.startswith("param price")
    if isinstance(amount, str) and len(amount.strip()) > 3:
        assert amount.strip() not in error.message  # the value never reaches an error


@given(st.integers(MAX_AMOUNT_DIGITS + 1, 39), st.sampled_from(["VND", "USD"]))
def test_too_many_digits_are_refused(digits: int, currency: str) -> None:
    with pytest.raises(InvalidParameter, match="too large"):
        parse_amount({"amount": "9" * digits, "currency": currency}, "amount")
