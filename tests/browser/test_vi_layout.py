"""Vietnamese is longer than English: every main page in vi, at phone and desktop width,
keeps its headers on one line and its text unclipped.

The pages: the messenger (chat list, and a chat with the demo bank holding a payment and a
fraud alert), the consent screen, the privacy centre, the bank console, the agent inbox
(queue and an open conversation), and the demo bank's own pages (sign-in, open an account,
back office). On each:

- a header bar (``header``) lays its items out in one row;
- each heading and title (``h1``, ``h2``, ``h3``, a chat's or a card's title) takes one line;
- nothing in a header, and no heading, is wider than its box (``scrollWidth`` beyond
  ``clientWidth``: cut off, or cut short with an ellipsis) or sticks out of the window.

A line is counted from where the text's own line boxes sit (``Range.getClientRects`` on its
text nodes), so a tall icon or a smaller ``<small>`` beside the text does not count as a
second line. axe-core runs on the same pages (no serious or critical violation).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from playwright.sync_api import Page, expect

from tests.support.axe_check import serious_violations
from tests.support.browser import screenshot, sign_up
from tests.support.demo import RunningDemo, running_demo
from tests.support.inbox import PASSWORD, create_agent
from tests.support.server import RunningPlatform, running_platform

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# The top bars of the pages; each item in them keeps its text on one line.
BARS = "header.bar, body > header"
# The bars whose items share one row at phone width too (the messenger's, the demo bank's);
# the privacy centre, console and inbox put their actions on a second row on a phone.
PHONE_ROW_BARS = "#app header.bar, body > header:not(.bar)"
# Titles: always one line.
TITLES = ", ".join(
    (
        "header.bar h1",
        "#thread-title",
        ".item-title",
        ".pay-head",
        ".burst-head",
        ".pane-title",
        "#person",
    )
)
# Headings in a page's content: one line at desktop width; on a phone they may wrap between
# words, but are never cut.
HEADINGS = "h1, h2, h3, summary"
# In the browser: what breaks the rules above, as readable lines.
MEASURE = """({rowBars, bars, titles, headings, headingsOneLine}) => {
  const visible = (el) => {
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    return box.width > 0 && box.height > 0 && style.visibility !== 'hidden';
  };
  const name = (el) => {
    const id = el.id ? '#' + el.id : '';
    const cls = typeof el.className === 'string' && el.className
      ? '.' + el.className.trim().split(/\\s+/).join('.') : '';
    const text = el.textContent.trim().replace(/\\s+/g, ' ').slice(0, 60);
    return `${el.tagName.toLowerCase()}${id}${cls} "${text}"`;
  };
  // The text's lines: rects of its text nodes grouped where they overlap vertically (so a
  // tall icon or a smaller <small> beside the text is not a line of its own), and at least
  // as many as one text node wraps into (one rect per line box it spans, whatever sits
  // beside it).
  const lines = (el) => {
    const rects = [];
    let most = 0;
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (!node.textContent.trim() || !visible(node.parentElement)) continue;
      const range = document.createRange();
      range.selectNodeContents(node);
      const own = [...range.getClientRects()].filter((r) => r.width > 0.5 && r.height > 0);
      rects.push(...own);
      most = Math.max(most, new Set(own.map((r) => Math.round(r.top / 2))).size);
    }
    rects.sort((a, b) => a.top - b.top);
    let count = 0, bottom = -Infinity;
    for (const r of rects) {
      if (r.top >= bottom - 1) { count += 1; bottom = r.bottom; }
      else bottom = Math.max(bottom, r.bottom);
    }
    return Math.max(count, most);
  };
  // Inside a box that scrolls sideways by design (the inbox's actions on a phone), what is
  // past its edge is reachable, not cut.
  const scrolls = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const x = getComputedStyle(e).overflowX;
      if (x === 'auto' || x === 'scroll') return true;
    }
    return false;
  };
  const clipped = (el) => {
    const found = [];
    for (const e of [el, ...el.querySelectorAll('*')]) {
      if (!visible(e) || e.tagName === 'SELECT' || e.tagName === 'INPUT' || scrolls(e)) continue;
      if (e.scrollWidth > e.clientWidth + 1 && e.clientWidth > 0)
        found.push(`${name(e)} is cut: ${e.scrollWidth} px of text in ${e.clientWidth} px`);
      const box = e.getBoundingClientRect();
      if (box.right > window.innerWidth + 1 || box.left < -1)
        found.push(`${name(e)} sticks out of the window ` +
          `(${Math.round(box.left)}–${Math.round(box.right)} of ${window.innerWidth} px)`);
    }
    return found;
  };
  const problems = [];
  for (const bar of document.querySelectorAll(bars)) {
    if (!visible(bar)) continue;
    const items = [...bar.children].filter(visible);
    const boxes = items.map((c) => c.getBoundingClientRect());
    const top = Math.max(...boxes.map((r) => r.top));
    const bottom = Math.min(...boxes.map((r) => r.bottom));
    if (bar.matches(rowBars) && items.length > 1 && top >= bottom)
      problems.push(`${name(bar)}: its items take more than one row`);
    for (const item of items) {
      const count = lines(item);
      if (count > 1)
        problems.push(`${name(item)} (in a bar) takes ${count} lines in ${Math.round(item.clientWidth)} px`);
    }
    problems.push(...clipped(bar));
  }
  const check = (selector, oneLine) => {
    for (const title of document.querySelectorAll(selector)) {
      if (!visible(title) || title.closest('.visually-hidden')) continue;
      const count = lines(title);
      if (oneLine && count > 1)
        problems.push(`${name(title)} takes ${count} lines in ${Math.round(title.clientWidth)} px`);
      problems.push(...clipped(title));
    }
  };
  check(titles, true);
  check(headings, headingsOneLine);
  return [...new Set(problems)];
}"""


def _rules(page: Page) -> dict[str, Any]:
    """The rules for the page's width (a phone's is below 760 px, as the messenger's CSS)."""
    desktop = page.viewport_size is not None and page.viewport_size["width"] >= 760
    return {
        "rowBars": BARS if desktop else PHONE_ROW_BARS,
        "bars": BARS,
        "titles": TITLES,
        "headings": HEADINGS,
        "headingsOneLine": desktop,
    }


