"""Account linking end to end, over HTTP against a running server, with a bank stub on
loopback that does what a bank's /authorize does (PSID lookup, redirect with a code)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from ledgerline.domain.clock import FrozenClock, to_ms
from ledgerline.domain.scopes import Scope
from ledgerline.linking.actions import expire_and_remind
from ledgerline.linking.hooks import LinkAudit, Unlinked
from ledgerline.linking.queries import consent_records
from ledgerline.storage.database import UnitOfWork
from ledgerline.storage.stores import threads as thread_store
from ledgerline.storage.stores.linking import consent_scopes
from tests.support.bank import BankSite, BankStub
from tests.support.inprocess import InProcessServer, in_process_server
from tests.support.linking import in_app_browser

START = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)


@dataclass
class World:
    live: InProcessServer
    bank: BankSite
    clock: FrozenClock
    business: dict[str, str]
    user: dict[str, str]
    unlinked: list[Unlinked]
    audits: list[LinkAudit]

    @property
    def page_id(self) -> str:
        return self.business["page_id"]

    def auth(self, user: dict[str, str] | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {(user or self.user)['access_token']}"}

    def http(self) -> httpx.Client:
        return self.live.client()

    def browser(self, user: dict[str, str] | None = None) -> httpx.Client:
        """The person's app following the bank's redirects: their bearer token goes to the
        linking callback only (CONTRACTS §3)."""
        token = (user or self.user)["access_token"]
        return in_app_browser(
            self.live.url, token, follow_redirects=True, transport=self.live.transport
        )

    def anonymous(self) -> httpx.Client:
        """A browser with no Ledgerline credentials at all (no cookie, no token)."""
        return httpx.Client(timeout=30, follow_redirects=True, transport=self.live.transport)

    def lookup(self, token: str) -> httpx.Response:
        """The bank's PSID lookup for ``token`` (``GET /me?fields=recipient``)."""
        with self.http() as http:
            return http.get(
                "/v15.0/me",
                params={
                    "fields": "recipient",
                    "account_linking_token": token,
                    "access_token": self.business["page_access_token"],
                },
            )

    def start(self, scopes: list[str] | None = None, url: str | None = None) -> httpx.Response:
        with self.http() as http:
            return http.post(
                f"/api/v1/threads/{self.page_id}/account_link",
                headers=self.auth(),
                json={"url": url or self.bank.authorize_url, "scopes": scopes or ["balances"]},
            )

    def psid(self, user: dict[str, str] | None = None) -> str:
        thread = self.live.platform.db.read_sync(
            thread_store.get_thread, self.page_id, (user or self.user)["user_id"]
        )
        assert thread is not None
        return thread.psid

    def scopes_now(self) -> frozenset[Scope] | None:
        return self.live.platform.db.read_sync(
            consent_scopes, self.page_id, self.user["user_id"], to_ms(self.clock.now())
        )

    def links(self) -> list[dict[str, Any]]:
        with self.http() as http:
            answer = http.get("/api/v1/links", headers=self.auth())
        assert answer.status_code == 200, answer.text
        data: list[dict[str, Any]] = answer.json()["data"]
        return data

    def thread_messages(self) -> list[dict[str, Any]]:
        with self.http() as http:
            answer = http.get(f"/api/v1/threads/{self.page_id}/messages", headers=self.auth())
        assert answer.status_code == 200, answer.text
        data: list[dict[str, Any]] = answer.json()["data"]
        return data

    def link_events(self) -> list[dict[str, Any]]:
        return [e for e in self.bank.bank.receiver.events() if "account_linking" in e]

    def wait_link_events(self, count: int) -> list[dict[str, Any]]:
        self.bank.bank.receiver.wait_until(
            lambda: len(self.link_events()) >= count, f"{count} linking events", timeout=15
        )
        return self.link_events()

    def linked(self, scopes: list[str] | None = None) -> httpx.Response:
        started = self.start(scopes)
        assert started.status_code == 200, started.text
        with self.browser() as browser:
            page = browser.get(started.json()["redirect_url"])
        assert page.status_code == 200, page.text
        assert 'data-outcome="linked"' in page.text
        return page


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> Iterator[World]:
    clock = FrozenClock(START)
    with in_process_server(database_url, tmp_path, clock=clock) as live:
        stub = BankStub(platform_url=live.url, transport=live.hosts.async_transport())
        bank = BankSite(stub, live.serve(stub.asgi(), "bank"))
        business = live.create_business(
            "Ngân hàng Demo",
            webhook_url=bank.webhook_url,
            account_link_url=bank.authorize_url,
        )
        stub.page_access_token = business["page_access_token"]
        stub.receiver.app_secret = business["app_secret"]
        unlinked: list[Unlinked] = []
        audits: list[LinkAudit] = []
        hooks = live.app.state.ctx.linking_hooks

        def erase(uow: UnitOfWork, event: Unlinked) -> None:
            unlinked.append(event)

        def audit(uow: UnitOfWork, event: LinkAudit) -> None:
            audits.append(event)

        hooks.on_unlink.append(erase)
        hooks.on_audit.append(audit)
        yield World(live, bank, clock, business, live.create_user("An", "vi"),
                    unlinked, audits)  # fmt: skip


