"""Money: decimal amounts with an ISO 4217 currency, never floats.

Amounts on the wire are ``{"amount": "125000", "currency": "VND"}``: a decimal string and a
code whose minor units come from Babel's CLDR data. Error messages name the field, never its
value, so no financial value reaches a log or an error body.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any

from babel.numbers import get_currency_precision, list_currencies

from ledgerline.domain.errors import bad_param, require_object

MAX_AMOUNT_DIGITS = 18


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


@cache
def _currencies() -> frozenset[str]:
    return frozenset(list_currencies())


def parse_currency(value: Any, param: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise bad_param(param, "is required")
    code = value.strip().upper()
    if code not in _currencies():
        raise bad_param(param, "must be an ISO 4217 currency code")
    return code


def parse_amount(value: Any, param: str, *, signed: bool = False) -> dict[str, str]:
    """``{"amount": "125000", "currency": "VND"}`` → canonical, checked against minor units."""
    body = require_object(value, param)
    code = parse_currency(body.get("currency"), f"{param}[currency]")
    raw = body.get("amount")
    if isinstance(raw, bool):
        raise bad_param(f"{param}[amount]", 'must be a decimal string such as "125000"')
    if isinstance(raw, float):  # binary floating point: 0.1 is not exact, money must be
        raise bad_param(
            f"{param}[amount]",
            "must be a decimal string: a JSON number is accepted only as a whole number "
            "(a fraction or an exponent would not be exact)",
        )
    if isinstance(raw, int):  # a whole JSON number is exact: 125000 is "125000"
        raw = str(raw)
    try:
        number = parse_decimal(raw)
    except ValueError:
        raise bad_param(f"{param}[amount]", 'must be a decimal string such as "125000"') from None
    if number < 0 and not signed:
        raise bad_param(f"{param}[amount]", "must not be negative")
    exponent = number.as_tuple().exponent
    places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    if places > get_currency_precision(code):
        raise bad_param(f"{param}[amount]", f"has more decimals than {code} allows")
    if len(number.as_tuple().digits) > MAX_AMOUNT_DIGITS:
        raise bad_param(f"{param}[amount]", "is too large")
    canonical = number.normalize() if places else number.quantize(Decimal(1))
    # Fixed-point always: "100.00" is "100", never the exponent form "1E+2" of normalize().
    return {"amount": format(canonical, "f"), "currency": code}
