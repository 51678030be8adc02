"""What an agent may see of a person's financial context: masked amounts and ids."""

from __future__ import annotations

import pytest

from ledgerline.customer_service.context import mask_amount, mask_id


@pytest.mark.parametrize(
    ("amount", "masked"),
    [
        ({"amount": "1250000", "currency": "VND"}, "12••••• VND"),
        ({"amount": "125000.50", "currency": "VND"}, "12•••• VND"),
        ({"amount": "-35", "currency": "USD"}, "-35 USD"),
        ({"amount": "7", "currency": "EUR"}, "7 EUR"),
        ({"amount": "abc", "currency": "VND"}, "•••"),
        ("1250000", "•••"),
    ],
)
def test_amounts_keep_only_their_first_two_digits(amount: object, masked: str) -> None:
    assert mask_amount(amount) == masked


def test_ids_keep_only_their_last_four_characters() -> None:
    assert mask_id("0011223344") == "••••3344"
    assert mask_id("123") == "••••"
    assert mask_id(None) == "••••"