# -- the Messenger flow ---------------------------------------------------------------------
def test_link_succeeds_through_the_bank_and_sends_the_linked_webhook(world: World) -> None:
    started = world.start(["balances", "transactions"])
    assert started.status_code == 200, started.text
    body = started.json()
    redirect = urlsplit(body["redirect_url"])
    assert f"{redirect.scheme}://{redirect.netloc}{redirect.path}" == world.bank.authorize_url
    query = parse_qs(redirect.query)
    token = query["account_linking_token"][0]
    assert len(token) >= 43  # 256 bits, URL-safe
    redirect_uri = query["redirect_uri"][0]
    assert redirect_uri.startswith(world.live.url + "/account_linking/callback?state=")
    assert body["scopes"] == ["balances", "transactions"]
    assert body["consent_version"].startswith("vi-")

    with world.browser() as browser:
        page = browser.get(body["redirect_url"])
    assert page.status_code == 200, page.text
    assert 'data-outcome="linked"' in page.text
    assert '<html lang="vi">' in page.text
    assert page.headers["x-frame-options"] == "DENY"

    psid = world.psid()
    assert world.bank.bank.lookups == [{"status": 200, "id": world.page_id, "recipient": psid}]
    (event,) = world.wait_link_events(1)
    assert event["sender"] == {"id": psid}
    assert event["recipient"] == {"id": world.page_id}
    assert event["account_linking"] == {
        "status": "linked",
        "authorization_code": world.bank.bank.codes[0],
    }
    assert world.bank.bank.receiver.deliveries[-1].signature_ok

    # The confirmation in the thread, posted as the page, with an Unlink button.
    (message,) = world.thread_messages()
    assert message["from"] == "page"
    payload = message["attachment"]["payload"]
    assert "Ngân hàng Demo" in payload["text"]
    assert "Hủy liên kết" in payload["text"]
    assert payload["buttons"] == [{"type": "account_unlink"}]

    (link,) = world.links()
    assert link["status"] == "linked"
    assert link["scopes"] == ["balances", "transactions"]
    assert link["page_name"] == "Ngân hàng Demo"
    granted = datetime.fromisoformat(link["granted_time"])
    expires = datetime.fromisoformat(link["expires_time"])
    assert granted == START
    assert expires - granted == timedelta(days=180)
    assert world.scopes_now() == frozenset({Scope.BALANCES, Scope.TRANSACTIONS})
    assert [a.action for a in world.audits] == ["link"]
    (record,) = world.live.platform.db.query_sync(consent_records, world.user["user_id"])
    assert record["status"] == "active"
    assert record["scopes"] == ["balances", "transactions"]
    assert record["consent_version"] == body["consent_version"]
    assert record["given_time"] == record["granted_time"]
    assert datetime.fromisoformat(record["granted_time"]) == START
    assert datetime.fromisoformat(record["expires_time"]) == START + timedelta(days=180)


def test_bank_url_with_a_query_gets_the_token_appended_with_an_ampersand(world: World) -> None:
    started = world.start(url=world.bank.authorize_url + "?lang=vi")
    assert started.status_code == 200, started.text
    assert "/authorize?lang=vi&account_linking_token=" in started.json()["redirect_url"]


def test_cancel_at_the_bank_links_nothing(world: World) -> None:
    world.bank.bank.mode = "cancel"
    started = world.start()
    with world.browser() as browser:
        page = browser.get(started.json()["redirect_url"])
    assert page.status_code == 200
    assert 'data-outcome="cancelled"' in page.text
    assert world.links() == []
    assert world.scopes_now() is None
    assert world.thread_messages() == []
    assert world.link_events() == []


