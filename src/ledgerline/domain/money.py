"""Money: decimal amounts with an ISO 4217 currency, never floats."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation


@dataclass(frozen=True, slots=True)
class Money:
    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.amount, Decimal):
            raise TypeError("Money.amount must be a Decimal")
        if len(self.currency) != 3 or not self.currency.isalpha() or not self.currency.isupper():
            raise ValueError(f"not an ISO 4217 code: {self.currency!r}")


def parse_decimal(text: object) -> Decimal:
    """Parse a decimal string strictly: digits, one optional point, an optional sign."""
    if not isinstance(text, str):
        raise ValueError('amounts are decimal strings, e.g. "125000" or "12.50"')
    stripped = text.strip()
    if not stripped or len(stripped) > 40:
        raise ValueError("amount must be a non-empty decimal string")
    body = stripped.lstrip("+-")
    if body.count(".") > 1 or not body.replace(".", "").isdigit():
        raise ValueError(f"not a decimal amount: {text!r}")
    try:
        value = Decimal(stripped)
    except InvalidOperation as exc:  # pragma: no cover - guarded above
        raise ValueError(f"not a decimal amount: {text!r}") from exc
    return value
