"""Financial updates in chat, end to end: the bank's POST → a message from the page on the
person's WebSocket, in their language; duplicates, order, fraud-alert answers reaching the
bank's real webhook receiver, encryption of the stored bodies, erasure on unlink, preferences."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from websockets.sync.client import connect

from ledgerline.storage.tables import messages
from tests.support.linking import LinkedWorld, linked_world
from tests.support.messages import answer_button, buttons_of, press, summary_of, text_of
from tests.support.server import running_platform

MERCHANT = "Highlands Coffee Tràng Tiền"
ALL = ["balances", "transactions", "receipts", "shipments", "fraud_alerts"]


def tx(transaction_id: str, amount: str = "125000", **extra: Any) -> dict[str, Any]:
    return {
        "transaction_id": transaction_id,
        "account_id": "acc-1",
        "card_last4": "1234",
        "amount": {"amount": amount, "currency": "VND"},
        "credit_debit": "debit",
        "status": "booked",
        "booked_at": "2026-11-29T08:15:00+07:00",
        "merchant": {"name": MERCHANT, "category_code": "5814", "city": "Hà Nội", "country": "VN"},
        **extra,
    }


@dataclass
class Person:
    world: LinkedWorld
    user: dict[str, str]
    psid: str

    @property
    def page_id(self) -> str:
        return self.world.business["page_id"]

    def bank(self, path: str, body: dict[str, Any]) -> httpx.Response:
        with self.world.live.client() as http:
            return http.post(
                f"/v19.0/me/{path}",
                json={"psid": self.psid, **body},
                headers={"Authorization": f"Bearer {self.world.business['page_access_token']}"},
            )

    def api(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        with self.world.live.client() as http:
            return http.request(
                method,
                f"/api/v1{path}",
                headers={"Authorization": f"Bearer {self.user['access_token']}"},
                **kwargs,
            )

    def ws(self) -> Any:
        url = self.world.live.url.replace("http", "ws")
        return connect(f"{url}/api/v1/stream?access_token={self.user['access_token']}")

    def messages(self) -> list[dict[str, Any]]:
        answer = self.api("GET", f"/threads/{self.page_id}/messages", params={"limit": 200})
        assert answer.status_code == 200, answer.text
        data: list[dict[str, Any]] = answer.json()["data"]
        return data


def next_message(ws: Any) -> dict[str, Any]:
    while True:
        frame: dict[str, Any] = json.loads(ws.recv(timeout=10))
        if frame["type"] == "message":
            message: dict[str, Any] = frame["message"]
            return message


def no_more_messages(ws: Any) -> None:
    try:
        while True:
            frame = json.loads(ws.recv(timeout=0.5))
            assert frame["type"] != "message", frame
    except TimeoutError:
        return


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> Iterator[LinkedWorld]:
    with running_platform(database_url, tmp_path) as live, linked_world(live) as linked:
        yield linked


def person(world: LinkedWorld, locale: str = "vi", scopes: list[str] | None = None) -> Person:
    user = world.live.create_user(locale=locale, timezone="Asia/Ho_Chi_Minh")
    return Person(world, user, world.link(user, scopes or ALL))


@pytest.mark.parametrize(
    ("locale", "amount", "text"),
    [
        ("vi", "125.000\xa0₫", "Thẻ •••• 1234: thanh toán"),
        ("en", "₫125,000", "Card •••• 1234: payment of"),
    ],
)
def test_a_transaction_arrives_live_once_in_the_persons_language(
    world: LinkedWorld, locale: str, amount: str, text: str
) -> None:
    p = person(world, locale)
    with p.ws() as ws:
        assert p.bank("transactions", {"transactions": [tx("t1")]}).json()["accepted"] == 1
        first = next_message(ws)
        assert first["from"] == "page"
        first_text = text_of(first)
        assert text in first_text
        assert amount in first_text
        assert MERCHANT in first_text
        assert ("08:15" if locale == "vi" else "8:15") in first_text  # the person's timezone
        # A payment card: amount and merchant first, and "Not me" on it.
        assert summary_of(first)["amount"] == amount
        assert summary_of(first)["merchant"] == MERCHANT
        (not_me,) = buttons_of(first)
        assert not_me["title"] == ("Không phải tôi" if locale == "vi" else "Not me")
        assert not_me["payload"] == f"LEDGERLINE_NOT_ME:{first['mid']}:t1"
        repeated = p.bank("transactions", {"transactions": [tx("t1")]}).json()
        assert repeated == {"accepted": 0, "duplicates": 1, "alerts": []}
        no_more_messages(ws)
        p.bank("transactions", {"transactions": [tx("t2", "50000"), tx("t3", "70000")]})
        second, third = text_of(next_message(ws)), text_of(next_message(ws))
        assert "50" in second
        assert "70" in third
    page_texts = [text_of(m) for m in p.messages() if m["from"] == "page"]
    assert page_texts[-3:] == [first_text, second, third]  # in order, decrypted
    assert sum(1 for t in page_texts if t and "125" in t) == 1


def test_balance_receipt_and_shipment_with_tracking_button(world: LinkedWorld) -> None:
    p = person(world, "vi")
    with p.ws() as ws:
        balance = {
            "account_id": "acc-1",
            "account_name": "Thanh toán",
            "available": {"amount": "1250000", "currency": "VND"},
            "current": {"amount": "1300000", "currency": "VND"},
            "as_of": "2026-11-29T09:30:00+07:00",
        }
        assert p.bank("balances", balance).status_code == 200
        text = next_message(ws)["text"]
        assert "Số dư Thanh toán" in text
        assert "1.250.000\xa0₫" in text
        receipt = {
            "recipient_name": "An",
            "order_number": "ORD-1",
            "currency": "VND",
            "payment_method": "Visa •••• 1234",
            "elements": [{"title": "Cà phê", "price": 125000, "quantity": 1}],
            "summary": {"total_cost": 125000},
        }
        assert p.bank("receipts", receipt).status_code == 200, p.bank("receipts", receipt).text
        got = next_message(ws)["attachment"]["payload"]
        assert got["template_type"] == "receipt"
        assert got["order_number"] == "ORD-1"
        shipment = {
            "order_id": "ORD-1",
            "carrier": "GHN",
            "tracking_number": "GHN123",
            "status": "in_transit",
            "url": "https://track.example/GHN123",
        }
        assert p.bank("shipments", shipment).status_code == 200
        button = next_message(ws)["attachment"]["payload"]
        assert button["template_type"] == "button"
        assert "ORD-1" in button["text"]
        assert "GHN" in button["text"]
        assert button["buttons"][0]["url"] == "https://track.example/GHN123"
        assert button["buttons"][0]["title"] == "Theo dõi đơn hàng"
        assert (
            p.bank("shipments", {**shipment, "url": None, "status": "delivered"}).status_code == 200
        )
        assert "đã được GHN giao" in next_message(ws)["text"]


def test_low_balance_and_preferences(world: LinkedWorld) -> None:
    p = person(world, "en")
    prefs = p.api(
        "PUT",
        f"/links/{p.page_id}/preferences",
        json={
            "categories": {"balances": False},
            "min_transaction_amount": {"amount": "100000", "currency": "VND"},
            "low_balance_thresholds": {"acc-1": {"amount": "500000", "currency": "VND"}},
        },
    )
    assert prefs.status_code == 200, prefs.text
    assert p.api("GET", f"/links/{p.page_id}/preferences").json()["categories"]["balances"] is False
    with p.ws() as ws:
        p.bank("transactions", {"transactions": [tx("small", "20000"), tx("big", "250000")]})
        assert "₫250,000" in text_of(next_message(ws))
        low = {
            "account_id": "acc-1",
            "available": {"amount": "300000", "currency": "VND"},
            "current": {"amount": "300000", "currency": "VND"},
            "as_of": "2026-11-29T09:30:00Z",
        }
        p.bank("balances", low)
        text = next_message(ws)["text"]
        assert text.startswith("Low balance: acc-1 has ₫300,000")
        assert "₫500,000" in text
        no_more_messages(ws)
    bad = p.api("PUT", f"/links/{p.page_id}/preferences", json={"categories": {"fraud": False}})
    assert bad.status_code == 400


def test_fraud_alert_answer_reaches_the_bank_and_is_confirmed(world: LinkedWorld) -> None:
    p = person(world, "vi")
    receiver = world.bank.bank.receiver
    with p.ws() as ws:
        p.bank("transactions", {"transactions": [tx("t9")]})
        next_message(ws)
        assert (
            p.bank(
                "fraud_alerts", {"transaction_id": "t9", "reason": "Unusual country"}
            ).status_code
            == 200
        )
        alert = next_message(ws)
        assert "125.000\xa0₫" in text_of(alert)
        assert "Unusual country" in text_of(alert)
        assert summary_of(alert)["kind"] == "fraud_alert"
        assert alert["state"]["status"] == "open"
        titles = [b["title"] for b in buttons_of(alert)]
        assert titles == ["Đúng, là tôi", "Không phải tôi"]
        no = answer_button(alert, "fraud")
        answer = p.api("POST", f"/threads/{p.page_id}/messages", json=press(no))
        assert answer.status_code == 201, answer.text
        assert next_message(ws)["from"] == "user"
        confirmation = next_message(ws)
        assert "khóa thẻ" in confirmation["text"]
    # The alert now shows the answer and what follows from it.
    shown = next(m for m in p.messages() if m["mid"] == alert["mid"])
    assert shown["state"]["status"] == "answered"
    assert shown["state"]["answer"] == "Không phải tôi"
    assert shown["state"]["verdict"] == "fraud"
    assert "khóa thẻ" in shown["state"]["note"]
    world.live.wait_until_webhooks_sent()
    answers = [e for e in receiver.events() if "fraud_alert_response" in e]
    assert len(answers) == 1
    response = answers[0]["fraud_alert_response"]
    assert response["transaction_id"] == "t9"
    assert response["verdict"] == "fraud"
    assert response["alert_id"].startswith("fa_")
    assert answers[0]["sender"]["id"] == p.psid
    assert not any(
        e.get("postback") for e in receiver.events()
    )  # the answer is not also sent as a plain postback


def test_bodies_are_encrypted_at_rest_and_erased_on_unlink(world: LinkedWorld) -> None:
    p = person(world, "en")
    p.bank("transactions", {"transactions": [tx("t1", "987654")]})
    assert "₫987,654" in text_of(p.messages()[-1])
    threads = p.api("GET", "/threads").json()["data"]
    assert "₫987,654" in text_of(threads[0]["last_message"])  # the thread list decrypts too
    exported = p.api("GET", "/me/export").json()
    assert "₫987,654" in text_of(exported["threads"][0]["messages"][-1])
    assert {r["kind"] for r in exported["financial_records"]} == {"transaction"}

    def all_bodies(conn: sa.Connection) -> list[str]:
        return [str(b) for b in conn.execute(sa.select(messages.c.body)).scalars()]

    bodies = world.live.platform.db.read_sync(all_bodies)
    assert bodies
    assert not any("987" in b or "Highlands" in b for b in bodies)
    assert any('"vault":true' in b for b in bodies)
    with world.live.client() as http:
        unlinked = http.post(
            "/v19.0/me/unlink_accounts",
            json={"psid": p.psid},
            headers={"Authorization": f"Bearer {world.business['page_access_token']}"},
        )
    assert unlinked.status_code == 200, unlinked.text
    texts = [text_of(m) for m in p.messages()]
    assert "This update was erased when you unlinked Ngân hàng Demo." in texts
    # Marked as the platform's word, so an app folds a run of them into one line.
    notices = [m.get("notice") for m in p.messages()]
    assert {"kind": "erased", "reason": "unlinked"} in notices
    assert not any("987" in (t or "") for t in texts)


def test_a_scored_alert_from_the_fraud_engine_is_asked_once_and_answered_once(
    world: LinkedWorld,
) -> None:
    from ledgerline.domain.clock import to_ms
    from ledgerline.fraud.online.alerts import raise_fraud_alert
    from ledgerline.storage.database import UnitOfWork
    from ledgerline.storage.stores.updates import AlertRow

    p = person(world, "en")
    platform = world.live.platform
    receiver = world.bank.bank.receiver

    def raise_alert(uow: UnitOfWork) -> AlertRow:
        return raise_fraud_alert(
            uow,
            access=platform.vault.access(uow, page_id=p.page_id, user_id=p.user["user_id"]),
            transaction_id="s1",
            score=0.97,
            now=to_ms(platform.clock.now()),
        )

    with p.ws() as ws:
        p.bank("transactions", {"transactions": [tx("s1")]})
        next_message(ws)
        alerts = [platform.db.write_sync(raise_alert) for _ in range(2)]
        assert alerts[0].alert_id == alerts[1].alert_id  # one alert per transaction
        assert alerts[0].source == "score"
        assert alerts[0].score == pytest.approx(0.97)
        alert = next_message(ws)
        assert "₫125,000" in text_of(alert)
        no_more_messages(ws)
        yes = answer_button(alert, "genuine")
        assert yes["title"] == "Yes, it was me"
        for _ in range(2):
            p.api("POST", f"/threads/{p.page_id}/messages", json=press(yes))
        texts = [text_of(next_message(ws)) for _ in range(4)]
        assert (
            texts[1]
            == "Thank you. We told Ngân hàng Demo the payment was yours; nothing else is needed."
        )
        assert texts[3] == "You have already answered this alert."
    world.live.wait_until_webhooks_sent()
    answers = [e for e in receiver.events() if "fraud_alert_response" in e]
    assert [a["fraud_alert_response"] for a in answers] == [
        {"alert_id": alerts[0].alert_id, "transaction_id": "s1", "verdict": "genuine"}
    ]


def test_fraud_alerts_need_their_scope(world: LinkedWorld) -> None:
    p = person(world, "en", scopes=["transactions"])
    answer = p.bank("fraud_alerts", {"transaction_id": "x", "reason": "r"})
    assert answer.status_code == 403
