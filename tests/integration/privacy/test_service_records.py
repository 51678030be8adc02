"""The person's rights over customer-service records (``privacy.service_records``), through
the public API, on SQLite and PostgreSQL: the export carries the inbox's conversations and
the agents' notes (agents by display name and role only); unlinking a business erases that
business's notes and handover metadata (not another business's, not the chat); deleting the
account erases every inbox record about the person, audited without the notes' text."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from ledgerline.domain.clock import FrozenClock
from ledgerline.privacy.texts import SERVICE_ERASE
from ledgerline.storage.stores import audit as audit_store, inbox as inbox_store
from tests.support.inbox import AgentClient, create_agent, pass_to_inbox
from tests.support.inprocess import in_process_server
from tests.support.linking import LinkedWorld, linked_world
from tests.support.messages import buttons_of, press
from tests.support.server import RunningPlatform

START = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)
NOTE = "Khách hỏi giao dịch 125.000đ tại Highlands, hẹn gọi lại"
OTHER_NOTE = "Hỏi về thẻ tín dụng"


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(START)


@pytest.fixture
def live(database_url: str, tmp_path: Path, clock: FrozenClock) -> Iterator[RunningPlatform]:
    with in_process_server(database_url, tmp_path, clock=clock) as running:
        yield running


@pytest.fixture
def world(live: RunningPlatform) -> Iterator[LinkedWorld]:
    with linked_world(live, "Demo Bank") as w:
        yield w


def _person(live: RunningPlatform, user: dict[str, str]) -> httpx.Client:
    return live.client(headers={"Authorization": f"Bearer {user['access_token']}"})


def _say(person: httpx.Client, page_id: str, text: str) -> None:
    answer = person.post(f"/api/v1/threads/{page_id}/messages", json={"text": text})
    assert answer.status_code == 201, answer.text


def _served(
    live: RunningPlatform,
    person: httpx.Client,
    business: dict[str, str],
    user: dict[str, str],
    *,
    login: str,
    note: str,
    metadata: str,
) -> int:
    """The person asks, the business passes the thread to its inbox, an agent notes and
    answers; the conversation's id."""
    page_id = business["page_id"]
    _say(person, page_id, "Tôi cần hỏi")
    pass_to_inbox(live, business, user["user_id"], metadata)
    agent = AgentClient(live, page_id, login)
    try:
        (waiting,) = agent.queue()
        cid = int(waiting["conversation_id"])
        assert agent.post(f"/conversations/{cid}/note", {"text": note}).status_code == 200
        replied = agent.post(f"/conversations/{cid}/reply", {"text": "Em chào anh"})
        assert replied.status_code == 200, replied.text
    finally:
        agent.close()
    return cid


def _notes(agent: AgentClient, cid: int) -> list[str]:
    detail = agent.get(f"/conversations/{cid}").json()
    return [n["text"] for n in detail["notes"]]


def _erasures(live: RunningPlatform, user_id: str) -> list[audit_store.AuditRow]:
    rows = live.platform.db.read_sync(audit_store.entries_for_user, user_id, limit=500)
    return [r for r in rows if r.action == SERVICE_ERASE]


