"""Real-browser fixtures: Debian's Chromium driven by Playwright (from PyPI), headless.

Under ``CI=true`` a missing Chromium fails the run (``make test`` installs it); elsewhere the
browser tests skip.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.support.browser import ARGS, CHROMIUM


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """All browser tests in one test process (``--dist loadgroup``): one Chromium at a time
    beside the other processes' tests, instead of one per process fighting for two cores."""
    for item in items:
        if Path(str(item.fspath)).parent == Path(__file__).parent:
            item.add_marker(pytest.mark.xdist_group("browser"))


@pytest.fixture(params=["sqlite"])
def database_url(database_url: str) -> str:
    """SQLite only: a browser test checks what a person sees and does in Chromium, which does
    not depend on the platform's database; the same requests run on both backends in the
    integration tests (in process). Each browser test ran twice before, once a backend."""
    return database_url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One Chromium a test module, stopped with the module: Playwright's sync API holds an
    event loop on the main thread while it runs, and the tests that follow in the same
    process must be free to call ``asyncio.run``."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CHROMIUM} is missing under CI=true (make test installs it)")
        pytest.skip(f"{CHROMIUM} is missing (make test installs it)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            yield launched
        finally:
            launched.close()


def _page(browser: Browser, width: int, height: int, scale: float) -> Iterator[Page]:
    context = browser.new_context(
        viewport={"width": width, "height": height}, device_scale_factor=scale, locale="en-GB"
    )
    # A wait, not a sleep: generous because four test processes share two cores.
    context.set_default_timeout(30_000)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    """A phone-sized page: the messenger is mobile first."""
    yield from _page(browser, 390, 800, 2)


@pytest.fixture
def desktop(browser: Browser) -> Iterator[Page]:
    yield from _page(browser, 1280, 900, 1)