def _token_of(started: httpx.Response) -> str:
    return str(parse_qs(urlsplit(started.json()["redirect_url"]).query)["account_linking_token"][0])


def test_a_link_completed_without_the_persons_credentials_is_refused(world: World) -> None:
    # Link phishing: a flow started through the person API (an attacker's own account, say)
    # whose bank redirect is completed in a browser with no Ledgerline cookie (the victim's):
    # before, the victim's bank account was linked to the attacker's Ledgerline account.
    started = world.start(["balances", "transactions"])
    assert started.status_code == 200, started.text
    with world.anonymous() as victim:
        page = victim.get(started.json()["redirect_url"])
    assert page.status_code == 403
    assert 'data-outcome="refused"' in page.text
    assert world.bank.bank.codes, "the bank issued a code: the callback itself refused it"
    assert world.links() == []
    assert world.scopes_now() is None
    assert world.link_events() == []
    assert world.thread_messages() == []
    assert world.audits[-1].action == "link_refused"
    assert world.audits[-1].detail["reason"] == "no_credentials"
    # The flow has ended: its token resolves no more.
    assert world.lookup(_token_of(started)).json()["error"]["code"] == 10301
    # A bearer token of another person is refused the same way.
    mallory = world.live.create_user("Mallory", "en")
    started = world.start()
    with world.browser(mallory) as other_app:
        page = other_app.get(started.json()["redirect_url"])
    assert page.status_code == 403
    assert world.audits[-1].detail["reason"] == "session"
    assert world.links() == []
    # The person themselves, with their token on the callback, links.
    started = world.start()
    with world.browser() as app:
        page = app.get(started.json()["redirect_url"])
    assert 'data-outcome="linked"' in page.text


def test_a_linking_token_stops_resolving_once_its_flow_has_ended(world: World) -> None:
    linked = world.start()
    token = _token_of(linked)
    assert world.lookup(token).status_code == 200  # under way: the bank may look it up
    with world.browser() as app:
        assert 'data-outcome="linked"' in app.get(linked.json()["redirect_url"]).text
    assert world.lookup(token).json()["error"]["code"] == 10301  # linked: ended
    world.bank.bank.mode = "cancel"
    cancelled = world.start()
    with world.browser() as app:
        assert 'data-outcome="cancelled"' in app.get(cancelled.json()["redirect_url"]).text
    assert world.lookup(_token_of(cancelled)).json()["error"]["code"] == 10301


def test_expired_token_is_refused_at_lookup_and_callback(world: World) -> None:
    started = world.start()
    query = parse_qs(urlsplit(started.json()["redirect_url"]).query)
    token, redirect_uri = query["account_linking_token"][0], query["redirect_uri"][0]
    world.clock.advance(timedelta(minutes=5, seconds=1))
    with world.http() as http:
        answer = http.get(
            "/v2.6/me",
            params={
                "fields": "recipient",
                "account_linking_token": token,
                "access_token": world.business["page_access_token"],
            },
        )
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["message"] == "(#10301) Account linking token expired"
    assert error["code"] == 10301
    assert error["type"] == "OAuthException"
    with world.browser() as browser:
        page = browser.get(redirect_uri + "&authorization_code=abc")
    assert page.status_code == 400
    assert 'data-outcome="expired"' in page.text
    assert world.links() == []
    assert world.scopes_now() is None


def test_reused_redirect_uri_links_once(world: World) -> None:
    started = world.start()
    redirect_uri = parse_qs(urlsplit(started.json()["redirect_url"]).query)["redirect_uri"][0]
    with world.browser() as browser:
        first = browser.get(redirect_uri + "&authorization_code=first")
        second = browser.get(redirect_uri + "&authorization_code=second")
    assert 'data-outcome="linked"' in first.text
    assert second.status_code == 409
    assert 'data-outcome="used"' in second.text
    (event,) = world.wait_link_events(1)
    assert event["account_linking"]["authorization_code"] == "first"


