"""The agent inbox end to end over HTTP: the queue, assign, reply (HUMAN_AGENT), notes,
hand back, close with the satisfaction question, metrics, tenant isolation, and the
person's masked financial context read with purpose customer_service and audited."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from ledgerline.chat.ownership import PAGE_INBOX_APP_ID
from ledgerline.domain.clock import FrozenClock
from ledgerline.storage.stores import audit as audit_store
from tests.support.inbox import AgentClient, create_agent, graph, pass_to_inbox, psid_of
from tests.support.inprocess import in_process_server
from tests.support.linking import LinkedWorld, linked_world
from tests.support.messages import buttons_of, press
from tests.support.server import RunningPlatform

START = datetime(2026, 11, 29, 2, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(START)


@pytest.fixture
def live(database_url: str, tmp_path: Path, clock: FrozenClock) -> Iterator[RunningPlatform]:
    with in_process_server(database_url, tmp_path, clock=clock) as running:
        yield running


@pytest.fixture
def world(live: RunningPlatform) -> Iterator[LinkedWorld]:
    with linked_world(live) as w:
        live.subscribe(w.business, "messaging_handovers")  # agents hand threads back
        yield w


def _person(live: RunningPlatform, user: dict[str, str]) -> httpx.Client:
    return live.client(headers={"Authorization": f"Bearer {user['access_token']}"})


def _say(person: httpx.Client, page_id: str, text: str) -> None:
    response = person.post(f"/api/v1/threads/{page_id}/messages", json={"text": text})
    assert response.status_code == 201, response.text


def _graph(world: LinkedWorld, path: str, body: dict[str, Any]) -> httpx.Response:
    return graph(world.live, world.business["page_access_token"], path, body)


def _psid(live: RunningPlatform, page_id: str, user_id: str) -> str:
    return psid_of(live, page_id, user_id)


def _to_inbox(world: LinkedWorld, user: dict[str, str], metadata: str = "loan") -> str:
    return pass_to_inbox(world.live, world.business, user["user_id"], metadata)


def _wait(predicate: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


def test_an_agent_answers_closes_and_the_satisfaction_lands_in_the_metrics(
    live: RunningPlatform, world: LinkedWorld, clock: FrozenClock
) -> None:
    page_id = world.business["page_id"]
    user = live.create_user("Minh")
    lan = create_agent(live, page_id, "lan", "Lan")
    boss = create_agent(live, page_id, "boss", "Hoa", role="supervisor")
    with _person(live, user) as person:
        _say(person, page_id, "Tôi cần hỏi về khoản vay")
        _to_inbox(world, user)
        assert person.get(f"/api/v1/threads/{page_id}/agent").json() == {
            "human": True,
            "agent": None,
        }
        agent = AgentClient(live, page_id, "lan")
        supervisor = AgentClient(live, page_id, "boss")
        try:
            (waiting,) = agent.queue()
            assert waiting["status"] == "waiting"
            assert waiting["person_name"] == "Minh"
            assert waiting["metadata"] == "loan"
            cid = waiting["conversation_id"]

            clock.advance(timedelta(seconds=90))
            assert agent.post(f"/conversations/{cid}/assign").json() == {"success": True}
            assert person.get(f"/api/v1/threads/{page_id}/agent").json() == {
                "human": True,
                "agent": {"name": "Lan"},
            }
            assert (
                agent.post(f"/conversations/{cid}/note", {"text": "VIP, gọi lại"}).status_code
                == 200
            )
            replied = agent.post(
                f"/conversations/{cid}/reply", {"text": "Chào anh Minh, em là Lan"}
            )
            assert replied.status_code == 200, replied.text

            # The person sees the agent's reply as the page, labelled with the agent's name;
            # the internal note never reaches them.
            messages = person.get(f"/api/v1/threads/{page_id}/messages").json()["data"]
            assert messages[-1]["text"] == "Chào anh Minh, em là Lan"
            assert messages[-1]["from"] == "page"
            assert messages[-1]["agent"] == {"name": "Lan"}
            assert all("VIP" not in str(m) for m in messages)
            detail = agent.get(f"/conversations/{cid}").json()
            assert [n["text"] for n in detail["notes"]] == ["VIP, gọi lại"]
            assert detail["conversation"]["agent_name"] == "Lan"

            _say(person, page_id, "Cảm ơn em")
            clock.advance(timedelta(minutes=4))
            assert agent.post(f"/conversations/{cid}/close").json() == {"success": True}
            assert agent.queue() == []
            # The thread is the bank's again: it got pass_thread_control from the inbox.
            _wait(
                lambda: any(
                    e.get("pass_thread_control", {}).get("previous_owner_app_id")
                    == PAGE_INBOX_APP_ID
                    for e in world.bank.bank.receiver.events()
                )
            )
            assert person.get(f"/api/v1/threads/{page_id}/agent").json()["human"] is False

            question = person.get(f"/api/v1/threads/{page_id}/messages").json()["data"][-1]
            # Persistent buttons (a button template), answerable for 7 days.
            assert question["state"]["status"] == "open"
            titles = [b["title"] for b in buttons_of(question)]
            assert titles == ["5 ★ Rất hài lòng", "3 ★ Bình thường", "1 ★ Không hài lòng"]
            five, _three, one = buttons_of(question)
            # Other messages come after it: its buttons still answer it.
            for text in ("cảm ơn", "ok"):
                person.post(f"/api/v1/threads/{page_id}/messages", json={"text": text})
            answered = person.post(f"/api/v1/threads/{page_id}/messages", json=press(five))
            assert answered.status_code == 201
            # Only once: a second answer does not change the score.
            person.post(f"/api/v1/threads/{page_id}/messages", json=press(one))
            shown = next(
                m
                for m in person.get(f"/api/v1/threads/{page_id}/messages").json()["data"]
                if m["mid"] == question["mid"]
            )
            assert shown["state"]["status"] == "answered"
            assert shown["state"]["answer"] == "5 ★ Rất hài lòng"

            assert agent.get("/metrics").status_code == 403  # supervisors only
            metrics = supervisor.get("/metrics").json()
            (row,) = metrics["agents"]
            assert row["name"] == "Lan"
            assert row["first_response_seconds"] == 90.0
            assert row["resolution_seconds"] == 330.0
            assert row["satisfaction"] == 5
            assert metrics["days"][0]["day"] == "2026-11-29"
            assert metrics["total"]["resolved"] == 1
            # The bank never saw the satisfaction answer as a message of the person.
            texts = [
                e["message"].get("text")
                for e in world.bank.bank.receiver.events()
                if "message" in e
            ]
            assert five["title"] not in texts
            postbacks = [
                e["postback"]["payload"]
                for e in world.bank.bank.receiver.events()
                if "postback" in e
            ]
            assert not any(p.startswith("LL_CSAT:") for p in postbacks)
            assert lan.agent_id != boss.agent_id
        finally:
            agent.close()
            supervisor.close()


def test_human_agent_replies_for_seven_days_and_hand_back_returns_the_thread(
    live: RunningPlatform, world: LinkedWorld, clock: FrozenClock
) -> None:
    page_id = world.business["page_id"]
    user = live.create_user()
    create_agent(live, page_id, "lan", "Lan")
    with _person(live, user) as person:
        _say(person, page_id, "Xin chào")
    psid = _to_inbox(world, user)
    with _signed_in(live, page_id) as agent:
        (conversation,) = agent.queue()
        first = conversation["conversation_id"]
    clock.advance(timedelta(days=3))  # agents' sessions last 8 hours: sign in again
    # Outside the 24-hour window the bank may only use HUMAN_AGENT (7 days)…
    assert _graph(world, "take_thread_control", {"recipient": {"id": psid}}).json() == {
        "success": True
    }
    plain = _graph(world, "messages", {"recipient": {"id": psid}, "message": {"text": "x"}})
    assert plain.json()["error"]["error_subcode"] == 2018278
    tagged = _graph(
        world,
        "messages",
        {
            "recipient": {"id": psid},
            "messaging_type": "MESSAGE_TAG",
            "tag": "HUMAN_AGENT",
            "message": {"text": "Ngân hàng trả lời"},
        },
    )
    assert tagged.status_code == 200, tagged.text
    with _signed_in(live, page_id) as agent:
        # The take ended the conversation; replying to it now is refused.
        assert agent.post(f"/conversations/{first}/reply", {"text": "hi"}).status_code == 409
        _to_inbox(world, user)
        (again,) = agent.queue()
        cid = again["conversation_id"]
        # … and so may agents, who reply under HUMAN_AGENT automatically.
        assert agent.post(f"/conversations/{cid}/reply", {"text": "Em đây"}).status_code == 200
    clock.advance(timedelta(days=5))  # 8 days after the person's last message
    with _signed_in(live, page_id) as agent:
        late = agent.post(f"/conversations/{cid}/reply", {"text": "Còn đó không?"})
        assert late.status_code == 400
        assert late.json()["error"]["code"] == 10
        assert agent.post(f"/conversations/{cid}/hand_back").json() == {"success": True}
        assert agent.queue() == []
    with live.client() as http:
        owner = http.get(
            "/v2.6/me/thread_owner",
            params={"recipient": psid, "access_token": world.business["page_access_token"]},
        ).json()
    assert owner["data"][0]["thread_owner"]["app_id"] == world.business["app_id"]


@contextlib.contextmanager
def _signed_in(live: RunningPlatform, page_id: str, login: str = "lan") -> Iterator[AgentClient]:
    agent = AgentClient(live, page_id, login)
    try:
        yield agent
    finally:
        agent.close()


def test_an_agent_of_one_business_never_sees_another_business_thread(
    live: RunningPlatform, world: LinkedWorld
) -> None:
    page_a = world.business["page_id"]
    business_b = live.create_business("Ngân hàng B")
    create_agent(live, page_a, "lan", "Lan", role="supervisor")
    create_agent(live, business_b["page_id"], "lan", "Lan B", role="supervisor")
    user = live.create_user()
    with _person(live, user) as person:
        _say(person, page_a, "Xin chào A")
        _to_inbox(world, user)
    agent_a = AgentClient(live, page_a, "lan")
    agent_b = AgentClient(live, business_b["page_id"], "lan")
    try:
        (conversation,) = agent_a.queue()
        cid = conversation["conversation_id"]
        assert agent_b.queue() == []
        assert agent_b.get(f"/conversations/{cid}").status_code == 404
        attempts: list[tuple[str, dict[str, Any]]] = [
            ("context", {}),
            ("assign", {}),
            ("reply", {"text": "hi"}),
            ("note", {"text": "peek"}),
            ("close", {}),
            ("hand_back", {}),
            ("seen", {}),
            ("typing", {"typing": True}),
        ]
        for action, body in attempts:
            response = agent_b.post(f"/conversations/{cid}/{action}", body)
            assert response.status_code == 404, (action, response.text)
        # Nor can B's supervisor assign A's conversation to one of A's agents by id.
        assert agent_b.get("/metrics").json()["total"]["conversations"] == 0
        # A's conversation is untouched.
        detail = agent_a.get(f"/conversations/{cid}").json()
        assert detail["notes"] == []
        assert detail["conversation"]["status"] == "waiting"
        # Without the session's CSRF token, or signed out, nothing happens.
        forged = agent_a.http.post(f"/inbox/api/conversations/{cid}/assign", json={})
        assert forged.status_code == 403
        with live.client() as anonymous:
            assert anonymous.get("/inbox/api/queue").status_code == 401
    finally:
        agent_a.close()
        agent_b.close()


def _bank_data(world: LinkedWorld, psid: str) -> None:
    token = world.business["page_access_token"]
    with world.live.client(headers={"Authorization": f"Bearer {token}"}) as http:
        balance = http.post(
            "/v19.0/me/balances",
            json={
                "psid": psid,
                "account_id": "0011223344",
                "account_name": "Tài khoản thanh toán",
                "available": {"amount": "1250000", "currency": "VND"},
                "current": {"amount": "1300000", "currency": "VND"},
                "as_of": "2026-11-29T08:00:00+07:00",
            },
        )
        assert balance.status_code == 200, balance.text
        transactions = http.post(
            "/v19.0/me/transactions",
            json={
                "psid": psid,
                "transactions": [
                    {
                        "transaction_id": "t-1",
                        "account_id": "0011223344",
                        "card_last4": "4321",
                        "amount": {"amount": "125000", "currency": "VND"},
                        "credit_debit": "debit",
                        "status": "booked",
                        "booked_at": "2026-11-29T08:15:00+07:00",
                        "merchant": {
                            "name": "Highlands Coffee",
                            "category_code": "5814",
                            "city": "Hà Nội",
                            "country": "VN",
                        },
                        "terminal_id": "T-1",
                    }
                ],
            },
        )
        assert transactions.status_code == 200, transactions.text


def _agent_reads(live: RunningPlatform, user_id: str) -> list[audit_store.AuditRow]:
    rows = live.platform.db.read_sync(audit_store.entries_for_user, user_id, limit=100)
    return [r for r in rows if r.actor_kind == "agent" and r.purpose == "customer_service"]


def test_the_persons_context_is_masked_consented_and_each_view_audited(
    live: RunningPlatform, world: LinkedWorld
) -> None:
    page_id = world.business["page_id"]
    lan = create_agent(live, page_id, "lan", "Lan")
    shared = live.create_user("Chi")
    private = live.create_user("Dũng")
    psid_shared = world.link(shared, ["balances", "transactions", "customer_service"])
    psid_private = world.link(private, ["balances", "transactions"])
    _bank_data(world, psid_shared)
    _bank_data(world, psid_private)
    for user in (shared, private):
        with _person(live, user) as person:
            _say(person, page_id, "Khoản 125.000 hôm qua là gì?")
        _to_inbox(world, user)
    agent = AgentClient(live, page_id, "lan")
    try:
        by_name = {c["person_name"]: c["conversation_id"] for c in agent.queue()}
        # Opening a conversation reads no financial data.
        agent.get(f"/conversations/{by_name['Chi']}")
        assert _agent_reads(live, shared["user_id"]) == []

        context = agent.post(f"/conversations/{by_name['Chi']}/context")
        assert context.status_code == 200, context.text
        data = context.json()
        assert data["refused"] == []
        (balance,) = data["balances"]
        assert balance["available"] == "12••••• VND"
        assert balance["account"].endswith("••••3344")
        (transaction,) = data["transactions"]
        assert transaction["amount"] == "12•••• VND"
        assert transaction["merchant"] == "Highlands Coffee"
        assert transaction["card"] == "••••4321"
        assert "125000" not in context.text
        assert "1250000" not in context.text
        assert "0011223344" not in context.text
        reads = _agent_reads(live, shared["user_id"])
        assert {r.actor_id for r in reads} == {lan.agent_id}
        assert {r.outcome for r in reads} == {"allowed"}
        assert {r.record_kind for r in reads} == {"balance", "transaction"}
        agent.post(f"/conversations/{by_name['Chi']}/context")
        assert len(_agent_reads(live, shared["user_id"])) == 2 * len(reads)  # every view

        # The person sees the agent's access in their own access log.
        with _person(live, shared) as person:
            log = person.get("/api/v1/me/access-log").json()["data"]
        assert any("Ngân hàng Demo" in e["text"] and "customer_service" in str(e) for e in log)

        # Without the customer_service scope nothing is shown, and the refusal is audited.
        refused = agent.post(f"/conversations/{by_name['Dũng']}/context").json()
        assert refused == {
            "balances": [],
            "transactions": [],
            "refused": ["balances", "transactions"],
        }
        _wait(lambda: {r.outcome for r in _agent_reads(live, private["user_id"])} == {"refused"})
    finally:
        agent.close()


def test_roles_supervisors_reassign_and_keep_canned_replies(
    live: RunningPlatform, world: LinkedWorld
) -> None:
    page_id = world.business["page_id"]
    lan = create_agent(live, page_id, "lan", "Lan")
    minh = create_agent(live, page_id, "minh", "Minh")
    create_agent(live, page_id, "hoa", "Hoa", role="supervisor")
    user = live.create_user()
    with _person(live, user) as person:
        _say(person, page_id, "Xin chào")
    _to_inbox(world, user)
    with (
        _signed_in(live, page_id, "lan") as agent,
        _signed_in(live, page_id, "hoa") as supervisor,
    ):
        (conversation,) = agent.queue()
        cid = conversation["conversation_id"]
        # An agent takes work for themselves only.
        refused = agent.post(f"/conversations/{cid}/assign", {"agent_id": minh.agent_id})
        assert refused.status_code == 403
        assert supervisor.post(
            f"/conversations/{cid}/assign", {"agent_id": minh.agent_id}
        ).json() == {"success": True}
        (assigned,) = agent.queue()
        assert (assigned["status"], assigned["agent_name"]) == ("assigned", "Minh")
        # Lan may not answer or close Minh's conversation; the supervisor may reassign it.
        assert agent.post(f"/conversations/{cid}/reply", {"text": "hi"}).status_code == 403
        assert agent.post(f"/conversations/{cid}/close").status_code == 403
        assert (
            supervisor.post(f"/conversations/{cid}/assign", {"agent_id": lan.agent_id}).status_code
            == 200
        )
        assert agent.post(f"/conversations/{cid}/reply", {"text": "Em là Lan"}).status_code == 200
        # Another business's agent id is not an agent of this business.
        other = live.create_business("Other")
        stranger = create_agent(live, other["page_id"], "lan", "Lan khác")
        assert (
            supervisor.post(
                f"/conversations/{cid}/assign", {"agent_id": stranger.agent_id}
            ).status_code
            == 404
        )

        # Canned replies: supervisors keep them, everyone uses them.
        assert agent.post("/canned", {"title": "Chào", "text": "Xin chào!"}).status_code == 403
        assert supervisor.post(
            "/canned", {"title": "Khóa thẻ", "text": "Em đã khóa thẻ cho anh/chị."}
        ).json() == {"success": True}
        (canned,) = agent.get("/canned").json()["data"]
        assert canned["title"] == "Khóa thẻ"
        assert supervisor.post("/canned", {"title": "", "text": "x"}).status_code == 400
        assert agent.post(f"/canned/{canned['reply_id']}/delete").status_code == 403
        assert supervisor.post(f"/canned/{canned['reply_id']}/delete").status_code == 200
        assert agent.get("/canned").json()["data"] == []
        # Bad input gets a clear error.
        bad = agent.post(f"/conversations/{cid}/reply", {"text": ""})
        assert bad.status_code == 400
        assert bad.json()["error"]["message"].startswith("(#100)")
        assert agent.post(f"/conversations/{cid}/dance").status_code == 400
        assert agent.post(f"/conversations/{cid}/note", {"text": 5}).status_code == 400
