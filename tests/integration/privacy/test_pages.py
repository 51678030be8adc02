"""The privacy centre's pages over plain HTTP: session required (and back after signing
in), CSRF and origin checks on every form, bad input, the export download, and the value
read behind the access log (one audited ``user_access`` batch per view)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ledgerline.audit import access_log
from ledgerline.storage.stores import identity as web_store
from tests.support.browser import exported_data
from tests.support.forms import form_token, person_sign_up
from tests.support.linking import LinkedWorld, linked_world
from tests.support.server import running_platform

SCOPES = ["balances", "transactions", "receipts"]


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> Iterator[LinkedWorld]:
    with running_platform(database_url, tmp_path) as live, linked_world(live, "Demo Bank") as w:
        yield w


def _browser(world: LinkedWorld) -> httpx.Client:
    return httpx.Client(base_url=world.live.url, timeout=30, headers={"Origin": world.live.url})


def _linked(world: LinkedWorld, http: httpx.Client, login: str = "an.nguyen") -> str:
    """Sign up, link with SCOPES through the API (session cookie + CSRF header); the PSID."""
    csrf = person_sign_up(http, login, locale="en")
    started = http.post(
        f"/api/v1/threads/{world.business['page_id']}/account_link",
        json={"url": world.bank.authorize_url, "scopes": SCOPES},
        headers={"X-CSRF-Token": csrf},
    )
    assert started.status_code == 200, started.text
    # The bank's pages, then back to the callback in the same browser: its session cookie
    # proves who completes the link.
    with httpx.Client(timeout=30, follow_redirects=True, cookies=http.cookies) as bank_side:
        page = bank_side.get(started.json()["redirect_url"])
    assert 'data-outcome="linked"' in page.text
    return world.psid_of_login(login)


def _scopes(http: httpx.Client, page_id: str) -> list[str]:
    (link,) = [x for x in http.get("/api/v1/links").json()["data"] if x["page_id"] == page_id]
    scopes: list[str] = link["scopes"]
    return scopes


def _user_id(world: LinkedWorld, login: str) -> str:
    credential = world.live.platform.db.read_sync(web_store.credential_for_login, login)
    assert credential is not None
    return credential.user_id


def test_a_session_is_needed_and_signing_in_comes_back(world: LinkedWorld) -> None:
    with _browser(world) as http:
        answer = http.get("/privacy")
        assert answer.status_code == 303
        assert answer.headers["location"] == "/signin?next=/privacy"
        posted = http.post(f"/privacy/links/{world.business['page_id']}/unlink", data={"csrf": "x"})
        assert posted.status_code == 303
        assert posted.headers["location"].startswith("/signin")
        person_sign_up(http, "an.nguyen", locale="en")
        http.post("/signout", data={"csrf": form_token(http.get("/"))})
        # A stale session cookie: "expired", and the cookie is cleared.
        http.cookies.clear()
        http.cookies.set("ll_session", "gone-session-id", domain="127.0.0.1")
        stale = http.get("/privacy")
        assert stale.headers["location"] == "/signin?expired=1&next=/privacy"
        assert "ll_session=" in stale.headers["set-cookie"]
        form = http.get("/signin?expired=1&next=/privacy")
        assert 'name="next" value="/privacy"' in form.text
        token = form_token(form)
        wrong = http.post(
            "/signin",
            data={"csrf": token, "login": "an.nguyen", "password": "nope nope", "next": "/privacy"},
        )
        assert wrong.status_code == 401
        assert 'name="next" value="/privacy"' in wrong.text
        right = http.post(
            "/signin",
            data={
                "csrf": token,
                "login": "an.nguyen",
                "password": "correct horse",
                "next": "/privacy",
            },
        )
        assert right.status_code == 303
        assert right.headers["location"] == "/privacy"
        assert http.get("/privacy").status_code == 200
    # Only a path on this site: anything else goes to the messenger.
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example", "privacy"):
        with _browser(world) as http:
            person_sign_up(http, f"p{abs(hash(target)) % 10**6}", locale="en")
            http.post("/signout", data={"csrf": form_token(http.get("/"))})
            token = form_token(http.get("/signin"))
            login = f"p{abs(hash(target)) % 10**6}"
            answer = http.post(
                "/signin",
                data={"csrf": token, "login": login, "password": "correct horse", "next": target},
            )
            assert answer.headers["location"] == "/", target


def test_forms_refuse_forged_tokens_other_sites_and_bad_input(world: LinkedWorld) -> None:
    page_id = world.business["page_id"]
    with _browser(world) as http:
        _linked(world, http)
        page = http.get("/privacy?lang=en")
        assert page.status_code == 200
        csrf = form_token(page)
        path = f"/privacy/links/{page_id}/scopes"

        forged = http.post(path, data={"csrf": csrf[:-2] + "xx", "scope": ["balances"]})
        assert forged.status_code == 403
        assert "This request was refused" in forged.text
        assert "Nothing was changed." in forged.text
        missing = http.post(path, data={"scope": ["balances"]})
        assert missing.status_code == 403
        other_site = http.post(
            path,
            data={"csrf": csrf, "scope": ["balances"]},
            headers={"Origin": "https://evil.example"},
        )
        assert other_site.status_code == 403
        unknown = http.post(path, data={"csrf": csrf, "scope": ["balances", "everything"]})
        assert unknown.status_code == 400
        assert "That kind of information does not exist" in unknown.text
        none = http.post(path, data={"csrf": csrf})
        assert none.status_code == 400
        assert sorted(_scopes(http, page_id)) == sorted(SCOPES)

        saved = http.post(path, data={"csrf": csrf, "scope": ["balances"]})
        assert saved.status_code == 303
        assert saved.headers["location"].startswith("/privacy?done=scopes_saved")
        assert _scopes(http, page_id) == ["balances"]
        again = http.post(path, data={"csrf": csrf, "scope": ["balances"]})
        assert again.headers["location"].startswith("/privacy?done=unchanged")

        # The export: a download for this site's own pages only.
        cross = http.get("/privacy/export", headers={"Sec-Fetch-Site": "cross-site"})
        assert cross.status_code == 403
        export = http.get("/privacy/export", headers={"Sec-Fetch-Site": "same-origin"})
        assert export.status_code == 200
        assert export.headers["content-disposition"].startswith(
            'attachment; filename="ledgerline-export-'
        )
        assert export.headers["cache-control"] == "no-store"
        data = exported_data(io.BytesIO(export.content))
        assert data["profile"]["name"] == "Nguyễn An"
        assert [link["scopes"] for link in data["links"]][-1] == ["balances"]
        assert data["customer_service"] == []  # never talked to an agent
        assert "the internal notes agents wrote" in http.get("/privacy").text

        # Unlink twice (the second as from a stale tab): 409 with a clear message.
        confirm = http.get(f"/privacy/links/{page_id}/unlink")
        assert confirm.status_code == 200
        assert "customer service wrote about you are erased too" in confirm.text
        first = http.post(f"/privacy/links/{page_id}/unlink", data={"csrf": csrf})
        assert first.status_code == 303
        second = http.post(f"/privacy/links/{page_id}/unlink", data={"csrf": csrf})
        assert second.status_code == 409
        assert "Demo Bank is already unlinked" in second.text
        assert http.get(f"/privacy/links/{page_id}/unlink").status_code == 409
        renew = http.post(f"/privacy/links/{page_id}/renew", data={"csrf": csrf})
        assert renew.status_code == 409


def test_the_access_log_shows_values_through_one_audited_read_per_view(
    world: LinkedWorld,
) -> None:
    with _browser(world) as http:
        psid = _linked(world, http)
        sent = world.bank_post(
            "transactions",
            {
                "psid": psid,
                "transactions": [
                    {
                        "transaction_id": f"t-{n}",
                        "amount": {"amount": str(100000 + n), "currency": "VND"},
                        "booked_at": "2026-11-29T08:15:00+07:00",
                        "merchant": {"name": f"Quán {n}"},
                    }
                    for n in (1, 2)
                ],
            },
        )
        assert sent.status_code == 200, sent.text
        user_id = _user_id(world, "an.nguyen")
        db = world.live.platform.db

        def own_reads() -> list[Any]:
            entries = db.read_sync(lambda c: access_log(c, user_id, limit=1000))
            return [
                e
                for e in entries
                if e.actor.id == user_id and e.action == "read" and e.purpose == "user_access"
            ]

        before = len(own_reads())
        page = http.get("/privacy?lang=en")
        assert "Demo Bank sent you 2 transactions" in page.text
        assert "₫100,001 at Quán 1; ₫100,002 at Quán 2" in page.text
        assert "Ledgerline read 2 transactions from Demo Bank to send you updates" in page.text
        reads = own_reads()
        assert len(reads) == before + 1  # one batch for the one business
        assert reads[0].record_kind == "transaction"
        assert len(reads[0].record_ids) == 2
        # The person's own views are no access by anyone else: left out, and counted.
        http.get("/privacy?lang=en")
        third = http.get("/privacy?lang=en")
        assert "You viewed" not in third.text
        assert "at your request" not in third.text
        assert "Your own views of your data (" in third.text
        mine = http.get("/privacy?lang=en&who=you")
        # The same two transactions, viewed on each page view: two, once a day.
        assert "You viewed 2 transactions from Demo Bank" in mine.text
        # The API's access log stays without values.
        log = http.get("/api/v1/me/access-log").json()["data"]
        assert all("100,001" not in e["text"] and "Quán" not in e["text"] for e in log)


def _pager(page: str) -> str:
    return page.split('class="row pager"')[1].split("</nav>")[0]


def test_the_access_log_filters_by_who_and_bank_and_pages(
    world: LinkedWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("ledgerline.web.privacy.LOG_PAGE", 3)
    with _browser(world) as http:
        psid = _linked(world, http)
        for n in range(2):
            sent = world.bank_post(
                "transactions",
                {
                    "psid": psid,
                    "transactions": [
                        {
                            "transaction_id": f"t-{n}",
                            "amount": {"amount": "5000", "currency": "VND"},
                            "booked_at": "2026-11-29T08:15:00+07:00",
                        }
                    ],
                },
            )
            assert sent.status_code == 200, sent.text
        refused = world.bank_post(
            "shipments",
            {"psid": psid, "order_id": "o1", "carrier": "GHN", "tracking_number": "X1",
             "status": "in_transit"},
        )  # fmt: skip
        assert refused.status_code == 403
        banks = http.get("/privacy?lang=en&who=banks").text
        assert "Demo Bank tried to send you 1 delivery update; it was not accepted" in banks
        assert "(refused)" not in banks
        assert "Ledgerline read" not in banks
        assert "Ledgerline kept" not in banks
        ours = http.get("/privacy?lang=en&who=ledgerline").text
        assert "Ledgerline kept" in ours
        assert "Demo Bank sent you" not in ours
        # Three entries a page (the monkeypatched size): the newest page has an "Older" link
        # that keeps the filter, and the last page has none.
        first = _pager(http.get("/privacy?lang=en&who=banks").text)
        assert "who=banks&amp;before=" in first
        assert ">Older</a>" in first
        older = first.split("who=banks&amp;before=")[1].split("#")[0]
        second = _pager(http.get(f"/privacy?lang=en&who=banks&before={older}").text)
        assert ">Newest</a>" in second
        assert ">Older</a>" not in second
        # An unknown filter value is "everyone but you"; a bank that is not the person's is
        # ignored.
        odd = http.get("/privacy?lang=en&who=nobody&bank=someone-else")
        assert odd.status_code == 200
        assert "Demo Bank tried to send you" in odd.text


def test_the_language_switch_keeps_the_way_back(world: LinkedWorld) -> None:
    with _browser(world) as http:
        page = http.get("/signin?expired=1&next=/privacy&lang=en")
        assert 'href="?expired=1&amp;next=%2Fprivacy&amp;lang=vi"' in page.text
        vi = http.get("/signin?expired=1&next=%2Fprivacy&lang=vi")
        assert 'name="next" value="/privacy"' in vi.text
        assert "Phiên đăng nhập đã hết hạn" in vi.text