def test_lookup_with_another_business_token_reveals_nothing(world: World) -> None:
    other = world.live.create_business("Other Bank", account_link_url="https://other.example/a")
    started = world.start()
    token = parse_qs(urlsplit(started.json()["redirect_url"]).query)["account_linking_token"][0]
    with world.http() as http:
        for method in ("GET", "POST"):
            answer = http.request(
                method,
                "/v15.0/me",
                params={"fields": "recipient", "account_linking_token": token},
                headers={"Authorization": f"Bearer {other['page_access_token']}"},
            )
            assert answer.status_code == 400
            assert answer.json()["error"]["code"] == 10301
            assert world.psid() not in answer.text
        # The right business, by POST as fbmessenger does, without a version prefix.
        mine = http.post(
            "/me",
            params={"fields": "recipient", "account_linking_token": token,
                    "access_token": world.business["page_access_token"]},
        )  # fmt: skip
    assert mine.json() == {"id": world.page_id, "recipient": world.psid()}


def test_account_link_url_must_be_the_registered_one(world: World) -> None:
    wrong = world.start(url="https://evil.example/authorize")
    assert wrong.status_code == 400
    assert wrong.json()["error"]["message"] == (
        "(#100) param url must match the business's registered account-link URL"
    )
    # The Send API refuses such a button too.
    with world.http() as http:
        http.post(f"/api/v1/threads/{world.page_id}/messages", headers=world.auth(),
                  json={"text": "hi"})  # fmt: skip
        sent = http.post(
            "/v15.0/me/messages",
            params={"access_token": world.business["page_access_token"]},
            json={
                "recipient": {"id": world.psid()},
                "message": {"attachment": {"type": "template", "payload": {
                    "template_type": "button", "text": "Log in",
                    "buttons": [{"type": "account_link", "url": "https://evil.example/a"}]}}},
            },
        )  # fmt: skip
        good = http.post(
            "/v15.0/me/messages",
            params={"access_token": world.business["page_access_token"]},
            json={
                "recipient": {"id": world.psid()},
                "message": {"attachment": {"type": "template", "payload": {
                    "template_type": "button", "text": "Log in",
                    "buttons": [{"type": "account_link", "url": world.bank.authorize_url}]}}},
            },
        )  # fmt: skip
    assert sent.status_code == 400
    assert "registered account-link URL" in sent.json()["error"]["message"]
    assert good.status_code == 200, good.text


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"url": "https://x", "scopes": ["balances", "salary"]}, "unknown scope 'salary'"),
        ({"scopes": ["balances"]}, "url"),
        ({"url": "placeholder", "scopes": []}, "at least one scope"),
    ],
)
def test_bad_start_requests_are_messenger_shaped_400s(
    world: World, body: dict[str, Any], message: str
) -> None:
    if body.get("url") == "placeholder":
        body = {**body, "url": world.bank.authorize_url}
    with world.http() as http:
        answer = http.post(
            f"/api/v1/threads/{world.page_id}/account_link", headers=world.auth(), json=body
        )
        unknown = http.post(
            "/api/v1/threads/999/account_link", headers=world.auth(),
            json={"url": world.bank.authorize_url, "scopes": ["balances"]},
        )  # fmt: skip
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]["code"] == 100
    assert message in answer.json()["error"]["message"]
    assert unknown.status_code == 404


# -- unlinking --------------------------------------------------------------------------------
def test_person_unlinks_and_the_bank_is_told_and_data_erased(world: World) -> None:
    world.linked()
    with world.http() as http:
        answer = http.delete(f"/api/v1/links/{world.page_id}", headers=world.auth())
        again = http.delete(f"/api/v1/links/{world.page_id}", headers=world.auth())
    assert answer.status_code == 200
    assert answer.json() == {"success": True}
    assert again.status_code == 404
    events = world.wait_link_events(2)
    assert events[-1]["account_linking"] == {"status": "unlinked"}
    assert events[-1]["sender"] == {"id": world.psid()}
    (erased,) = world.unlinked
    assert (erased.page_id, erased.user_id, erased.by) == (
        world.page_id, world.user["user_id"], "person")  # fmt: skip
    assert world.scopes_now() is None
    assert world.links()[0]["status"] == "unlinked"
    assert [a.action for a in world.audits] == ["link", "unlink"]
    assert world.thread_messages()[-1]["text"].startswith("Bạn đã hủy liên kết tài khoản tại")


def test_unlink_button_unlinks(world: World) -> None:
    world.linked()
    with world.http() as http:
        answer = http.post(f"/api/v1/threads/{world.page_id}/account_unlink",
                           headers=world.auth())  # fmt: skip
    assert answer.status_code == 200
    assert world.wait_link_events(2)[-1]["account_linking"] == {"status": "unlinked"}
    assert world.scopes_now() is None


