"""The bank console's fraud section in a real browser: the policy form, and the chart of
alerts and verdicts after people answered platform alerts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.support.browser import screenshot
from tests.support.fraud import START, history, person, tx
from tests.support.linking import LinkedWorld, linked_world
from tests.support.messages import answer_button, press
from tests.support.server import running_platform


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> Iterator[LinkedWorld]:
    with running_platform(database_url, tmp_path) as live, linked_world(live) as linked:
        yield linked


def test_the_console_edits_the_fraud_policy_and_charts_verdicts(
    world: LinkedWorld, desktop: Page
) -> None:
    people = [person(world) for _ in range(3)]
    for n, p in enumerate(people):
        p.send(history(4, prefix=f"h{n}-"))
        alerted = p.send([tx(f"big-{n}", "70000000", START + dt.timedelta(days=4))])["alerts"]
        assert len(alerted) == 1
        if n < 2:  # two answer (fraud, genuine), one does not
            button = answer_button(p.messages()[-1], "fraud" if n == 0 else "genuine")
            p.api("POST", f"/threads/{p.page_id}/messages", json=press(button))
    page = desktop
    live = world.live
    page.goto(live.url + "/console?lang=en")
    page.get_by_label("Page access token").fill(world.business["page_access_token"])
    page.get_by_role("button", name="Sign in").click()
    section = page.locator("#fraud")
    expect(section.get_by_test_id("fraud-current")).to_contain_text("Default policy")
    chart = section.get_by_test_id("fraud-chart")
    expect(chart.locator("rect[data-series=fraud]")).to_have_attribute("data-count", "1")
    expect(chart.locator("rect[data-series=genuine]")).to_have_attribute("data-count", "1")
    expect(chart.locator("rect[data-series=unanswered]")).to_have_attribute("data-count", "1")

    section.get_by_label("Alert budget (alerts per 1,000 transactions)").check()
    section.get_by_test_id("fraud-value").fill("2")
    section.get_by_test_id("fraud-save").click()
    expect(page.get_by_test_id("notice")).to_contain_text("Fraud settings saved")
    expect(section.get_by_test_id("fraud-current")).to_contain_text(
        "at most 2 alerts per 1,000 transactions"
    )
    expect(section.get_by_test_id("fraud-expected")).to_contain_text("2.0 alerts per 1,000")
    section.scroll_into_view_if_needed()
    screenshot(section, "console-fraud", docs="console-fraud")

    section.get_by_label("Fixed threshold (0–1)").check()
    section.get_by_test_id("fraud-value").fill("7")
    section.get_by_test_id("fraud-save").click()
    expect(page.get_by_test_id("fraud-error")).to_have_text("A threshold must be between 0 and 1.")
