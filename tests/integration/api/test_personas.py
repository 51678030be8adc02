"""Messenger's Personas API: create, list and delete a page's personas; a send with
``persona_id`` reaches the person under that name ("Minh · Demo Bank" in the web app)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ledgerline.storage.stores import threads as thread_store
from tests.support.inprocess import InProcessPlatform, in_process_platform

PICTURE = "https://bank.example/staff/minh.png"


@pytest.fixture
def live(database_url: str, tmp_path: Path) -> Iterator[InProcessPlatform]:
    with in_process_platform(database_url, tmp_path) as running:
        yield running


def test_personas_are_created_listed_used_and_deleted(live: InProcessPlatform) -> None:
    bank = live.create_business("Demo Bank")
    other = live.create_business("Other Bank")
    user = live.create_user()
    auth = {"Authorization": f"Bearer {bank['page_access_token']}"}
    other_auth = {"Authorization": f"Bearer {other['page_access_token']}"}
    person = {"Authorization": f"Bearer {user['access_token']}"}

    async def scenario(http: httpx.AsyncClient) -> None:
        said = await http.post(
            f"/api/v1/threads/{bank['page_id']}/messages", headers=person, json={"text": "hi"}
        )
        assert said.status_code == 201
        thread = live.platform.db.read_sync(
            thread_store.get_thread, bank["page_id"], user["user_id"]
        )
        assert thread is not None

        made = await http.post(
            "/v19.0/me/personas",
            headers=auth,
            json={"name": "Minh", "profile_picture_url": PICTURE},
        )
        assert made.status_code == 200, made.text
        minh = made.json()["id"]
        assert minh.isdigit()
        # ampalibe's spelling: the page id instead of ``me``; a form body works too.
        lan = await http.post(
            f"/v15.0/{bank['page_id']}/personas",
            headers=auth,
            data={"name": "Lan", "profile_picture_url": PICTURE},
        )
        listed = await http.get("/v19.0/me/personas", headers=auth)
        assert listed.json() == {
            "data": [
                {"name": "Minh", "profile_picture_url": PICTURE, "id": minh},
                {"name": "Lan", "profile_picture_url": PICTURE, "id": lan.json()["id"]},
            ]
        }
        assert (await http.get("/v19.0/me/personas", headers=other_auth)).json() == {"data": []}
        foreign = await http.get(f"/v19.0/{bank['page_id']}/personas", headers=other_auth)
        assert foreign.status_code == 403

        sent = await http.post(
            "/v19.0/me/messages",
            headers=auth,
            json={
                "recipient": {"id": thread.psid},
                "message": {"text": "Chào bạn, mình là Minh."},
                "persona_id": minh,
            },
        )
        assert sent.status_code == 200, sent.text
        history = await http.get(f"/api/v1/threads/{bank['page_id']}/messages", headers=person)
        last = history.json()["data"][-1]
        assert last["text"] == "Chào bạn, mình là Minh."
        assert last["persona"] == {"id": minh, "name": "Minh"}

        for bad in (lan.json()["id"] + "9", "abc", True):
            refused = await http.post(
                "/v19.0/me/messages",
                headers=auth,
                json={
                    "recipient": {"id": thread.psid},
                    "message": {"text": "x"},
                    "persona_id": bad,
                },
            )
            assert refused.status_code == 400, refused.text
            assert refused.json()["error"]["message"] == (
                "(#100) param persona_id is not a persona of this page"
            )
        # GET /{PERSONA_ID} answers the persona, as Messenger's Personas API does.
        shown = await http.get(f"/v19.0/{minh}", headers=auth)
        assert shown.status_code == 200, shown.text
        assert shown.json() == {
            "name": "Minh",
            "profile_picture_url": PICTURE,
            "id": minh,
        }
        # Another page cannot use, see or delete the bank's persona.
        unseen = await http.get(f"/v19.0/{minh}", headers=other_auth)
        assert unseen.status_code == 400
        assert unseen.json()["error"]["error_subcode"] == 33
        assert (await http.delete(f"/v19.0/{minh}", headers=other_auth)).status_code == 404

        deleted = await http.delete(f"/v19.0/{minh}", headers=auth)
        assert deleted.json() == {"success": True}
        assert (await http.delete(f"/{minh}", headers=auth)).json()["error"]["code"] == 803
        assert (await http.get(f"/v19.0/{minh}", headers=auth)).status_code == 400  # gone
        gone = await http.post(
            "/v19.0/me/messages",
            headers=auth,
            json={"recipient": {"id": thread.psid}, "message": {"text": "x"}, "persona_id": minh},
        )
        assert gone.status_code == 400
        history = await http.get(f"/api/v1/threads/{bank['page_id']}/messages", headers=person)
        kept = [m for m in history.json()["data"] if m.get("persona")]
        assert [m["persona"]["name"] for m in kept] == ["Minh"]  # sent under its name for good

    live.run(scenario)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"profile_picture_url": PICTURE}, "(#100) The parameter name is required"),
        ({"name": " ", "profile_picture_url": PICTURE}, "(#100) The parameter name is required"),
        ({"name": "Minh"}, "(#100) The parameter profile_picture_url is required"),
        ({"name": "x" * 101, "profile_picture_url": PICTURE}, "at most 100 characters"),
        ({"name": 5, "profile_picture_url": PICTURE}, "param name must be a string"),
        ({"name": "Minh", "profile_picture_url": "javascript:alert(1)"}, "http(s) URL"),
    ],
)
def test_bad_personas_get_a_clear_error(
    live: InProcessPlatform, body: dict[str, Any], message: str
) -> None:
    bank = live.create_business()
    auth = {"Authorization": f"Bearer {bank['page_access_token']}"}

    async def scenario(http: httpx.AsyncClient) -> None:
        refused = await http.post("/v19.0/me/personas", headers=auth, json=body)
        assert refused.status_code == 400, refused.text
        assert message in refused.json()["error"]["message"]
        assert (await http.get("/v19.0/me/personas", headers=auth)).json() == {"data": []}
        assert (await http.post("/v19.0/me/personas", json=body)).json()["error"]["code"] == 190

    live.run(scenario)
