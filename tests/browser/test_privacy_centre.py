"""The privacy centre (``/privacy``) in a real browser: links with scope toggles, renewal,
unlink with its confirmation, the data export, the access log in plain words with values —
and bad input: a forged CSRF token, an expired session, a second tab unlinking first."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from ledgerline.domain.clock import to_ms
from ledgerline.identity.service import do_end_session
from ledgerline.identity.sessions import session_hash
from tests.support.browser import exported_data, link_in_browser, screenshot, sign_up
from tests.support.linking import LinkedWorld, linked_world
from tests.support.server import running_platform

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PASSWORD = "correct horse battery"


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> Iterator[LinkedWorld]:
    with running_platform(database_url, tmp_path) as live, linked_world(live, "Demo Bank") as w:
        yield w


def _transaction(psid: str, transaction_id: str, amount: str, merchant: str) -> dict[str, Any]:
    return {
        "psid": psid,
        "transactions": [
            {
                "transaction_id": transaction_id,
                "account_id": "acc-1",
                "card_last4": "4321",
                "amount": {"amount": amount, "currency": "VND"},
                "credit_debit": "debit",
                "booked_at": "2026-11-29T08:15:00+07:00",
                "merchant": {"name": merchant, "city": "Hà Nội", "country": "VN"},
            }
        ],
    }


def _linked_person(page: Page, world: LinkedWorld, login: str, **kw: Any) -> str:
    sign_up(page, world.live.url, login, PASSWORD, **kw)
    link_in_browser(page, world.live.url, world.business["page_id"], world.bank.authorize_url)
    return world.psid_of_login(login)


def _wait_for_unlinked_webhook(world: LinkedWorld) -> None:
    deadline = time.monotonic() + 15
    while not any(
        e.get("account_linking", {}).get("status") == "unlinked"
        for e in world.bank.bank.receiver.events()
    ):
        assert time.monotonic() < deadline, "the bank was not told about the unlink"
        time.sleep(0.05)


def _scopes_via_api(page: Page, page_id: str) -> list[str]:
    links: list[dict[str, Any]] = page.evaluate(
        "async () => (await (await fetch('/api/v1/links')).json()).data"
    )
    (link,) = [item for item in links if item["page_id"] == page_id]
    scopes: list[str] = link["scopes"]
    return scopes


def test_links_scopes_export_access_log_and_unlink(world: LinkedWorld, phone: Page) -> None:
    page = phone
    page_id = world.business["page_id"]
    psid = _linked_person(page, world, "an.nguyen")
    sent = world.bank_post("transactions", _transaction(psid, "t-1", "125000", "Highlands Coffee"))
    assert sent.status_code == 200, sent.text

    # The thread's Log Out button (in the "linked" message) leads to the unlink step.
    page.goto(world.live.url + "/")
    page.get_by_test_id("thread").filter(has_text="Demo Bank").click()
    log_out = page.get_by_test_id("account-unlink")
    expect(log_out).to_have_text("Unlink account")
    log_out.click()
    expect(page.get_by_role("heading", name="Unlink Demo Bank?")).to_be_visible()
    page.get_by_role("link", name="Keep the link").click()
    expect(page.get_by_role("region", name="Demo Bank")).to_be_visible()

    # From the messenger to the privacy centre.
    page.goto(world.live.url + "/")
    page.get_by_role("link", name="Privacy").click()
    page.wait_for_url(world.live.url + "/privacy")
    expect(page.get_by_role("heading", name="Privacy centre")).to_be_visible()
    link = page.get_by_role("region", name="Demo Bank")
    expect(link.get_by_test_id("expires")).not_to_have_text("—")
    expect(link.get_by_role("checkbox", name="Transactions")).to_be_checked()
    expect(link.get_by_role("checkbox", name="Receipts")).to_be_checked()
    expect(link.get_by_role("checkbox", name="Customer service")).not_to_be_checked()
    log = page.get_by_test_id("access-log")
    expect(log).to_contain_text("Demo Bank sent you 1 transaction")
    expect(log).to_contain_text("₫125,000 at Highlands Coffee")
    expect(log).not_to_contain_text("You viewed")  # the person's own views are folded away
    expect(log).to_contain_text("You linked your account at Demo Bank")
    screenshot(page, "10-privacy-centre", docs="privacy-centre", full_page=True)

    # Narrow: receipts off. Saved, shown, and in force at the API.
    link.get_by_role("checkbox", name="Receipts").uncheck()
    link.get_by_role("button", name="Save changes").click()
    expect(page.get_by_test_id("notice")).to_have_text(
        "Saved. Demo Bank may share only what is ticked."
    )
    expect(link.get_by_role("checkbox", name="Receipts")).not_to_be_checked()
    assert "receipts" not in _scopes_via_api(page, page_id)
    receipt = {
        "psid": psid,
        "recipient_name": "An",
        "order_number": "HD-1",
        "currency": "VND",
        "payment_method": "Visa 4321",
        "elements": [{"title": "Cà phê", "price": 58000}],
        "summary": {"total_cost": 58000},
    }
    assert world.bank_post("receipts", receipt).status_code == 403
    # Widen: customer service on (a new consent for the purposes shown next to it).
    link.get_by_role("checkbox", name="Customer service").check()
    link.get_by_role("button", name="Save changes").click()
    expect(link.get_by_role("checkbox", name="Customer service")).to_be_checked()
    assert "customer_service" in _scopes_via_api(page, page_id)
    expect(log).to_contain_text("You changed what Demo Bank may share")
    # Unticking everything is refused with a clear message; nothing changes.
    for box in link.get_by_role("checkbox").all():
        box.uncheck()
    link.get_by_role("button", name="Save changes").click()
    expect(page.get_by_test_id("form-error")).to_have_text(
        "Keep at least one kind of information on, or unlink Demo Bank."
    )
    assert "customer_service" in _scopes_via_api(page, page_id)

    # Renew for another term.
    page.get_by_role("region", name="Demo Bank").get_by_role("button", name="Renew").click()
    expect(page.get_by_test_id("notice")).to_contain_text("Renewed")

    # Download my data: a JSON file with the transaction in it.
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download my data").click()
    download = download_info.value
    assert re.fullmatch(r"ledgerline-export-\d{4}-\d{2}-\d{2}\.zip", download.suggested_filename)
    data = exported_data(download.path())
    (record,) = data["financial_records"]
    assert record["data"]["merchant"]["name"] == "Highlands Coffee"
    assert data["profile"]["name"] == "Nguyễn An"

    # Unlink, with a confirmation step; cancelling first keeps the link.
    link = page.get_by_role("region", name="Demo Bank")
    link.get_by_role("button", name="Unlink").click()
    expect(page.get_by_role("heading", name="Unlink Demo Bank?")).to_be_visible()
    page.get_by_role("link", name="Keep the link").click()
    expect(page.get_by_role("region", name="Demo Bank")).to_be_visible()
    page.get_by_role("region", name="Demo Bank").get_by_role("button", name="Unlink").click()
    expect(page.get_by_test_id("confirm-unlink")).to_contain_text("is erased for good")
    screenshot(page, "11-privacy-unlink-confirm", docs="privacy-unlink")
    page.get_by_role("button", name="Unlink and erase").click()
    expect(page.get_by_test_id("notice")).to_have_text(
        "You unlinked Demo Bank. Nothing more is shared, and the data it shared was erased."
    )
    expect(page.get_by_role("region", name="Demo Bank")).to_have_count(0)
    expect(page.get_by_test_id("ended-links")).to_contain_text("Demo Bank — unlinked on")
    expect(page.get_by_test_id("access-log")).to_contain_text("1 since erased")
    expect(page.get_by_test_id("access-log")).to_contain_text(
        "You unlinked your account at Demo Bank"
    )
    _wait_for_unlinked_webhook(world)
    assert world.bank_post("transactions", _transaction(psid, "t-2", "1", "X")).status_code == 403


def test_the_privacy_centre_speaks_vietnamese(world: LinkedWorld, phone: Page) -> None:
    page = phone
    psid = _linked_person(page, world, "binh.tran", name="Trần Bình", locale="vi")
    sent = world.bank_post("transactions", _transaction(psid, "t-vi", "125000", "Highlands Coffee"))
    assert sent.status_code == 200, sent.text
    page.goto(world.live.url + "/privacy")
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    expect(page.get_by_role("heading", name="Trung tâm quyền riêng tư")).to_be_visible()
    link = page.get_by_role("region", name="Demo Bank")
    expect(link.get_by_role("checkbox", name="Giao dịch")).to_be_checked()
    expect(link.get_by_role("button", name="Hủy liên kết")).to_be_visible()
    expect(page.get_by_role("link", name="Tải dữ liệu của tôi")).to_be_visible()
    expect(page.get_by_test_id("access-log")).to_contain_text(
        "Demo Bank đã gửi cho bạn 1 giao dịch"
    )
    expect(page.get_by_test_id("access-log")).to_contain_text("125.000 ₫ tại Highlands Coffee")
    screenshot(page, "12-privacy-centre-vi", docs="privacy-centre-vi", full_page=True)


def test_forged_csrf_expired_session_and_a_second_tab(world: LinkedWorld, browser: Browser) -> None:
    context = browser.new_context(
        viewport={"width": 390, "height": 800}, device_scale_factor=2, locale="en-GB"
    )
    context.set_default_timeout(15_000)
    try:
        first = context.new_page()
        page_id = world.business["page_id"]
        _linked_person(first, world, "chi.le")
        first.goto(world.live.url + "/privacy")

        # A forged CSRF token: a clear page, nothing changed.
        link = first.get_by_role("region", name="Demo Bank")
        link.get_by_role("checkbox", name="Balances").uncheck()
        link.locator("input[name=csrf]").first.evaluate("i => { i.value = 'forged-token'; }")
        link.get_by_role("button", name="Save changes").click()
        expect(first.get_by_role("heading", name="This request was refused")).to_be_visible()
        expect(first.get_by_test_id("form-error")).to_contain_text("security token")
        expect(first.get_by_text("Nothing was changed.")).to_be_visible()
        screenshot(first, "13-privacy-forged-csrf", docs="privacy-forged-csrf")
        assert "balances" in _scopes_via_api(first, page_id)
        first.get_by_role("link", name="Back to the privacy centre").click()
        expect(
            first.get_by_role("region", name="Demo Bank").get_by_role("checkbox", name="Balances")
        ).to_be_checked()

        # A second tab unlinks while the first is open on the confirmation step.
        first.get_by_role("region", name="Demo Bank").get_by_role("button", name="Unlink").click()
        expect(first.get_by_role("heading", name="Unlink Demo Bank?")).to_be_visible()
        second = context.new_page()
        second.goto(world.live.url + "/privacy")
        second.get_by_role("region", name="Demo Bank").get_by_role("button", name="Unlink").click()
        second.get_by_role("button", name="Unlink and erase").click()
        expect(second.get_by_test_id("notice")).to_contain_text("You unlinked Demo Bank")
        first.get_by_role("button", name="Unlink and erase").click()
        expect(first.get_by_test_id("form-error")).to_have_text(
            "Demo Bank is already unlinked (in another tab, by the bank, or because the "
            "consent ended). Nothing was changed."
        )
        screenshot(first, "14-privacy-already-unlinked", docs="privacy-already-unlinked")
        # Saving scopes of a link gone meanwhile says the same (the form was still open).
        first.go_back()
        first.go_back()
        first.wait_for_url(re.compile(r"/privacy"))
        first.reload()
        expect(first.get_by_test_id("no-links")).to_be_visible()

        # The session ends server-side; the next action asks to sign in and comes back.
        cookie = next(c for c in context.cookies() if c["name"] == "ll_session")
        world.live.platform.db.write_sync(
            do_end_session,
            session_hash=session_hash(cookie["value"]),
            now=to_ms(world.live.platform.clock.now()),
        )
        first.get_by_role("link", name="Download my data").click()
        first.wait_for_url(re.compile(r"/signin\?expired=1&next=/privacy"))
        expect(first.get_by_text("Your session has expired. Please sign in again.")).to_be_visible()
        # A wrong password first: a clear message, and still on the way back to /privacy.
        first.get_by_label("Username, email or phone").fill("chi.le")
        first.get_by_label("Password").fill("not the password")
        first.get_by_role("button", name="Sign in").click()
        expect(first.get_by_test_id("form-error")).to_have_text("Wrong sign-in name or password.")
        first.get_by_label("Username, email or phone").fill("chi.le")
        first.get_by_label("Password").fill(PASSWORD)
        first.get_by_role("button", name="Sign in").click()
        first.wait_for_url(world.live.url + "/privacy")
        expect(first.get_by_role("heading", name="Privacy centre")).to_be_visible()
    finally:
        context.close()


def test_a_form_posted_after_the_link_ended_elsewhere(world: LinkedWorld, phone: Page) -> None:
    page = phone
    psid = _linked_person(page, world, "dung.pham")
    page.goto(world.live.url + "/privacy")
    csrf = page.locator("input[name=csrf]").first.get_attribute("value") or ""
    assert csrf
    # The bank unlinks while the page is open; saving scopes then says so, with no 500.
    with world.live.client() as http:
        answer = http.post(
            "/v19.0/me/unlink_accounts",
            json={"psid": psid},
            headers={"Authorization": f"Bearer {world.business['page_access_token']}"},
        )
        assert answer.status_code == 200, answer.text
    link = page.get_by_role("region", name="Demo Bank")
    link.get_by_role("checkbox", name="Shipments").uncheck()
    link.get_by_role("button", name="Save changes").click()
    expect(page.get_by_test_id("form-error")).to_contain_text("Demo Bank is already unlinked")
    expect(page.get_by_test_id("ended-links")).to_contain_text("Demo Bank — unlinked on")
    # A page id that is not one of theirs: the same answer, no 500, nothing leaks.
    status = page.evaluate(
        """async (csrf) => (await fetch('/privacy/links/999999/unlink', {method: 'POST',
            headers: {'Content-Type': 'application/x-www-form-urlencoded'},
            body: 'csrf=' + encodeURIComponent(csrf)})).status""",
        csrf,
    )
    assert status == 409
    other = world.live.create_business("Other Bank")
    status = page.evaluate(
        """async ([csrf, pageId]) => (await fetch(`/privacy/links/${pageId}/scopes`, {
            method: 'POST', headers: {'Content-Type': 'application/x-www-form-urlencoded'},
            body: 'scope=balances&csrf=' + encodeURIComponent(csrf)})).status""",
        [csrf, other["page_id"]],
    )
    assert status == 409


def test_a_person_sees_only_their_own_data(world: LinkedWorld, browser: Browser) -> None:
    contexts = [
        browser.new_context(viewport={"width": 390, "height": 800}, locale="en-GB")
        for _ in range(2)
    ]
    try:
        mine, theirs = (context.new_page() for context in contexts)
        psid = _linked_person(mine, world, "em.vo")
        _linked_person(theirs, world, "giang.ho", name="Hồ Giang")
        sent = world.bank_post("transactions", _transaction(psid, "t-own", "99000", "Phở 24"))
        assert sent.status_code == 200, sent.text
        mine.goto(world.live.url + "/privacy")
        expect(mine.get_by_test_id("access-log")).to_contain_text("Phở 24")
        theirs.goto(world.live.url + "/privacy")
        expect(theirs.get_by_role("region", name="Demo Bank")).to_be_visible()
        expect(theirs.get_by_test_id("access-log")).not_to_contain_text("Phở 24")
        with theirs.expect_download() as download_info:
            theirs.get_by_role("link", name="Download my data").click()
        data = exported_data(download_info.value.path())
        assert data["financial_records"] == []
        assert data["profile"]["name"] == "Hồ Giang"
        assert all("Phở 24" not in json.dumps(t, ensure_ascii=False) for t in data["threads"])
    finally:
        for context in contexts:
            context.close()
