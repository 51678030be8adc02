"""Link a person to a business through the real flow (API start → bank → callback)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from ledgerline.bootstrap import Services
from ledgerline.domain.clock import to_ms
from ledgerline.domain.scopes import Scope
from ledgerline.linking.actions import do_complete_link, do_start_link
from ledgerline.storage.stores import identity as web_store, threads as thread_store
from tests.support.bank import BankSite, BankStub, RunningBank
from tests.support.inprocess import InProcessServer
from tests.support.server import RunningPlatform


def in_app_browser(platform_url: str, access_token: str, **kwargs: Any) -> httpx.Client:
    """A client as a native app's browser: it follows the bank's pages with no credentials
    and sends the person's ``Authorization: Bearer`` token only to the platform's linking
    callback (CONTRACTS §3: the callback is accepted only with that person's credentials)."""
    callback = platform_url.rstrip("/") + "/account_linking/callback"

    def authorise(request: httpx.Request) -> None:
        if str(request.url).startswith(callback):
            request.headers["Authorization"] = f"Bearer {access_token}"

    return httpx.Client(timeout=30, event_hooks={"request": [authorise]}, **kwargs)


@dataclass
class LinkedWorld:
    live: RunningPlatform
    bank: BankSite
    business: dict[str, str]

    def link(self, user: dict[str, str], scopes: list[str]) -> str:
        """Link ``user`` with ``scopes``; returns the PSID the bank knows them by."""
        with self.live.client() as http:
            started = http.post(
                f"/api/v1/threads/{self.business['page_id']}/account_link",
                headers={"Authorization": f"Bearer {user['access_token']}"},
                json={"url": self.bank.authorize_url, "scopes": scopes},
            )
        assert started.status_code == 200, started.text
        with in_app_browser(
            self.live.url,
            user["access_token"],
            follow_redirects=True,
            transport=self.live.transport,
        ) as app:
            page = app.get(started.json()["redirect_url"])
        assert 'data-outcome="linked"' in page.text, page.text[:500]
        thread = self.live.platform.db.read_sync(
            thread_store.get_thread, self.business["page_id"], user["user_id"]
        )
        assert thread is not None
        return thread.psid

    def bank_post(self, path: str, body: Any) -> httpx.Response:
        """The bank's call to ``POST /v19.0/me/<path>`` with its page token."""
        with self.live.client() as http:
            return http.post(
                f"/v19.0/me/{path}",
                json=body,
                headers={"Authorization": f"Bearer {self.business['page_access_token']}"},
            )

    def psid_of_login(self, login: str) -> str:
        """The PSID the bank knows a web-app person (by sign-in name) by."""
        db = self.live.platform.db
        credential = db.read_sync(web_store.credential_for_login, login)
        assert credential is not None
        thread = db.read_sync(thread_store.get_thread, self.business["page_id"], credential.user_id)
        assert thread is not None
        return thread.psid


@contextlib.contextmanager
def linked_world(live: RunningPlatform, name: str = "Ngân hàng Demo") -> Iterator[LinkedWorld]:
    """A business whose bank (a ``BankStub``) takes its webhooks and links people: served
    in process beside an ``in_process_server``, on loopback beside a real server."""
    with contextlib.ExitStack() as stack:
        if isinstance(live, InProcessServer):
            stub = BankStub(platform_url=live.url, transport=live.hosts.async_transport())
            bank = BankSite(stub, live.serve(stub.asgi(), "bank"))
        else:
            stub = BankStub(platform_url=live.url)
            bank = stack.enter_context(RunningBank(stub))
        business = live.create_business(
            name, webhook_url=bank.webhook_url, account_link_url=bank.authorize_url
        )
        stub.page_access_token = business["page_access_token"]
        stub.receiver.app_secret = business["app_secret"]
        yield LinkedWorld(live, bank, business)


def link_with_actions(
    platform: Services, *, user_id: str, page_id: str, url: str, scopes: frozenset[Scope]
) -> None:
    """Link a person through the linking actions themselves (start, then the bank's
    callback with a code), for in-process tests that need a link but not its web pages."""
    now = to_ms(platform.clock.now())
    started = platform.db.write_sync(
        do_start_link,
        user_id=user_id,
        page_id=page_id,
        url=url,
        scopes=scopes,
        text_version=None,
        public_url="http://127.0.0.1:8000",
        now=now,
    )
    redirect_uri = parse_qs(urlsplit(started.redirect_url).query)["redirect_uri"][0]
    state = parse_qs(urlsplit(redirect_uri).query)["state"][0]
    platform.db.write_sync(
        do_complete_link,
        state=state,
        code="code-" + user_id,
        caller=user_id,
        binding=None,
        now=now,
        hooks=platform.linking_hooks,
    )
