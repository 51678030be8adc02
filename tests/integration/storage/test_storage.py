from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from ledgerline.domain.events import Event, LiveFrame
from ledgerline.storage.checkpoint import Checkpointer
from ledgerline.storage.database import Database, UnitOfWork
from ledgerline.storage.engine import create_engine
from ledgerline.storage.tables import metadata, users
from tests.support.aio import run_async


def _add_user(uow: UnitOfWork, user_id: str) -> str:
    uow.conn.execute(
        users.insert().values(
            user_id=user_id, name="An", locale="vi", timezone="Asia/Ho_Chi_Minh", created_at=1
        )
    )
    uow.emit(LiveFrame(user_id, {"type": "user_added"}))
    return user_id


def _fail(uow: UnitOfWork) -> None:
    _add_user(uow, "u_doomed")
    raise ValueError("nope")


def test_migrations_match_the_tables(empty_database_url: str) -> None:
    db = Database(empty_database_url)
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    db.close()
    assert diff == []


def test_group_commit_isolates_a_failing_action_and_publishes_after_commit(
    database_url: str,
) -> None:
    db = Database(database_url)
    published: list[str] = []
    committed_before_publish: list[bool] = []

    def sink(events: list[Event]) -> None:
        for event in events:
            assert isinstance(event, LiveFrame)
            published.append(event.to)
            committed_before_publish.append(
                db.read_sync(
                    lambda c, uid=event.to: (
                        c.execute(sa.select(users.c.user_id).where(users.c.user_id == uid)).first()
                        is not None
                    )
                )
            )

    db.subscribe(sink)
    futures = [db.submit(_add_user, f"u_{i}") for i in range(50)]
    failing = db.submit(_fail)
    futures += [db.submit(_add_user, f"u_{i}") for i in range(50, 60)]
    assert [f.result() for f in futures] == [f"u_{i}" for i in range(60)]
    with pytest.raises(ValueError, match="nope"):
        failing.result()
    count = db.read_sync(
        lambda c: c.execute(sa.select(sa.func.count()).select_from(users)).scalar()
    )
    assert count == 60
    assert sorted(published) == sorted(f"u_{i}" for i in range(60))
    assert all(committed_before_publish)
    db.close()


def test_an_action_whose_sql_fails_inside_a_batch_rolls_back_alone(database_url: str) -> None:
    """A constraint violation mid-batch (which aborts the transaction on PostgreSQL) undoes
    only that action: the actions before and after it in the same batch commit."""
    db = Database(database_url)
    db.write_sync(_add_user, "u_taken")
    release = threading.Event()

    def _gate(uow: UnitOfWork) -> str:
        release.wait(10)  # holds the writer so everything below queues into one batch
        return _add_user(uow, "u_gate")

    def _duplicate(uow: UnitOfWork) -> str:
        _add_user(uow, "u_half")  # written, then undone with the failing insert
        return _add_user(uow, "u_taken")

    gate = db.submit(_gate)
    before = [db.submit(_add_user, f"u_b{i}") for i in range(5)]
    duplicate = db.submit(_duplicate)
    doomed = db.submit(_fail)
    after = [db.submit(_add_user, f"u_a{i}") for i in range(5)]
    release.set()
    assert gate.result() == "u_gate"
    assert [f.result() for f in before + after] == [f"u_b{i}" for i in range(5)] + [
        f"u_a{i}" for i in range(5)
    ]
    with pytest.raises(sa.exc.IntegrityError):
        duplicate.result()
    with pytest.raises(ValueError, match="nope"):
        doomed.result()
    stored = db.read_sync(lambda c: {row[0] for row in c.execute(sa.select(users.c.user_id))})
    assert stored == {"u_taken", "u_gate"} | {f"u_b{i}" for i in range(5)} | {
        f"u_a{i}" for i in range(5)
    }
    db.close()


def test_writes_from_many_threads_all_land(database_url: str) -> None:
    db = Database(database_url)

    def worker(n: int) -> None:
        for i in range(20):
            db.write_sync(_add_user, f"u_{n}_{i}")

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    count = db.read_sync(
        lambda c: c.execute(sa.select(sa.func.count()).select_from(users)).scalar()
    )
    assert count == 80
    db.close()


