"""axe-core on the pages a person and a bank see, in both languages, at phone and desktop
width: no serious or critical violation, and a main landmark and an h1 on each."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest
from playwright.sync_api import Page

from tests.support.axe_check import serious_violations
from tests.support.browser import sign_up
from tests.support.linking import LinkedWorld, linked_world
from tests.support.server import running_platform

LANGS = ("en", "vi")


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> Iterator[LinkedWorld]:
    with running_platform(database_url, tmp_path) as live, linked_world(live) as linked:
        yield linked


def _check(page: Page, url: str) -> list[str]:
    page.goto(url)
    page.wait_for_load_state("networkidle")
    return [f"{url}: {found}" for found in serious_violations(page)]


@pytest.mark.parametrize("width", ["phone", "desktop"])
def test_every_page_passes_axe_in_both_languages(
    world: LinkedWorld, width: str, request: pytest.FixtureRequest
) -> None:
    page: Page = request.getfixturevalue(width)
    base = world.live.url
    page_id = world.business["page_id"]
    found: list[str] = []
    for lang in LANGS:  # signed out
        for path in ("/signin", "/signup", "/console"):
            found += _check(page, f"{base}{path}?lang={lang}")
    sign_up(page, base, "axe.reader", "a long enough password")
    for lang in LANGS:
        consent = urlencode({"page_id": page_id, "url": world.bank.authorize_url, "lang": lang})
        for path in (
            f"/?lang={lang}",
            f"/?thread={page_id}&lang={lang}",
            f"/account_linking/consent?{consent}",
            f"/privacy?lang={lang}",
        ):
            found += _check(page, base + path)
    page.goto(base + "/console?lang=en")
    page.get_by_label("Page access token").fill(world.business["page_access_token"])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state("networkidle")
    for lang in LANGS:
        found += _check(page, f"{base}/console?lang={lang}")
    assert found == []
