"""The whole demo in a real browser, wired as ``ledgerline demo`` wires it: the platform and
the demo bank on loopback ports, the bank talking to the platform only over HTTP.

A person signs up, finds Demo Bank, links with one scope unticked on the consent screen,
signs in at the bank, sees a card payment arrive live, answers the fraud alert pinned above
the thread "No, it wasn't me" and gets the bank's reply, then in the privacy centre narrows what the bank may share
(and the bank's bot feels it), downloads the data and unlinks — each step asserted on what
the page shows.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from ledgerline.cli.demo_setup import DEMO_PASSWORD, ensure_demo_people
from tests.support.browser import exported_data, screenshot
from tests.support.demo import RunningDemo, running_demo
from tests.support.server import RunningPlatform, running_platform

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def live(database_url: str, tmp_path: Path) -> Iterator[RunningPlatform]:
    with running_platform(database_url, tmp_path) as running:
        yield running


@pytest.fixture
def demo(live: RunningPlatform) -> Iterator[RunningDemo]:
    with running_demo(live) as running:
        yield running


def _linked_psid(demo: RunningDemo, username: str) -> str:
    deadline = time.monotonic() + 20
    while True:
        for link in demo.bank.state.linked():
            if link.username == username:
                return link.psid
        assert time.monotonic() < deadline, "the bank never learnt of the link"
        time.sleep(0.05)


def test_the_demo_journey_from_sign_up_to_unlink(
    live: RunningPlatform, demo: RunningDemo, phone: Page
) -> None:
    page = phone

    # Sign up.
    page.goto(live.url + "/signup?lang=en")
    page.get_by_label("Your name").fill("Claire Martin")
    page.get_by_label("Username, email or phone").fill("claire.m")
    page.get_by_label("Password").fill("correct horse battery")
    page.locator("select[name=locale]").select_option("en")
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url(live.url + "/")
    expect(page.get_by_text("No conversations yet")).to_be_visible()

    # Find Demo Bank and say hello: the bank's bot invites the person to link.
    page.get_by_placeholder("Search banks and businesses").fill("demo bank")
    result = page.get_by_test_id("business")
    expect(result).to_have_count(1)
    expect(result).to_contain_text("Demo Bank")
    result.click()
    expect(page.locator("#thread-title")).to_have_text("Demo Bank")
    page.wait_for_function("() => window.ledgerline && window.ledgerline.isLive()")
    page.get_by_placeholder("Write a message…").fill("Hello")
    page.get_by_role("button", name="Send").click()
    invitation = page.get_by_test_id("template-button")
    expect(invitation).to_contain_text("Hello! This is Demo Bank.")
    link = invitation.get_by_test_id("account-link")
    expect(link).to_have_text("Link account")
    screenshot(page, "demo-01-invitation", docs="demo-invitation")

    # The consent screen: untick Shipments, continue to the bank.
    link.click()
    page.wait_for_url(re.compile(r"/account_linking/consent\?"))
    expect(page.get_by_role("heading", name="Link your account at Demo Bank")).to_be_visible()
    boxes = page.locator("input[name=scopes]")
    shipments = page.locator("input[name=scopes][value=shipments]")
    expect(shipments).to_be_checked()
    shipments.uncheck()
    expect(shipments).not_to_be_checked()
    checked = list(boxes.evaluate_all("bs => bs.filter(b => b.checked).map(b => b.value)"))
    assert "shipments" not in checked
    # Only what Demo Bank asked for started ticked: customer service is the person's call.
    assert set(checked) == {"balances", "transactions", "receipts", "fraud_alerts"}
    # Each scope in one line; fraud alerts recommended, and still the person's to untick.
    expect(page.locator("[data-recommended]")).to_have_text(["Recommended"])
    expect(page.locator("[data-line=fraud_alerts]")).to_contain_text("protects your money")
    fraud = page.locator("input[name=scopes][value=fraud_alerts]")
    fraud.uncheck()
    expect(fraud).not_to_be_checked()
    fraud.check()
    screenshot(page, "demo-02-consent", docs="demo-consent")
    page.get_by_role("button", name="Continue to Demo Bank").click()

    # The bank's own sign-in page.
    page.wait_for_url(re.compile(re.escape(demo.link_url) + r"\?"))
    expect(page.get_by_role("heading", name="Sign in to link your account")).to_be_visible()
    expect(page.get_by_test_id("demo-customers")).to_contain_text("claire.martin")
    page.get_by_label("Username").fill("claire.martin")
    screenshot(page, "demo-03-bank-sign-in", docs="demo-bank-sign-in")
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Sign in and link").click()
    expect(page.get_by_test_id("bank-error")).to_have_text("Wrong username or password.")
    screenshot(page, "demo-03b-bank-wrong-password")
    page.get_by_label("Password").fill("demo-4321")
    page.get_by_role("button", name="Sign in and link").click()

    # Back on Ledgerline: linked.
    expect(page.locator("[data-outcome]")).to_have_attribute("data-outcome", "linked")
    expect(page.locator("body")).to_contain_text("You linked your account at Demo Bank.")
    psid = _linked_psid(demo, "claire.martin")

    # Back to the chat from the result page: the bank's welcome and the balance it shared,
    # then a card payment live.
    page.get_by_role("link", name="Back to the chat with Demo Bank").click()
    # The address keeps the open chat (a reload stays in it).
    page.wait_for_url(f"{live.url}/?thread={demo.page_id}")
    expect(page.locator("#thread-title")).to_have_text("Demo Bank")
    page.wait_for_function("() => window.ledgerline && window.ledgerline.isLive()")
    messages = page.locator(".msg.page")
    expect(messages.filter(has_text="Your account DB-0055-1200 is linked")).to_have_count(1)
    expect(messages.filter(has_text="(sharing: ")).to_contain_text("Transactions")
    expect(messages.filter(has_text="(sharing: ")).not_to_contain_text("Shipments")
    expect(messages.filter(has_text="Balance of Current account")).to_have_count(1)
    before = messages.count()
    demo.simulate(psid, "payment")
    payment = messages.filter(has_text=re.compile(r"Card •••• 4321: payment of ₫[0-9,]+ at "))
    expect(payment).to_have_count(1)
    assert messages.count() > before  # arrived live, without a reload
    screenshot(page, "demo-04-live-payment")

    # A suspicious payment: "Was it you?" — a distinct alert card, pinned above the thread,
    # its two answers as buttons that stay.
    demo.simulate(psid, "suspicious")
    alert = page.get_by_test_id("alert-card").filter(has_text="ELECTRO WORLD ONLINE")
    expect(alert).to_have_count(1)
    expect(alert).to_contain_text("Suspicious activity on your account.")
    expect(alert).to_contain_text("Was it you?")
    pinned = page.get_by_test_id("pinned-alert")
    expect(pinned).to_have_count(1)
    expect(pinned.get_by_role("button")).to_have_text(["Yes, it was me", "No, it wasn't me"])
    screenshot(page, "demo-05-fraud-alert", docs="demo-fraud-alert")

    # "No, it wasn't me": Ledgerline confirms, the card shows it, and the bank freezes the card.
    pinned.get_by_role("button", name="No, it wasn't me").click()
    expect(page.locator(".msg.user").last).to_contain_text("No, it wasn't me")
    expect(messages.filter(has_text="We told Demo Bank it wasn't you.")).to_have_count(1)
    expect(pinned).to_have_count(0)
    expect(alert.get_by_test_id("outcome")).to_contain_text("You answered: No, it wasn't me")
    expect(alert.get_by_test_id("outcome")).to_contain_text("will block the card")
    frozen = messages.filter(has_text="Card •••• 4321 frozen.")
    expect(frozen).to_have_count(1)
    expect(frozen).to_contain_text("will be refunded")
    assert demo.bank.state.is_frozen("4321")
    screenshot(page, "demo-06-card-frozen", docs="demo-card-frozen")

    # The privacy centre: what Demo Bank may share, and what it did.
    page.goto(live.url + "/")
    page.get_by_role("link", name="Privacy").click()
    page.wait_for_url(live.url + "/privacy")
    expect(page.get_by_role("heading", name="Privacy centre")).to_be_visible()
    card = page.get_by_role("region", name="Demo Bank")
    expect(card.get_by_role("checkbox", name="Transactions")).to_be_checked()
    expect(card.get_by_role("checkbox", name="Account balances")).to_be_checked()
    expect(card.get_by_role("checkbox", name="Shipments")).not_to_be_checked()
    log = page.get_by_test_id("access-log")
    expect(log).to_contain_text(re.compile(r"Demo Bank sent you \d+ transactions?"))
    expect(log).to_contain_text("ELECTRO WORLD ONLINE")
    screenshot(page, "demo-07-privacy-centre", docs="demo-privacy-centre")
    screenshot(
        page.locator("section[aria-labelledby=log-heading]"), "demo-07b-access-log",
        docs="demo-access-log",
    )  # fmt: skip

    # Change a scope: balances off. The bank's next balance is refused, and its bot says so.
    card.get_by_role("checkbox", name="Account balances").uncheck()
    card.get_by_role("button", name="Save changes").click()
    expect(page.get_by_test_id("notice")).to_have_text(
        "Saved. Demo Bank may share only what is ticked."
    )
    expect(card.get_by_role("checkbox", name="Account balances")).not_to_be_checked()
    page.goto(live.url + "/")
    page.get_by_test_id("thread").filter(has_text="Demo Bank").click()
    page.wait_for_function("() => window.ledgerline && window.ledgerline.isLive()")
    page.get_by_placeholder("Write a message…").fill("Balance?")
    page.get_by_role("button", name="Send").click()
    expect(messages.filter(has_text="You have not shared balances with Demo Bank.")).to_have_count(
        1
    )

    # Download my data: the shared payments are in it.
    page.goto(live.url + "/privacy")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download my data").click()
    exported = exported_data(download_info.value.path())
    merchants = {
        (record.get("data") or {}).get("merchant", {}).get("name")
        for record in exported["financial_records"]
    }
    assert "ELECTRO WORLD ONLINE" in merchants
    assert exported["profile"]["name"] == "Claire Martin"

    # Unlink, confirmed: the data is erased and the bank is told (it forgets the person).
    page.get_by_role("region", name="Demo Bank").get_by_role("button", name="Unlink").click()
    expect(page.get_by_role("heading", name="Unlink Demo Bank?")).to_be_visible()
    page.get_by_role("button", name="Unlink and erase").click()
    expect(page.get_by_test_id("notice")).to_have_text(
        "You unlinked Demo Bank. Nothing more is shared, and the data it shared was erased."
    )
    expect(page.get_by_role("region", name="Demo Bank")).to_have_count(0)
    expect(page.get_by_test_id("ended-links")).to_contain_text("Demo Bank — unlinked on")
    deadline = time.monotonic() + 20
    while demo.bank.state.link_of(psid) is not None:
        assert time.monotonic() < deadline, "the bank never got the unlinked webhook"
        time.sleep(0.05)
    screenshot(page, "demo-08-unlinked")


def test_a_demo_person_links_in_vietnamese(
    live: RunningPlatform, demo: RunningDemo, browser: Browser
) -> None:
    """``ledgerline demo``'s ready-made person signs in with the printed password; the bank's
    bot, its sign-in page and its messages speak Vietnamese."""
    ensure_demo_people(live.platform)
    context = browser.new_context(
        viewport={"width": 390, "height": 800}, device_scale_factor=2, locale="vi-VN"
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        page.goto(live.url + "/signin?lang=vi")
        page.get_by_label("Tên đăng nhập, email hoặc số điện thoại").fill("an.nguyen")
        page.get_by_label("Mật khẩu").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="Đăng nhập").click()
        page.wait_for_url(live.url + "/")
        page.get_by_placeholder("Tìm ngân hàng, doanh nghiệp").fill("demo")
        page.get_by_test_id("business").click()
        page.wait_for_function("() => window.ledgerline && window.ledgerline.isLive()")
        page.get_by_placeholder("Nhập tin nhắn…").fill("Xin chào")
        page.get_by_role("button", name="Gửi").click()
        invitation = page.get_by_test_id("template-button")
        expect(invitation).to_contain_text("Xin chào! Đây là Ngân hàng Demo.")
        invitation.get_by_test_id("account-link").click()
        page.get_by_role("button", name="Tiếp tục đến Demo Bank").click()
        expect(page.get_by_role("heading", name="Đăng nhập để liên kết tài khoản")).to_be_visible()
        page.get_by_label("Tên đăng nhập").fill("an.nguyen")
        page.get_by_label("Mật khẩu").fill("demo-1234")
        page.get_by_role("button", name="Đăng nhập và liên kết").click()
        expect(page.locator("[data-outcome]")).to_have_attribute("data-outcome", "linked")
        psid = _linked_psid(demo, "an.nguyen")
        page.get_by_role("link", name="Quay lại cuộc trò chuyện với Demo Bank").click()
        expect(page.locator("#thread-title")).to_have_text("Demo Bank")
        page.wait_for_function("() => window.ledgerline && window.ledgerline.isLive()")
        messages = page.locator(".msg.page")
        expect(messages.filter(has_text="Đã liên kết tài khoản DB-0012-3456")).to_have_count(1)
        # The walk-through: a suspicious payment, then three ordinary ones; the
        # alert stays pinned and a typed "không phải tôi" answers it.
        demo.simulate(psid, "suspicious")
        expect(page.get_by_test_id("pinned-alert")).to_have_count(1)
        for _ in range(3):
            demo.simulate(psid, "payment")
        expect(page.get_by_test_id("payment-card")).to_have_count(4)
        expect(page.get_by_test_id("pinned-alert")).to_have_count(1)
        page.get_by_placeholder("Nhập tin nhắn…").fill("không phải tôi")
        page.get_by_role("button", name="Gửi").click()
        expect(messages.filter(has_text="Thẻ •••• 1234 đã bị khóa.")).to_have_count(1)
        expect(page.get_by_test_id("pinned-alert")).to_have_count(0)
        outcome = page.get_by_test_id("alert-card").get_by_test_id("outcome")
        expect(outcome).to_contain_text("Bạn đã trả lời: Không phải tôi")
        screenshot(page, "demo-09-vi-card-frozen")
    finally:
        context.close()