def test_bank_unlinks_with_unlink_accounts(world: World) -> None:
    world.linked()
    with world.http() as http:
        answer = http.post(
            "/v2.12/me/unlink_accounts",
            params={"access_token": world.business["page_access_token"]},
            json={"psid": world.psid()},
        )
        unknown = http.post(
            "/me/unlink_accounts",
            params={"access_token": world.business["page_access_token"]},
            json={"psid": "123"},
        )
        missing = http.post(
            "/me/unlink_accounts",
            params={"access_token": world.business["page_access_token"]},
            json={},
        )
    assert answer.status_code == 200
    assert answer.json() == {"result": "unlink account success"}
    assert unknown.status_code == 400
    assert unknown.json()["error"]["error_subcode"] == 2018001
    assert missing.status_code == 400
    assert missing.json()["error"]["code"] == 100
    assert world.wait_link_events(2)[-1]["account_linking"] == {"status": "unlinked"}
    assert world.unlinked[0].by == "business"
    assert world.thread_messages()[-1]["text"].startswith("Ngân hàng Demo đã hủy liên kết")
    assert world.scopes_now() is None


# -- consent: scopes, expiry, reminders -------------------------------------------------------
def test_scopes_narrow_and_widen_without_relinking(world: World) -> None:
    world.linked(["balances", "transactions"])
    with world.http() as http:
        narrowed = http.patch(f"/api/v1/links/{world.page_id}", headers=world.auth(),
                              json={"scopes": ["balances"]})  # fmt: skip
        assert narrowed.status_code == 200, narrowed.text
        assert narrowed.json()["scopes"] == ["balances"]
        assert world.scopes_now() == frozenset({Scope.BALANCES})
        widened = http.patch(f"/api/v1/links/{world.page_id}", headers=world.auth(),
                             json={"scopes": ["balances", "receipts"]})  # fmt: skip
        empty = http.patch(f"/api/v1/links/{world.page_id}", headers=world.auth(),
                           json={"scopes": []})  # fmt: skip
        other = http.patch("/api/v1/links/42", headers=world.auth(), json={"scopes": ["balances"]})
    assert widened.json()["scopes"] == ["balances", "receipts"]
    assert widened.json()["expires_time"] == narrowed.json()["expires_time"]
    assert world.scopes_now() == frozenset({Scope.BALANCES, Scope.RECEIPTS})
    assert empty.status_code == 400
    assert other.status_code == 404
    assert [a.action for a in world.audits] == ["link", "change_scopes", "change_scopes"]
    assert world.audits[1].detail["scopes"] == "balances"
    assert world.link_events()[-1]["account_linking"]["status"] == "linked"  # no relink


def test_reminder_once_then_expiry_stops_sharing_and_erases(world: World) -> None:
    world.linked()
    db = world.live.platform.db

    def sweep() -> tuple[int, int]:
        hooks = world.live.app.state.ctx.linking_hooks
        report = db.write_sync(expire_and_remind, now=to_ms(world.clock.now()), hooks=hooks,
                               partition="linking:expiry")  # fmt: skip
        return report.expired, report.reminded

    world.clock.advance(timedelta(days=172))
    assert sweep() == (0, 0)
    world.clock.advance(timedelta(days=1, hours=1))  # 6 days 23 hours left
    assert sweep() == (0, 1)
    assert sweep() == (0, 0)  # once
    reminder = world.thread_messages()[-1]
    assert "hết hạn" in reminder["text"]
    assert world.scopes_now() == frozenset({Scope.BALANCES})

    world.clock.advance(timedelta(days=7))
    assert world.scopes_now() is None  # stopped even before the worker marks it
    assert world.links()[0]["status"] == "expired"
    assert sweep() == (1, 0)
    assert sweep() == (0, 0)
    assert world.links()[0]["status"] == "expired"
    assert world.wait_link_events(2)[-1]["account_linking"] == {"status": "unlinked"}
    assert [u.by for u in world.unlinked] == ["expiry"]
    assert "đã hết hạn" in world.thread_messages()[-1]["text"]
    with world.http() as http:
        renew = http.patch(f"/api/v1/links/{world.page_id}", headers=world.auth(),
                           json={"renew": True})  # fmt: skip
    assert renew.status_code == 404  # expired: link again


def test_renew_starts_a_new_term(world: World) -> None:
    world.linked()
    world.clock.advance(timedelta(days=100))
    with world.http() as http:
        renewed = http.patch(f"/api/v1/links/{world.page_id}", headers=world.auth(),
                             json={"renew": True})  # fmt: skip
    assert renewed.status_code == 200, renewed.text
    expires = datetime.fromisoformat(renewed.json()["expires_time"])
    assert expires == START + timedelta(days=280)


