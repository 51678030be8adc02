"""Simulated card activity for the bank's customers, from the fraud simulator's profiles.

Each demo customer is one customer profile of ``ledgerline.fraud.offline.simulate`` (Le Borgne et
al.'s generator): their usual amount (mean and spread) and the terminals near them. An
ordinary payment draws an amount from that profile at a nearby terminal; a *suspicious* one
is the simulator's scenario 1 — an amount far above anything usual (over 220 in the
handbook's units) — at a terminal far from the customer. Amounts are the handbook's units
converted to Vietnamese đồng and rounded to 1,000 ₫. Also balances, receipts and shipments.

Pure: no I/O; every draw comes from one seeded numpy generator.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from demobank.customers import Customer
from ledgerline.fraud.offline.simulate import SimulationConfig, generate_profiles

VND_PER_UNIT = 25_000  # the simulator's amounts are in dollar-like units
TERMINALS = 2_000

# (name, MCC, city); terminal n is MERCHANTS[n % len(MERCHANTS)].
MERCHANTS: tuple[tuple[str, str, str], ...] = (
    ("Highlands Coffee", "5814", "Hà Nội"),
    ("Circle K", "5411", "Hà Nội"),
    ("Co.opmart", "5411", "TP. Hồ Chí Minh"),
    ("Grab", "4121", "TP. Hồ Chí Minh"),
    ("Phúc Long", "5814", "TP. Hồ Chí Minh"),
    ("Thế Giới Di Động", "5732", "Đà Nẵng"),
    ("Pharmacity", "5912", "Hà Nội"),
    ("Lotte Cinema", "7832", "Đà Nẵng"),
    ("Petrolimex", "5541", "Hà Nội"),
    ("Bách Hoá Xanh", "5411", "TP. Hồ Chí Minh"),
    ("Pizza 4P's", "5812", "Hà Nội"),
    ("Vietnam Airlines", "3026", "TP. Hồ Chí Minh"),
)
# Far-away merchants for the suspicious payments.
FAR_MERCHANTS: tuple[tuple[str, str, str, str], ...] = (
    ("ELECTRO WORLD ONLINE", "5732", "Singapore", "SG"),
    ("LUXE WATCHES", "5944", "Dubai", "AE"),
    ("GIFTCARD-SHOP", "5399", "Lagos", "NG"),
)
SHOPS: tuple[tuple[str, str, int], ...] = (
    ("Tai nghe Bluetooth", "Thế Giới Di Động", 890_000),
    ("Sách “Nhà giả kim”", "Tiki", 79_000),
    ("Áo khoác gió", "Shopee", 350_000),
    ("Bình giữ nhiệt", "Lazada", 245_000),
)
PAYROLL = "Lương / Salary — ACME Việt Nam"
LOW_BALANCE_SHARE = 0.2  # below this share of the opening balance, payday comes
CARRIERS = ("Giao Hàng Nhanh", "Viettel Post", "J&T Express")
SHIPMENT_STEPS = ("label_created", "in_transit", "out_for_delivery", "delivered")


@dataclass(frozen=True, slots=True)
class Payment:
    """One card payment, as the bank shares it (``body``) and remembers it."""

    body: dict[str, Any]
    transaction_id: str
    merchant: str
    amount: int
    suspicious: bool


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _transaction_id() -> str:
    """Random, and never a run of 13+ digits (which Ledgerline would take for a card number)."""
    return "dbtx_" + "-".join(secrets.token_hex(4) for _ in range(3))


def _vnd(value: float) -> int:
    return max(1_000, round(value * VND_PER_UNIT / 1_000) * 1_000)


class CardActivity:
    """Draws payments, balances, receipts and shipments for the demo customers."""

    def __init__(self, customers: int, seed: int = 0) -> None:
        self.profiles = generate_profiles(
            SimulationConfig(customers=max(1, customers), terminals=TERMINALS, seed=seed)
        )
        self.rng = np.random.default_rng(seed)
        self._spent: dict[str, int] = {}
        self._shipments: dict[str, tuple[str, str, str, int]] = {}

    def _terminal_near(self, profile: int) -> int:
        begin = int(self.profiles.available_offsets[profile])
        end = int(self.profiles.available_offsets[profile + 1])
        if end <= begin:
            return int(self.rng.integers(TERMINALS))
        return int(self.profiles.available_terminals[int(self.rng.integers(begin, end))])

    def payment(self, customer: Customer, *, suspicious: bool, now: datetime) -> Payment:
        profile = customer.profile % len(self.profiles.mean_amount)
        mean = float(self.profiles.mean_amount[profile])
        if suspicious:
            units = max(220.0, mean * 5) * float(self.rng.uniform(1.2, 2.0))
            far = FAR_MERCHANTS[int(self.rng.integers(len(FAR_MERCHANTS)))]
            name, mcc, city, country = far
            terminal = f"T-X{int(self.rng.integers(10_000)):04d}"
        else:
            std = float(self.profiles.std_amount[profile])
            units = float(self.rng.normal(mean, std))
            if units <= 0:
                units = float(self.rng.uniform(0, 2 * mean))
            index = self._terminal_near(profile)
            name, mcc, city = MERCHANTS[index % len(MERCHANTS)]
            country = "VN"
            terminal = f"T{index:05d}"
        amount = _vnd(units)
        self._spent[customer.username] = self._spent.get(customer.username, 0) + amount
        transaction_id = _transaction_id()
        body = {
            "transaction_id": transaction_id,
            "account_id": customer.account_id,
            "card_last4": customer.card_last4,
            "amount": {"amount": str(amount), "currency": "VND"},
            "credit_debit": "debit",
            "status": "booked",
            "booked_at": _iso(now),
            "merchant": {"name": name, "category_code": mcc, "city": city, "country": country},
            "terminal_id": terminal,
        }
        return Payment(body, transaction_id, name, amount, suspicious)

    def current(self, customer: Customer) -> int:
        return customer.opening_balance - self._spent.get(customer.username, 0)

    def salary(self, customer: Customer, *, now: datetime) -> Payment:
        """A credit that brings the account back to its opening balance (payday)."""
        amount = max(0, customer.opening_balance - self.current(customer))
        self._spent[customer.username] = self._spent.get(customer.username, 0) - amount
        transaction_id = _transaction_id()
        body = {
            "transaction_id": transaction_id,
            "account_id": customer.account_id,
            "amount": {"amount": str(amount), "currency": "VND"},
            "credit_debit": "credit",
            "status": "booked",
            "booked_at": _iso(now),
            "merchant": {"name": PAYROLL, "country": "VN"},
        }
        return Payment(body, transaction_id, PAYROLL, amount, suspicious=False)

    def balance(self, customer: Customer, *, now: datetime) -> dict[str, Any]:
        current = self.current(customer)
        return {
            "account_id": customer.account_id,
            "account_name": customer.account_name,
            "available": {"amount": str(current), "currency": "VND"},
            "current": {"amount": str(current), "currency": "VND"},
            "as_of": _iso(now),
        }

    def receipt(self, customer: Customer, *, now: datetime) -> dict[str, Any]:
        title, shop, price = SHOPS[int(self.rng.integers(len(SHOPS)))]
        quantity = int(self.rng.integers(1, 3))
        order = f"DH-{int(self.rng.integers(100_000, 999_999))}"
        self._shipments[customer.username] = (
            order,
            CARRIERS[int(self.rng.integers(len(CARRIERS)))],
            f"VN{int(self.rng.integers(10**9, 10**10))}",
            0,
        )
        return {
            "recipient_name": customer.name,
            "order_number": order,
            "currency": "VND",
            "payment_method": f"Visa •••• {customer.card_last4}",
            "merchant_name": shop,
            "timestamp": str(int(now.timestamp())),
            "elements": [{"title": title, "quantity": quantity, "price": price}],
            "summary": {"subtotal": price * quantity, "total_cost": price * quantity},
        }

    def shipment(self, customer: Customer, *, now: datetime) -> dict[str, Any] | None:
        """The next step of the customer's latest order; None when there is none left."""
        current = self._shipments.get(customer.username)
        if current is None:
            return None
        order, carrier, tracking, step = current
        if step >= len(SHIPMENT_STEPS):
            return None
        self._shipments[customer.username] = (order, carrier, tracking, step + 1)
        body: dict[str, Any] = {
            "order_id": order,
            "carrier": carrier,
            "tracking_number": tracking,
            "status": SHIPMENT_STEPS[step],
        }
        if SHIPMENT_STEPS[step] != "delivered":
            body["eta"] = _iso(now + timedelta(days=2))
        return body
