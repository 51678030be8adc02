"""The demo bank on loopback beside a running platform, wired as ``ledgerline demo`` wires it
(with its own set-up code): a Demo Bank business whose webhook and account-link URLs point at
the bank, and the bank holding that business's page token and app secret."""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from demobank.app import create_app
from demobank.bank import Bank, BankConfig
from ledgerline.cli.demo_setup import ensure_demo_bank
from tests.support.linking import in_app_browser
from tests.support.server import RunningPlatform, ThreadedUvicorn, free_port


@dataclass
class RunningDemo:
    live: RunningPlatform
    url: str
    bank: Bank
    business: dict[str, str]

    @property
    def page_id(self) -> str:
        return self.business["page_id"]

    @property
    def link_url(self) -> str:
        return self.url + "/link"

    def switch_assistant(self, enabled: bool) -> None:
        """Press the back office's "built-in assistant" button."""
        with httpx.Client(base_url=self.url, timeout=30) as http:
            office = http.get("/")
            answer = http.post(
                "/assistant",
                data={"csrf": hidden(office.text, "csrf"), "enabled": str(enabled).lower()},
            )
            assert answer.status_code == 303, answer.text

    def simulate(self, psid: str, kind: str) -> None:
        """Press a back-office button: share one update of ``kind`` with ``psid``."""
        with httpx.Client(base_url=self.url, timeout=30) as http:
            office = http.get("/")
            found = re.search(r'name="csrf" value="([^"]+)"', office.text)
            assert found is not None, office.text[:300]
            answer = http.post("/simulate", data={"csrf": found[1], "psid": psid, "kind": kind})
            assert answer.status_code == 303, answer.text


@contextlib.contextmanager
def running_demo(
    live: RunningPlatform,
    *,
    interval: float = 0,
    suspicious_every: int = 4,
    state_path: Path | None = None,
) -> Iterator[RunningDemo]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    # The same set-up code as ``ledgerline demo`` (business, URLs, credentials file).
    credentials = ensure_demo_bank(
        live.platform, webhook_url=url + "/webhook", account_link_url=url + "/link"
    )
    business = {
        "page_id": credentials.page_id,
        "app_id": credentials.app_id,
        "app_secret": credentials.app_secret,
        "page_access_token": credentials.page_access_token,
        "verify_token": credentials.verify_token,
    }
    app = create_app(
        BankConfig(
            platform_url=live.url,
            public_url=url,
            page_id=business["page_id"],
            page_access_token=business["page_access_token"],
            app_secret=business["app_secret"],
            verify_token=credentials.verify_token,
            interval_seconds=interval,
            suspicious_every=suspicious_every,
            state_path=state_path,
        )
    )
    server = ThreadedUvicorn(app, port=port).start()
    try:
        yield RunningDemo(live, url, app.state.bank, business)
    finally:
        server.stop()


def hidden(html: str, name: str) -> str:
    """The value of a form's hidden field."""
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found is not None, html[:500]
    return found[1].replace("&amp;", "&")


def start_link(demo: RunningDemo, user: dict[str, str], scopes: list[str]) -> str:
    """The person taps "Link account" and chooses ``scopes``: the bank's sign-in URL."""
    with demo.live.client() as http:
        started = http.post(
            f"/api/v1/threads/{demo.page_id}/account_link",
            json={"url": demo.link_url, "scopes": scopes},
            headers={"Authorization": f"Bearer {user['access_token']}"},
        )
    assert started.status_code == 200, started.text
    return str(started.json()["redirect_url"])


def link_through_bank(
    demo: RunningDemo,
    user: dict[str, str],
    scopes: list[str],
    username: str = "claire.martin",
    password: str = "demo-4321",  # noqa: S107 - a demo customer
) -> str:
    """Link through the bank's sign-in page; returns the PSID the bank now knows."""
    redirect_url = start_link(demo, user, scopes)
    with in_app_browser(demo.live.url, user["access_token"]) as browser:
        page = browser.get(redirect_url)
        assert page.status_code == 200, page.text
        assert "Sign in to link your account" in page.text or "Đăng nhập" in page.text
        form = {
            name: hidden(page.text, name)
            for name in ("account_linking_token", "redirect_uri", "form_sig")
        }
        signed_in = browser.post(
            demo.link_url,
            data={**form, "username": username, "password": password, "decision": "link"},
        )
        assert signed_in.status_code == 303, signed_in.text
        location = signed_in.headers["location"]
        assert location.startswith(form["redirect_uri"] + "&authorization_code=")
        done = browser.get(location)
        assert 'data-outcome="linked"' in done.text, done.text[:500]
    deadline = time.monotonic() + 20
    while True:
        linked = [link for link in demo.bank.state.linked() if link.username == username]
        if linked:
            return linked[0].psid
        assert time.monotonic() < deadline, "the bank never got the linked webhook"
        time.sleep(0.05)