def _problems(page: Page, where: str) -> list[str]:
    """What breaks the layout rules on the page as it is, and axe's serious findings."""
    page.wait_for_load_state("networkidle")
    page.evaluate("() => document.fonts.ready")
    found = page.evaluate(MEASURE, _rules(page))
    found += [f"axe: {violation}" for violation in serious_violations(page)]
    return [f"{where}: {problem}" for problem in found]


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


def _link_as_an(page: Page, live: RunningPlatform, demo: RunningDemo) -> list[str]:
    """Sign up in Vietnamese and link to the demo bank as its customer An, through the
    consent screen and the bank's sign-in page (both measured on the way)."""
    sign_up(page, live.url, "an.layout", "a long enough password", locale="vi")
    query = urlencode({"page_id": demo.page_id, "url": demo.link_url, "lang": "vi"})
    page.goto(f"{live.url}/account_linking/consent?{query}")
    found = _problems(page, "consent")
    for box in page.locator("input[name=scopes]").all():
        box.check()
    page.locator("button[value=accept]").click()
    page.wait_for_url(re.compile(re.escape(demo.link_url) + r"\?"))
    found += _problems(page, "demo bank: sign in")
    page.locator("#username").fill("an.nguyen")
    page.locator("#password").fill("demo-1234")
    page.locator("button[value=link]").click()
    expect(page.locator("[data-outcome]")).to_have_attribute("data-outcome", "linked")
    return found


def _chat(page: Page, live: RunningPlatform, demo: RunningDemo, width: str) -> list[str]:
    """The chat list, then the demo bank's chat with a payment and a fraud alert in it."""
    psid = _linked_psid(demo, "an.nguyen")
    demo.simulate(psid, "payment")
    demo.simulate(psid, "suspicious")
    page.goto(f"{live.url}/?lang=vi")
    expect(page.get_by_test_id("thread")).to_have_count(1)
    found = _problems(page, "chat list")
    page.goto(f"{live.url}/?thread={demo.page_id}&lang=vi")
    expect(page.locator("#thread-title")).to_have_text(re.compile(r"Demo"))
    expect(page.get_by_test_id("alert-card")).to_have_count(1)
    expect(page.get_by_test_id("pinned-alert")).to_have_count(1)
    found += _problems(page, "chat")
    screenshot(page, f"vi-layout-chat-{width}")
    return found


def _console(page: Page, live: RunningPlatform, demo: RunningDemo, width: str) -> list[str]:
    page.goto(f"{live.url}/console?lang=vi")
    found = _problems(page, "console: sign in")
    page.locator("input[name=page_access_token]").fill(demo.business["page_access_token"])
    page.locator("button.primary[type=submit]").click()
    expect(page.locator("h1")).to_contain_text("Bảng điều khiển")
    found += _problems(page, "console")
    screenshot(page, f"vi-layout-console-{width}", full_page=True)
    return found


