""" "Was it you?" that stays answerable, through the public APIs only: an alert followed by
other messages is still answered by its buttons and by typed text (vi and en, with the
assistant on or off), unsure answers are confirmed first, an alert expires after 7 days,
"Not me" on an ordinary payment reaches the bank and the fraud labels, and the console's
chart keeps counting after an unlink."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from ledgerline.domain.clock import FrozenClock, to_ms
from ledgerline.storage.stores import fraud as fraud_store
from ledgerline.storage.tables import fraud_alerts
from tests.integration.updates.test_updates import ALL, Person, tx
from tests.support.inbox import AgentClient, create_agent, pass_to_inbox
from tests.support.inprocess import in_process_server
from tests.support.linking import LinkedWorld, linked_world
from tests.support.messages import answer_button, buttons_of, press, summary_of, text_of

START = datetime(2026, 11, 29, 2, 0, tzinfo=UTC)  # 09:00 in Hà Nội


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(START)


@pytest.fixture
def world(database_url: str, tmp_path: Path, clock: FrozenClock) -> Iterator[LinkedWorld]:
    with (
        in_process_server(database_url, tmp_path, clock=clock) as live,
        linked_world(live) as linked,
    ):
        yield linked


def linked(world: LinkedWorld, locale: str = "en") -> Person:
    user = world.live.create_user(locale=locale, timezone="Asia/Ho_Chi_Minh")
    return Person(world, user, world.link(user, ALL))


def says(p: Person, body: dict[str, Any]) -> str:
    answer = p.api("POST", f"/threads/{p.page_id}/messages", json=body)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["mid"])


def alert_with_three_messages_after(p: Person, clock: FrozenClock) -> dict[str, Any]:
    """A bank's alert on a payment, then three ordinary payments: the alert's message."""
    p.bank("transactions", {"transactions": [tx("sus-1", "5000000")]})
    assert (
        p.bank("fraud_alerts", {"transaction_id": "sus-1", "reason": "Far away"}).status_code == 200
    )
    alert: dict[str, Any] = next(
        m for m in reversed(p.messages()) if summary_of(m).get("kind") == "fraud_alert"
    )
    for n in range(3):
        clock.advance(timedelta(seconds=5))
        p.bank("transactions", {"transactions": [tx(f"after-{n}", "40000")]})
    assert p.messages()[-1]["mid"] != alert["mid"]
    return alert


def events(world: LinkedWorld, kind: str, n: int = 1) -> list[dict[str, Any]]:
    """The bank's webhook events of ``kind``, once ``n`` of them arrived (or after 15 s)."""
    deadline = time.monotonic() + 15
    while True:
        found = [e for e in world.bank.bank.receiver.events() if kind in e]
        if len(found) >= n or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def all_sent(world: LinkedWorld, kind: str) -> list[dict[str, Any]]:
    """Every webhook event of ``kind`` the bank got, once nothing queued is left to send."""
    world.live.wait_until_webhooks_sent()
    return [e for e in world.bank.bank.receiver.events() if kind in e]


def shown(p: Person, mid: str) -> dict[str, Any]:
    found: dict[str, Any] = next(m for m in p.messages() if m["mid"] == mid)
    return found


def test_an_alert_is_answered_by_its_button_after_three_other_messages(
    world: LinkedWorld, clock: FrozenClock
) -> None:
    p = linked(world, "en")
    alert = alert_with_three_messages_after(p, clock)
    assert summary_of(alert)["amount"] == "₫5,000,000"
    assert summary_of(alert)["merchant"] == "Highlands Coffee Tràng Tiền"
    assert alert["state"] == {"status": "open", "expires_time": "2026-12-06T02:00:00.000+00:00"}
    threads = p.api("GET", "/threads").json()["data"]
    assert threads[0]["open_alerts"] == 1  # the chat list's badge
    says(p, press(answer_button(alert, "fraud")))
    (response,) = events(world, "fraud_alert_response")
    assert response["fraud_alert_response"]["transaction_id"] == "sus-1"
    assert response["fraud_alert_response"]["verdict"] == "fraud"
    state = shown(p, alert["mid"])["state"]
    assert state["status"] == "answered"
    assert state["answer"] == "No, it wasn't me"
    assert state["note"] == "Ngân hàng Demo was told it wasn't you and will block the card."
    assert p.api("GET", "/threads").json()["data"][0]["open_alerts"] == 0
    assert p.api("GET", f"/threads/{p.page_id}/alerts").json()["data"] == []