def _rows_in_database_file(path: Path) -> int:
    """Users in the SQLite file itself: immutable=1 ignores the WAL, so this counts only what
    has been checkpointed into the file."""
    conn = sqlite3.connect(f"file:{path}?immutable=1", uri=True)
    try:
        return int(conn.execute("SELECT count(*) FROM users").fetchone()[0])
    except sqlite3.OperationalError:  # not even the schema is in the file yet
        return 0
    finally:
        conn.close()


def _wait_for(condition: Callable[[], bool], seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.1)
    return condition()


def test_sqlite_checkpoints_run_off_the_write_path(tmp_path: Path) -> None:
    """Commits never checkpoint (no stall in a batch); in the first lull the checkpointer
    folds the WAL into the database file, and closing leaves an empty WAL."""
    path = tmp_path / "cp.db"
    db = Database(f"sqlite:///{path}")
    for i in range(300):
        db.write_sync(_add_user, f"u_{i}")
    assert _wait_for(lambda: _rows_in_database_file(path) == 300)
    db.write_sync(_add_user, "u_last")
    db.close()
    wal = path.with_name(path.name + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0
    assert _rows_in_database_file(path) == 301


def test_under_sustained_load_the_wal_is_folded_every_few_seconds(tmp_path: Path) -> None:
    path = tmp_path / "busy.db"
    Database(f"sqlite:///{path}").close()  # the schema, folded into the file
    engine, _ = create_engine(f"sqlite:///{path}")  # no writer, hence no other checkpointer
    with engine.begin() as conn:
        conn.execute(
            users.insert().values(
                user_id="u_0", name="An", locale="vi", timezone="Asia/Ho_Chi_Minh", created_at=1
            )
        )
    assert _rows_in_database_file(path) == 0  # committed, but only in the WAL
    never_idle = Checkpointer(
        engine,
        idle_for=lambda: 0.0,  # the writer is never idle ...
        last_write=time.monotonic,  # ... and always writing
        interval=0.05,
        max_pending=0.2,
    )
    never_idle.start()
    try:
        assert _wait_for(lambda: _rows_in_database_file(path) == 1)
    finally:
        never_idle.stop()
        engine.dispose()


def test_a_query_gets_a_unit_of_work_on_a_read_transaction(database_url: str) -> None:
    """Features take a unit of work, for queries too (``db.query``); stores a connection."""
    db = Database(database_url)
    try:
        db.write_sync(_add_user, "u_query")

        def names(uow: UnitOfWork, prefix: str) -> tuple[list[str], bool]:
            rows = uow.conn.execute(sa.select(users.c.user_id)).scalars()
            return [r for r in rows if r.startswith(prefix)], uow.conn.in_transaction()

        assert db.query_sync(names, "u_q") == (["u_query"], True)
        assert run_async(lambda: db.query(names, prefix="u_")) == (["u_query"], True)
    finally:
        db.close()


def test_a_savepoint_rolled_back_is_counted_for_what_the_action_holds(database_url: str) -> None:
    """``UnitOfWork.rollbacks`` tells what an action keeps (a vault access) to load again."""
    db = Database(database_url)
    try:

        def action(uow: UnitOfWork) -> tuple[int, int, list[str]]:
            with uow.savepoint():
                _add_user(uow, "u_kept")
            kept = uow.rollbacks
            with pytest.raises(ValueError, match="nope"), uow.savepoint():
                _fail(uow)
            return kept, uow.rollbacks, [type(e).__name__ for e in uow.events]

        assert db.write_sync(action) == (0, 1, ["LiveFrame"])
    finally:
        db.close()


def test_alerts_asked_before_the_upgrade_stay_answerable_for_seven_days(
    empty_database_url: str,
) -> None:
    """Revision 0013: an open alert from before gets its 7 days from when it was asked."""
    from alembic import command

    from ledgerline.storage.engine import normalize_url
    from ledgerline.storage.migrate import alembic_config

    engine = sa.create_engine(normalize_url(empty_database_url))
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0012")
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO fraud_alerts (alert_id, page_id, user_id, transaction_ref, source,"
                " status, created_at) VALUES ('fa_old', 'p', 'u', 't', 'bank', 'open', 1000)"
            )
        )
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    with engine.connect() as connection:
        expires = connection.execute(
            sa.text("SELECT expires_at FROM fraud_alerts WHERE alert_id = 'fa_old'")
        ).scalar()
    engine.dispose()
    assert expires == 1000 + 7 * 24 * 3600 * 1000


