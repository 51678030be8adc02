"""Onboarding (issue 19 part 4, in part): on a desktop no composer shows before a chat is
open; "Hello" to a bank the person has not linked offers linking and suggested replies,
and "Why link?" explains it, still with the link button. axe on each screen, vi and en."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.support.axe_check import serious_violations
from tests.support.browser import sign_up
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


WORDS = {
    "en": {
        "say": "Hello",
        "hint": "Pick a chat, or search for your bank to start one.",
        "hello": "Hello! This is Demo Bank.",
        "why": "Why link?",
        "person": "Talk to a person",
        "explained": "Once linked, Demo Bank sends your card payments",
    },
    "vi": {
        "say": "Xin chào",
        "hint": "Chọn một cuộc trò chuyện, hoặc tìm ngân hàng của bạn để bắt đầu.",
        "hello": "Xin chào! Đây là Ngân hàng Demo.",
        "why": "Liên kết để làm gì?",
        "person": "Gặp nhân viên",
        "explained": "Khi liên kết, Ngân hàng Demo gửi đến đây",
    },
}


@pytest.mark.parametrize("locale", ["en", "vi"])
def test_hello_to_an_unlinked_bank_offers_linking_and_replies(
    live: RunningPlatform, demo: RunningDemo, desktop: Page, locale: str
) -> None:
    words = WORDS[locale]
    page = desktop
    sign_up(page, live.url, f"new.{locale}", "correct horse battery", locale=locale)
    # No chat open: a hint, and no composer, title or chips.
    expect(page.get_by_test_id("no-chat")).to_have_text(words["hint"])
    expect(page.locator("#composer")).to_be_hidden()
    expect(page.locator("#thread-title")).to_be_hidden()
    found = [f"no chat ({locale}): {v}" for v in serious_violations(page)]

    page.get_by_role("searchbox").fill("demo")
    page.get_by_test_id("business").first.click()
    expect(page.locator("#composer")).to_be_visible()
    expect(page.get_by_test_id("no-chat")).to_be_hidden()
    page.wait_for_function("() => window.ledgerline && window.ledgerline.isLive()")
    page.locator("#text").fill(words["say"])  # the bank answers in the language it reads
    page.locator("#composer button[type=submit]").click()
    invitation = page.get_by_test_id("template-button").last
    expect(invitation).to_contain_text(words["hello"])
    expect(invitation.get_by_test_id("account-link")).to_be_visible()
    chips = page.locator("#chips button")
    expect(chips).to_have_text([words["why"], words["person"]])
    found += [f"invitation ({locale}): {v}" for v in serious_violations(page)]

    chips.filter(has_text=words["why"]).click()
    explained = page.get_by_test_id("template-button").last
    expect(explained).to_contain_text(words["explained"])
    expect(explained.get_by_test_id("account-link")).to_be_visible()
    assert found == []
