"""Round trips to PostgreSQL on the writer, counted from libpq's protocol trace: the Send
API's writer work, transaction control included (``tests/integration/api/test_query_counts.py``
pins its statements; this pins what a writer waits for on PostgreSQL, where each round trip is
a wait for the server and for the interpreter lock again after it).

A batch of one: BEGIN, the message's statements, COMMIT. A batch of several: BEGIN, each
action's statements, COMMIT: no savepoint per action while none fails. When one fails, the
batch is rolled back and run again with a savepoint per action (created together with the
release of the previous one, in one round trip: ``storage.database._control``; COMMIT
releases the last), so only the failed action is undone.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future
from datetime import UTC, datetime
from typing import Any

import pytest

from ledgerline.chat.accounts import do_create_business, do_create_user
from ledgerline.chat.actions import do_post_page_message, do_send_page_message
from ledgerline.domain.window import MessageTag, MessagingType
from ledgerline.storage.database import Database, UnitOfWork, person_partition
from ledgerline.storage.stores import threads
from tests.support.queries import counting_round_trips

pytestmark = pytest.mark.postgres

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
STATEMENTS = 3  # a Send API message's (pinned in test_query_counts)


def _person(db: Database) -> tuple[str, str]:
    """A business and a person with a thread: ``(page_id, psid)``."""
    now = int(NOW.timestamp() * 1000)
    bank = db.write_sync(
        do_create_business,
        secret_key=b"k" * 32,
        name="Trip Bank",
        webhook_url=None,
        verify_token=None,
        account_link_url=None,
        now=now,
    )
    user = db.write_sync(
        do_create_user, name="An", locale="en", timezone="Asia/Ho_Chi_Minh", now=now
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
    return bank.page_id, thread.psid


def _batch_of_sends(
    db: Database, page_id: str, psid: str, size: int, *, unknown_at: int | None = None
) -> list[Any]:
    """``size`` Send API actions run by the person's writer as one batch: queued while the
    writer is held by an action that waits for them, then let go. ``unknown_at``: that one
    goes to a PSID that does not exist (it fails: NoMatchingUser); each answer or error."""
    partition = person_partition(page_id, psid)
    running, go = threading.Event(), threading.Event()

    def hold(uow: UnitOfWork) -> bool:
        running.set()
        return go.wait(30)

    held = db.submit(hold, partition=partition)
    assert running.wait(30)  # a batch of its own: what follows queues behind it
    futures: list[Future[Any]] = [
        db.submit(
            do_send_page_message,
            page_id=page_id,
            psid="nobody" if n == unknown_at else psid,
            message={"text": f"m{n}"},
            messaging_type=MessagingType.MESSAGE_TAG,
            tag=MessageTag.ACCOUNT_UPDATE,
            now=NOW,
            partition=partition,
        )
        for n in range(size)
    ]
    go.set()
    assert held.result(timeout=60)
    return [future.exception(timeout=60) or future.result() for future in futures]


@pytest.mark.parametrize("size", [1, 4])
def test_send_api_round_trips_per_batch(postgres_url: str, size: int) -> None:
    db = Database(postgres_url)
    try:
        page_id, psid = _person(db)
        for _ in range(6):  # psycopg prepares a statement on its 5th run: past that
            _batch_of_sends(db, page_id, psid, 1)
        with counting_round_trips(db, partition=person_partition(page_id, psid)) as trips:
            sent = _batch_of_sends(db, page_id, psid, size)
        assert len(sent) == size
        assert trips.count == 1 + STATEMENTS * size + 1, trips.trace
    finally:
        db.close()


def test_a_failed_action_costs_its_batch_a_second_run_with_savepoints(postgres_url: str) -> None:
    """Four sends in a batch, the second to an unknown PSID: the first run stops at it (BEGIN,
    the first send's statements, the failed lookup, ROLLBACK); the second run gives each
    action a savepoint (one round trip each), rolls the failed one back to it (one more) and
    commits the other three."""
    db = Database(postgres_url)
    try:
        page_id, psid = _person(db)
        for _ in range(6):  # past psycopg's preparing, as above
            _batch_of_sends(db, page_id, psid, 1)
        with counting_round_trips(db, partition=person_partition(page_id, psid)) as trips:
            sent = _batch_of_sends(db, page_id, psid, 4, unknown_at=1)
        assert [type(answer).__name__ for answer in sent] == [
            "SentMessage",
            "NoMatchingUser",
            "SentMessage",
            "SentMessage",
        ]
        first_run = 1 + STATEMENTS + 1 + 1
        second_run = 1 + 3 * (1 + STATEMENTS) + (1 + 1 + 1) + 1
        assert trips.count == first_run + second_run, trips.trace
    finally:
        db.close()


def test_the_count_sees_transaction_control(postgres_url: str) -> None:
    """What the pin rests on: BEGIN, each statement and COMMIT are one round trip each."""
    import sqlalchemy as sa

    db = Database(postgres_url)
    try:

        def two_statements(uow: UnitOfWork) -> None:
            uow.conn.execute(sa.text("SELECT 1"))
            uow.conn.execute(sa.text("SELECT 2"))

        with counting_round_trips(db, partition="p") as trips:
            db.write_sync(two_statements, partition="p")
            db.write_sync(lambda uow: None, partition="p")  # nothing sent: no transaction
        assert trips.count == 4, trips.trace
        assert '"BEGIN"' in trips.trace
        assert '"COMMIT"' in trips.trace
    finally:
        db.close()
