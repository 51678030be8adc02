"""The demo bank against the real platform, both on loopback, over HTTP only: the webhook
receiver's signature check and handshake, account linking through the bank's sign-in page,
the bot, shared card payments, fraud alerts and the bank's reaction to the verdict."""

from __future__ import annotations

import hashlib
import hmac
import html
import json
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.demo import (
    RunningDemo,
    hidden as _hidden,
    link_through_bank as _link,
    running_demo,
    start_link as _start_link,
)
from tests.support.linking import in_app_browser
from tests.support.messages import (
    answer_button,
    buttons_of,
    is_alert,
    press,
    summary_of,
    text_of,
)
from tests.support.server import RunningPlatform, running_platform

pytestmark = pytest.mark.slow  # end to end: real processes or sockets

ALL_SCOPES = ["balances", "transactions", "receipts", "shipments", "fraud_alerts"]


@pytest.fixture
def live(database_url: str, tmp_path: Path) -> Iterator[RunningPlatform]:
    with running_platform(database_url, tmp_path) as running:
        yield running


@pytest.fixture
def demo(live: RunningPlatform, tmp_path: Path) -> Iterator[RunningDemo]:
    with running_demo(live, state_path=tmp_path / "bank-state.json") as running:
        yield running


def _auth(user: dict[str, str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {user['access_token']}"}


def _messages(demo: RunningDemo, user: dict[str, str]) -> list[dict[str, Any]]:
    with demo.live.client() as http:
        answer = http.get(
            f"/api/v1/threads/{demo.page_id}/messages", params={"limit": 100}, headers=_auth(user)
        )
    assert answer.status_code == 200, answer.text
    data: list[dict[str, Any]] = answer.json()["data"]
    return data


def _wait_for(
    demo: RunningDemo, user: dict[str, str], found: Callable[[dict[str, Any]], bool]
) -> dict[str, Any]:
    deadline = time.monotonic() + 20
    while True:
        for message in _messages(demo, user):
            if message["from"] == "page" and found(message):
                return message
        assert time.monotonic() < deadline, json.dumps(
            _messages(demo, user)[-5:], ensure_ascii=False
        )
        time.sleep(0.1)


def _text_has(part: str) -> Callable[[dict[str, Any]], bool]:
    return lambda message: part in text_of(message)


def _say(demo: RunningDemo, user: dict[str, str], body: dict[str, Any]) -> None:
    with demo.live.client() as http:
        answer = http.post(
            f"/api/v1/threads/{demo.page_id}/messages", json=body, headers=_auth(user)
        )
    assert answer.status_code == 201, answer.text


def test_webhook_handshake_and_signature_check(demo: RunningDemo) -> None:
    with httpx.Client(base_url=demo.url, timeout=10) as http:
        ok = http.get(
            "/webhook",
            params={
                "hub.mode": "subscribe",
                "hub.verify_token": demo.business["verify_token"],
                "hub.challenge": "c42",
            },
        )
        assert (ok.status_code, ok.text) == (200, "c42")
        wrong = http.get(
            "/webhook",
            params={"hub.mode": "subscribe", "hub.verify_token": "nope", "hub.challenge": "c42"},
        )
        assert wrong.status_code == 403

        psid = "1234567890"
        demo.bank.state.remember_code("code-1", psid, "an.nguyen")
        event = {
            "sender": {"id": psid},
            "recipient": {"id": demo.page_id},
            "timestamp": 1,
            "account_linking": {"status": "linked", "authorization_code": "code-1"},
        }
        body = json.dumps({"object": "page", "entry": [{"id": demo.page_id, "messaging": [event]}]})
        raw = body.encode()
        forged = "sha256=" + hmac.new(b"not-the-secret", raw, hashlib.sha256).hexdigest()
        for headers in ({}, {"X-Hub-Signature-256": forged}, {"X-Hub-Signature-256": "sha256="}):
            refused = http.post("/webhook", content=raw, headers=headers)
            assert refused.status_code == 403, headers
        # A body altered after signing is refused too.
        genuine = (
            "sha256="
            + hmac.new(demo.business["app_secret"].encode(), raw, hashlib.sha256).hexdigest()
        )
        tampered = raw.replace(b"code-1", b"code-2")
        assert (
            http.post(
                "/webhook", content=tampered, headers={"X-Hub-Signature-256": genuine}
            ).status_code
            == 403
        )
        time.sleep(0.3)
        assert demo.bank.state.link_of(psid) is None  # nothing forged was acted on


def test_an_unlinked_person_is_invited_to_link(live: RunningPlatform, demo: RunningDemo) -> None:
    user = live.create_user("Claire", locale="en")
    _say(demo, user, {"text": "Hello"})
    invitation = _wait_for(demo, user, lambda m: "attachment" in m)
    payload = invitation["attachment"]["payload"]
    assert payload["template_type"] == "button"
    assert payload["text"].startswith("Hello! This is Demo Bank.")
    assert payload["buttons"] == [
        {
            "type": "account_link",
            "url": demo.link_url,
            "scopes": ["balances", "transactions", "receipts", "shipments", "fraud_alerts"],
        }
    ]


def test_linking_through_the_bank_sign_in_page(live: RunningPlatform, demo: RunningDemo) -> None:
    user = live.create_user("Claire", locale="en")
    _say(demo, user, {"text": "Hello"})
    # A wrong password: the bank's page says so, nothing is linked.
    redirect_url = _start_link(demo, user, ALL_SCOPES)
    with in_app_browser(live.url, user["access_token"]) as browser:
        page = browser.get(redirect_url, headers={"Accept-Language": "en"})
        form = {
            n: _hidden(page.text, n) for n in ("account_linking_token", "redirect_uri", "form_sig")
        }
        wrong = browser.post(
            demo.link_url,
            data={**form, "username": "claire.martin", "password": "guess", "decision": "link"},
            headers={"Accept-Language": "en"},
        )
        assert wrong.status_code == 401
        assert "Wrong username or password." in wrong.text
        # A redirect_uri swapped for another site is refused (no open redirect).
        evil = browser.post(
            demo.link_url,
            data={
                **form,
                "redirect_uri": "https://evil.example/cb?x=1",
                "username": "claire.martin",
                "password": "demo-4321",
                "decision": "link",
            },
        )
        assert evil.status_code == 400
        assert "evil.example" not in evil.headers.get("location", "")
        direct = browser.get(
            demo.link_url,
            params={"account_linking_token": "t", "redirect_uri": "https://evil.example/cb"},
        )
        assert direct.status_code == 400
    assert demo.bank.state.linked() == []

    psid = _link(demo, user, ALL_SCOPES)
    welcome = _wait_for(demo, user, _text_has("Your account DB-0055-1200 is linked"))
    assert "card •••• 4321" in welcome["text"]
    # The bank shared the balance (the platform words it in the person's language).
    balance = _wait_for(demo, user, _text_has("₫61,000,000 available"))
    assert balance["text"].startswith("Balance of Current account")
    # The bot now knows who it talks to.
    _say(demo, user, {"quick_reply": {"title": "Cards", "payload": "CARDS"}})
    _wait_for(demo, user, _text_has("Card •••• 4321 is active."))
    assert demo.bank.state.link_of(psid) is not None


def test_the_bank_page_speaks_the_language_the_person_uses_in_the_chat(
    live: RunningPlatform, demo: RunningDemo
) -> None:
    """The bank asks the platform for the person's locale (the token's PSID, then the User
    Profile API), as a Messenger bot would: a browser set to another language does not
    decide; ``?lang=`` still does."""
    for locale, browser_language, title in (
        ("vi", "en", "Đăng nhập để liên kết tài khoản"),
        ("en", "vi", "Sign in to link your account"),
    ):
        user = live.create_user(f"Person {locale}", locale=locale)
        _say(demo, user, {"text": "Hello"})
        redirect_url = _start_link(demo, user, ALL_SCOPES)
        with in_app_browser(live.url, user["access_token"]) as browser:
            page = browser.get(redirect_url, headers={"Accept-Language": browser_language})
            assert page.status_code == 200
            assert f'<html lang="{locale}">' in page.text
            assert title in page.text
            chosen = browser.get(redirect_url + "&lang=" + browser_language)
            assert f'<html lang="{browser_language}">' in chosen.text


def test_a_suspicious_payment_asks_was_it_you_and_the_bank_freezes_the_card(
    live: RunningPlatform, demo: RunningDemo
) -> None:
    user = live.create_user("Claire", locale="en")
    _say(demo, user, {"text": "Hello"})
    psid = _link(demo, user, ALL_SCOPES)
    demo.simulate(psid, "payment")
    _wait_for(demo, user, lambda m: "VND" in text_of(m) or "₫" in text_of(m))
    demo.simulate(psid, "suspicious")
    alert = _wait_for(demo, user, lambda m: is_alert(m) and "Was it you?" in text_of(m))
    _say(demo, user, press(answer_button(alert, "fraud")))
    frozen = _wait_for(demo, user, _text_has("Card •••• 4321 frozen."))
    assert "will be refunded" in frozen["text"]
    assert demo.bank.state.is_frozen("4321")
    _say(demo, user, {"text": "cards?"})
    _wait_for(demo, user, _text_has("Card •••• 4321 is frozen."))


def test_a_genuine_verdict_gets_thanks_in_vietnamese(
    live: RunningPlatform, demo: RunningDemo
) -> None:
    user = live.create_user("An", locale="vi")
    _say(demo, user, {"text": "Xin chào"})
    invitation = _wait_for(demo, user, lambda m: "attachment" in m)
    assert invitation["attachment"]["payload"]["text"].startswith(
        "Xin chào! Đây là Ngân hàng Demo."
    )
    psid = _link(demo, user, ALL_SCOPES, username="an.nguyen", password="demo-1234")
    _wait_for(demo, user, _text_has("Đã liên kết tài khoản DB-0012-3456"))
    demo.simulate(psid, "suspicious")
    alert = _wait_for(demo, user, is_alert)
    _say(demo, user, press(answer_button(alert, "genuine")))
    _wait_for(demo, user, _text_has("Cảm ơn bạn, bạn không cần làm gì thêm."))
    assert not demo.bank.state.is_frozen("1234")


def test_without_the_balances_scope_the_bot_explains_and_nothing_is_shared(
    live: RunningPlatform, demo: RunningDemo
) -> None:
    user = live.create_user("Claire", locale="en")
    _say(demo, user, {"text": "Hello"})
    psid = _link(demo, user, ["transactions", "fraud_alerts"])
    _wait_for(demo, user, _text_has("is linked"))
    _say(demo, user, {"quick_reply": {"title": "Balance", "payload": "BALANCE"}})
    _wait_for(demo, user, _text_has("You have not shared balances with Demo Bank."))
    demo.simulate(psid, "receipt")  # refused by the platform (no consent): the bank carries on
    demo.simulate(psid, "payment")
    _wait_for(
        demo,
        user,
        lambda m: "Demo Bank" not in text_of(m) and "4321" in text_of(m),
    )
    texts = [text_of(m) for m in _messages(demo, user)]
    assert not any("DB-0055-1200" in t and "balance" in t.lower() for t in texts[2:])
    templates = [
        m["attachment"]["payload"]["template_type"]
        for m in _messages(demo, user)
        if "attachment" in m
    ]
    assert "receipt" not in templates


def test_not_me_on_an_ordinary_payment_freezes_the_card(
    live: RunningPlatform, demo: RunningDemo
) -> None:
    user = live.create_user("Claire", locale="en")
    _say(demo, user, {"text": "Hello"})
    psid = _link(demo, user, ALL_SCOPES)
    demo.simulate(psid, "payment")
    payment = _wait_for(demo, user, lambda m: summary_of(m).get("kind") == "payment")
    (not_me,) = buttons_of(payment)
    _say(demo, user, press(not_me))
    frozen = _wait_for(demo, user, _text_has("Card •••• 4321 frozen."))
    assert summary_of(payment)["merchant"] in text_of(frozen)  # the bank knew which payment
    assert demo.bank.state.is_frozen("4321")


def test_the_stream_shares_payments_balances_receipts_and_shipments(
    live: RunningPlatform, tmp_path: Path
) -> None:
    with running_demo(live, interval=0.3, suspicious_every=3) as demo:
        user = live.create_user("Claire", locale="en")
        _say(demo, user, {"text": "Hello"})
        _link(demo, user, ALL_SCOPES)
        _wait_for(demo, user, lambda m: is_alert(m) and "Was it you?" in text_of(m))
        receipt = _wait_for(
            demo,
            user,
            lambda m: (
                (m.get("attachment") or {}).get("payload", {}).get("template_type") == "receipt"
            ),
        )
        order = receipt["attachment"]["payload"]["order_number"]
        _wait_for(demo, user, _text_has(order))  # its shipment's first step
        shared = list(demo.bank.state.transactions.values())
        assert len(shared) >= 3
        assert sum(t.suspicious for t in shared) >= 1
        balances = [m for m in _messages(demo, user) if text_of(m).startswith("Balance of")]
        assert len(balances) >= 2  # one at linking, then every third round


def test_unlinking_makes_the_bank_forget(
    live: RunningPlatform, demo: RunningDemo, tmp_path: Path
) -> None:
    user = live.create_user("Claire", locale="en")
    _say(demo, user, {"text": "Hello"})
    psid = _link(demo, user, ALL_SCOPES)
    saved = json.loads((tmp_path / "bank-state.json").read_text())
    assert psid in saved["links"]
    with live.client() as http:
        gone = http.delete(f"/api/v1/links/{demo.page_id}", headers=_auth(user))
    assert gone.status_code in (200, 204), gone.text
    deadline = time.monotonic() + 20
    while demo.bank.state.link_of(psid) is not None:
        assert time.monotonic() < deadline, "the bank never got the unlinked webhook"
        time.sleep(0.05)
    assert psid not in json.loads((tmp_path / "bank-state.json").read_text())["links"]


def test_cancelling_at_the_bank_links_nothing(live: RunningPlatform, demo: RunningDemo) -> None:
    user = live.create_user("Claire", locale="en")
    _say(demo, user, {"text": "Hello"})
    redirect_url = _start_link(demo, user, ALL_SCOPES)
    with in_app_browser(live.url, user["access_token"]) as browser:
        page = browser.get(redirect_url)
        form = {
            n: _hidden(page.text, n) for n in ("account_linking_token", "redirect_uri", "form_sig")
        }
        cancelled = browser.post(demo.link_url, data={**form, "decision": "cancel"})
        assert cancelled.status_code == 303
        assert cancelled.headers["location"] == form["redirect_uri"]  # no code
        done = browser.get(cancelled.headers["location"])
        assert 'data-outcome="cancelled"' in done.text
    with live.client() as http:
        links = http.get("/api/v1/links", headers=_auth(user)).json()["data"]
    assert [link for link in links if link.get("status", "active") == "active"] == []
    assert demo.bank.state.linked() == []


def test_an_unknown_linking_token_gets_a_clear_page(
    live: RunningPlatform, demo: RunningDemo
) -> None:
    callback = f"{live.url}/account_linking/callback?state=x"
    with httpx.Client(timeout=30, headers={"Accept-Language": "en"}) as browser:
        page = browser.get(
            demo.link_url,
            params={"account_linking_token": "not-a-token", "redirect_uri": callback},
        )
        assert page.status_code == 200
        form = {
            n: _hidden(page.text, n) for n in ("account_linking_token", "redirect_uri", "form_sig")
        }
        answer = browser.post(
            demo.link_url,
            data={**form, "username": "an.nguyen", "password": "demo-1234", "decision": "link"},
        )
    assert answer.status_code == 400
    assert "This link request has expired." in answer.text
    assert demo.bank.state.linked() == []


def test_the_back_office_lists_links_and_refuses_forged_forms(
    live: RunningPlatform, demo: RunningDemo
) -> None:
    with httpx.Client(base_url=demo.url, timeout=30, headers={"Accept-Language": "en"}) as http:
        assert "No customer has linked yet." in http.get("/").text
        user = live.create_user("Claire", locale="en")
        _say(demo, user, {"text": "Hello"})
        psid = _link(demo, user, ALL_SCOPES)
        office = http.get("/")
        assert psid in office.text
        assert "Claire Martin" in office.text
        forged = http.post("/simulate", data={"csrf": "forged", "psid": psid, "kind": "payment"})
        assert forged.status_code == 403
        unknown = http.post(
            "/simulate",
            data={"csrf": _hidden(office.text, "csrf"), "psid": "nobody", "kind": "payment"},
        )
        assert unknown.status_code == 400
    demo.simulate(psid, "payment")
    _wait_for(demo, user, _text_has("Card •••• 4321: payment of"))


def test_a_fraud_verdict_for_a_payment_the_bank_forgot_still_freezes_the_card(
    live: RunningPlatform, demo: RunningDemo
) -> None:
    user = live.create_user("Claire", locale="en")
    _say(demo, user, {"text": "Hello"})
    psid = _link(demo, user, ALL_SCOPES)
    event = {
        "sender": {"id": psid},
        "recipient": {"id": demo.page_id},
        "timestamp": 1,
        "fraud_alert_response": {
            "alert_id": "al_x",
            "transaction_id": "dbtx_unknown",
            "verdict": "fraud",
        },
    }
    raw = json.dumps(
        {"object": "page", "entry": [{"id": demo.page_id, "messaging": [event]}]}
    ).encode()
    signature = (
        "sha256=" + hmac.new(demo.business["app_secret"].encode(), raw, hashlib.sha256).hexdigest()
    )
    answer = httpx.post(
        demo.url + "/webhook", content=raw, headers={"X-Hub-Signature-256": signature}
    )
    assert answer.status_code == 200
    _wait_for(
        demo,
        user,
        _text_has("Card •••• 4321 frozen. A new card will reach you within 5 working days."),
    )
    assert demo.bank.state.is_frozen("4321")


def test_a_person_new_to_the_bank_opens_an_account_and_links_as_themselves(
    live: RunningPlatform, demo: RunningDemo
) -> None:
    """Onboarding (issue 19 part 4): from the bank's sign-in page, "Open an account": a
    new customer with an account and a card, linked at once — no demo password needed."""
    user = live.create_user("Hoa", locale="vi")
    _say(demo, user, {"text": "Xin chào"})
    redirect_url = _start_link(demo, user, ALL_SCOPES)
    with in_app_browser(live.url, user["access_token"]) as browser:
        signin = browser.get(redirect_url, headers={"Accept-Language": "vi"})
        opening = re.search(r'href="([^"]+)" data-testid="open-account"', signin.text)
        assert opening is not None, signin.text[:500]
        page = browser.get(html.unescape(opening[1]))
        assert page.status_code == 200
        assert "Mở tài khoản Ngân hàng Demo" in page.text
        form = {
            n: _hidden(page.text, n) for n in ("account_linking_token", "redirect_uri", "form_sig")
        }
        fields = {"name": "Lê Thị Hoa", "username": "hoa.le", "account_locale": "vi", "lang": "vi"}
        for change, problem in [
            ({"username": "an.nguyen"}, "đã được dùng"),  # a demo customer's
            ({"username": "Hoa Le!"}, "3–32 ký tự"),
            ({"password": "short"}, "từ 8 đến 128 ký tự"),
            ({"name": "  "}, "họ và tên"),
        ]:
            refused = browser.post(
                demo.url + "/open",
                data={**form, **fields, "password": "mật khẩu dài", **change},
            )
            assert refused.status_code == 400, change
            assert problem in refused.text
        forged = browser.post(
            demo.url + "/open",
            data={**form, **fields, "password": "mật khẩu dài", "form_sig": "0" * 64},
        )
        assert forged.status_code == 400
        opened = browser.post(
            demo.url + "/open", data={**form, **fields, "password": "mật khẩu dài"}
        )
        assert opened.status_code == 303, opened.text
        done = browser.get(opened.headers["location"])
        assert 'data-outcome="linked"' in done.text, done.text[:500]
    customer = demo.bank.customer("hoa.le")
    assert customer is not None
    assert customer.name == "Lê Thị Hoa"
    assert customer.password_hash.startswith("scrypt$")
    assert "mật khẩu dài" not in customer.password_hash
    welcome = _wait_for(demo, user, _text_has(customer.account_id))
    assert f"•••• {customer.card_last4}" in welcome["text"]
    _wait_for(demo, user, _text_has("khả dụng 5.000.000"))  # the welcome deposit, shared
    # The same username cannot be opened twice; the new customer signs in with it.
    assert demo.bank.authenticate("hoa.le", "mật khẩu dài") == customer
    assert demo.bank.authenticate("hoa.le", "wrong password") is None
