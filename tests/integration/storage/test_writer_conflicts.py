"""Two writers on one PostgreSQL database never fail a request over a conflict with each
other (issue 21, part 0).

Each ``Database`` here stands for one ``ledgerline serve`` process: its own writer threads and
connections on the same database. A batch locks rows in one order (its actions sorted by
partition key), and a batch the database aborts anyway (a deadlock, a serialization failure)
is rolled back and run again as a whole.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from concurrent.futures import Future
from datetime import UTC, datetime
from typing import Any

import pytest

from ledgerline.chat.accounts import do_create_business, do_create_user
from ledgerline.chat.actions import do_post_page_message, do_send_page_message
from ledgerline.domain.window import MessageTag, MessagingType
from ledgerline.storage.database import Database, UnitOfWork, person_partition
from ledgerline.storage.stores import threads

PEOPLE = 24
ROUNDS = 15


@pytest.fixture
def two_processes(postgres_url: str) -> Iterator[tuple[Database, Database]]:
    first = Database(postgres_url)
    second = Database(postgres_url, migrate=False)
    yield first, second
    first.close()
    second.close()


def _now() -> datetime:
    return datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def _bank_and_people(db: Database) -> tuple[str, list[tuple[str, int]]]:
    """A business and PEOPLE threads with it: ``(page_id, [(psid, thread_id)])``."""
    now = int(_now().timestamp() * 1000)
    bank = db.write_sync(
        do_create_business,
        secret_key=b"k" * 32,
        name="Race Bank",
        webhook_url=None,
        verify_token=None,
        account_link_url=None,
        now=now,
    )
    people: list[tuple[str, int]] = []
    for n in range(PEOPLE):
        user = db.write_sync(
            do_create_user, name=f"P{n}", locale="en", timezone="Asia/Ho_Chi_Minh", now=now
        )
        db.write_sync(
            do_post_page_message,
            page_id=bank.page_id,
            user_id=user.user_id,
            message={"text": "welcome"},
            now=now,
        )
        thread = db.read_sync(threads.get_thread, bank.page_id, user.user_id)
        assert thread is not None
        people.append((thread.psid, thread.thread_id))
    return bank.page_id, people


def _send(db: Database, page_id: str, psid: str, text: str) -> Future[Any]:
    return db.submit(
        do_send_page_message,
        page_id=page_id,
        psid=psid,
        message={"text": text},
        messaging_type=MessagingType.MESSAGE_TAG,
        tag=MessageTag.ACCOUNT_UPDATE,
        now=_now(),
        partition=person_partition(page_id, psid),
    )


@pytest.mark.postgres
def test_two_writers_sending_to_the_same_people_in_random_orders_never_fail(
    two_processes: tuple[Database, Database],
) -> None:
    """Both "processes" queue a message for every person, each in its own random order,
    round after round: every message is stored, none fails, each thread holds all of them."""
    first, second = two_processes
    page_id, people = _bank_and_people(first)
    shuffle = random.Random(21)  # an order of sends, seeded
    futures: list[Future[Any]] = []
    for round_ in range(ROUNDS):
        for db in (first, second):
            order = list(people)
            shuffle.shuffle(order)
            futures.extend(_send(db, page_id, psid, f"{round_}") for psid, _ in order)
    errors = [f.exception() for f in futures if f.exception() is not None]
    assert errors == []
    for psid, thread_id in people:
        stored = first.read_sync(threads.list_messages, thread_id, limit=1000)
        assert len(stored) == 1 + 2 * ROUNDS, psid
        assert len({m.mid for m in stored}) == len(stored)


@pytest.mark.postgres
def test_a_batch_aborted_by_a_deadlock_runs_again_and_succeeds(
    two_processes: tuple[Database, Database],
) -> None:
    """Two actions take two thread rows in opposite orders and wait for each other in the
    middle: a certain deadlock. PostgreSQL aborts one; its writer runs it again, and both
    callers get their answer."""
    first, second = two_processes
    _, people = _bank_and_people(first)
    (_, a), (_, b) = people[0], people[1]
    meet = threading.Barrier(2, timeout=60)
    runs: list[str] = []

    def lock_both(uow: UnitOfWork, *, name: str, rows: tuple[int, int], to: int) -> str:
        runs.append(name)
        threads.set_delivered(uow.conn, rows[0], to)
        if runs.count(name) == 1:  # only the first try waits for the other to hold its row
            meet.wait()
        threads.set_delivered(uow.conn, rows[1], to)
        return name

    one = first.submit(lock_both, name="one", rows=(a, b), to=10)
    two = second.submit(lock_both, name="two", rows=(b, a), to=20)
    assert one.result(timeout=120) == "one"
    assert two.result(timeout=120) == "two"
    assert sorted(runs) in (["one", "one", "two"], ["one", "two", "two"]), runs  # one ran again
