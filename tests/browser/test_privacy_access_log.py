"""The privacy centre's access log in Chromium (issue 19 part 1): grouped by who and why in
plain words, the agent named, a push the consent turned away said without alarm, the
person's own views folded away, filters and paging — in vi and en, at phone and desktop
width, with axe in the same run."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from ledgerline.storage.stores import identity as web_store
from tests.support.axe_check import serious_violations
from tests.support.browser import DATA_SCOPES, link_in_browser, screenshot, sign_up
from tests.support.inbox import AgentClient, create_agent, pass_to_inbox
from tests.support.linking import LinkedWorld, linked_world
from tests.support.server import running_platform

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> Iterator[LinkedWorld]:
    with running_platform(database_url, tmp_path) as live, linked_world(live, "Demo Bank") as w:
        yield w


def _payments(psid: str, count: int) -> dict[str, Any]:
    return {
        "psid": psid,
        "transactions": [
            {
                "transaction_id": f"t-{n}",
                "account_id": "acc-1",
                "card_last4": "4321",
                "amount": {"amount": str(25000 + n * 1000), "currency": "VND"},
                "credit_debit": "debit",
                "booked_at": "2026-11-29T08:15:00+07:00",
                "merchant": {"name": f"Highlands Coffee {n}"},
            }
            for n in range(count)
        ],
    }


def _a_day_of_accesses(world: LinkedWorld, page: Page) -> None:
    """12 card payments, a delivery the consent turns away, and Minh looking at the
    person's payments while helping them in the inbox."""
    live, page_id = world.live, world.business["page_id"]
    sign_up(page, live.url, "an.reader", "a long enough password")
    link_in_browser(
        page, live.url, page_id, world.bank.authorize_url,
        share=(*DATA_SCOPES[:2], "customer_service"),
    )  # fmt: skip
    psid = world.psid_of_login("an.reader")
    assert world.bank_post("transactions", _payments(psid, 12)).status_code == 200
    shipment = {"psid": psid, "order_id": "o1", "carrier": "GHN", "tracking_number": "X1",
                "status": "in_transit"}  # fmt: skip
    assert world.bank_post("shipments", shipment).status_code == 403
    create_agent(live, page_id, "minh", "Minh")
    credential = live.platform.db.read_sync(web_store.credential_for_login, "an.reader")
    assert credential is not None
    pass_to_inbox(live, world.business, credential.user_id)
    agent = AgentClient(live, page_id, "minh")
    try:
        (conversation,) = agent.queue()
        seen = agent.post(f"/conversations/{conversation['conversation_id']}/context")
        assert seen.status_code == 200, seen.text
    finally:
        agent.close()


@pytest.mark.parametrize("width", ["phone", "desktop"])
def test_the_access_log_reads_like_a_statement(
    world: LinkedWorld, width: str, request: pytest.FixtureRequest
) -> None:
    page: Page = request.getfixturevalue(width)
    _a_day_of_accesses(world, page)
    base = world.live.url
    page.goto(base + "/privacy?lang=en")
    page.reload()  # a second view of the page: still no line about it
    log = page.get_by_test_id("access-log")
    expect(log).to_contain_text("Demo Bank sent you 12 transactions")
    expect(log).to_contain_text(
        re.compile(r"Minh at Demo Bank saw \d+ transactions? while helping you")
    )
    expect(log).to_contain_text(
        "Demo Bank tried to send you 1 delivery update; it was not accepted, because you do "
        "not share that kind of information with Demo Bank"
    )
    expect(log).to_contain_text(
        "Ledgerline read 12 transactions from Demo Bank to send you updates"
    )
    expect(log).not_to_contain_text("(refused)")
    expect(log).not_to_contain_text("An agent of")
    expect(log).not_to_contain_text("You viewed")
    expect(log.get_by_role("heading", name="Today")).to_be_visible()
    expect(page.get_by_test_id("own-reads")).to_contain_text("Your own views of your data")
    # The line a refusal is on is not painted as an error.
    turned_away = log.get_by_test_id("log-line").filter(has_text="tried to send you")
    colour = turned_away.locator(".log-text").evaluate("e => getComputedStyle(e).color")
    assert colour != "rgb(179, 38, 30)"  # --warn
    assert serious_violations(page) == []
    if width == "phone":
        screenshot(page, "privacy-access-log", docs="privacy-access-log", full_page=True)

    # Filters: only the bank and its staff; then only the person's own views.
    page.get_by_label("Who", exact=True).select_option(label="Banks and their staff")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"who=banks"))
    log = page.get_by_test_id("access-log")
    expect(log).to_contain_text("Demo Bank sent you 12 transactions")
    expect(log).not_to_contain_text("Ledgerline read")
    page.get_by_test_id("own-reads").get_by_role("link", name="Show them").click()
    expect(page.get_by_test_id("access-log")).to_contain_text("You viewed")

    # The same in Vietnamese.
    page.goto(base + "/privacy?lang=vi")
    log = page.get_by_test_id("access-log")
    expect(log).to_contain_text("Demo Bank đã gửi cho bạn 12 giao dịch")
    expect(log).to_contain_text(re.compile(r"Minh, nhân viên của Demo Bank, đã xem \d+ giao dịch"))
    expect(log.get_by_role("heading", name="Hôm nay")).to_be_visible()
    assert serious_violations(page) == []
    if width == "phone":
        screenshot(page, "privacy-access-log-vi", docs="privacy-access-log-vi", full_page=True)


def test_the_access_log_pages(
    world: LinkedWorld, phone: Page, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("ledgerline.web.privacy.LOG_PAGE", 4)
    _a_day_of_accesses(world, phone)
    phone.goto(world.live.url + "/privacy?lang=en")
    pager = phone.get_by_role("navigation", name="Pages of the access log")
    pager.get_by_role("link", name="Older").click()
    expect(phone).to_have_url(re.compile(r"before=\d+"))
    expect(phone.get_by_test_id("access-log")).to_contain_text(
        "You linked your account at Demo Bank"
    )
    expect(pager.get_by_role("link", name="Newest")).to_be_visible()
    assert serious_violations(phone) == []
