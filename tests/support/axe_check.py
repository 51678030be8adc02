"""axe-core (``tests/support/axe/axe.min.js``, pinned: see its README) run in a Playwright
page: the serious and critical accessibility violations it finds."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path
from typing import Any

from playwright.sync_api import Page

AXE = Path(__file__).parent / "axe" / "axe.min.js"
AXE_VERSION = "4.14.1"
AXE_SHA256 = "29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c"
BLOCKING = ("serious", "critical")
# Moderate in axe, required here: every page has a main landmark and an h1.
REQUIRED = ("landmark-one-main", "page-has-heading-one")


@cache
def _source() -> str:
    """The pinned file, refused if it is not the one the README names."""
    data = AXE.read_bytes()
    if hashlib.sha256(data).hexdigest() != AXE_SHA256:
        raise RuntimeError(f"{AXE} is not axe-core {AXE_VERSION} (see its README)")
    return data.decode("utf-8")


def serious_violations(page: Page) -> list[str]:
    """``"rule: target (help)"`` for each serious or critical violation on the page as it
    is, and for a missing main landmark or h1; axe is evaluated through the DevTools protocol, so the page's CSP does not stop it."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(_source())
    result: dict[str, Any] = page.evaluate(
        "async () => await axe.run(document, {resultTypes: ['violations']})"
    )
    return [
        f"{violation['id']}: {node['target']} ({violation['help']})"
        for violation in result["violations"]
        if violation["impact"] in BLOCKING or violation["id"] in REQUIRED
        for node in violation["nodes"]
    ]
