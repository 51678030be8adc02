"""The web app's sign-up, sign-in, sessions, CSRF and the bank console, over real HTTP."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ledgerline.identity.sessions import session_hash
from ledgerline.storage.stores import identity as web_store
from tests.support.forms import console_sign_in, form_token, person_sign_up
from tests.support.receiver import RunningReceiver, WebhookReceiver
from tests.support.server import RunningPlatform, running_platform


@pytest.fixture
def live(database_url: str, tmp_path: Path) -> Iterator[RunningPlatform]:
    with running_platform(database_url, tmp_path) as running:
        yield running


def _browser(live: RunningPlatform) -> httpx.Client:
    return httpx.Client(base_url=live.url, timeout=30, headers={"Origin": live.url})


def _sign_up(
    http: httpx.Client,
    login: str = "an.nguyen",
    password: str = "correct horse",  # noqa: S107
) -> str:
    return person_sign_up(http, login, password)


def test_sign_up_sets_a_hardened_session_cookie_and_serves_the_messenger(
    live: RunningPlatform,
) -> None:
    with _browser(live) as http:
        token = form_token(http.get("/signup"))
        response = http.post(
            "/signup",
            data={
                "csrf": token,
                "name": "An",
                "login": "+84 912 345 678",
                "password": "long enough",
                "locale": "en",
                "timezone": "Asia/Ho_Chi_Minh",
            },
        )
        cookie = next(h for h in response.headers.get_list("set-cookie") if "ll_session=" in h)
        assert "HttpOnly" in cookie
        assert "SameSite=lax" in cookie
        assert "Max-Age=" in cookie
        assert "Secure" not in cookie  # the public URL is http here
        page = http.get("/")
        assert page.status_code == 200
        csp = page.headers["content-security-policy"]
        assert "script-src 'self'" in csp
        assert "unsafe-inline" not in csp
        assert "<script>" not in page.text  # no inline scripts
        assert 'lang="en"' in page.text
        # The session id is stored only hashed.
        session_id = http.cookies["ll_session"]
        row = live.platform.db.read_sync(
            web_store.get_session, session_hash(session_id), now=2**62 - 1
        )
        assert row is None  # (expired by then) — but present when asked at a real time:
        from ledgerline.domain.clock import to_ms

        now = to_ms(live.platform.clock.now())
        assert live.platform.db.read_sync(web_store.get_session, session_hash(session_id), now=now)
        assert live.platform.db.read_sync(web_store.get_session, session_id, now=now) is None
        # The phone number is the sign-in name, normalised.
        assert live.platform.db.read_sync(web_store.credential_for_login, "+84912345678")


def test_sign_in_wrong_password_then_right_one_and_sign_out(live: RunningPlatform) -> None:
    with _browser(live) as http:
        csrf = _sign_up(http)
        out = http.post("/signout", data={"csrf": csrf})
        assert out.status_code == 303
        assert http.get("/").headers["location"] == "/signin"
    with _browser(live) as http:
        form = http.get("/signin?lang=en")
        wrong = http.post(
            "/signin",
            data={"csrf": form_token(form), "login": "an.nguyen", "password": "nope nope"},
        )
        assert wrong.status_code == 401
        assert "Wrong sign-in name or password." in wrong.text
        unknown = http.post(
            "/signin",
            data={"csrf": form_token(form), "login": "nobody", "password": "nope nope"},
        )
        assert unknown.status_code == 401
        assert "Wrong sign-in name or password." in unknown.text
        right = http.post(
            "/signin",
            data={"csrf": form_token(form), "login": "AN.NGUYEN", "password": "correct horse"},
        )
        assert right.status_code == 303
        assert http.get("/").status_code == 200


def test_repeated_wrong_passwords_slow_sign_in_down(live: RunningPlatform) -> None:
    with _browser(live) as http:
        _sign_up(http, login="binh")
    with _browser(live) as http:
        token = form_token(http.get("/signin?lang=en"))
        codes = []
        for _ in range(4):
            response = http.post(
                "/signin", data={"csrf": token, "login": "binh", "password": "wrong pass"}
            )
            codes.append(response.status_code)
        assert codes[:3] == [401, 401, 401]
        assert codes[3] == 429
        assert "Too many failed sign-ins" in response.text
        assert int(response.headers["retry-after"]) >= 1
        # Even the right password waits until the delay has passed.
        blocked = http.post(
            "/signin", data={"csrf": token, "login": "binh", "password": "correct horse"}
        )
        assert blocked.status_code == 429


def test_forged_or_missing_csrf_tokens_are_refused(live: RunningPlatform) -> None:
    with _browser(live) as http:
        http.get("/signin?lang=en")
        forged = http.post(
            "/signin", data={"csrf": "forged", "login": "x", "password": "whatever1"}
        )
        assert forged.status_code == 403
        assert "security token" in forged.text
    with _browser(live) as http:
        csrf = _sign_up(http)
        business = live.create_business("Demo Bank")
        path = f"/api/v1/threads/{business['page_id']}/messages"
        # Reads with the cookie alone are fine; writes need the header.
        assert http.get("/api/v1/threads").status_code == 200
        no_header = http.post(path, json={"text": "hi"})
        assert no_header.status_code == 403
        assert "CSRF" in no_header.json()["error"]["message"]
        bad = http.post(path, json={"text": "hi"}, headers={"X-CSRF-Token": csrf[:-2] + "xx"})
        assert bad.status_code == 403
        other_origin = http.post(
            path,
            json={"text": "hi"},
            headers={"X-CSRF-Token": csrf, "Origin": "https://evil.example"},
        )
        assert other_origin.status_code == 403
        ok = http.post(path, json={"text": "hi"}, headers={"X-CSRF-Token": csrf})
        assert ok.status_code == 201, ok.text
        # Sign-out without the token is refused too.
        assert http.post("/signout", data={"csrf": "nope"}).status_code == 403
        assert http.get("/").status_code == 200


def test_an_ended_session_is_refused_with_a_clear_message(live: RunningPlatform) -> None:
    with _browser(live) as http:
        _sign_up(http)
        session_id = http.cookies["ll_session"]
        from ledgerline.domain.clock import to_ms
        from ledgerline.identity.service import do_end_session

        live.platform.db.write_sync(
            do_end_session,
            session_hash=session_hash(session_id),
            now=to_ms(live.platform.clock.now()),
        )
        api = http.get("/api/v1/threads")
        assert api.status_code == 401
        assert "session has expired" in api.json()["error"]["message"]
        page = http.get("/")
        assert page.status_code == 303
        assert page.headers["location"] == "/signin?expired=1"
        assert "session has expired" in http.get("/signin?expired=1&lang=en").text


def test_sign_up_rejects_bad_input_and_taken_names(live: RunningPlatform) -> None:
    with _browser(live) as http:
        _sign_up(http, login="chi")
    with _browser(live) as http:
        token = form_token(http.get("/signup"))
        base = {
            "csrf": token,
            "name": "Chi",
            "login": "chi",
            "password": "long enough",
            "locale": "en",
            "timezone": "UTC",
        }
        taken = http.post("/signup", data=base)
        assert taken.status_code == 409
        assert "could not create an account" in taken.text
        assert "taken" not in taken.text
        short = http.post("/signup", data={**base, "login": "chi2", "password": "short"})
        assert short.status_code == 400
        assert "at least 8 characters" in short.text
        zone = http.post("/signup", data={**base, "login": "chi3", "timezone": "Mars/Base"})
        assert zone.status_code == 400
        login = http.post("/signup", data={**base, "login": "<script>"})
        assert login.status_code == 400
        assert "<script>" not in login.text  # escaped when echoed back
        assert "&lt;script&gt;" in login.text


@pytest.fixture
def receiver() -> Iterator[RunningReceiver]:
    with RunningReceiver(WebhookReceiver()) as running:
        yield running


def test_console_sign_in_rotate_webhook_and_test_event(
    live: RunningPlatform, receiver: RunningReceiver
) -> None:
    business = live.create_business("Demo Bank")
    other = live.create_business("Other Bank", webhook_url=receiver.url)
    with _browser(live) as http:
        bad = http.post(
            "/console/signin",
            data={"csrf": form_token(http.get("/console")), "page_access_token": "EAALnope"},
        )
        assert bad.status_code == 401
        csrf = console_sign_in(http, business["page_access_token"])
        page = http.get("/console?lang=en")
        assert business["page_id"] in page.text
        assert other["page_id"] not in page.text
        assert business["page_access_token"] not in page.text
        # Test event without a webhook: a clear message.
        nohook = http.post("/console/test-event", data={"csrf": csrf})
        assert nohook.status_code == 400
        assert "Set a webhook URL" in nohook.text
        # A URL that fails the handshake is refused; a good one is saved.
        failing = http.post(
            "/console/webhook",
            data={"csrf": csrf, "url": receiver.url + "/nope", "verify_token": "t"},
        )
        assert failing.status_code == 400
        assert "Webhook not saved" in failing.text
        saved = http.post(
            "/console/webhook",
            data={"csrf": csrf, "url": receiver.url, "verify_token": "verify-me"},
        )
        assert saved.status_code == 303
        receiver.receiver.app_secret = business["app_secret"]
        queued = http.post("/console/test-event", data={"csrf": csrf}, follow_redirects=True)
        assert "Test event queued" in queued.text
        (event,) = receiver.receiver.wait_for_events(1)
        assert event["message"]["text"] == "Test event from the Ledgerline console"
        assert receiver.receiver.deliveries[0].signature_ok
        # The delivery log, filtered by status.
        deadline = time.monotonic() + 15
        while "status-delivered" not in http.get("/console?status=delivered").text:
            assert time.monotonic() < deadline
            time.sleep(0.1)
        assert "No webhook deliveries yet." in http.get("/console?status=failed&lang=en").text
        assert "status-delivered" in http.get("/console?status=bogus&before=x").text
        # Rotation shows the new token once; the old one stops working for the API.
        rotated = http.post("/console/rotate-token", data={"csrf": csrf}, follow_redirects=True)
        assert rotated.status_code == 200
        assert rotated.headers["cache-control"] == "no-store"
        new_token = re.search(r'data-testid="secret-value">([^<]+)<', rotated.text)
        assert new_token
        again = http.get(rotated.url)  # shown once: a reload does not show it again
        assert new_token.group(1) not in again.text
        with live.client() as api:
            old = api.get(
                "/me/webhook_deliveries",
                params={"access_token": business["page_access_token"]},
            )
            assert old.status_code in (400, 401)
            log = api.get("/me/webhook_deliveries", params={"access_token": new_token.group(1)})
            assert log.status_code == 200
            assert log.json()["data"][0]["kind"] == "test"
        # This console session survives its own rotation; a forged token changes nothing.
        assert http.post("/console/rotate-secret", data={"csrf": "forged"}).status_code == 403
        secret = http.post("/console/rotate-secret", data={"csrf": csrf}, follow_redirects=True)
        assert secret.status_code == 200
        assert business["app_secret"] not in secret.text
        assert http.post("/console/signout", data={"csrf": csrf}).status_code == 303
        assert "page_access_token" in http.get("/console").text


def test_rotating_the_token_signs_out_other_console_sessions(live: RunningPlatform) -> None:
    business = live.create_business("Demo Bank")
    with _browser(live) as first, _browser(live) as second:
        csrf = console_sign_in(first, business["page_access_token"])
        console_sign_in(second, business["page_access_token"])
        assert first.post("/console/rotate-token", data={"csrf": csrf}).status_code == 303
        assert "page_access_token" in second.get("/console").text  # the sign-in form again
        assert 'data-testid="page-id"' in first.get("/console").text


def test_cookies_are_secure_behind_an_https_public_url(database_url: str, tmp_path: Path) -> None:
    with (
        running_platform(database_url, tmp_path, public_url="https://ledgerline.example") as live,
        _browser(live) as http,
    ):
        form = http.get("/signup")
        token = form_token(form)
        pre = next(h for h in form.headers.get_list("set-cookie") if h.startswith("ll_pre="))
        assert "Secure" in pre
        # (A TLS proxy would carry the Secure cookie back; plain-http httpx must be told.)
        http.headers["Cookie"] = pre.split(";")[0]
        response = http.post(
            "/signup",
            data={
                "csrf": token,
                "name": "An",
                "login": "an.https",
                "password": "long enough",
                "locale": "vi",
                "timezone": "Asia/Ho_Chi_Minh",
            },
        )
        assert response.status_code == 303
        cookies = response.headers.get_list("set-cookie")
        session = next(h for h in cookies if h.startswith("ll_session="))
        assert "Secure" in session
        assert "HttpOnly" in session
        # The public origin is accepted for state changes, a foreign one is not.
        forged = http.post(
            "/signin",
            data={"csrf": token, "login": "an.https", "password": "long enough"},
            headers={"Origin": "https://evil.example"},
        )
        assert forged.status_code == 403


def test_the_stream_takes_the_session_cookie_from_our_origin_only(live: RunningPlatform) -> None:
    from websockets.exceptions import InvalidStatus
    from websockets.sync.client import connect

    with _browser(live) as http:
        _sign_up(http, login="dung")
        cookie = f"ll_session={http.cookies['ll_session']}"
    url = live.url.replace("http", "ws") + "/api/v1/stream"
    with connect(url, additional_headers={"Cookie": cookie, "Origin": live.url}) as ws:
        ws.ping().wait(5)
    with (
        pytest.raises(InvalidStatus),
        connect(url, additional_headers={"Cookie": cookie, "Origin": "https://evil.example"}),
    ):
        pass
    with pytest.raises(InvalidStatus), connect(url, additional_headers={"Origin": live.url}):
        pass