def test_messages_stored_before_the_upgrade_are_numbered_in_their_threads(
    empty_database_url: str,
) -> None:
    """Revision 0021: each thread's messages numbered 1, 2, 3, ... in the order they were
    stored, and the thread's last number kept for the next message."""
    from alembic import command

    from ledgerline.storage.engine import normalize_url
    from ledgerline.storage.migrate import alembic_config

    engine = sa.create_engine(normalize_url(empty_database_url))
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0020")
    with engine.begin() as connection:
        run = connection.execute
        run(
            sa.text(
                "INSERT INTO users (user_id, name, locale, timezone, created_at) VALUES"
                " ('u', 'An', 'vi', 'UTC', 1), ('u2', 'Bo', 'vi', 'UTC', 1)"
            )
        )
        run(
            sa.text(
                "INSERT INTO businesses (page_id, app_id, name, name_folded, app_secret_hash,"
                " created_at) VALUES ('p1', 'a1', 'B1', 'b1', 'h', 1), ('p2', 'a2', 'B2', 'b2',"
                " 'h', 1)"
            )
        )
        run(
            sa.text(
                "INSERT INTO threads (thread_id, page_id, user_id, psid, created_at) VALUES"
                " (1, 'p1', 'u', 's1', 1), (2, 'p2', 'u', 's2', 1), (3, 'p1', 'u2', 's3', 1)"
            )
        )
        for seq, thread in enumerate([1, 2, 1, 1, 2], start=1):
            run(
                sa.text(
                    "INSERT INTO messages (seq, mid, thread_id, sender, body, created_at)"
                    " VALUES (:seq, :mid, :thread, 'page', '{}', 1)"
                ),
                {"seq": seq, "mid": f"m{seq}", "thread": thread},
            )
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    with engine.connect() as connection:
        numbers = connection.execute(
            sa.text("SELECT mid, thread_seq FROM messages ORDER BY seq")
        ).all()
        last = connection.execute(
            sa.text("SELECT thread_id, last_seq FROM threads ORDER BY thread_id")
        ).all()
    engine.dispose()
    assert [tuple(r) for r in numbers] == [("m1", 1), ("m2", 1), ("m3", 2), ("m4", 3), ("m5", 2)]
    assert [tuple(r) for r in last] == [(1, 3), (2, 2), (3, 0)]


def test_businesses_from_before_subscriptions_get_the_default_fields(
    empty_database_url: str,
) -> None:
    """Revision 0016: every business registered before it is subscribed to the default
    webhook fields (never standby or echoes), so nothing changes for it but those two."""
    from alembic import command

    from ledgerline.domain.webhook_fields import DEFAULT_FIELDS
    from ledgerline.storage.engine import normalize_url
    from ledgerline.storage.migrate import alembic_config
    from ledgerline.storage.stores.businesses import get_business

    engine = sa.create_engine(normalize_url(empty_database_url))
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0015")
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO businesses (page_id, app_id, name, name_folded, webhook_url,"
                " app_secret_hash, created_at) VALUES ('100', '200', 'Old Bank', 'old bank',"
                " 'https://old.example/webhook', 'h', 1000)"
            )
        )
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    with engine.connect() as connection:
        business = get_business(connection, "100")
    engine.dispose()
    assert business is not None
    assert business.subscribed_fields == DEFAULT_FIELDS


def test_business_names_are_refolded_without_diacritics_by_the_upgrade(
    empty_database_url: str,
) -> None:
    """Revision 0022: a business stored before (name folded by case only) is found by its name
    typed without diacritics."""
    from alembic import command

    from ledgerline.storage.engine import normalize_url
    from ledgerline.storage.migrate import alembic_config
    from ledgerline.storage.stores import businesses as business_store

    engine = sa.create_engine(normalize_url(empty_database_url))
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0021")
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO businesses (page_id, app_id, name, name_folded, app_secret_hash,"
                " created_at) VALUES ('p1', 'a1', 'Ngân hàng Đông Á', 'ngân hàng đông á', 'h', 1)"
            )
        )
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    with engine.connect() as connection:
        found = business_store.list_businesses(connection, query="ngan hang dong a", limit=5)
    engine.dispose()
    assert [row.name for row in found] == ["Ngân hàng Đông Á"]
