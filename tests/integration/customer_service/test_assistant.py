"""The built-in assistant end to end, through the public APIs only: the bank enables it
(``POST /me/assistant``), people ask in vi and en, answers come from the vault within their
consent (every read audited with purpose ``customer_service``), bank actions reach the
bank's real webhook receiver as ``postback`` events, and "talk to a person" hands the
thread to the agent inbox."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from ledgerline.chat.ownership import ASSISTANT_APP_ID, PAGE_INBOX_APP_ID
from ledgerline.customer_service.assistant.actions import Assistant
from ledgerline.storage.stores import (
    audit as audit_store,
    inbox as inbox_store,
    threads as thread_store,
)
from ledgerline.storage.tables import messages
from tests.support.inprocess import in_process_server
from tests.support.linking import LinkedWorld, linked_world

SCOPES = ["balances", "transactions", "customer_service"]


@dataclass
class Person:
    world: LinkedWorld
    user: dict[str, str]
    psid: str

    @property
    def page_id(self) -> str:
        return self.world.business["page_id"]

    def _http(self) -> httpx.Client:
        return self.world.live.client()

    def bank(self, path: str, body: dict[str, Any]) -> httpx.Response:
        with self._http() as http:
            return http.post(
                f"/v19.0/me/{path}",
                json=body,
                headers={"Authorization": f"Bearer {self.world.business['page_access_token']}"},
            )

    def says(self, text: str) -> None:
        self._post({"text": text})

    def taps(self, reply: dict[str, Any]) -> None:
        self._post({"quick_reply": {"title": reply["title"], "payload": reply["payload"]}})

    def _post(self, body: dict[str, Any]) -> None:
        with self._http() as http:
            answer = http.post(
                f"/api/v1/threads/{self.page_id}/messages",
                json=body,
                headers={"Authorization": f"Bearer {self.user['access_token']}"},
            )
        assert answer.status_code == 201, answer.text

    def thread(self) -> list[dict[str, Any]]:
        with self._http() as http:
            answer = http.get(
                f"/api/v1/threads/{self.page_id}/messages",
                params={"limit": 200},
                headers={"Authorization": f"Bearer {self.user['access_token']}"},
            )
        assert answer.status_code == 200, answer.text
        data: list[dict[str, Any]] = answer.json()["data"]
        return data

    def last_answer(self) -> dict[str, Any]:
        return self.thread()[-1]

    def owner(self) -> str:
        with self._http() as http:
            answer = http.get(
                "/v2.6/me/thread_owner",
                params={
                    "access_token": self.world.business["page_access_token"],
                    "recipient": self.psid,
                },
            )
        assert answer.status_code == 200, answer.text
        return str(answer.json()["data"][0]["thread_owner"]["app_id"])

    def access_log(self) -> list[dict[str, Any]]:
        with self._http() as http:
            answer = http.get(
                "/api/v1/me/access-log",
                params={"limit": 500},
                headers={"Authorization": f"Bearer {self.user['access_token']}"},
            )
        assert answer.status_code == 200, answer.text
        data: list[dict[str, Any]] = answer.json()["data"]
        return data

    def audit(self) -> list[audit_store.AuditRow]:
        return self.world.live.platform.db.read_sync(
            audit_store.entries_for_user, self.user["user_id"], limit=1000
        )


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> Iterator[LinkedWorld]:
    with in_process_server(database_url, tmp_path) as live, linked_world(live) as linked:
        with live.client() as http:
            enabled = http.post(
                "/v2.6/me/assistant",
                params={"access_token": linked.business["page_access_token"]},
                json={"enabled": True},
            )
        assert enabled.json() == {"success": True}
        # The assistant hands over; the bank also hears the person on standby meanwhile.
        live.subscribe(linked.business, "messaging_handovers", "standby")
        yield linked


def person(world: LinkedWorld, locale: str, scopes: list[str] | None = SCOPES) -> Person:
    user = world.live.create_user(name="An", locale=locale, timezone="Asia/Ho_Chi_Minh")
    if scopes is None:  # not linked: the thread starts with their first message
        person = Person(world, user, "")
        person.says("xin chào" if locale == "vi" else "hello")
        thread = world.live.platform.db.read_sync(
            thread_store.get_thread, world.business["page_id"], user["user_id"]
        )
        assert thread is not None
        person.psid = thread.psid
        return person
    return Person(world, user, world.link(user, scopes))


def balance(psid: str) -> dict[str, Any]:
    return {
        "psid": psid,
        "account_id": "acc-1",
        "account_name": "Tài khoản thanh toán",
        "available": {"amount": "1250000", "currency": "VND"},
        "current": {"amount": "1300000", "currency": "VND"},
        "as_of": "2026-11-29T08:15:00+07:00",
    }


def transaction(transaction_id: str, amount: str, booked_at: str) -> dict[str, Any]:
    return {
        "transaction_id": transaction_id,
        "account_id": "acc-1",
        "card_last4": "1234",
        "amount": {"amount": amount, "currency": "VND"},
        "credit_debit": "debit",
        "status": "booked",
        "booked_at": booked_at,
        "merchant": {"name": "Highlands Coffee", "category_code": "5814", "country": "VN"},
    }


def wait_for(predicate: Any, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


@pytest.mark.parametrize(
    ("locale", "question", "available"),
    [
        ("vi", "Số dư của tôi là bao nhiêu?", "khả dụng 1.250.000\xa0₫"),
        ("vi", "so du tai khoan con bao nhieu", "khả dụng 1.250.000\xa0₫"),
        ("en", "What's my balance?", "₫1,250,000 available"),
    ],
)
def test_a_balance_question_gets_the_formatted_balance_from_the_vault(
    world: LinkedWorld, locale: str, question: str, available: str
) -> None:
    p = person(world, locale)
    assert p.owner() == ASSISTANT_APP_ID  # enabled: the assistant owns new threads
    assert p.bank("balances", balance(p.psid)).status_code == 200
    p.says(question)
    answer = p.last_answer()
    assert answer["from"] == "page"
    assert available in answer["text"]
    assert "Tài khoản thanh toán" in answer["text"]
    # Stored like the financial updates: only a placeholder in the messages table.
    stored = world.live.platform.db.read_sync(
        lambda conn: conn.execute(
            sa.select(messages.c.body).where(messages.c.mid == answer["mid"])
        ).scalar_one()
    )
    assert json.loads(stored) == {"vault": True, "kind": "assistant"}
    # The read was the assistant's, for customer service, and the person can see it.
    reads = [e for e in p.audit() if e.actor_id == "assistant" and e.action == "read"]
    assert [(e.purpose, e.record_kind, e.outcome) for e in reads] == [
        ("customer_service", "balance", "allowed")
    ]
    shown = [e for e in p.access_log() if e["purpose"] == "customer_service"]
    assert [(e["record_kind"], e["outcome"]) for e in shown] == [("balance", "allowed")]


def test_a_specific_payment_and_recent_transactions(world: LinkedWorld) -> None:
    p = person(world, "vi")
    today = time.strftime("%Y-%m-%d", time.gmtime(time.time() + 7 * 3600))
    yesterday = time.strftime("%Y-%m-%d", time.gmtime(time.time() + 7 * 3600 - 86400))
    txs = [
        transaction("t-1", "125000", f"{yesterday}T12:30:00+07:00"),
        transaction("t-2", "50000", f"{yesterday}T18:00:00+07:00"),
        transaction("t-3", "125000", f"{today}T00:05:00+07:00"),
    ]
    assert p.bank("transactions", {"psid": p.psid, "transactions": txs}).status_code == 200
    p.says("khoản 125k hôm qua là gì")
    found = p.last_answer()["text"]
    assert found.startswith("Tôi tìm thấy khoản thanh toán này:")
    assert "125.000\xa0₫" in found
    assert "12:30" in found
    assert "Highlands Coffee" in found
    p.says("what was the 99.000 ₫ yesterday?")
    assert "99.000" in p.last_answer()["text"]  # not found, in the person's language
    assert p.last_answer()["text"].startswith("Tôi không tìm thấy")
    p.says("xem các giao dịch gần đây")
    listed = p.last_answer()["text"].splitlines()
    assert listed[0] == "Các giao dịch gần nhất của bạn:"
    assert len(listed) == 4
    reads = [e for e in p.audit() if e.actor_id == "assistant" and e.action == "read"]
    assert len(reads) == 3
    assert {(e.purpose, e.record_kind) for e in reads} == {("customer_service", "transaction")}


def test_without_customer_service_consent_the_assistant_reads_nothing(
    world: LinkedWorld,
) -> None:
    p = person(world, "vi", scopes=["balances", "transactions"])
    assert p.bank("balances", balance(p.psid)).status_code == 200
    p.says("số dư của tôi")
    answer = p.last_answer()["text"]
    assert "chưa cho phép" in answer
    assert "Chăm sóc khách hàng" in answer
    assert "1.250.000" not in answer
    assert not [e for e in p.audit() if e.actor_id == "assistant"]

    stranger = person(world, "en", scopes=None)  # never linked
    stranger.says("what's my balance")
    offer = stranger.last_answer()["attachment"]["payload"]
    assert offer["buttons"] == [
        {
            "type": "account_link",
            "url": world.bank.authorize_url,
            "scopes": ["balances", "transactions", "customer_service"],
        }
    ]
    assert "customer service" in offer["text"]
    assert not [e for e in stranger.audit() if e.actor_id == "assistant"]


def test_a_card_freeze_reaches_the_bank_as_a_postback_and_the_bank_answers(
    world: LinkedWorld,
) -> None:
    p = person(world, "vi")
    receiver = world.bank.bank.receiver
    p.says("khóa thẻ đuôi 1234 giúp tôi")
    question = p.last_answer()
    assert question["text"] == (
        "Bạn có muốn tôi đề nghị Ngân hàng Demo tạm khóa thẻ •••• 1234 không?"
    )
    yes, _no = question["quick_replies"]
    assert yes["title"] == "Có"
    p.taps(yes)
    assert p.last_answer()["text"] == (
        "Tôi đã đề nghị Ngân hàng Demo tạm khóa thẻ của bạn. Ngân hàng sẽ xác nhận tại đây."
    )
    wait_for(lambda: any("postback" in e for e in receiver.events()))
    events = receiver.events()
    handed_at = next(i for i, e in enumerate(events) if "pass_thread_control" in e)
    asked_at = next(i for i, e in enumerate(events) if "postback" in e)
    assert handed_at < asked_at  # the bank owns the thread when its request arrives
    handed, request = events[handed_at], events[asked_at]
    assert handed["pass_thread_control"] == {
        "previous_owner_app_id": ASSISTANT_APP_ID,
        "new_owner_app_id": world.business["app_id"],
        "metadata": "assistant: ASSISTANT_CARD_FREEZE",
    }
    assert request["sender"] == {"id": p.psid}
    assert request["postback"]["payload"] == "ASSISTANT_CARD_FREEZE"
    assert request["postback"]["title"] == "Freeze card"
    assert request["postback"]["details"] == {"card_last4": "1234"}
    assert request["postback"]["mid"].startswith("m_")
    # An event of its own, with its own mid: not the mid of the "Có" the person tapped
    # (which the bank heard on standby), so a bank deduplicating on mids keeps it.
    wait_for(
        lambda: any(e.get("message", {}).get("text") == "Có" for e in receiver.standby_events())
    )
    heard = [e["message"]["mid"] for e in receiver.standby_events() if "message" in e]
    assert len(set(heard)) == len(heard)
    assert request["postback"]["mid"] not in heard
    # The bank now owns the thread and answers with the Send API, as on Messenger.
    with world.live.client() as http:
        sent = http.post(
            "/v2.6/me/messages",
            params={"access_token": world.business["page_access_token"]},
            json={"recipient": {"id": p.psid}, "message": {"text": "Thẻ •••• 1234 đã được khóa."}},
        )
    assert sent.status_code == 200, sent.text
    assert p.last_answer()["text"] == "Thẻ •••• 1234 đã được khóa."


def test_saying_no_asks_the_bank_for_nothing(world: LinkedWorld) -> None:
    p = person(world, "en")
    receiver = world.bank.bank.receiver
    p.says("I lost my card")
    _yes, no = p.last_answer()["quick_replies"]
    p.taps(no)
    assert p.last_answer()["text"] == "All right, I have not asked Ngân hàng Demo for anything."
    world.live.wait_until_webhooks_sent()
    assert not [e for e in receiver.events() if "postback" in e]
    assert p.owner() == ASSISTANT_APP_ID


def test_a_dispute_names_the_payment_to_the_bank(world: LinkedWorld) -> None:
    p = person(world, "en")
    yesterday = time.strftime("%Y-%m-%d", time.gmtime(time.time() + 7 * 3600 - 86400))
    tx = transaction("t-77", "125000", f"{yesterday}T12:30:00+07:00")
    p.bank("transactions", {"psid": p.psid, "transactions": [tx]})
    p.says("I want to dispute the 125.000 ₫ from yesterday")
    question = p.last_answer()
    assert question["text"].startswith("Shall I ask Ngân hàng Demo to dispute this payment?")
    assert "Highlands Coffee" in question["text"]
    assert "t-77" not in str(question)  # the bank's reference never appears in the thread
    p.taps(question["quick_replies"][0])
    receiver = world.bank.bank.receiver
    wait_for(lambda: any("postback" in e for e in receiver.events()))
    request = next(e for e in receiver.events() if "postback" in e)
    assert request["postback"]["payload"] == "ASSISTANT_DISPUTE"
    assert request["postback"]["details"] == {"transaction_id": "t-77"}


def test_talk_to_a_person_passes_the_thread_to_the_inbox(world: LinkedWorld) -> None:
    p = person(world, "vi")
    p.says("cho tôi nói chuyện với nhân viên")
    assert p.last_answer()["text"].startswith("Tôi đang chuyển bạn đến nhân viên")
    assert p.owner() == PAGE_INBOX_APP_ID
    queue = world.live.platform.db.read_sync(inbox_store.list_queue, p.page_id)
    assert [(i.conversation.status, i.conversation.handover_metadata) for i in queue] == [
        ("waiting", "assistant: asked for a person")
    ]
    p.says("số dư?")  # the inbox owns the thread now: the assistant stays silent
    assert p.last_answer()["from"] == "user"
    with world.live.client() as http:  # and the bank's app is a secondary receiver
        refused = http.post(
            "/v2.6/me/messages",
            params={"access_token": world.business["page_access_token"]},
            json={"recipient": {"id": p.psid}, "message": {"text": "Chào bạn"}},
        )
    error = refused.json()["error"]
    assert (error["code"], error["error_subcode"]) == (10, 2018300)


def test_not_understood_twice_passes_the_thread_to_the_inbox(world: LinkedWorld) -> None:
    p = person(world, "en")
    p.says("asdf qwerty zxcv")
    assert p.last_answer()["text"].startswith("Sorry, I did not understand.")
    assert p.owner() == ASSISTANT_APP_ID
    p.says("the blue one on tuesday maybe")
    assert p.last_answer()["text"].startswith("I still did not understand")
    assert p.owner() == PAGE_INBOX_APP_ID


def test_a_failing_assistant_loses_nothing_and_hands_over(world: LinkedWorld) -> None:
    p = person(world, "en")

    def broken(text: str, today: Any) -> Any:
        raise RuntimeError("the model is gone")

    ctx = world.live.app.state.ctx
    assistant = Assistant(world.live.platform.vault, understander=broken)
    answerers = {**ctx.inbound.answerers, ASSISTANT_APP_ID: assistant.on_message}
    ctx.inbound = replace(ctx.inbound, answerers=answerers)
    p.says("what's my balance")
    said, answer = p.thread()[-2:]
    assert (said["from"], said["text"]) == ("user", "what's my balance")
    assert answer["text"].startswith("Sorry, I cannot answer that right now")
    assert p.owner() == PAGE_INBOX_APP_ID


def test_a_branch_question_goes_to_the_bank_in_the_persons_words(world: LinkedWorld) -> None:
    p = person(world, "en")
    p.says("where is the nearest ATM?")
    assert p.last_answer()["text"] == (
        "I have passed your question to Ngân hàng Demo. They will answer here."
    )
    receiver = world.bank.bank.receiver
    wait_for(lambda: any("postback" in e for e in receiver.events()))
    request = next(e for e in receiver.events() if "postback" in e)["postback"]
    assert (request["title"], request["payload"]) == (
        "Branch or ATM question",
        "ASSISTANT_BRANCH_ATM",
    )
    assert request["details"] == {"text": "where is the nearest ATM?"}
    assert p.owner() == world.business["app_id"]


def test_a_bank_not_subscribed_to_postbacks_is_not_asked(world: LinkedWorld) -> None:
    """The assistant asks the bank only when its request would arrive: a page that dropped
    ``messaging_postbacks`` from its subscription is handed to the agents instead."""
    with world.live.client() as http:
        http.post(
            "/v19.0/me/subscribed_apps",
            params={"access_token": world.business["page_access_token"]},
            json={"subscribed_fields": ["messages", "messaging_handovers"]},
        ).raise_for_status()
    p = person(world, "vi")
    receiver = world.bank.bank.receiver
    p.says("khóa thẻ đuôi 1234 giúp tôi")
    yes, _no = p.last_answer()["quick_replies"]
    p.taps(yes)
    wait_for(lambda: p.owner() == PAGE_INBOX_APP_ID)
    assert not any("postback" in e for e in receiver.events())
