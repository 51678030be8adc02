"""Browser-test helpers: how Chromium is launched here, and where screenshots go."""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlencode

from playwright.sync_api import Locator, Page

CHROMIUM = os.environ.get("LEDGERLINE_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
DOCS_SCREENSHOTS = ROOT / "docs" / "screenshots"
# Set to 1 to refresh the screenshots the docs show (docs/screenshots/) from this run.
UPDATE_DOCS = os.environ.get("LEDGERLINE_UPDATE_DOCS_SCREENSHOTS") == "1"


def screenshot(
    target: Page | Locator, name: str, *, docs: str | None = None, full_page: bool = False
) -> None:
    """Save a screenshot of the page (or of one element) as test-artifacts/screenshots/
    NAME.png; with ``docs``, also as docs/screenshots/DOCS.png when
    LEDGERLINE_UPDATE_DOCS_SCREENSHOTS=1."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    if isinstance(target, Page):
        target.screenshot(path=str(path), full_page=full_page)
    else:
        target.screenshot(path=str(path))
    if docs is not None and UPDATE_DOCS:
        DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        (DOCS_SCREENSHOTS / f"{docs}.png").write_bytes(path.read_bytes())


def sign_up(
    page: Page,
    base_url: str,
    login: str,
    password: str,
    *,
    name: str = "Nguyễn An",
    locale: str = "en",
    timezone: str = "Asia/Ho_Chi_Minh",
) -> None:
    """Create an account through the sign-up form (English labels) and land in the app."""
    page.goto(base_url + "/signup?lang=en")
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Username, email or phone").fill(login)
    page.get_by_label("Password").fill(password)
    page.locator("select[name=locale]").select_option(locale)
    page.locator("select[name=timezone]").select_option(timezone)
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url(base_url + "/")


DATA_SCOPES = ("balances", "transactions", "receipts", "shipments", "fraud_alerts")


def link_in_browser(
    page: Page, base_url: str, page_id: str, link_url: str, *, share: tuple[str, ...] = DATA_SCOPES
) -> None:
    """Link through the consent screen as the signed-in person (English), ticking exactly
    the ``share`` scopes; the bank at ``link_url`` confirms at once."""
    query = urlencode({"page_id": page_id, "url": link_url, "lang": "en"})
    page.goto(f"{base_url}/account_linking/consent?{query}")
    for box in page.locator("input[name=scopes]").all():
        box.set_checked(box.get_attribute("value") in share)
    page.get_by_role("button", name="Continue to").click()
    outcome = page.locator("[data-outcome]")
    outcome.wait_for()
    assert outcome.get_attribute("data-outcome") == "linked", page.content()[:2000]


def exported_data(path: str | Path | IO[bytes]) -> dict[str, Any]:
    """The JSON inside a downloaded export archive (``/privacy/export``)."""
    with zipfile.ZipFile(path) as zipped:
        (name,) = [n for n in zipped.namelist() if n.endswith("/export.json")]
        data: dict[str, Any] = json.loads(zipped.read(name))
    return data
