"""Card transactions as a bank sends them, and a linked person who receives them: the
helpers of the online fraud-scoring tests (integration and browser)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import httpx

from tests.support.linking import LinkedWorld
from tests.support.server import RunningPlatform

ALL = ["balances", "transactions", "receipts", "shipments", "fraud_alerts"]
START = dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.UTC)


def tx(transaction_id: str, amount: str, when: dt.datetime, **extra: Any) -> dict[str, Any]:
    return {
        "transaction_id": transaction_id,
        "account_id": "acc-1",
        "card_last4": "1234",
        "amount": {"amount": amount, "currency": "VND"},
        "credit_debit": "debit",
        "status": "booked",
        "booked_at": when.isoformat(),
        "merchant": {"name": "Circle K", "category_code": "5411", "city": "Hà Nội"},
        "terminal_id": "term-1",
        **extra,
    }


def history(n: int, prefix: str = "h") -> list[dict[str, Any]]:
    """``n`` ordinary payments (100,000–150,000 ₫), one a day from ``START``."""
    return [
        tx(f"{prefix}{i}", str(100_000 + 25_000 * (i % 3)), START + dt.timedelta(days=i))
        for i in range(n)
    ]


@dataclass
class Person:
    live: RunningPlatform
    business: dict[str, str]
    user: dict[str, str]
    psid: str

    @property
    def page_id(self) -> str:
        return self.business["page_id"]

    def send(self, items: list[dict[str, Any]]) -> dict[str, Any]:
        with self.live.client() as http:
            answer = http.post(
                "/v19.0/me/transactions",
                json={"psid": self.psid, "transactions": items},
                headers={"Authorization": f"Bearer {self.business['page_access_token']}"},
            )
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body

    def api(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        with self.live.client() as http:
            return http.request(
                method,
                f"/api/v1{path}",
                headers={"Authorization": f"Bearer {self.user['access_token']}"},
                **kwargs,
            )

    def messages(self) -> list[dict[str, Any]]:
        data: list[dict[str, Any]] = self.api(
            "GET", f"/threads/{self.page_id}/messages", params={"limit": 200}
        ).json()["data"]
        return data


def person(world: LinkedWorld, scopes: list[str] | None = None, locale: str = "en") -> Person:
    user = world.live.create_user(locale=locale)
    return Person(world.live, world.business, user, world.link(user, scopes or ALL))
