"""axe-core on the pages a person, a bank and its agents see (the console with a webhook
delivery's attempts in its log, the linking flow's result pages, unlinking, the demo bank's
own pages), in both languages, at phone and desktop width: no serious or critical
violation, and a main landmark and an h1 on each."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest
from playwright.sync_api import Page, expect

from tests.support.axe_check import serious_violations
from tests.support.browser import sign_up
from tests.support.demo import running_demo, start_link
from tests.support.inbox import PASSWORD, create_agent, pass_to_inbox
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
    _message_the_bank(world)  # the console's webhook log then lists a delivery's attempts
    page.goto(base + "/console?lang=en")
    page.get_by_label("Page access token").fill(world.business["page_access_token"])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state("networkidle")
    deadline = time.monotonic() + 15
    while not page.locator("details > summary").count():  # the delivery, once attempted
        assert time.monotonic() < deadline, "no delivery attempt in the console's log"
        page.reload()
    for lang in LANGS:
        found += _check(page, f"{base}/console?lang={lang}")
    assert found == []


def _message_the_bank(world: LinkedWorld, text: str = "Hello") -> dict[str, str]:
    """A new person writes to the bank (a webhook delivery); that person."""
    person = world.live.create_user()
    with world.live.client() as http:
        said = http.post(
            f"/api/v1/threads/{world.business['page_id']}/messages",
            headers={"Authorization": f"Bearer {person['access_token']}"},
            json={"text": text},
        )
    assert said.status_code == 201, said.text
    return person


@pytest.mark.parametrize("width", ["phone", "desktop"])
def test_the_agent_inbox_passes_axe_in_both_languages(
    world: LinkedWorld, width: str, request: pytest.FixtureRequest
) -> None:
    """The queue and an open conversation (its message log scrolls: it takes the focus)."""
    live = world.live
    page_id = world.business["page_id"]
    create_agent(live, page_id, "lan", "Lan", role="supervisor")
    person = _message_the_bank(world, "I lost my card, can I talk to someone?")
    pass_to_inbox(live, world.business, person["user_id"])
    page: Page = request.getfixturevalue(width)
    found = _check(page, f"{live.url}/inbox?lang=en")
    page.get_by_label("Bank's page id").fill(page_id)
    page.get_by_label("Agent login").fill("lan")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state("networkidle")
    for lang in LANGS:
        found += _check(page, f"{live.url}/inbox?lang={lang}")
        page.get_by_test_id("queue-item").click()
        expect(page.get_by_test_id("messages")).to_contain_text("I lost my card")
        found += [f"open conversation ({lang}): {v}" for v in serious_violations(page)]
    assert found == []


@pytest.mark.parametrize("width", ["phone", "desktop"])
def test_linking_results_and_unlinking_pass_axe_in_both_languages(
    world: LinkedWorld, width: str, request: pytest.FixtureRequest
) -> None:
    """The consent flow's result pages (sign in first, a bad request, an unknown linking
    token) and the privacy centre's unlink confirmation."""
    page: Page = request.getfixturevalue(width)
    base = world.live.url
    page_id = world.business["page_id"]
    found: list[str] = []
    for lang in LANGS:
        consent = urlencode({"page_id": page_id, "url": world.bank.authorize_url, "lang": lang})
        for path in (
            f"/account_linking/consent?{consent}",  # signed out: sign in first
            f"/account_linking/consent?lang={lang}",  # page_id and url missing
            f"/account_linking/callback?account_linking_token=unknown&lang={lang}",
        ):
            found += _check(page, base + path)
    sign_up(page, base, "axe.unlinker", "a long enough password")
    for lang in LANGS:
        found += _check(page, f"{base}/privacy/links/{page_id}/unlink?lang={lang}")
    assert found == []


@pytest.mark.parametrize("width", ["phone", "desktop"])
def test_the_demo_banks_pages_pass_axe_in_both_languages(
    world: LinkedWorld, width: str, request: pytest.FixtureRequest
) -> None:
    """The demo bank's back office, its sign-in page as the linking flow opens it, its
    notice for a link without a token, and its page to open an account."""
    page: Page = request.getfixturevalue(width)
    with running_demo(world.live) as demo:
        person = world.live.create_user()
        sign_in = start_link(demo, person, ["balances"])
        found: list[str] = []
        for lang in LANGS:
            for url in (
                f"{demo.url}/?lang={lang}",
                f"{sign_in}&lang={lang}",
                f"{demo.link_url}?lang={lang}",
            ):
                found += _check(page, url)
            page.goto(f"{sign_in}&lang={lang}")  # "New to Demo Bank? Open an account"
            page.get_by_test_id("open-account").click()
            page.wait_for_load_state("networkidle")
            expect(page.locator("h1")).to_have_count(1)
            found += [f"open an account ({lang}): {v}" for v in serious_violations(page)]
    assert found == []