@pytest.mark.parametrize(
    ("locale", "typed", "verdict", "assistant"),
    [
        ("vi", "không phải tôi", "fraud", True),
        ("vi", "khong phai toi", "fraud", False),
        ("vi", "Đúng là tôi", "genuine", True),
        ("en", "it wasn't me", "fraud", False),
        ("en", "Yes it was me", "genuine", True),
    ],
)
def test_a_typed_answer_counts_with_or_without_the_assistant(
    world: LinkedWorld, clock: FrozenClock, locale: str, typed: str, verdict: str, assistant: bool
) -> None:
    on = world.bank_post("assistant", {"enabled": assistant})
    assert on.status_code == 200, on.text
    p = linked(world, locale)
    alert = alert_with_three_messages_after(p, clock)
    pinned = p.api("GET", f"/threads/{p.page_id}/alerts").json()["data"]
    assert [a["mid"] for a in pinned] == [alert["mid"]]  # what the app pins above the thread
    assert summary_of(pinned[0]["message"])["amount"] == summary_of(alert)["amount"]
    mid = says(p, {"text": typed})
    (response,) = events(world, "fraud_alert_response")
    assert response["fraud_alert_response"]["verdict"] == verdict
    state = shown(p, alert["mid"])["state"]
    assert state["status"] == "answered"
    assert state["verdict"] == verdict
    # Neither the bank's bot nor the assistant got "không phải tôi" as a message.
    assert not [e for e in all_sent(world, "message") if e["message"].get("mid") == mid]
    assert "Thank you" in text_of(p.messages()[-1]) or "Cảm ơn" in text_of(p.messages()[-1])


def test_an_unsure_answer_is_confirmed_first(world: LinkedWorld, clock: FrozenClock) -> None:
    p = linked(world, "vi")
    alert = alert_with_three_messages_after(p, clock)
    says(p, {"text": "không"})
    question = p.messages()[-1]
    assert "5.000.000\xa0₫ tại Highlands Coffee Tràng Tiền" in text_of(question)
    assert [b["title"] for b in buttons_of(question)] == ["Đúng, là tôi", "Không phải tôi"]
    assert all_sent(world, "fraud_alert_response") == []  # nothing told yet
    says(p, {"text": "không ạ"})  # the answer to the question, naming the payment
    (response,) = events(world, "fraud_alert_response")
    assert response["fraud_alert_response"]["verdict"] == "fraud"
    assert shown(p, alert["mid"])["state"]["status"] == "answered"
    assert shown(p, question["mid"])["state"]["status"] == "answered"
    # Once answered, a typed "no" is an ordinary message again (it goes to the bank).
    mid = says(p, {"text": "không"})
    messages = all_sent(world, "message")
    assert any(e["message"].get("mid") == mid for e in messages)


def test_an_alert_expires_after_seven_days(world: LinkedWorld, clock: FrozenClock) -> None:
    p = linked(world, "en")
    alert = alert_with_three_messages_after(p, clock)
    clock.advance(timedelta(days=7, seconds=1))
    assert p.api("GET", f"/threads/{p.page_id}/alerts").json()["data"] == []
    assert p.api("GET", "/threads").json()["data"][0]["open_alerts"] == 0
    says(p, press(answer_button(alert, "genuine")))
    assert "This alert expired on" in text_of(p.messages()[-1])
    mid = says(p, {"text": "it wasn't me"})  # no longer read as an answer
    assert any(e["message"].get("mid") == mid for e in all_sent(world, "message"))
    assert all_sent(world, "fraud_alert_response") == []
    # "Not me" on the payment itself still tells the bank, answering the old alert.
    payment = next(m for m in p.messages() if "sus-1" in str(buttons_of(m)))
    says(p, press(buttons_of(payment)[0]))
    (response,) = events(world, "fraud_alert_response")
    assert response["fraud_alert_response"]["verdict"] == "fraud"


