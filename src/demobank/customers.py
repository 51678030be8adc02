"""The bank's demo customers: who can sign in on the linking page, and their accounts."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Customer:
    username: str
    password: str  # a demo bank: the passwords are printed on its sign-in page
    name: str
    locale: str  # "vi" or "en": the language the bank writes to them in
    account_id: str
    account_name: str
    card_last4: str
    opening_balance: int  # VND
    profile: int  # index into the simulator's customer profiles

    @property
    def short_name(self) -> str:
        """How the bank greets them: the given name (last in Vietnamese, first in English)."""
        parts = self.name.split()
        return parts[-1] if self.locale == "vi" else parts[0]


CUSTOMERS: tuple[Customer, ...] = (
    Customer(
        username="an.nguyen",
        password="demo-1234",  # noqa: S106 - printed on the sign-in page
        name="Nguyễn Văn An",
        locale="vi",
        account_id="DB-0012-3456",
        account_name="Tài khoản thanh toán",
        card_last4="1234",
        opening_balance=25_400_000,
        profile=0,
    ),
    Customer(
        username="binh.tran",
        password="demo-5678",  # noqa: S106 - printed on the sign-in page
        name="Trần Thị Bình",
        locale="vi",
        account_id="DB-0098-7654",
        account_name="Tài khoản thanh toán",
        card_last4="5678",
        opening_balance=8_750_000,
        profile=1,
    ),
    Customer(
        username="claire.martin",
        password="demo-4321",  # noqa: S106 - printed on the sign-in page
        name="Claire Martin",
        locale="en",
        account_id="DB-0055-1200",
        account_name="Current account",
        card_last4="4321",
        opening_balance=61_000_000,
        profile=2,
    ),
)

_BY_USERNAME = {c.username: c for c in CUSTOMERS}


def customer(username: str) -> Customer | None:
    return _BY_USERNAME.get(username)


def authenticate(username: str, password: str) -> Customer | None:
    """The customer these credentials belong to; the comparison takes the same time
    whether the username exists or not."""
    found = _BY_USERNAME.get(username.strip().casefold())
    expected = found.password if found is not None else "\0unknown\0"
    matches = hmac.compare_digest(
        hashlib.sha256(expected.encode()).digest(), hashlib.sha256(password.encode()).digest()
    )
    return found if matches and found is not None else None