def test_the_export_carries_conversations_and_notes_and_deletion_erases_them_all(
    live: RunningPlatform, world: LinkedWorld, clock: FrozenClock
) -> None:
    page_id = world.business["page_id"]
    user = live.create_user("Minh", locale="en")
    world.link(user, ["transactions", "customer_service"])
    lan = create_agent(live, page_id, "lan", "Lan")
    create_agent(live, page_id, "hoa", "Hoa", role="supervisor")
    with _person(live, user) as person:
        cid = _served(live, person, world.business, user, login="lan", note=NOTE, metadata="loan")
        agent = AgentClient(live, page_id, "lan")
        try:
            clock.advance(timedelta(minutes=3))
            assert agent.post(f"/conversations/{cid}/close").json() == {"success": True}
        finally:
            agent.close()
        question = person.get(f"/api/v1/threads/{page_id}/messages").json()["data"][-1]
        five = buttons_of(question)[0]
        person.post(f"/api/v1/threads/{page_id}/messages", json=press(five))

        export = person.get("/api/v1/me/export")
        assert export.status_code == 200
        (served,) = export.json()["customer_service"]
        assert served["page_id"] == page_id
        assert served["page_name"] == "Demo Bank"
        (conversation,) = served["conversations"]
        assert conversation["status"] == "closed"
        assert conversation["close_reason"] == "resolved"
        assert conversation["agent"] == {"name": "Lan", "role": "agent"}
        assert conversation["handover_metadata"] == "loan"
        assert conversation["satisfaction"] == 5
        assert conversation["opened_time"].startswith("2026-11-29T09:00")
        assert conversation["closed_time"] is not None
        (note,) = conversation["notes"]
        assert note["text"] == NOTE
        assert note["author"] == {"name": "Lan", "role": "agent"}
        # Agents appear as the person meets them in the chat: never by id or login.
        assert lan.agent_id not in export.text
        assert '"lan"' not in export.text

        deleted = person.delete("/api/v1/me", params={"confirm": "true"})
        assert deleted.status_code == 200, deleted.text

    db = live.platform.db
    assert db.read_sync(inbox_store.conversations_of_person, user["user_id"]) == []
    assert db.read_sync(inbox_store.notes_about_person, user["user_id"]) == []
    # Unlinking (part of the deletion) took the notes; the deletion took the rest.
    by_extent = {
        json.loads(r.detail)["extent"]: json.loads(r.detail)
        for r in _erasures(live, user["user_id"])
    }
    assert by_extent["notes"] == {"extent": "notes", "notes": 1, "metadata": 1}
    assert by_extent["all"] == {"extent": "all", "conversations": 1, "notes": 0}
    everything = db.read_sync(audit_store.entries_for_user, user["user_id"], limit=500)
    assert all("Highlands" not in r.detail and "loan" not in r.detail for r in everything)
    # The business's metrics no longer count a conversation with a deleted person.
    boss = AgentClient(live, page_id, "hoa")
    try:
        assert boss.get("/metrics").json()["total"]["conversations"] == 0
        assert boss.queue() == []
    finally:
        boss.close()


def test_unlinking_erases_that_business_notes_and_metadata_and_keeps_the_chat(
    live: RunningPlatform, world: LinkedWorld
) -> None:
    page_id = world.business["page_id"]
    other = live.create_business("Other Bank")
    user = live.create_user("An", locale="en")
    world.link(user, ["transactions", "customer_service"])
    create_agent(live, page_id, "lan", "Lan")
    create_agent(live, other["page_id"], "tam", "Tâm")
    with _person(live, user) as person:
        cid = _served(
            live, person, world.business, user, login="lan", note=NOTE, metadata="tx 125000"
        )
        other_cid = _served(
            live, person, other, user, login="tam", note=OTHER_NOTE, metadata="card"
        )

        unlinked = person.delete(f"/api/v1/links/{page_id}")
        assert unlinked.status_code == 200, unlinked.text

        agent = AgentClient(live, page_id, "lan")
        other_agent = AgentClient(live, other["page_id"], "tam")
        try:
            # The notes (and the metadata) that may quote the erased data are gone...
            assert _notes(agent, cid) == []
            (still_open,) = agent.queue()
            assert still_open["conversation_id"] == cid
            assert still_open["metadata"] is None
            assert still_open["agent_name"] == "Lan"
            # ...the chat stays, as on Messenger...
            detail = agent.get(f"/conversations/{cid}").json()
            texts = [m.get("text") for m in detail["messages"]]
            assert "Tôi cần hỏi" in texts
            assert "Em chào anh" in texts
            # ...and another business's records are not touched.
            assert _notes(other_agent, other_cid) == [OTHER_NOTE]
            assert other_agent.queue()[0]["metadata"] == "card"
        finally:
            agent.close()
            other_agent.close()

        services = {
            s["page_id"]: s for s in person.get("/api/v1/me/export").json()["customer_service"]
        }
        (kept,) = services[page_id]["conversations"]
        assert kept["notes"] == []
        assert kept["agent"] == {"name": "Lan", "role": "agent"}
        assert [n["text"] for n in services[other["page_id"]]["conversations"][0]["notes"]] == [
            OTHER_NOTE
        ]

        log = person.get("/api/v1/me/access-log").json()["data"]
        texts = [line["text"] for line in log]
        assert "The notes Demo Bank's customer service kept about you were erased" in texts

    (entry,) = _erasures(live, user["user_id"])
    assert entry.page_id == page_id
    assert json.loads(entry.detail) == {"extent": "notes", "notes": 1, "metadata": 1}
    assert NOTE not in entry.detail