def test_not_me_on_an_ordinary_payment_reaches_the_bank_and_the_labels(
    world: LinkedWorld, clock: FrozenClock
) -> None:
    p = linked(world, "vi")
    p.bank("transactions", {"transactions": [tx("plain-1", "125000")]})
    payment = p.messages()[-1]
    (not_me,) = buttons_of(payment)
    assert not_me["title"] == "Không phải tôi"
    says(p, press(not_me))
    (report,) = events(world, "fraud_report")
    assert report["fraud_report"]["transaction_id"] == "plain-1"
    assert report["fraud_report"]["report_id"].startswith("fr_")
    assert report["sender"]["id"] == p.psid
    state = shown(p, payment["mid"])["state"]
    assert (state["status"], state["answer"], state["verdict"]) == (
        "answered",
        "Không phải tôi",
        "fraud",
    )
    assert "Cảm ơn bạn. Chúng tôi đã báo Ngân hàng Demo" in text_of(p.messages()[-1])
    says(p, press(not_me))  # once is enough
    assert text_of(p.messages()[-1]) == "Bạn đã báo Ngân hàng Demo về giao dịch này rồi."
    assert len(all_sent(world, "fraud_report")) == 1

    def reports(conn: sa.Connection) -> list[tuple[str, str, str, str | None]]:
        rows = conn.execute(
            sa.select(
                fraud_alerts.c.source,
                fraud_alerts.c.verdict,
                fraud_alerts.c.transaction_ref,
                fraud_alerts.c.answered_via,
            )
        )
        return [(str(r[0]), str(r[1]), str(r[2]), r[3]) for r in rows]

    # Recorded as a person-reported fraud, beside the verdicts (the fraud engine's label path).
    assert world.live.platform.db.read_sync(reports) == [("person", "fraud", "plain-1", "report")]


def test_the_chart_keeps_counting_people_who_unlinked(
    world: LinkedWorld, clock: FrozenClock
) -> None:
    p = linked(world, "en")
    alert = alert_with_three_messages_after(p, clock)
    says(p, press(answer_button(alert, "fraud")))
    payment = next(m for m in p.messages() if "after-0" in str(buttons_of(m)))
    says(p, press(buttons_of(payment)[0]))
    now = to_ms(clock.now())
    platform = world.live.platform

    def outcomes() -> list[tuple[str, int]]:
        rows = platform.db.read_sync(fraud_store.alert_outcomes, p.page_id, now - 86_400_000)
        totals: dict[str, int] = {}
        for _at, series, count in rows:
            totals[series] = totals.get(series, 0) + count
        return sorted(totals.items())

    assert outcomes() == [("fraud", 1), ("reported", 1)]
    unlinked = world.bank_post("unlink_accounts", {"psid": p.psid})
    assert unlinked.status_code == 200, unlinked.text
    assert outcomes() == [("fraud", 1), ("reported", 1)]  # as counts, without their data
    assert (
        platform.db.read_sync(
            lambda conn: conn.execute(sa.select(sa.func.count()).select_from(fraud_alerts)).scalar()
        )
        == 0
    )


def test_the_agent_inbox_shows_which_alert_was_answered_and_how(
    world: LinkedWorld, clock: FrozenClock
) -> None:
    p = linked(world, "vi")
    alert = alert_with_three_messages_after(p, clock)
    says(p, {"text": "cho tôi gặp nhân viên"})
    pass_to_inbox(world.live, world.business, p.user["user_id"])
    typed = says(p, {"text": "không phải tôi"})  # answered while an agent has the thread
    payment = next(m for m in p.messages() if "after-1" in str(buttons_of(m)))
    reported = says(p, press(buttons_of(payment)[0]))
    create_agent(world.live, p.page_id, "lan", "Lan")
    agent = AgentClient(world.live, p.page_id, "lan")
    try:
        (waiting,) = agent.queue()
        detail = agent.get(f"/conversations/{waiting['conversation_id']}").json()
    finally:
        agent.close()
    by_mid = {m["mid"]: m for m in detail["messages"]}
    assert by_mid[typed]["answer"] == {
        "kind": "fraud_alert",
        "alert_id": summary_of(alert)["alert_id"],
        "transaction_id": "sus-1",
        "verdict": "fraud",
        "via": "typed",
    }
    assert by_mid[reported]["answer"]["kind"] == "report"
    assert by_mid[reported]["answer"]["transaction_id"] == "after-1"
    assert by_mid[reported]["answer"]["via"] == "report"
    # The alert itself: no content for the agent, but what it is and how it was answered.
    shown = by_mid[alert["mid"]]
    assert shown["vault"] is True
    assert shown["kind"] == "fraud_alert"
    assert shown["state"]["answer"] == "Không phải tôi"
    assert "5.000.000" not in str(shown)
