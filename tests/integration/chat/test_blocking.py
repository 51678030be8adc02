"""A person blocks a business: its Send API answers (#551) and nothing is stored or sent."""

from __future__ import annotations

from pathlib import Path

import httpx
import sqlalchemy as sa

from ledgerline.storage.stores import threads
from ledgerline.storage.tables import messages, users, vault_records
from tests.support.inprocess import in_process_server
from tests.support.linking import linked_world
from tests.support.receiver import WebhookReceiver
from tests.support.server import RunningPlatform


def _bearer(user: dict[str, str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {user['access_token']}"}


def _start_thread(live: RunningPlatform, page_id: str, user: dict[str, str]) -> str:
    with live.client() as http:
        http.post(
            f"/api/v1/threads/{page_id}/messages", headers=_bearer(user), json={"text": "hi"}
        ).raise_for_status()
    thread = live.platform.db.read_sync(threads.get_thread, page_id, user["user_id"])
    assert thread is not None
    return thread.psid


def _send(live: RunningPlatform, bank: dict[str, str], body: dict[str, object]) -> httpx.Response:
    with live.client() as http:
        return http.post(
            "/v15.0/me/messages", params={"access_token": bank["page_access_token"]}, json=body
        )


def _message_count(live: RunningPlatform) -> int:
    return int(
        live.platform.db.read_sync(
            lambda conn: conn.execute(sa.select(sa.func.count()).select_from(messages)).scalar_one()
        )
    )


def _assert_551(response: httpx.Response) -> None:
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert (error["code"], error["error_subcode"]) == (551, 1545041)
    assert error["message"] == "(#551) This person isn't available right now."


def test_a_blocked_business_gets_551_until_the_person_unblocks_it(
    database_url: str, tmp_path: Path
) -> None:
    with in_process_server(database_url, tmp_path) as live:
        receiver = live.receiver(WebhookReceiver())
        bank = live.create_business("Bank A", webhook_url=receiver.url)
        other = live.create_business("Bank B")
        receiver.receiver.app_secret = bank["app_secret"]
        user = live.create_user()
        psid = _start_thread(live, bank["page_id"], user)
        other_psid = _start_thread(live, other["page_id"], user)
        receiver.receiver.wait_for_events(1)

        with live.client() as http:
            blocked = http.post(f"/api/v1/threads/{bank['page_id']}/block", headers=_bearer(user))
            assert blocked.json() == {"success": True, "blocked": True}
            again = http.post(f"/api/v1/threads/{bank['page_id']}/block", headers=_bearer(user))
            assert again.status_code == 200  # idempotent
            listed = http.get("/api/v1/blocks", headers=_bearer(user)).json()["data"]
            assert [(b["page_id"], b["name"]) for b in listed] == [(bank["page_id"], "Bank A")]

        before = _message_count(live)
        _assert_551(_send(live, bank, {"recipient": {"id": psid}, "message": {"text": "hello"}}))
        _assert_551(_send(live, bank, {"recipient": {"id": psid}, "sender_action": "typing_on"}))
        _assert_551(_send(live, bank, {"recipient": {"id": psid}, "sender_action": "mark_seen"}))
        assert _message_count(live) == before
        # Another business is not affected.
        assert (
            _send(
                live, other, {"recipient": {"id": other_psid}, "message": {"text": "ok"}}
            ).status_code
            == 200
        )
        with live.client() as http:
            # The person cannot write to a business they blocked; nothing reaches the bank.
            refused = http.post(
                f"/api/v1/threads/{bank['page_id']}/messages",
                headers=_bearer(user),
                json={"text": "psst"},
            )
            assert refused.status_code == 409, refused.text
            unblocked = http.delete(
                f"/api/v1/threads/{bank['page_id']}/block", headers=_bearer(user)
            )
            assert unblocked.json() == {"success": True, "blocked": False}
            assert http.get("/api/v1/blocks", headers=_bearer(user)).json() == {"data": []}
        sent = _send(live, bank, {"recipient": {"id": psid}, "message": {"text": "welcome back"}})
        assert sent.status_code == 200, sent.text
        assert [e["message"]["text"] for e in receiver.receiver.events()] == ["hi"]


def test_blocking_an_unknown_business_is_a_404(database_url: str, tmp_path: Path) -> None:
    with in_process_server(database_url, tmp_path) as live:
        user = live.create_user()
        with live.client() as http:
            for method in ("POST", "DELETE"):
                response = http.request(
                    method, "/api/v1/threads/999999/block", headers=_bearer(user)
                )
                assert response.status_code == 404, response.text
                assert response.json()["error"]["code"] == 803
            assert http.post("/api/v1/threads/1/block").status_code == 401


def test_a_person_who_deleted_their_account_is_unavailable_and_forgotten(
    database_url: str, tmp_path: Path
) -> None:
    with in_process_server(database_url, tmp_path) as live, linked_world(live) as world:
        user = live.create_user()
        psid = world.link(user, ["balances"])
        bank_token = world.business["page_access_token"]
        balance = {
            "psid": psid,
            "account_id": "acc-1",
            "available": {"amount": "100", "currency": "VND"},
            "current": {"amount": "100", "currency": "VND"},
            "as_of": "2026-11-29T09:30:00+07:00",
        }
        with live.client() as http:
            shared = http.post(
                "/v19.0/me/balances", params={"access_token": bank_token}, json=balance
            )
            assert shared.status_code == 200, shared.text
            unconfirmed = http.delete("/api/v1/me", headers=_bearer(user))
            assert unconfirmed.status_code == 400
            deleted = http.delete("/api/v1/me?confirm=true", headers=_bearer(user))
            assert deleted.json() == {"success": True}
            assert http.get("/api/v1/threads", headers=_bearer(user)).status_code == 401
            refused = http.post(
                "/v19.0/me/balances", params={"access_token": bank_token}, json=balance
            )
            assert refused.status_code == 403, refused.text

        before = _message_count(live)
        _assert_551(
            _send(live, world.business, {"recipient": {"id": psid}, "message": {"text": "hi"}})
        )
        assert _message_count(live) == before
        events = world.bank.bank.receiver.wait_for_events(2)  # linked, then unlinked
        assert [e["account_linking"]["status"] for e in events] == ["linked", "unlinked"]
        left = live.platform.db.read_sync(
            lambda conn: conn.execute(
                sa.select(sa.func.count())
                .select_from(vault_records)
                .where(vault_records.c.user_id == user["user_id"])
            ).scalar_one()
        )
        assert left == 0
        row = live.platform.db.read_sync(
            lambda conn: conn.execute(
                sa.select(users.c.name, users.c.deleted_at).where(
                    users.c.user_id == user["user_id"]
                )
            ).one()
        )
        assert row.name == ""
        assert row.deleted_at is not None


def test_the_block_endpoints_are_in_the_openapi_document(database_url: str, tmp_path: Path) -> None:
    with in_process_server(database_url, tmp_path) as live, live.client() as http:
        paths = http.get("/openapi.json").json()["paths"]
    assert set(paths["/api/v1/threads/{page_id}/block"]) == {"post", "delete"}
    assert "get" in paths["/api/v1/blocks"]