# -- the consent screen in a browser, and its protections -------------------------------------
def _ticket(html: str) -> str:
    match = re.search(r'name="ticket" value="([^"]+)"', html)
    assert match is not None, html
    return match.group(1)


def _consent_url(world: World) -> str:
    with world.http() as http:
        answer = http.post(
            f"/api/v1/threads/{world.page_id}/account_link/consent_url",
            headers=world.auth(),
            json={"url": world.bank.authorize_url},
        )
    assert answer.status_code == 200, answer.text
    url: str = answer.json()["consent_url"]
    return url


def test_consent_screen_lets_the_person_untick_scopes(world: World) -> None:
    with world.browser() as browser:
        screen = browser.get(_consent_url(world))
        assert screen.status_code == 200
        assert '<html lang="vi">' in screen.text
        for name in ("Số dư tài khoản", "Giao dịch", "Hóa đơn", "Giao hàng",
                     "Cảnh báo gian lận", "Chăm sóc khách hàng", "180 ngày", "Ngân hàng Demo"):  # fmt: skip
            assert name in screen.text
        assert "Đã đăng nhập: An" in screen.text
        assert screen.headers["content-security-policy"].count("frame-ancestors 'none'") == 1
        ticket = _ticket(screen.text)
        result = browser.post(
            world.live.url + "/account_linking/consent",
            data={"ticket": ticket, "scopes": ["balances", "fraud_alerts"], "decision": "accept"},
        )
        assert result.status_code == 200, result.text
        assert 'data-outcome="linked"' in result.text
        replay = browser.post(
            world.live.url + "/account_linking/consent",
            data={"ticket": ticket, "scopes": ["balances"], "decision": "accept"},
            follow_redirects=False,
        )
    assert replay.status_code in (403, 409)  # the consent cookie is gone, and the nonce spent
    assert world.scopes_now() == frozenset({Scope.BALANCES, Scope.FRAUD_ALERTS})
    (link,) = world.links()
    assert link["consent_version"].startswith("vi-")


def _consent_screen(world: World, **params: str) -> str:
    with world.http() as http:
        screen = http.get(
            "/account_linking/consent",
            params={"page_id": world.page_id, "url": world.bank.authorize_url, **params},
            headers=world.auth(),
        )
    assert screen.status_code == 200, screen.text
    return screen.text


def _ticked(html: str) -> set[str]:
    return set(re.findall(r'name="scopes" value="([a-z_]+)" checked', html))


def _bank_button(world: World, button: dict[str, Any]) -> httpx.Response:
    """The bank sends the person a Log In button (Send API)."""
    with world.http() as http:
        return http.post(
            "/v15.0/me/messages",
            params={"access_token": world.business["page_access_token"]},
            json={
                "recipient": {"id": world.psid()},
                "message": {
                    "attachment": {
                        "type": "template",
                        "payload": {"template_type": "button", "text": "Link", "buttons": [button]},
                    }
                },
            },
        )


def test_only_the_scopes_the_business_asked_for_start_ticked(world: World) -> None:
    # No request from the business yet: every box starts unticked (consent is an act).
    assert _ticked(_consent_screen(world)) == set()
    with world.http() as http:
        said = http.post(
            f"/api/v1/threads/{world.page_id}/messages", headers=world.auth(), json={"text": "Hi"}
        )
    assert said.status_code == 201
    asked = {"type": "account_link", "url": world.bank.authorize_url}
    sent = _bank_button(world, {**asked, "scopes": ["transactions", "balances"]})
    assert sent.status_code == 200, sent.text
    html = _consent_screen(world)
    assert _ticked(html) == {"balances", "transactions"}
    assert set(re.findall(r'data-requested="([a-z_]+)"', html)) == {"balances", "transactions"}
    assert "Ngân hàng Demo đề nghị" in html
    # The consent screen's URL may narrow what starts ticked, never widen it.
    assert _ticked(_consent_screen(world, scopes="customer_service,balances")) == {"balances"}
    # The newest request counts: a button that names no scopes asks for nothing in particular.
    assert _bank_button(world, asked).status_code == 200
    assert _ticked(_consent_screen(world)) == set()
    # A request for a scope that does not exist is refused like any bad parameter.
    refused = _bank_button(world, {**asked, "scopes": ["everything"]})
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == 100


