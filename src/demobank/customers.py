"""The bank's customers: the three demo customers (their passwords printed on the sign-in
page), and the accounts people open on the bank's own pages (``open_account``) — a person new
to the demo bank becomes a customer with an account and a card, and links as themselves."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Callable
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
    password_hash: str = ""  # an opened account's (scrypt); the demo customers' is ""

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


def authenticate(
    username: str, password: str, opened: Callable[[str], Customer | None] = lambda _: None
) -> Customer | None:
    """The customer these credentials belong to (a demo customer or an opened account); the
    comparison takes the same time whether the username exists or not."""
    name = username.strip().casefold()
    found = _BY_USERNAME.get(name) or opened(name)
    if found is not None and found.password_hash:
        return found if _password_matches(found.password_hash, password) else None
    expected = found.password if found is not None else "\0unknown\0"
    matches = hmac.compare_digest(
        hashlib.sha256(expected.encode()).digest(), hashlib.sha256(password.encode()).digest()
    )
    return found if matches and found is not None else None


USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{2,31}")
MIN_PASSWORD = 8
MAX_PASSWORD = 128
MAX_NAME = 80
WELCOME_DEPOSIT = 5_000_000  # VND: what a new account starts with in the demo
ACCOUNT_NAMES = {"vi": "Tài khoản thanh toán", "en": "Current account"}
_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}


class AccountRefused(ValueError):
    """Why an account cannot be opened: a key of the bank's texts."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _hash_password(password: str, salt: bytes) -> str:
    digest = hashlib.scrypt(password.encode(), salt=salt, **_SCRYPT)
    return f"scrypt${salt.hex()}${digest.hex()}"


def _password_matches(stored: str, password: str) -> bool:
    _, salt, _ = stored.split("$")
    return hmac.compare_digest(_hash_password(password, bytes.fromhex(salt)), stored)


def open_account(
    *, name: str, username: str, password: str, locale: str, taken: Callable[[str], bool]
) -> Customer:
    """A new customer with an account (the welcome deposit) and a debit card; the password
    kept as a salted scrypt hash. ``taken``: whether an opened account has that username."""
    name = " ".join(name.split())
    username = username.strip().casefold()
    if not name or len(name) > MAX_NAME:
        raise AccountRefused("open_bad_name")
    if not USERNAME.fullmatch(username):
        raise AccountRefused("open_bad_username")
    if username in _BY_USERNAME or taken(username):
        raise AccountRefused("open_username_taken")
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise AccountRefused("open_bad_password")
    locale = locale if locale in ACCOUNT_NAMES else "vi"
    digits = f"{secrets.randbelow(10**8):08d}"
    return Customer(
        username=username,
        password="",
        name=name,
        locale=locale,
        account_id=f"DB-{digits[:4]}-{digits[4:]}",
        account_name=ACCOUNT_NAMES[locale],
        card_last4=f"{secrets.randbelow(10**4):04d}",
        opening_balance=WELCOME_DEPOSIT,
        profile=len(CUSTOMERS) + secrets.randbelow(len(CUSTOMERS)),
        password_hash=_hash_password(password, secrets.token_bytes(16)),
    )
