"""The export people can read (issue 19 part 2) in Chromium: the printable copy from the
privacy centre (a table of transactions with amounts and dates in the person's language, the
access log), in vi and en at phone and desktop width with axe in the same run, and the ZIP
download with the JSON and the transactions' CSV."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.support.axe_check import serious_violations
from tests.support.browser import exported_data, link_in_browser, screenshot, sign_up
from tests.support.linking import LinkedWorld, linked_world
from tests.support.server import running_platform

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> Iterator[LinkedWorld]:
    with running_platform(database_url, tmp_path) as live, linked_world(live, "Demo Bank") as w:
        yield w


@pytest.mark.parametrize("width", ["phone", "desktop"])
def test_a_printable_copy_and_an_archive(
    world: LinkedWorld, width: str, request: pytest.FixtureRequest
) -> None:
    page: Page = request.getfixturevalue(width)
    base = world.live.url
    sign_up(page, base, "an.copy", "a long enough password")
    link_in_browser(page, base, world.business["page_id"], world.bank.authorize_url)
    psid = world.psid_of_login("an.copy")
    sent = world.bank_post(
        "transactions",
        {
            "psid": psid,
            "transactions": [
                {
                    "transaction_id": "t-1",
                    "card_last4": "4321",
                    "amount": {"amount": "2131000", "currency": "VND"},
                    "credit_debit": "debit",
                    "booked_at": "2026-11-29T06:54:00+07:00",
                    "merchant": {"name": "Highlands Coffee", "city": "Hà Nội"},
                }
            ],
        },
    )
    assert sent.status_code == 200, sent.text

    page.goto(base + "/privacy?lang=en")
    page.get_by_role("link", name="View a printable copy").click()
    expect(page.get_by_role("heading", name="Your data from Ledgerline", level=1)).to_be_visible()
    table = page.get_by_test_id("export-transactions")
    expect(table).to_contain_text("Highlands Coffee, Hà Nội")
    expect(table).to_contain_text("−₫2,131,000")
    expect(table).to_contain_text("Nov 29, 2026")
    expect(table).to_contain_text("•••• 4321")
    expect(page.get_by_test_id("export-log")).to_contain_text("Demo Bank shared your transactions")
    assert serious_violations(page) == []
    if width == "phone":
        screenshot(page, "privacy-export", docs="privacy-export", full_page=True)

    page.goto(base + "/privacy/export/print?lang=vi")
    expect(page.get_by_role("heading", name="Dữ liệu của bạn tại Ledgerline")).to_be_visible()
    expect(page.get_by_test_id("export-transactions")).to_contain_text("2.131.000")
    assert serious_violations(page) == []

    page.goto(base + "/privacy?lang=en")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download my data").click()
    path = download_info.value.path()
    data = exported_data(path)
    assert data["financial_records"][0]["data"]["booked_at"].startswith("2026-11-28T23:54:00")
    with zipfile.ZipFile(path) as zipped:
        (name,) = [n for n in zipped.namelist() if n.endswith("/transactions.csv")]
        (row,) = csv.DictReader(io.StringIO(zipped.read(name).decode("utf-8-sig")))
    assert (row["merchant"], row["amount"], row["currency"]) == (
        "Highlands Coffee",
        "2131000",
        "VND",
    )