def test_consent_screen_in_english_and_for_an_api_client(world: World) -> None:
    english = world.live.create_user("Ann", "en")
    with world.http() as http:
        screen = http.get(
            "/account_linking/consent",
            params={"page_id": world.page_id, "url": world.bank.authorize_url},
            headers=world.auth(english),
        )
        anonymous = http.get(
            "/account_linking/consent",
            params={"page_id": world.page_id, "url": world.bank.authorize_url},
        )
        wrong_url = http.get(
            "/account_linking/consent",
            params={"page_id": world.page_id, "url": "https://evil.example/x"},
            headers=world.auth(english),
        )
    assert screen.status_code == 200
    assert '<html lang="en">' in screen.text
    assert "Account balances" in screen.text
    assert "180 days" in screen.text
    assert anonymous.status_code == 401
    assert wrong_url.status_code == 400
    assert "registered account-link URL" in wrong_url.text


def test_consent_form_needs_the_cookie_of_the_browser_that_loaded_it(world: World) -> None:
    with world.browser() as victim_browser:
        screen = victim_browser.get(_consent_url(world))
    ticket = _ticket(screen.text)
    with world.browser() as attacker:  # no consent cookie: a cross-site forged POST
        forged = attacker.post(
            world.live.url + "/account_linking/consent",
            data={"ticket": ticket, "scopes": ["balances"]},
            follow_redirects=False,
        )
    assert forged.status_code == 403
    assert 'data-outcome="refused"' in forged.text
    with world.browser() as browser:
        screen = browser.get(_consent_url(world))
        other_origin = browser.post(
            world.live.url + "/account_linking/consent",
            data={"ticket": _ticket(screen.text), "scopes": ["balances"]},
            headers={"Origin": "https://evil.example"},
            follow_redirects=False,
        )
        declined = browser.post(
            world.live.url + "/account_linking/consent",
            data={"ticket": _ticket(screen.text), "decision": "decline"},
        )
        none_ticked = browser.post(
            world.live.url + "/account_linking/consent",
            data={"ticket": _ticket(screen.text), "decision": "accept"},
        )
    assert other_origin.status_code == 403
    assert 'data-outcome="cancelled"' in declined.text
    assert none_ticked.status_code == 400
    assert "ít nhất một" in none_ticked.text
    assert world.links() == []


def test_callback_in_another_browser_or_session_is_refused(world: World) -> None:
    # The form started in one browser; the bank's redirect lands in another (link-phishing:
    # an attacker's link request completed by the victim).
    with world.browser() as browser:
        screen = browser.get(_consent_url(world))
        started = browser.post(
            world.live.url + "/account_linking/consent",
            data={"ticket": _ticket(screen.text), "scopes": ["balances"]},
            follow_redirects=False,
        )
    assert started.status_code == 303
    bank_url = started.headers["location"]
    with world.browser() as other_browser:
        page = other_browser.get(bank_url)
    assert page.status_code == 403
    assert 'data-outcome="refused"' in page.text
    assert world.links() == []
    assert world.link_events() == []
    assert world.audits[-1].action == "link_refused"

    # A browser signed in (web app session) as another person is refused too.
    mallory = world.live.create_user("Mallory", "en")

    async def resolver(request: Any) -> str | None:
        return mallory["user_id"] if request.cookies.get("session") == "mallory" else None

    world.live.app.state.session_resolver = resolver
    started_api = world.start()
    with world.browser() as browser:
        browser.cookies.set("session", "mallory")
        page = browser.get(started_api.json()["redirect_url"])
    assert page.status_code == 403
    assert 'data-outcome="refused"' in page.text
    assert world.links() == []


def test_bad_callbacks_render_pages_not_errors(world: World) -> None:
    with world.http() as http:
        missing = http.get("/account_linking/callback")
        unknown = http.get("/account_linking/callback", params={"state": "nope"})
        bad_ticket = http.get("/account_linking/consent", params={"ticket": "a.b"})
        bad_form = http.post("/account_linking/consent", data={"ticket": "x"})
    for answer in (missing, unknown, bad_ticket, bad_form):
        assert answer.status_code == 400
        assert answer.headers["content-type"].startswith("text/html")


