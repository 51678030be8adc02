"""After unlinking (issue 19 part 7), in Chromium: the confirmation lists every kind of data
that will be erased, a kind switched off earlier included, the thread folds the erased
updates into one line instead of a wall of identical bubbles, and the "unlinked" message
names what was erased — vi and en, phone and desktop
width, with axe in the same run."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.support.axe_check import serious_violations
from tests.support.browser import link_in_browser, screenshot, sign_up
from tests.support.linking import LinkedWorld, linked_world
from tests.support.server import running_platform

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> Iterator[LinkedWorld]:
    with running_platform(database_url, tmp_path) as live, linked_world(live, "Demo Bank") as w:
        yield w


def _payments(psid: str) -> dict[str, Any]:
    return {
        "psid": psid,
        "transactions": [
            {
                "transaction_id": f"t-{n}",
                "card_last4": "4321",
                "amount": {"amount": str(30000 + n), "currency": "VND"},
                "credit_debit": "debit",
                "booked_at": f"2026-11-29T0{n}:15:00+07:00",
                "merchant": {"name": f"Quán {n}"},
            }
            for n in range(3)
        ],
    }


RECEIPT = {
    "recipient_name": "An",
    "order_number": "HD-1",
    "currency": "VND",
    "payment_method": "Visa 4321",
    "elements": [{"title": "Cà phê", "price": 58000}],
    "summary": {"total_cost": 58000},
}


@pytest.mark.parametrize("width", ["phone", "desktop"])
def test_unlinking_lists_what_is_erased_and_folds_the_erased_updates(
    world: LinkedWorld, width: str, request: pytest.FixtureRequest
) -> None:
    page: Page = request.getfixturevalue(width)
    base, page_id = world.live.url, world.business["page_id"]
    sign_up(page, base, "an.unlink", "a long enough password")
    link_in_browser(page, base, page_id, world.bank.authorize_url)
    psid = world.psid_of_login("an.unlink")
    assert world.bank_post("transactions", _payments(psid)).status_code == 200
    assert world.bank_post("receipts", {"psid": psid, **RECEIPT}).status_code == 200

    # Receipts switched off: what was shared stays until the unlink, and is listed.
    page.goto(base + "/privacy?lang=en")
    card = page.get_by_role("region", name="Demo Bank")
    card.get_by_role("checkbox", name="Receipts").uncheck()
    card.get_by_role("button", name="Save changes").click()
    expect(page.get_by_test_id("notice")).to_contain_text("Saved")
    page.get_by_role("region", name="Demo Bank").get_by_role("button", name="Unlink").click()
    erased = page.get_by_test_id("erased-kinds")
    expect(erased).to_contain_text("3 transactions, 1 receipt, 4 updates")
    expect(erased).to_contain_text("before you switched a kind of information off")
    assert serious_violations(page) == []
    page.goto(base + f"/privacy/links/{page_id}/unlink?lang=vi")
    expect(page.get_by_test_id("erased-kinds")).to_contain_text("3 giao dịch, 1 hóa đơn")
    assert serious_violations(page) == []
    page.goto(base + f"/privacy/links/{page_id}/unlink?lang=en")
    page.get_by_role("button", name="Unlink and erase").click()
    expect(page.get_by_test_id("notice")).to_contain_text("You unlinked Demo Bank")

    # The thread: one line for the four erased updates.
    page.goto(base + f"/?thread={page_id}&lang=en")
    folded = page.locator('[data-kind="erased"]:visible')
    expect(folded).to_have_count(1)
    expect(folded).to_have_text(
        re.compile(r"4 updates from Demo Bank were erased when you unlinked")
    )
    expect(page.locator('[data-kind="erased"]')).to_have_count(4)
    # The bank's "unlinked" message says what went, every kind.
    expect(page.get_by_test_id("message").filter(has_text="You unlinked")).to_contain_text(
        "Erased: 3 transactions, 1 receipt, 4 updates."
    )
    assert serious_violations(page) == []
    if width == "phone":
        screenshot(page, "privacy-erased-updates", docs="privacy-erased-updates")
    page.goto(base + f"/?thread={page_id}&lang=vi")
    expect(page.locator('[data-kind="erased"]:visible')).to_have_text(
        re.compile(r"4 cập nhật từ Demo Bank đã bị xóa khi bạn hủy liên kết")
    )
    assert serious_violations(page) == []
