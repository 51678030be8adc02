"""The User Profile API (``GET /{PSID}?fields=…``): what a page learns about a person, the
errors for what it may not see, and a catch-all route that shadows no other path."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ledgerline.domain.scopes import Scope
from ledgerline.storage.stores import threads as thread_store
from tests.support.inprocess import InProcessPlatform, in_process_platform
from tests.support.linking import link_with_actions

LINK_URL = "http://127.0.0.1:9/authorize"
ALL = "first_name,last_name,name,profile_pic,locale,timezone,gender"


@pytest.fixture
def live(database_url: str, tmp_path: Path) -> Iterator[InProcessPlatform]:
    with in_process_platform(database_url, tmp_path) as running:
        yield running


def _auth(business: dict[str, str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {business['page_access_token']}"}


def _psid(live: InProcessPlatform, business: dict[str, str], user: dict[str, str]) -> str:
    thread = live.platform.db.read_sync(
        thread_store.get_thread, business["page_id"], user["user_id"]
    )
    assert thread is not None
    return thread.psid


def _graph_error(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 400, response.text
    error: dict[str, Any] = response.json()["error"]
    assert error["message"].startswith(f"(#{error['code']}) ")
    return error


def test_a_page_learns_names_and_locale_and_the_timezone_only_when_linked(
    live: InProcessPlatform,
) -> None:
    bank = live.create_business("Bank A", account_link_url=LINK_URL)
    other = live.create_business("Bank B")
    an = live.create_user(name="Nguyễn Văn An", locale="vi", timezone="Asia/Ho_Chi_Minh")
    jane = live.create_user(name="Jane Doe", locale="en", timezone="Asia/Kolkata")

    async def write(http: httpx.AsyncClient) -> None:
        for user in (an, jane):
            for business in (bank, other):
                sent = await http.post(
                    f"/api/v1/threads/{business['page_id']}/messages",
                    json={"text": "hi"},
                    headers={"Authorization": f"Bearer {user['access_token']}"},
                )
                assert sent.status_code == 201, sent.text

    live.run(write)
    link_with_actions(
        live.platform,
        user_id=jane["user_id"],
        page_id=bank["page_id"],
        url=LINK_URL,
        scopes=frozenset({Scope.BALANCES}),
    )
    an_psid, jane_psid = _psid(live, bank, an), _psid(live, bank, jane)
    an_elsewhere = _psid(live, other, an)

    async def scenario(http: httpx.AsyncClient) -> None:
        default = await http.get(f"/v2.6/{an_psid}", headers=_auth(bank))
        assert default.json() == {
            "first_name": "An",
            "last_name": "Nguyễn",
            "profile_pic": "http://127.0.0.1:8000/static/avatar.svg",
            "id": an_psid,
        }
        avatar = await http.get("/static/avatar.svg")
        assert avatar.status_code == 200
        assert avatar.headers["content-type"].startswith("image/svg+xml")

        unlinked = await http.get(f"/{an_psid}", params={"fields": ALL}, headers=_auth(bank))
        assert unlinked.json() == {
            "first_name": "An",
            "last_name": "Nguyễn",
            "name": "Nguyễn Văn An",
            "profile_pic": "http://127.0.0.1:8000/static/avatar.svg",
            "locale": "vi_VN",
            "id": an_psid,
        }
        linked = await http.get(
            f"/v15.0/{jane_psid}", params={"fields": "name,locale,timezone"}, headers=_auth(bank)
        )
        assert linked.json() == {
            "name": "Jane Doe",
            "locale": "en_US",
            "timezone": 5.5,
            "id": jane_psid,
        }
        # The same person, linked with Bank A only: Bank B gets no timezone.
        elsewhere = await http.get(
            f"/{_psid(live, other, jane)}", params={"fields": "timezone"}, headers=_auth(other)
        )
        assert "timezone" not in elsewhere.json()

        # Another page's PSID and a made-up one: the same answer, as Graph's.
        for foreign in (an_elsewhere, "1234567890123456"):
            error = _graph_error(await http.get(f"/v2.6/{foreign}", headers=_auth(bank)))
            assert error["code"] == 100
            assert error["error_subcode"] == 33
            assert error["type"] == "GraphMethodException"
            assert foreign in error["message"]

        unknown = _graph_error(
            await http.get(f"/{an_psid}", params={"fields": "name,email"}, headers=_auth(bank))
        )
        assert unknown["message"] == (
            "(#100) Tried accessing nonexisting field (email) on node type (User)"
        )
        no_token = _graph_error(await http.get(f"/{an_psid}"))
        assert no_token["code"] == 190

        page = await http.get(f"/v2.6/{bank['page_id']}", headers=_auth(bank))
        assert page.json() == {"name": "Bank A", "id": bank["page_id"]}

    live.run(scenario)


def test_a_person_who_blocked_the_page_is_not_shown(live: InProcessPlatform) -> None:
    bank = live.create_business("Blocked Bank")
    an = live.create_user()

    async def scenario(http: httpx.AsyncClient) -> None:
        person = {"Authorization": f"Bearer {an['access_token']}"}
        page_id = bank["page_id"]
        await http.post(f"/api/v1/threads/{page_id}/messages", json={"text": "hi"}, headers=person)
        psid = _psid(live, bank, an)
        assert (await http.get(f"/{psid}", headers=_auth(bank))).status_code == 200
        blocked = await http.post(f"/api/v1/threads/{page_id}/block", headers=person)
        assert blocked.status_code == 200, blocked.text
        error = _graph_error(await http.get(f"/{psid}", headers=_auth(bank)))
        assert error["error_subcode"] == 33

    live.run(scenario)


def test_the_catch_all_shadows_no_other_path(live: InProcessPlatform) -> None:
    bank = live.create_business("Paths Bank")

    async def scenario(http: httpx.AsyncClient) -> None:
        assert (await http.get("/healthz")).status_code == 200
        me = await http.get("/v2.6/me", headers=_auth(bank))
        assert me.json() == {"id": bank["page_id"], "name": "Paths Bank"}
        assert (await http.get("/me", headers=_auth(bank))).status_code == 200
        signin = await http.get("/signin")
        assert signin.status_code == 200
        assert "text/html" in signin.headers["content-type"]
        person_api = await http.get("/api/v1/threads")
        assert person_api.status_code == 401  # the person API's own answer
        privacy = await http.get("/privacy")
        assert privacy.status_code in (200, 302, 303, 307)
        assert "json" not in privacy.headers.get("content-type", "")
        # Not a node id: Graph's unknown path, not the profile's errors.
        for path in ("/v2.6/an", "/v99x/12345", "/openapi.json/1"):
            response = await http.get(path, headers=_auth(bank))
            assert response.status_code == 404, path
            assert response.json()["error"]["code"] == 803
        assert (await http.get("/openapi.json")).status_code == 200

    live.run(scenario)
