"""Outbox claims: a dispatcher's lease keeps every other dispatcher off the events it sends."""

from __future__ import annotations

import time
from typing import Any

import sqlalchemy as sa

from ledgerline.chat.accounts import do_create_business, do_create_user
from ledgerline.chat.actions import do_user_message
from ledgerline.chat.routing import Inbound
from ledgerline.storage.database import Database, UnitOfWork
from ledgerline.storage.stores import webhooks as outbox
from ledgerline.storage.tables import webhook_events

NOW = 1_764_400_000_000
LEASE = 30_000


def _outbox_with_two_people(db: Database) -> str:
    """A business with a webhook and two people who wrote twice each: 4 pending events."""
    bank = db.write_sync(
        do_create_business,
        secret_key=b"k" * 32,
        name="Bank",
        webhook_url="https://bank.example/webhook",
        verify_token=None,
        account_link_url=None,
        now=NOW,
    )
    for name in ("An", "Bình"):
        user = db.write_sync(
            do_create_user, name=name, locale="vi", timezone="Asia/Ho_Chi_Minh", now=NOW
        )
        for text in ("1", "2"):
            db.write_sync(
                do_user_message,
                user_id=user.user_id,
                page_id=bank.page_id,
                body={"text": text},
                now=NOW,
                inbound=Inbound(),
            )
    return bank.page_id


def _claim(db: Database, page_id: str, owner: str, now: int, batch: int = 1) -> list[str]:
    def claim(uow: UnitOfWork) -> list[outbox.OutboxEvent]:
        return outbox.claim_due(
            uow.conn,
            page_id=page_id,
            now=now,
            limit=10,
            batch_per_partition=batch,
            owner=owner,
            lease_until=now + LEASE,
        )

    return [f"{e.psid}:{e.event['message']['text']}" for e in db.write_sync(claim)]


def test_claimed_events_are_nobody_elses_until_recorded_or_expired(database_url: str) -> None:
    db = Database(database_url)
    try:
        page_id = _outbox_with_two_people(db)
        heads = _claim(db, page_id, "a", NOW)
        assert [h.split(":")[1] for h in heads] == ["1", "1"]  # one head per person
        assert _claim(db, page_id, "b", NOW) == []  # the heads are a's; followers wait
        assert db.read_sync(outbox.pages_with_due_events, now=NOW) == []
        # A claim that ran out is anyone's again.
        assert len(_claim(db, page_id, "b", NOW + LEASE)) == 2

        # Recording an attempt releases the claim; the next event becomes due.
        def deliver_all_heads(uow: UnitOfWork) -> None:
            due = outbox.due_heads(uow.conn, page_id=page_id, now=NOW + 2 * LEASE, limit=10)
            outbox.record_attempt(
                uow.conn,
                event_ids=[e.event_id for e in due],
                now=NOW + 2 * LEASE,
                status_code=200,
                error=None,
                duration_ms=5,
                delivered=True,
                next_attempt_at=None,
            )

        db.write_sync(deliver_all_heads)
        second = _claim(db, page_id, "a", NOW + 2 * LEASE)
        assert [h.split(":")[1] for h in second] == ["2", "2"]
        # A dispatcher stopping cleanly hands its claims back at once.
        released = db.write_sync(lambda uow: outbox.release_claims(uow.conn, owner="a"))
        assert released == 2
        assert len(_claim(db, page_id, "b", NOW + 2 * LEASE)) == 2
    finally:
        db.close()


def test_a_batch_is_claimed_as_a_whole(database_url: str) -> None:
    db = Database(database_url)
    try:
        page_id = _outbox_with_two_people(db)
        claimed = _claim(db, page_id, "a", NOW, batch=5)
        assert sorted(h.split(":")[1] for h in claimed) == ["1", "1", "2", "2"]
        assert _claim(db, page_id, "b", NOW, batch=5) == []
    finally:
        db.close()


def test_a_claim_in_progress_is_skipped_not_waited_for(postgres_url: str) -> None:
    """PostgreSQL (SQLite has a single writer: claims cannot overlap): while one transaction
    is claiming (rows locked, not committed), another claimer skips those rows at once
    (FOR UPDATE SKIP LOCKED) instead of queueing."""
    db = Database(postgres_url)
    try:
        page_id = _outbox_with_two_people(db)
        with db.engine.connect() as first, db.engine.connect() as second, first.begin():
            held = outbox.claim_due(
                first,
                page_id=page_id,
                now=NOW,
                limit=1,
                batch_per_partition=1,
                owner="a",
                lease_until=NOW + LEASE,
            )
            assert len(held) == 1
            started = time.monotonic()
            with second.begin():
                other = outbox.claim_due(
                    second,
                    page_id=page_id,
                    now=NOW,
                    limit=10,
                    batch_per_partition=1,
                    owner="b",
                    lease_until=NOW + LEASE,
                )
            assert time.monotonic() - started < 5
            assert [e.psid for e in other] != [held[0].psid]
            assert held[0].event_id not in {e.event_id for e in other}
            assert len(other) == 1  # the other person's head
    finally:
        db.close()


def test_releasing_claims_never_waits_for_an_attempt_being_recorded(postgres_url: str) -> None:
    """PostgreSQL: a dispatcher stopping releases its claims while one of its attempts is
    still being recorded on a writer (a batch that locked that event and will lock the
    next). The release skips the locked event instead of waiting for it: waiting made a
    cycle (the batch took its events in arrival order, the release in scan order) and
    PostgreSQL aborted one as a deadlock. Here the release must finish with the lock still
    held (a 1 s lock timeout would fail it otherwise), and the recording then completes."""
    db = Database(postgres_url)
    try:
        page_id = _outbox_with_two_people(db)
        first, second = db.write_sync(
            lambda uow: outbox.claim_due(
                uow.conn,
                page_id=page_id,
                now=NOW,
                limit=10,
                batch_per_partition=1,
                owner="a",
                lease_until=NOW + LEASE,
            )
        )

        def record(conn: Any, event_id: int) -> None:
            outbox.record_attempt(
                conn,
                event_ids=[event_id],
                now=NOW + 1,
                status_code=200,
                error=None,
                duration_ms=5,
                delivered=True,
                next_attempt_at=None,
            )

        with db.engine.connect() as batch, db.engine.connect() as stopping, batch.begin():
            record(batch, second.event_id)  # the batch holds the second event
            with stopping.begin():
                stopping.exec_driver_sql("SET LOCAL lock_timeout = '1s'")
                assert outbox.release_claims(stopping, owner="a") == 1  # the first only
            record(batch, first.event_id)  # no longer claimed: nothing to wait for
        rows = db.read_sync(
            lambda conn: {
                int(r.event_id): (r.status, r.claimed_by)
                for r in conn.execute(
                    sa.select(
                        webhook_events.c.event_id,
                        webhook_events.c.status,
                        webhook_events.c.claimed_by,
                    ).where(webhook_events.c.event_id.in_([first.event_id, second.event_id]))
                )
            }
        )
        assert rows == {first.event_id: ("delivered", None), second.event_id: ("delivered", None)}
    finally:
        db.close()