def test_every_linking_endpoint_is_documented(world: World) -> None:
    with world.http() as http:
        spec = http.get("/openapi.json").json()
    paths = spec["paths"]
    for path in (
        "/me",
        "/me/unlink_accounts",
        "/api/v1/threads/{page_id}/account_link",
        "/api/v1/threads/{page_id}/account_link/consent_url",
        "/api/v1/threads/{page_id}/account_unlink",
        "/api/v1/links",
        "/api/v1/links/{page_id}",
        "/api/v1/consent_text",
        "/account_linking/consent",
        "/account_linking/callback",
    ):
        assert path in paths, path
    body = paths["/api/v1/threads/{page_id}/account_link"]["post"]["requestBody"]
    assert body["content"]["application/json"]["examples"]
    form = paths["/account_linking/consent"]["post"]["requestBody"]["content"]
    assert form["application/x-www-form-urlencoded"]["example"]["decision"] == "accept"


def test_unfinished_attempts_are_cancelled_and_their_tokens_forgotten(world: World) -> None:
    from ledgerline.storage.stores import linking as link_store

    started = world.start()
    token = parse_qs(urlsplit(started.json()["redirect_url"]).query)["account_linking_token"][0]
    db = world.live.platform.db
    world.clock.advance(timedelta(days=2))
    hooks = world.live.app.state.ctx.linking_hooks
    db.write_sync(expire_and_remind, now=to_ms(world.clock.now()), hooks=hooks)
    assert db.read_sync(link_store.token_by_hash, link_store_digest(token)) is None
    assert db.read_sync(link_store.active_consent, world.page_id, world.user["user_id"]) is None
    assert world.links() == []
    assert world.unlinked == []


def link_store_digest(token: str) -> str:
    from ledgerline.linking.tokens import digest

    return digest(token)


def test_me_without_a_token_and_consent_text(world: World) -> None:
    page_token = world.business["page_access_token"]
    with world.http() as http:
        plain = http.get("/v2.6/me", params={"access_token": page_token})
        no_token = http.get("/me", params={"fields": "recipient", "access_token": page_token})
        no_auth = http.get("/me", params={"fields": "recipient", "account_linking_token": "x"})
        text = http.get("/api/v1/consent_text", params={"page_id": world.page_id},
                        headers=world.auth())  # fmt: skip
    assert plain.json() == {"id": world.page_id, "name": "Ngân hàng Demo"}
    assert no_token.status_code == 400
    assert no_token.json()["error"]["message"] == "(#100) param account_linking_token is required"
    assert no_auth.status_code == 400
    assert no_auth.json()["error"]["code"] == 190
    assert text.status_code == 200
    body = text.json()
    assert body["locale"] == "vi"
    assert [s["scope"] for s in body["scopes"]] == [s.value for s in Scope]
    assert body["days"] == 180


def test_consent_ticket_opened_while_signed_in_as_someone_else_is_refused(world: World) -> None:
    mallory = world.live.create_user("Mallory", "en")

    async def resolver(request: Any) -> str | None:
        return mallory["user_id"] if request.cookies.get("session") == "mallory" else None

    world.live.app.state.session_resolver = resolver
    url = _consent_url(world)
    with world.browser() as browser:
        browser.cookies.set("session", "mallory")
        screen = browser.get(url)
    assert screen.status_code == 403
    assert 'data-outcome="refused"' in screen.text


def test_the_unlinked_message_names_every_kind_erased(world: World) -> None:
    """Data of a kind switched off earlier is erased too, and the message says so."""
    world.linked(["transactions", "receipts"])
    with world.http() as http:
        sent = http.post(
            "/v2.6/me/transactions",
            params={"access_token": world.business["page_access_token"]},
            json={
                "psid": world.psid(),
                "transactions": [
                    {
                        "transaction_id": "t-1",
                        "amount": {"amount": "1000", "currency": "VND"},
                        "booked_at": "2026-11-29T08:15:00+07:00",
                    }
                ],
            },
        )
        assert sent.status_code == 200, sent.text
        narrowed = http.patch(
            f"/api/v1/links/{world.page_id}", headers=world.auth(), json={"scopes": ["receipts"]}
        )
        assert narrowed.status_code == 200, narrowed.text
        assert http.delete(f"/api/v1/links/{world.page_id}", headers=world.auth()).is_success
    last = world.thread_messages()[-1]["text"]
    assert last.startswith("Bạn đã hủy liên kết tài khoản tại Ngân hàng Demo.")
    assert last.endswith("Đã xóa: 1 giao dịch, 1 cập nhật.")
