"""Each kind of financial update as the messenger shows it — balance, transaction, low
balance, transaction card with "Not me", receipt, shipment with its tracking button, fraud
alert card with its buttons —
from the bank's POST to what the page renders (the screenshots in docs/updates.md)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.support.axe_check import serious_violations
from tests.support.browser import link_in_browser, screenshot, sign_up
from tests.support.linking import LinkedWorld, linked_world
from tests.support.server import running_platform

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> Iterator[LinkedWorld]:
    with running_platform(database_url, tmp_path) as live, linked_world(live, "Demo Bank") as w:
        yield w


def _open_thread(page: Page, world: LinkedWorld, login: str, *, locale: str) -> str:
    sign_up(page, world.live.url, login, "correct horse battery", locale=locale)
    link_in_browser(page, world.live.url, world.business["page_id"], world.bank.authorize_url)
    page.goto(world.live.url + "/")
    page.get_by_test_id("thread").filter(has_text="Demo Bank").click()
    page.wait_for_function("() => window.ledgerline && window.ledgerline.isLive()")
    return world.psid_of_login(login)


def _post(world: LinkedWorld, path: str, body: dict[str, Any]) -> None:
    answer = world.bank_post(path, body)
    assert answer.status_code == 200, answer.text


def _newest(page: Page, text: str) -> Locator:
    message = page.locator(".msg.page").last
    expect(message).to_contain_text(text)
    message.scroll_into_view_if_needed()
    return message


TRANSACTION = {
    "transaction_id": "t-1001",
    "account_id": "acc-1",
    "card_last4": "1234",
    "amount": {"amount": "125000", "currency": "VND"},
    "credit_debit": "debit",
    "booked_at": "2026-11-29T08:15:00+07:00",
    "merchant": {"name": "Highlands Coffee", "city": "Hà Nội", "country": "VN"},
}


def test_each_update_as_the_messenger_shows_it(world: LinkedWorld, phone: Page) -> None:
    page = phone
    psid = _open_thread(page, world, "an.updates", locale="en")
    # A low-balance threshold for the account (the person's preference, from the page).
    status = page.evaluate(
        """async (pageId) => (await fetch(`/api/v1/links/${pageId}/preferences`, {
            method: 'PUT', headers: {'Content-Type': 'application/json',
            'X-CSRF-Token': document.querySelector('meta[name=csrf-token]').content},
            body: JSON.stringify({low_balance_thresholds:
                {'acc-1': {amount: '500000', currency: 'VND'}}})})).status""",
        world.business["page_id"],
    )
    assert status == 200

    balance = {
        "psid": psid,
        "account_id": "acc-1",
        "account_name": "Everyday account",
        "available": {"amount": "1250000", "currency": "VND"},
        "current": {"amount": "1300000", "currency": "VND"},
        "as_of": "2026-11-29T09:30:00+07:00",
    }
    _post(world, "balances", balance)
    shown = _newest(page, "Balance of Everyday account: ₫1,250,000 available")
    screenshot(shown, "20-update-balance", docs="update-balance")

    _post(world, "transactions", {"psid": psid, "transactions": [TRANSACTION]})
    shown = _newest(
        page, "Card •••• 1234: payment of ₫125,000 at Highlands Coffee on Nov 29, 2026, 8:15"
    )
    screenshot(shown, "21-update-transaction", docs="update-transaction")

    low = {**balance, "available": {"amount": "300000", "currency": "VND"}}
    _post(world, "balances", {**low, "as_of": "2026-11-29T18:00:00+07:00"})
    shown = _newest(page, "Low balance: Everyday account has ₫300,000 available")
    screenshot(shown, "22-update-low-balance", docs="update-low-balance")

    receipt = {
        "psid": psid,
        "recipient_name": "Nguyễn An",
        "order_number": "HD-1001",
        "currency": "VND",
        "payment_method": "Visa •••• 1234",
        "elements": [
            {"title": "Cà phê sữa đá", "quantity": 2, "price": 58000},
            {"title": "Bánh mì", "quantity": 1, "price": 25000},
        ],
        "summary": {"subtotal": 141000, "total_tax": 0, "total_cost": 141000},
    }
    _post(world, "receipts", receipt)
    shown = _newest(page, "HD-1001")
    expect(shown.get_by_test_id("template-receipt")).to_contain_text("Cà phê sữa đá")
    expect(shown.get_by_test_id("template-receipt")).to_contain_text("₫141,000")
    screenshot(shown, "23-update-receipt", docs="update-receipt")

    shipment = {
        "psid": psid,
        "order_id": "ORD-1",
        "carrier": "GHN",
        "tracking_number": "GHN123456",
        "status": "in_transit",
        "eta": "2026-12-01T17:00:00+07:00",
        "url": "https://track.example/GHN123456",
    }
    _post(world, "shipments", shipment)
    shown = _newest(page, "Your order ORD-1 is on its way with GHN")
    track = shown.get_by_role("link", name="Track package")
    expect(track).to_have_attribute("href", "https://track.example/GHN123456")
    screenshot(shown, "24-update-shipment", docs="update-shipment")

    _post(
        world,
        "fraud_alerts",
        {"psid": psid, "transaction_id": "t-1001", "reason": "Unusual country"},
    )
    alert = _newest(page, "Suspicious activity on your account")
    expect(alert).to_contain_text("Reason: Unusual country. Was it you?")
    card = page.locator("#messages").get_by_test_id("alert-card")  # not .last: more will come
    expect(card).to_have_attribute("aria-label", "Fraud alert: ₫125,000 · Highlands Coffee")
    expect(card.get_by_role("button")).to_have_text(["Yes, it was me", "No, it wasn't me"])
    screenshot(page, "25-update-fraud-alert", docs="update-fraud-alert")

    # The answer: the bank gets fraud_alert_response; the person, what happens next.
    card.get_by_role("button", name="No, it wasn't me").click()
    _newest(page, "They will block the card")
    expect(card.get_by_test_id("outcome")).to_contain_text("You answered: No, it wasn't me")
    card.scroll_into_view_if_needed()
    screenshot(page, "26-update-fraud-answered", docs="update-fraud-answered")
    deadline = time.monotonic() + 15
    answers: list[dict[str, Any]] = []
    while not answers:
        answers = [e for e in world.bank.bank.receiver.events() if "fraud_alert_response" in e]
        assert answers or time.monotonic() < deadline, "no fraud_alert_response webhook"
        time.sleep(0.05)
    assert answers[0]["fraud_alert_response"]["verdict"] == "fraud"


def test_a_fraud_alert_in_vietnamese(world: LinkedWorld, phone: Page) -> None:
    page = phone
    psid = _open_thread(page, world, "binh.updates", locale="vi")
    _post(world, "transactions", {"psid": psid, "transactions": [TRANSACTION]})
    _newest(page, "Thẻ •••• 1234: thanh toán 125.000 ₫ tại Highlands Coffee lúc 08:15")
    _post(
        world,
        "fraud_alerts",
        {"psid": psid, "transaction_id": "t-1001", "reason": "Quốc gia bất thường"},
    )
    alert = _newest(page, "Phát hiện giao dịch đáng ngờ").get_by_test_id("alert-card")
    expect(alert.get_by_role("button")).to_have_text(["Đúng, là tôi", "Không phải tôi"])
    expect(page.get_by_test_id("pinned-alert")).to_have_count(1)
    screenshot(page, "27-update-fraud-alert-vi", docs="update-fraud-alert-vi")


def _tx(n: int, minute: int, merchant: str, amount: str, **extra: Any) -> dict[str, Any]:
    return {
        **TRANSACTION,
        "transaction_id": f"t-burst-{n}",
        "amount": {"amount": amount, "currency": "VND"},
        "booked_at": f"2026-12-07T06:{minute:02d}:00+07:00",
        "merchant": {"name": merchant, "city": "Hà Nội", "country": "VN"},
        **extra,
    }


@pytest.mark.parametrize("locale", ["en", "vi"])
def test_updates_are_cards_and_a_burst_of_payments_is_one_group(
    world: LinkedWorld, phone: Page, locale: str
) -> None:
    """Issue 19 part 6: money received, a balance, a delivery and card payments are compact
    cards built from the message's ``update`` (amount first, then merchant or account, then
    card and time), three payments minutes apart are one group, and the bank's own text
    stays a bubble; the same structure comes with the messages from the person API."""
    page = phone
    login = f"burst.{locale}"
    psid = _open_thread(page, world, login, locale=locale)
    english = locale == "en"
    payments = [
        _tx(1, 54, "Highlands Coffee", "2131000"),
        _tx(2, 57, "Circle K", "45000"),
        _tx(3, 59, "Grab", "88000"),
    ]
    _post(world, "transactions", {"psid": psid, "transactions": payments})
    burst = page.get_by_test_id("burst")
    expect(burst).to_have_count(1)
    expect(burst).to_have_text("3 card payments" if english else "3 giao dịch thẻ")
    grouped = page.locator(".msg.in-burst")
    expect(grouped).to_have_count(3)
    expect(grouped.nth(0).get_by_test_id("payment-card")).to_contain_text(
        "₫2,131,000" if english else "2.131.000 ₫"
    )
    expect(grouped.nth(0)).to_contain_text("Highlands Coffee")
    expect(grouped.nth(0)).to_contain_text("•••• 1234")
    expect(grouped.nth(2)).to_contain_text("Grab")
    # One time under the group, not one per payment.
    expect(page.locator(".msg.in-burst time:visible")).to_have_count(1)

    credit = _tx(4, 10, "Lương", "15000000", credit_debit="credit")
    credit["booked_at"] = "2026-12-07T09:10:00+07:00"
    _post(world, "transactions", {"psid": psid, "transactions": [credit]})
    card = page.locator(".msg.page").last.get_by_test_id("update-card")
    expect(card).to_have_attribute("data-kind", "credit")
    expect(card.locator(".pay-amount")).to_have_text("+₫15,000,000" if english else "+15.000.000 ₫")
    expect(card.locator(".pay-head")).to_have_text("Money received" if english else "Nhận tiền")

    _post(
        world,
        "balances",
        {
            "psid": psid,
            "account_id": "acc-1",
            "account_name": "Everyday account",
            "available": {"amount": "1250000", "currency": "VND"},
            "current": {"amount": "1300000", "currency": "VND"},
            "as_of": "2026-12-07T09:30:00+07:00",
        },
    )
    card = page.locator(".msg.page").last.get_by_test_id("update-card")
    expect(card).to_have_attribute("data-kind", "balance")
    expect(card.locator(".pay-amount")).to_have_text("₫1,250,000" if english else "1.250.000 ₫")
    expect(card.locator(".pay-merchant")).to_have_text("Everyday account")

    _post(
        world,
        "shipments",
        {
            "psid": psid,
            "order_id": "ORD-7",
            "carrier": "GHN",
            "tracking_number": "GHN7",
            "status": "out_for_delivery",
            "url": "https://track.example/GHN7",
        },
    )
    card = page.locator(".msg.page").last.get_by_test_id("update-card")
    expect(card).to_have_attribute("data-kind", "shipment")
    expect(card.locator(".pay-amount")).to_have_text("Out for delivery" if english else "Đang giao")
    expect(card.locator(".pay-merchant")).to_have_text(
        "Order ORD-7 · GHN" if english else "Đơn hàng ORD-7 · GHN"
    )
    expect(card.get_by_role("link")).to_have_attribute("href", "https://track.example/GHN7")

    # The bank's own words stay a bubble.
    with world.live.client() as http:
        said = http.post(
            "/v2.6/me/messages",
            params={"access_token": world.business["page_access_token"]},
            json={
                "recipient": {"id": psid},
                "messaging_type": "MESSAGE_TAG",
                "tag": "ACCOUNT_UPDATE",
                "message": {"text": "Cảm ơn bạn!"},
            },
        )
    assert said.status_code == 200, said.text
    bank_text = page.locator(".msg.page").last
    expect(bank_text).to_have_text(re.compile("Cảm ơn bạn!"))
    expect(bank_text.get_by_test_id("update-card")).to_have_count(0)
    page.locator("#messages").evaluate("box => { box.scrollTop = 0; }")
    screenshot(page, f"28-updates-as-cards-{locale}", docs=f"update-cards-{locale}")
    assert serious_violations(page) == []

    # The structure travels with the messages: any client of the person API gets it.
    found = page.evaluate(
        """async (pageId) => (await (await fetch(`/api/v1/threads/${pageId}/messages`)).json())
            .data.map((m) => m.update || (m.attachment && m.attachment.payload
                && m.attachment.payload.summary) || null).filter(Boolean)""",
        world.business["page_id"],
    )
    kinds = [u["kind"] for u in found]
    assert kinds == ["payment", "payment", "payment", "credit", "balance", "shipment"], kinds
    assert found[0]["merchant"] == "Highlands Coffee"
    assert found[0]["card"] == "•••• 1234"
    assert found[5]["status"] == "out_for_delivery"