def _inbox(page: Page, live: RunningPlatform, demo: RunningDemo, width: str) -> list[str]:
    """The queue and a conversation the demo bank's bot passed to the inbox ("gặp nhân
    viên"), from a person with a long Vietnamese name."""
    create_agent(live, demo.page_id, "lan", "Trần Thị Lan", role="supervisor")
    person = live.create_user(name="Lê Hoàng Phương Thảo")
    with live.client() as http:
        said = http.post(
            f"/api/v1/threads/{demo.page_id}/messages",
            headers={"Authorization": f"Bearer {person['access_token']}"},
            json={"text": "Tôi bị mất thẻ, cho tôi gặp nhân viên"},
        )
    assert said.status_code == 201, said.text
    page.goto(f"{live.url}/inbox?lang=vi")
    found = _problems(page, "inbox: sign in")
    page.locator("input[name=page_id]").fill(demo.page_id)
    page.locator("input[name=login]").fill("lan")
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("button.primary[type=submit]").click()
    expect(page.get_by_test_id("queue-item")).to_have_count(1)
    found += _problems(page, "inbox: queue")
    page.get_by_test_id("queue-item").click()
    expect(page.get_by_test_id("messages")).to_contain_text("mất thẻ")
    found += _problems(page, "inbox: conversation")
    screenshot(page, f"vi-layout-inbox-{width}")
    if width == "phone":
        page.get_by_test_id("show-side").click()
        found += _problems(page, "inbox: context and notes")
    return found


def _privacy(page: Page, live: RunningPlatform, width: str) -> list[str]:
    page.goto(f"{live.url}/privacy?lang=vi")
    expect(page.get_by_test_id("access-log")).to_be_visible()
    found = _problems(page, "privacy centre")
    screenshot(page, f"vi-layout-privacy-{width}")
    return found


def _demo_bank(page: Page, demo: RunningDemo) -> list[str]:
    page.goto(f"{demo.url}/?lang=vi")
    found = _problems(page, "demo bank: back office")
    page.goto(f"{demo.link_url}?lang=vi")
    found += _problems(page, "demo bank: notice")
    return found


@pytest.mark.parametrize("width", ["phone", "desktop"])
def test_vietnamese_headers_stay_on_one_line_and_no_text_is_clipped(
    live: RunningPlatform, demo: RunningDemo, width: str, request: pytest.FixtureRequest
) -> None:
    page: Page = request.getfixturevalue(width)
    found = _link_as_an(page, live, demo)
    found += _chat(page, live, demo, width)
    found += _privacy(page, live, width)
    found += _demo_bank(page, demo)
    found += _inbox(page, live, demo, width)
    found += _console(page, live, demo, width)
    assert found == [], "\n".join(found)


def test_the_measure_sees_a_wrapped_heading_and_a_clipped_title(phone: Page) -> None:
    """The rules catch what they are for: a heading on two lines, a title cut with an
    ellipsis, a header whose items take two rows, a title wrapping beside a tall icon; and
    pass the same page when it fits."""
    phone.set_content(
        "<header style='display:flex;flex-wrap:wrap'>"
        "<h1 id=a style='width:120px'>Trung tâm quyền riêng tư</h1>"
        "<h2 id=b style='width:80px;overflow:hidden;white-space:nowrap;text-overflow:ellipsis'>"
        "Ngân hàng Demo</h2><span style='width:300px'>Tiếng Việt English</span></header>"
    )
    found: list[Any] = phone.evaluate(MEASURE, _rules(phone))
    assert any("h1#a" in line and re.search(r"takes [2-9] lines", line) for line in found), found
    assert any("h2#b" in line and "is cut" in line for line in found), found
    assert any("more than one row" in line for line in found), found
    phone.set_content(
        "<div style='width:200px'><header class=pay-head style='display:flex;gap:4px'>"
        "<span style='font-size:40px'>⚠</span><span style='font-size:12px'>"
        "CẢNH BÁO GIAN LẬN: CÓ PHẢI BẠN KHÔNG?</span></header></div>"
    )
    found = phone.evaluate(MEASURE, _rules(phone))
    assert any("pay-head" in line and "takes 2 lines" in line for line in found), found
    phone.set_content(
        "<header style='display:flex'><h1 style='font-size:16px'>Trò chuyện "
        "<small>· nhỏ</small></h1><img width=28 height=28 alt=''></header>"
    )
    assert phone.evaluate(MEASURE, _rules(phone)) == []