def test_closed_conversations_go_at_the_end_of_their_business_retention(
    live: RunningPlatform, world: LinkedWorld, clock: FrozenClock
) -> None:
    from ledgerline.audit import Actor
    from ledgerline.domain.clock import to_ms
    from ledgerline.privacy.retention import do_purge
    from ledgerline.storage.database import UnitOfWork

    page_id = world.business["page_id"]
    other = live.create_business("Other Bank")
    platform = live.platform

    def keep_for_30_days(uow: UnitOfWork) -> None:
        platform.vault.set_retention_days(
            uow, actor=Actor.component("test"), page_id=other["page_id"], days=30
        )

    platform.db.write_sync(keep_for_30_days)
    user = live.create_user("Minh", locale="en")
    waiting = live.create_user("An", locale="en")
    create_agent(live, page_id, "lan", "Lan")
    create_agent(live, other["page_id"], "tam", "Tâm")
    with _person(live, user) as person, _person(live, waiting) as still_waiting:
        cid = _served(live, person, world.business, user, login="lan", note=NOTE, metadata="a")
        other_cid = _served(live, person, other, user, login="tam", note=OTHER_NOTE, metadata="b")
        for login, business_page, conversation in (
            ("lan", page_id, cid),
            ("tam", other["page_id"], other_cid),
        ):
            agent = AgentClient(live, business_page, login)
            try:
                assert agent.post(f"/conversations/{conversation}/close").status_code == 200
            finally:
                agent.close()
        # Another person's conversation is still open: it is never expired.
        _say(still_waiting, page_id, "Còn ai không?")
        pass_to_inbox(live, world.business, waiting["user_id"], "open")

        def purge() -> int:
            report = platform.db.write_sync(do_purge, vault=platform.vault, now=to_ms(clock.now()))
            return report.service_conversations_deleted

        clock.advance(timedelta(days=29))
        assert purge() == 0
        clock.advance(timedelta(days=2))  # past Other Bank's 30 days, within Demo Bank's 400
        assert purge() == 1
        services = {
            s["page_id"]: s for s in person.get("/api/v1/me/export").json()["customer_service"]
        }
        assert set(services) == {page_id}
        assert [n["text"] for n in services[page_id]["conversations"][0]["notes"]] == [NOTE]

        clock.advance(timedelta(days=370))  # 401 days after the close
        assert purge() == 1
        assert person.get("/api/v1/me/export").json()["customer_service"] == []
        log = [line["text"] for line in person.get("/api/v1/me/access-log").json()["data"]]
        assert (
            "Other Bank's customer-service records of your conversations that ended more than "
            "30 days ago were deleted, at the end of their retention period"
        ) in log
        assert (
            "Demo Bank's customer-service records of your conversations that ended more than "
            "400 days ago were deleted, at the end of their retention period"
        ) in log

    agent = AgentClient(live, page_id, "lan")
    try:
        (left,) = agent.queue()
        assert left["metadata"] == "open"
        assert agent.get(f"/conversations/{cid}").status_code == 404
    finally:
        agent.close()
    entries = sorted(
        (r.page_id, json.loads(r.detail))
        for r in _erasures(live, user["user_id"])
        if json.loads(r.detail)["extent"] == "retention"
    )
    assert entries == sorted(
        [
            (other["page_id"], {"extent": "retention", "conversations": 1, "notes": 1,
                                "retention_days": 30}),
            (page_id, {"extent": "retention", "conversations": 1, "notes": 1,
                       "retention_days": 400}),
        ]
    )  # fmt: skip
    assert all(NOTE not in r.detail and OTHER_NOTE not in r.detail
               for r in _erasures(live, user["user_id"]))  # fmt: skip
    assert _erasures(live, waiting["user_id"]) == []
