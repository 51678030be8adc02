"""The Messenger Profile API (``/me/messenger_profile``) and what the person sees of it,
in process, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from ledgerline.storage.stores import businesses as business_store
from ledgerline.storage.tables import webhook_events
from tests.support.inprocess import InProcessPlatform, in_process_platform

MENU = [
    {
        "locale": "default",
        "composer_input_disabled": False,
        "call_to_actions": [
            {"type": "postback", "title": "Balance", "payload": "BALANCE"},
            {
                "type": "nested",
                "title": "Cards",
                "call_to_actions": [
                    {"type": "postback", "title": "Block my card", "payload": "BLOCK"},
                    {"type": "web_url", "title": "Limits", "url": "https://bank.example/limits"},
                ],
            },
        ],
    },
    {
        "locale": "vi_VN",
        "composer_input_disabled": "true",
        "call_to_actions": [{"type": "postback", "title": "Số dư", "payload": "BALANCE"}],
    },
]
GREETING = [
    {"locale": "default", "text": "Hello {{user_first_name}}!"},
    {"locale": "vi_VN", "text": "Chào {{user_first_name}} ({{user_full_name}})"},
]


@pytest.fixture
def live(database_url: str, tmp_path: Path) -> Iterator[InProcessPlatform]:
    with in_process_platform(database_url, tmp_path) as running:
        yield running


def _auth(business: dict[str, str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {business['page_access_token']}"}


def _error(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 400, response.text
    error: dict[str, Any] = response.json()["error"]
    assert error["message"].startswith(f"(#{error['code']}) ")
    assert error["type"] == "OAuthException"
    assert error["fbtrace_id"]
    return error


def test_a_bot_sets_reads_and_deletes_its_profile(live: InProcessPlatform) -> None:
    bank = live.create_business("Profile Bank")
    other = live.create_business("Other Bank")
    path = "/v2.12/me/messenger_profile"

    async def scenario(http: httpx.AsyncClient) -> None:
        empty = await http.get(path, params={"fields": "get_started"}, headers=_auth(bank))
        assert empty.status_code == 200
        assert empty.json() == {"data": []}

        body = {
            "get_started": {"payload": "GET_STARTED"},
            "greeting": GREETING,
            "persistent_menu": MENU,
            # the first, flat format of ice breakers
            "ice_breakers": [{"question": "What is my balance?", "payload": "BALANCE"}],
            "whitelisted_domains": ["https://bank.example"],
            "account_linking_url": "http://127.0.0.1:9/authorize",
        }
        answer = await http.post(path, json=body, headers=_auth(bank))
        assert answer.status_code == 200
        assert answer.json() == {"result": "success"}

        got = await http.get(
            "/me/messenger_profile",
            params={"fields": "get_started,persistent_menu,ice_breakers,account_linking_url"},
            headers=_auth(bank),
        )
        (data,) = got.json()["data"]
        assert data["get_started"] == {"payload": "GET_STARTED"}
        assert data["persistent_menu"][1]["composer_input_disabled"] is True  # "true" read
        assert data["persistent_menu"][0]["call_to_actions"][1]["call_to_actions"][1] == {
            "type": "web_url",
            "title": "Limits",
            "url": "https://bank.example/limits",
        }
        assert data["ice_breakers"] == [
            {
                "locale": "default",
                "call_to_actions": [{"question": "What is my balance?", "payload": "BALANCE"}],
            }
        ]
        assert data["account_linking_url"] == "http://127.0.0.1:9/authorize"
        assert list(data) == [
            "get_started",
            "persistent_menu",
            "ice_breakers",
            "account_linking_url",
        ]

        # Another page sees nothing of it.
        theirs = await http.get(path, params={"fields": "get_started"}, headers=_auth(other))
        assert theirs.json() == {"data": []}

        # A later POST replaces only what it names.
        greeting = [{"locale": "default", "text": "Hi"}]
        assert (await http.post(path, json={"greeting": greeting}, headers=_auth(bank))).is_success
        got = await http.get(path, params={"fields": "greeting,get_started"}, headers=_auth(bank))
        assert got.json()["data"] == [
            {"greeting": greeting, "get_started": {"payload": "GET_STARTED"}}
        ]

        # The Get Started button stays while the menu needs it; both go together.
        refused = _error(
            await http.request(
                "DELETE", path, json={"fields": ["get_started"]}, headers=_auth(bank)
            )
        )
        assert refused["code"] == 100
        deleted = await http.request(
            "DELETE",
            path,
            content=b'fields=["persistent_menu","get_started","account_linking_url"]',
            headers={**_auth(bank), "content-type": "application/x-www-form-urlencoded"},
        )
        assert deleted.json() == {"result": "success"}
        got = await http.get(
            path, params={"fields": "get_started,persistent_menu,greeting"}, headers=_auth(bank)
        )
        assert got.json()["data"] == [{"greeting": greeting}]

    live.run(scenario)
    business = live.platform.db.read_sync(business_store.get_business, bank["page_id"])
    assert business is not None
    assert business.account_link_url is None


def test_account_linking_url_is_the_pages_registered_account_link_url(
    live: InProcessPlatform,
) -> None:
    bank = live.create_business("Link Bank", account_link_url="http://127.0.0.1:9/old")

    async def scenario(http: httpx.AsyncClient) -> None:
        got = await http.get(
            "/me/messenger_profile", params={"fields": "account_linking_url"}, headers=_auth(bank)
        )
        assert got.json() == {"data": [{"account_linking_url": "http://127.0.0.1:9/old"}]}
        new = {"account_linking_url": "http://127.0.0.1:9/new"}
        assert (await http.post("/me/messenger_profile", json=new, headers=_auth(bank))).is_success
        bad = {"account_linking_url": "http://user:pw@127.0.0.1:9/new"}
        assert _error(await http.post("/me/messenger_profile", json=bad, headers=_auth(bank)))

    live.run(scenario)
    business = live.platform.db.read_sync(business_store.get_business, bank["page_id"])
    assert business is not None
    assert business.account_link_url == "http://127.0.0.1:9/new"


def _menu(items: list[Any]) -> dict[str, Any]:
    return {
        "get_started": {"payload": "GO"},
        "persistent_menu": [{"locale": "default", "call_to_actions": items}],
    }


def _nested(depth: int) -> dict[str, Any]:
    item: dict[str, Any] = {"type": "postback", "title": "Leaf", "payload": "LEAF"}
    for _ in range(depth):
        item = {"type": "nested", "title": "More", "call_to_actions": [item]}
    return item


POSTBACK = {"type": "postback", "title": "Balance", "payload": "BALANCE"}
BAD_BODIES: list[tuple[str, Any, int | None, str]] = [
    ("nothing", {"target_audience": {}}, None, "Requires one of the params: account_linking_url,"),
    ("menu without get started", {"persistent_menu": MENU}, 2018145, "You must set a Get Started"),
    (
        "greeting too long",
        {"greeting": [{"locale": "default", "text": "x" * 161}]},
        None,
        "at most 160",
    ),
    ("no default locale", {"greeting": [{"locale": "vi_VN", "text": "x"}]}, None, '"default"'),
    ("bad locale", {"greeting": [{"locale": "xx", "text": "x"}]}, None, "locale"),
    ("same locale twice", {"greeting": [GREETING[0], GREETING[0]]}, None, "same locale"),
    ("unknown placeholder", {"greeting": [{"locale": "default", "text": "{{x}}"}]}, None, "{{x}}"),
    ("21 menu items", _menu([POSTBACK] * 21), None, "at most 20"),
    (
        "6 nested items",
        _menu([{"type": "nested", "title": "N", "call_to_actions": [POSTBACK] * 6}]),
        None,
        "at most 5",
    ),
    ("menu 4 levels deep", _menu([_nested(3)]), None, "more than 3 levels"),
    ("menu title too long", _menu([{**POSTBACK, "title": "x" * 31}]), None, "at most 30"),
    (
        "menu item keys",
        _menu([{**POSTBACK, "url": "https://x.example"}]),
        None,
        'Invalid keys "url"',
    ),
    (
        "menu item type",
        _menu([{**POSTBACK, "type": "phone_number"}]),
        None,
        "postback, web_url, nested",
    ),
    (
        "composer disabled without items",
        {
            "get_started": {"payload": "GO"},
            "persistent_menu": [{"locale": "default", "composer_input_disabled": True}],
        },
        None,
        "composer_input_disabled",
    ),
    (
        "5 ice breakers",
        {"ice_breakers": [{"question": "q", "payload": "p"}] * 5},
        None,
        "at most 4",
    ),
    (
        "question too long",
        {"ice_breakers": [{"question": "q" * 81, "payload": "p"}]},
        None,
        "at most 80",
    ),
    ("get started without payload", {"get_started": {}}, None, "get_started[payload]"),
    ("http domain", {"whitelisted_domains": ["http://bank.example"]}, None, "https"),
    ("51 domains", {"whitelisted_domains": ["https://a.example"] * 51}, None, "at most 50"),
    ("link url not a url", {"account_linking_url": "ftp://bank.example"}, None, "http"),
    ("greeting not a list", {"greeting": "hello"}, None, "must be an array"),
]


@pytest.mark.parametrize(
    ("body", "subcode", "says"), [case[1:] for case in BAD_BODIES], ids=[c[0] for c in BAD_BODIES]
)
def test_bad_profiles_get_messengers_errors_and_change_nothing(
    live: InProcessPlatform, body: Any, subcode: int | None, says: str
) -> None:
    bank = live.create_business("Strict Bank")
    fields = "get_started,greeting,persistent_menu,ice_breakers,whitelisted_domains"

    async def scenario(http: httpx.AsyncClient) -> None:
        error = _error(
            await http.post("/v15.0/me/messenger_profile", json=body, headers=_auth(bank))
        )
        assert error["code"] == 100
        assert error.get("error_subcode") == subcode
        assert says in error["message"]
        got = await http.get(
            "/me/messenger_profile", params={"fields": fields}, headers=_auth(bank)
        )
        assert got.json() == {"data": []}

    live.run(scenario)


def test_bad_reads_and_deletes(live: InProcessPlatform) -> None:
    bank = live.create_business("Reader Bank")

    async def scenario(http: httpx.AsyncClient) -> None:
        path = "/me/messenger_profile"
        assert "fields is required" in _error(await http.get(path, headers=_auth(bank)))["message"]
        unknown = _error(await http.get(path, params={"fields": "name"}, headers=_auth(bank)))
        assert "param fields[0] must be one of" in unknown["message"]
        none = _error(await http.request("DELETE", path, json={}, headers=_auth(bank)))
        assert none["code"] == 100
        token = _error(await http.get(path, params={"fields": "greeting", "access_token": "nope"}))
        assert token["code"] == 190
        version = await http.get("/v99x/me/messenger_profile", headers=_auth(bank))
        assert version.status_code == 404
        assert version.json()["error"]["code"] == 803

    live.run(scenario)


def test_the_person_sees_it_in_their_language_and_presses_get_started(
    live: InProcessPlatform,
) -> None:
    bank = live.create_business("Greeting Bank", webhook_url="http://127.0.0.1:9/webhook")
    bare = live.create_business("Bare Bank")
    an = live.create_user(name="Nguyễn Văn An", locale="vi")
    jane = live.create_user(name="Jane Doe", locale="en", timezone="Europe/London")
    body = {
        "get_started": {"payload": "GET_STARTED"},
        "greeting": GREETING,
        "persistent_menu": MENU,
        "ice_breakers": [
            {"locale": "default", "call_to_actions": [{"question": "Balance?", "payload": "BAL"}]}
        ],
    }

    async def scenario(http: httpx.AsyncClient) -> tuple[str, str]:
        assert (await http.post("/me/messenger_profile", json=body, headers=_auth(bank))).is_success
        page = bank["page_id"]
        as_an = {"Authorization": f"Bearer {an['access_token']}"}
        seen = (await http.get(f"/api/v1/threads/{page}/profile", headers=as_an)).json()
        assert seen["greeting"] == "Chào An (Nguyễn Văn An)"
        assert seen["get_started"] is True
        assert seen["get_started_title"] == "Bắt đầu"
        assert seen["persistent_menu"] == {
            "composer_input_disabled": True,
            "call_to_actions": [{"type": "postback", "title": "Số dư", "payload": "BALANCE"}],
        }
        assert seen["ice_breakers"] == [{"question": "Balance?", "payload": "BAL"}]

        as_jane = {"Authorization": f"Bearer {jane['access_token']}"}
        seen = (await http.get(f"/api/v1/threads/{page}/profile", headers=as_jane)).json()
        assert seen["greeting"] == "Hello Jane!"
        assert seen["get_started_title"] == "Get Started"
        assert seen["persistent_menu"]["call_to_actions"][0]["title"] == "Balance"

        bare_seen = await http.get(f"/api/v1/threads/{bare['page_id']}/profile", headers=as_an)
        assert bare_seen.json() == {
            "greeting": None,
            "get_started": False,
            "get_started_title": "Bắt đầu",
            "ice_breakers": [],
            "persistent_menu": None,
        }
        missing = await http.post(
            f"/api/v1/threads/{bare['page_id']}/get_started", json={}, headers=as_an
        )
        assert missing.status_code == 404

        first = await http.post(
            f"/api/v1/threads/{page}/get_started", json={"ref": "spring-2026"}, headers=as_an
        )
        assert first.status_code == 201, first.text
        second = await http.post(f"/api/v1/threads/{page}/get_started", json={}, headers=as_jane)
        bad_ref = await http.post(
            f"/api/v1/threads/{page}/get_started", json={"ref": "<script>"}, headers=as_an
        )
        assert bad_ref.status_code == 400
        return str(first.json()["mid"]), str(second.json()["mid"])

    an_mid, jane_mid = live.run(scenario)
    rows = live.platform.db.read_sync(
        lambda conn: conn.execute(
            sa.select(webhook_events.c.kind, webhook_events.c.event)
            .where(webhook_events.c.page_id == bank["page_id"])
            .order_by(webhook_events.c.event_id)
        ).all()
    )
    events = [json.loads(row.event) for row in rows if row.kind == "postback"]
    assert [e["postback"] for e in events] == [
        {
            "title": "Bắt đầu",
            "payload": "GET_STARTED",
            "mid": an_mid,
            "referral": {"ref": "spring-2026", "source": "SHORT-URL", "type": "OPEN_THREAD"},
        },
        {"title": "Get Started", "payload": "GET_STARTED", "mid": jane_mid},
    ]


def test_a_menu_for_one_person(live: InProcessPlatform) -> None:
    bank = live.create_business("Menu Bank")
    other = live.create_business("Other Bank")
    an = live.create_user(name="An", locale="vi")
    binh = live.create_user(name="Bình", locale="vi")
    own = [
        {
            "locale": "default",
            "call_to_actions": [{"type": "postback", "title": "Agent", "payload": "AGENT"}],
        }
    ]

    async def scenario(http: httpx.AsyncClient) -> None:
        for user in (an, binh):
            await _write_hi(http, bank, user)
        psid = _psid_of(live, bank, an)
        page_menu = {"get_started": {"payload": "GO"}, "persistent_menu": MENU}
        assert (
            await http.post("/me/messenger_profile", json=page_menu, headers=_auth(bank))
        ).is_success
        path = "/v15.0/me/custom_user_settings"
        assert (await http.get(path, params={"psid": psid}, headers=_auth(bank))).json() == {
            "data": [{"page_level_persistent_menu": _normalized(MENU)}]
        }
        body = {"psid": psid, "persistent_menu": own}
        assert (await http.post(path, json=body, headers=_auth(bank))).json() == {
            "result": "success"
        }
        got = (await http.get(path, params={"psid": psid}, headers=_auth(bank))).json()["data"][0]
        assert got["user_level_persistent_menu"][0]["call_to_actions"][0]["payload"] == "AGENT"

        def seen_by(user: dict[str, str]) -> Any:
            return http.get(
                f"/api/v1/threads/{bank['page_id']}/profile",
                headers={"Authorization": f"Bearer {user['access_token']}"},
            )

        assert (await seen_by(an)).json()["persistent_menu"]["call_to_actions"][0][
            "title"
        ] == "Agent"
        assert (await seen_by(binh)).json()["persistent_menu"]["call_to_actions"][0][
            "title"
        ] == "Số dư"

        # Another page's PSID; a bad menu; a bad delete.
        assert (
            _error(await http.post(path, json=body, headers=_auth(other)))["error_subcode"]
            == 2018001
        )
        bad = {"psid": psid, "persistent_menu": [{"locale": "vi_VN"}]}
        assert (
            '"default"' in _error(await http.post(path, json=bad, headers=_auth(bank)))["message"]
        )
        assert (
            "param psid is required"
            in _error(await http.post(path, json={"persistent_menu": own}, headers=_auth(bank)))[
                "message"
            ]
        )
        wrong = await http.delete(
            path, params={"psid": psid, "params": '["greeting"]'}, headers=_auth(bank)
        )
        assert "persistent_menu" in _error(wrong)["message"]

        # ampalibe's spelling of the DELETE: params=(persistent_menu)
        gone = await http.delete(
            path, params={"psid": psid, "params": "(persistent_menu)"}, headers=_auth(bank)
        )
        assert gone.json() == {"result": "success"}
        assert (await seen_by(an)).json()["persistent_menu"]["call_to_actions"][0][
            "title"
        ] == "Số dư"

    live.run(scenario)


def test_a_persons_own_menus_are_erased_with_their_account(live: InProcessPlatform) -> None:
    from ledgerline.storage.stores.page_profile import get_person_menu

    bank = live.create_business("Menu Bank")
    an = live.create_user(name="An", locale="vi")
    binh = live.create_user(name="Bình", locale="vi")
    own = [
        {
            "locale": "default",
            "call_to_actions": [{"type": "postback", "title": "Thẻ •••• 4321", "payload": "CARD"}],
        }
    ]

    async def scenario(http: httpx.AsyncClient) -> None:
        for user in (an, binh):
            await _write_hi(http, bank, user)
            body = {"psid": _psid_of(live, bank, user), "persistent_menu": own}
            set_menu = await http.post("/me/custom_user_settings", json=body, headers=_auth(bank))
            assert set_menu.json() == {"result": "success"}
        deleted = await http.delete(
            "/api/v1/me",
            params={"confirm": "true"},
            headers={"Authorization": f"Bearer {an['access_token']}"},
        )
        assert deleted.status_code == 200, deleted.text

    live.run(scenario)
    menu_of = live.platform.db.read_sync
    assert menu_of(get_person_menu, bank["page_id"], _psid_of(live, bank, an)) is None
    assert menu_of(get_person_menu, bank["page_id"], _psid_of(live, bank, binh)) is not None


async def _write_hi(http: httpx.AsyncClient, bank: dict[str, str], user: dict[str, str]) -> None:
    """``user`` writes to ``bank`` (so the bank has a thread and a PSID for them)."""
    written = await http.post(
        f"/api/v1/threads/{bank['page_id']}/messages",
        json={"text": "hi"},
        headers={"Authorization": f"Bearer {user['access_token']}"},
    )
    assert written.status_code == 201


def _psid_of(live: InProcessPlatform, business: dict[str, str], user: dict[str, str]) -> str:
    from ledgerline.storage.stores import threads as thread_store

    thread = live.platform.db.read_sync(
        thread_store.get_thread, business["page_id"], user["user_id"]
    )
    assert thread is not None
    return thread.psid


def _normalized(menu: Any) -> list[dict[str, Any]]:
    from ledgerline.domain.page_profile import normalize_menu

    return normalize_menu(menu)
