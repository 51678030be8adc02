"""The demo bank with Ledgerline's built-in assistant on, both on loopback, over HTTP only:
the back office switches the assistant on, a linked customer asks the assistant to freeze a
card (or reports it lost, disputes a payment, asks for a branch), the bank receives the
request as a postback with the thread, acts, answers in the thread and passes the thread
back to the assistant, which answers the next question."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from ledgerline.chat.ownership import ASSISTANT_APP_ID
from tests.support.demo import RunningDemo, link_through_bank, running_demo
from tests.support.server import RunningPlatform, running_platform

pytestmark = pytest.mark.slow  # end to end: real processes or sockets

SCOPES = ["balances", "transactions", "customer_service"]


@pytest.fixture
def live(database_url: str, tmp_path: Path) -> Iterator[RunningPlatform]:
    with running_platform(database_url, tmp_path) as running:
        yield running


@pytest.fixture
def demo(live: RunningPlatform, tmp_path: Path) -> Iterator[RunningDemo]:
    with running_demo(live, state_path=tmp_path / "bank-state.json") as running:
        running.switch_assistant(True)  # the back office's button: POST /me/assistant
        yield running


@dataclass
class Customer:
    demo: RunningDemo
    user: dict[str, str]
    psid: str

    def _post(self, body: dict[str, Any]) -> None:
        with self.demo.live.client() as http:
            answer = http.post(
                f"/api/v1/threads/{self.demo.page_id}/messages",
                json=body,
                headers={"Authorization": f"Bearer {self.user['access_token']}"},
            )
        assert answer.status_code == 201, answer.text

    def says(self, text: str) -> None:
        self._post({"text": text})

    def confirms(self) -> None:
        """Taps the assistant's "Yes"."""
        yes = self.thread()[-1]["quick_replies"][0]
        self._post({"quick_reply": {"title": yes["title"], "payload": yes["payload"]}})

    def thread(self) -> list[dict[str, Any]]:
        with self.demo.live.client() as http:
            answer = http.get(
                f"/api/v1/threads/{self.demo.page_id}/messages",
                params={"limit": 200},
                headers={"Authorization": f"Bearer {self.user['access_token']}"},
            )
        assert answer.status_code == 200, answer.text
        data: list[dict[str, Any]] = answer.json()["data"]
        return data

    def owner(self) -> str:
        answer = httpx.get(
            f"{self.demo.live.url}/v2.6/me/thread_owner",
            params={
                "recipient": self.psid,
                "access_token": self.demo.business["page_access_token"],
            },
        )
        assert answer.status_code == 200, answer.text
        return str(answer.json()["data"][0]["thread_owner"]["app_id"])

    def wait_for(self, part: str) -> dict[str, Any]:
        """The page's message containing ``part`` (waits for it)."""
        found = _until(
            lambda: next(
                (m for m in self.thread() if m["from"] == "page" and part in (m.get("text") or "")),
                None,
            ),
            lambda: f"no {part!r} in " + json.dumps(self.thread(), ensure_ascii=False),
        )
        assert isinstance(found, dict)
        return found

    def back_with_the_assistant(self) -> None:
        _until(lambda: self.owner() == ASSISTANT_APP_ID, lambda: f"owner {self.owner()}")


def _until(value: Callable[[], Any], what: Callable[[], str], timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        found = value()
        if found:
            return found
        assert time.monotonic() < deadline, what()
        time.sleep(0.05)


def _customer(demo: RunningDemo, username: str, password: str, locale: str) -> Customer:
    user = demo.live.create_user(name=username, locale=locale)
    psid = link_through_bank(demo, user, SCOPES, username=username, password=password)
    return Customer(demo, user, psid)


def test_a_card_frozen_through_the_assistant_then_the_assistant_answers_again(
    demo: RunningDemo,
) -> None:
    an = _customer(demo, "an.nguyen", "demo-1234", "vi")
    # The bank's welcome still reaches An although the assistant owns the thread (the bank
    # takes the thread for it and gives it back), and the bank shared the balance.
    an.wait_for("Đã liên kết tài khoản DB-0012-3456")
    an.back_with_the_assistant()

    an.says("khóa thẻ đuôi 1234 giúp tôi")
    assert an.thread()[-1]["quick_replies"][0]["title"] == "Có"
    an.confirms()
    an.wait_for("Ngân hàng Demo: thẻ •••• 1234 đã được tạm khóa.")
    assert demo.bank.state.is_frozen("1234")
    an.back_with_the_assistant()

    an.says("số dư của tôi")
    balance = an.thread()[-1]  # the assistant answers at once, from what the bank shared
    assert balance["from"] == "page"
    assert "khả dụng 25.400.000\xa0₫" in balance["text"], balance

    an.says("mở khóa thẻ đuôi 1234")
    an.confirms()
    an.wait_for("Ngân hàng Demo: thẻ •••• 1234 đã được mở khóa")
    assert not demo.bank.state.is_frozen("1234")
    an.back_with_the_assistant()

    an.says("cây ATM gần nhất ở Đà Nẵng ở đâu")
    branch = an.wait_for("10 Bạch Đằng, Hải Châu, Đà Nẵng")
    assert "25 Lý Thái Tổ" not in branch["text"]  # only the city asked about
    an.back_with_the_assistant()


def test_a_lost_card_and_a_dispute_in_english(demo: RunningDemo) -> None:
    claire = _customer(demo, "claire.martin", "demo-4321", "en")
    claire.wait_for("Your account DB-0055-1200 is linked")
    claire.back_with_the_assistant()

    claire.says("I lost my card")
    claire.confirms()
    claire.wait_for("Demo Bank: card •••• 4321 is blocked so nobody can use it. A new card")
    assert demo.bank.state.is_frozen("4321")
    claire.back_with_the_assistant()

    claire.says("I want to dispute a payment")
    claire.confirms()
    opened = claire.wait_for("Demo Bank has opened your dispute, case number DB-")
    assert re.search(r"case number DB-\d{6}\.", opened["text"]), opened
    claire.back_with_the_assistant()

    claire.says("what's my balance?")
    assert "₫61,000,000 available" in claire.thread()[-1]["text"]


def test_the_back_office_switches_the_assistant_off(demo: RunningDemo) -> None:
    an = _customer(demo, "an.nguyen", "demo-1234", "vi")
    an.back_with_the_assistant()
    demo.switch_assistant(False)
    assert an.owner() == demo.business["app_id"]
    an.says("Xin chào")  # the bank's own bot answers again
    an.wait_for("Chào An! Bạn cần gì hôm nay?")
    with httpx.Client(base_url=demo.url, timeout=10) as http:
        office = http.get("/", params={"lang": "en"}).text
    assert "off: the bank&#39;s bot answers customers" in office
