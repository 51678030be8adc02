"""Bad input to the bank API: the right Messenger error and status, nothing stored or sent."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from ledgerline.storage.tables import messages
from tests.support.inprocess import in_process_server
from tests.support.server import RunningPlatform

# One test process runs these tests (pytest-xdist --dist loadgroup): the module's
# running platform built once, not in every process that draws one of them.
pytestmark = pytest.mark.xdist_group("integration.api.test_send_api_errors")


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningPlatform]:
    tmp = tmp_path_factory.mktemp("errors")
    with in_process_server(f"sqlite:///{tmp / 'l.db'}", tmp) as running:
        yield running


@pytest.fixture(scope="module")
def setup(live: RunningPlatform) -> dict[str, Any]:
    bank = live.create_business("Bank A")
    other = live.create_business("Bank B")
    user = live.create_user()
    psids = {}
    with live.client() as http:
        for business in (bank, other):
            http.post(
                f"/api/v1/threads/{business['page_id']}/messages",
                headers={"Authorization": f"Bearer {user['access_token']}"},
                json={"text": "hi"},
            ).raise_for_status()
    from ledgerline.storage.stores import threads

    for key, business in (("bank", bank), ("other", other)):
        thread = live.platform.db.read_sync(
            threads.get_thread, business["page_id"], user["user_id"]
        )
        assert thread is not None
        psids[key] = thread.psid
    return {"bank": bank, "other": other, "psids": psids}


def _count(live: RunningPlatform) -> int:
    return int(
        live.platform.db.read_sync(
            lambda c: c.execute(sa.select(sa.func.count()).select_from(messages)).scalar()
        )
    )


CASES: list[tuple[str, dict[str, Any], int, int, int | None]] = [
    (
        "malformed_json",
        {"content": b"{not json", "headers": {"content-type": "application/json"}},
        400,
        100,
        None,
    ),
    ("body_not_object", {"json": ["a"]}, 400, 100, None),
    (
        "recipient_wrong_type",
        {"json": {"recipient": "nobody", "message": {"text": "x"}}},
        400,
        100,
        None,
    ),
    (
        "text_wrong_type",
        {"json": {"recipient": "PSID", "message": {"text": {"a": 1}}}},
        400,
        100,
        None,
    ),
    (
        "text_too_long",
        {"json": {"recipient": "PSID", "message": {"text": "x" * 2001}}},
        400,
        100,
        None,
    ),
    (
        "too_many_quick_replies",
        {
            "json": {
                "recipient": "PSID",
                "message": {
                    "text": "pick",
                    "quick_replies": [
                        {"content_type": "text", "title": f"q{i}", "payload": "P"}
                        for i in range(14)
                    ],
                },
            }
        },
        400,
        100,
        None,
    ),
    (
        "quick_reply_title_too_long",
        {
            "json": {
                "recipient": "PSID",
                "message": {"text": "pick", "quick_replies": [{"title": "x" * 21, "payload": "P"}]},
            }
        },
        400,
        100,
        None,
    ),
    (
        "text_and_attachment",
        {
            "json": {
                "recipient": "PSID",
                "message": {
                    "text": "a",
                    "attachment": {"type": "image", "payload": {"url": "https://x.y/i.png"}},
                },
            }
        },
        400,
        100,
        None,
    ),
    (
        "unknown_template",
        {
            "json": {
                "recipient": "PSID",
                "message": {
                    "attachment": {"type": "template", "payload": {"template_type": "list"}}
                },
            }
        },
        400,
        100,
        None,
    ),
    (
        "four_buttons",
        {
            "json": {
                "recipient": "PSID",
                "message": {
                    "attachment": {
                        "type": "template",
                        "payload": {
                            "template_type": "button",
                            "text": "t",
                            "buttons": [{"type": "postback", "title": "b", "payload": "p"}] * 4,
                        },
                    }
                },
            }
        },
        400,
        100,
        None,
    ),
    (
        "account_link_with_title",
        {
            "json": {
                "recipient": "PSID",
                "message": {
                    "attachment": {
                        "type": "template",
                        "payload": {
                            "template_type": "button",
                            "text": "t",
                            "buttons": [
                                {
                                    "type": "account_link",
                                    "title": "Log in",
                                    "url": "https://bank.example/a",
                                }
                            ],
                        },
                    }
                },
            }
        },
        400,
        100,
        None,
    ),
    (
        "unknown_psid",
        {"json": {"recipient": {"id": "123"}, "message": {"text": "x"}}},
        400,
        100,
        2018001,
    ),
    (
        "another_business_psid",
        {"json": {"recipient": "OTHER", "message": {"text": "x"}}},
        400,
        100,
        2018001,
    ),
    (
        "bad_messaging_type",
        {"json": {"recipient": "PSID", "messaging_type": "SPAM", "message": {"text": "x"}}},
        400,
        100,
        None,
    ),
    (
        "tag_missing",
        {"json": {"recipient": "PSID", "messaging_type": "MESSAGE_TAG", "message": {"text": "x"}}},
        400,
        100,
        None,
    ),
    ("missing_message", {"json": {"recipient": "PSID"}}, 400, 100, None),
    (
        "bad_sender_action",
        {"json": {"recipient": "PSID", "sender_action": "dance"}},
        400,
        100,
        None,
    ),
]


def _materialise(kwargs: dict[str, Any], psids: dict[str, str]) -> dict[str, Any]:
    if "json" not in kwargs or not isinstance(kwargs["json"], dict):
        return kwargs
    body = dict(kwargs["json"])
    if body.get("recipient") == "PSID":
        body["recipient"] = {"id": psids["bank"]}
    elif body.get("recipient") == "OTHER":
        body["recipient"] = {"id": psids["other"]}
    return {**kwargs, "json": body}


@pytest.mark.parametrize(
    ("name", "kwargs", "status", "code", "subcode"), CASES, ids=[c[0] for c in CASES]
)
def test_bad_send_requests_are_refused_and_nothing_is_stored(
    live: RunningPlatform,
    setup: dict[str, Any],
    name: str,
    kwargs: dict[str, Any],
    status: int,
    code: int,
    subcode: int | None,
) -> None:
    before = _count(live)
    with live.client() as http:
        response = http.post(
            "/v2.6/me/messages",
            params={"access_token": setup["bank"]["page_access_token"]},
            **_materialise(kwargs, setup["psids"]),
        )
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code
    assert error["message"].startswith(f"(#{code}) ")
    assert error["type"] == "OAuthException"
    assert error["fbtrace_id"]
    assert error.get("error_subcode") == subcode
    assert _count(live) == before


@pytest.mark.parametrize("token", [None, "", "EAALnotatoken"])
def test_missing_or_invalid_token_is_190(
    live: RunningPlatform, setup: dict[str, Any], token: str | None
) -> None:
    params = {} if token is None else {"access_token": token}
    with live.client() as http:
        response = http.post(
            "/me/messages",
            params=params,
            json={"recipient": {"id": setup["psids"]["bank"]}, "message": {"text": "x"}},
        )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == 190


def test_page_id_path_must_match_the_token(live: RunningPlatform, setup: dict[str, Any]) -> None:
    with live.client() as http:
        ok = http.post(
            f"/v19.0/{setup['bank']['page_id']}/messages",
            params={"access_token": setup["bank"]["page_access_token"]},
            json={"recipient": {"id": setup["psids"]["bank"]}, "message": {"text": "x"}},
        )
        wrong = http.post(
            f"/v19.0/{setup['other']['page_id']}/messages",
            params={"access_token": setup["bank"]["page_access_token"]},
            json={"recipient": {"id": setup["psids"]["bank"]}, "message": {"text": "x"}},
        )
    assert ok.status_code == 200
    assert wrong.status_code == 403
    assert wrong.json()["error"]["code"] == 200


def test_appsecret_proof_is_checked_when_given(
    live: RunningPlatform, setup: dict[str, Any]
) -> None:
    from ledgerline.domain.ids import appsecret_proof

    token = setup["bank"]["page_access_token"]
    body = {"recipient": {"id": setup["psids"]["bank"]}, "message": {"text": "x"}}
    with live.client() as http:
        good = http.post(
            "/me/messages",
            json=body,
            params={
                "access_token": token,
                "appsecret_proof": appsecret_proof(setup["bank"]["app_secret"], token),
            },
        )
        bad = http.post(
            "/me/messages", json=body, params={"access_token": token, "appsecret_proof": "00" * 32}
        )
    assert good.status_code == 200
    assert bad.status_code == 400
    assert "appsecret_proof" in bad.json()["error"]["message"]


def test_unknown_paths_and_versions_answer_in_messenger_shape(live: RunningPlatform) -> None:
    with live.client() as http:
        for response in (http.get("/nope"), http.post("/vX/me/messages"), http.get("/me/messages")):
            assert response.status_code in (404, 405)
            assert response.json()["error"]["message"].startswith("(#")


def test_person_api_needs_a_valid_token(live: RunningPlatform, setup: dict[str, Any]) -> None:
    with live.client() as http:
        response = http.get("/api/v1/threads", headers={"Authorization": "Bearer nope"})
        assert response.status_code == 401
        assert response.json()["error"]["code"] == 190
        user = live.create_user()
        headers = {"Authorization": f"Bearer {user['access_token']}"}
        both = http.post(
            f"/api/v1/threads/{setup['bank']['page_id']}/messages",
            headers=headers,
            json={"text": "a", "postback": {"title": "t", "payload": "p"}},
        )
        assert both.status_code == 400
        missing = http.post("/api/v1/threads/000/messages", headers=headers, json={"text": "a"})
        assert missing.status_code == 404
        long_text = http.post(
            f"/api/v1/threads/{setup['bank']['page_id']}/messages",
            headers=headers,
            json={"text": "x" * 2001},
        )
        assert long_text.status_code == 400
