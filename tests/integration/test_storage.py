from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from ledgerline.domain.events import Custom, Event
from ledgerline.storage.database import Database, UnitOfWork
from ledgerline.storage.tables import metadata, users


def _add_user(uow: UnitOfWork, user_id: str) -> str:
    uow.conn.execute(
        users.insert().values(
            user_id=user_id, name="An", locale="vi", timezone="Asia/Ho_Chi_Minh", created_at=1
        )
    )
    uow.emit(Custom("user_added", {"user_id": user_id}))
    return user_id


def _fail(uow: UnitOfWork) -> None:
    _add_user(uow, "u_doomed")
    raise ValueError("nope")


def test_migrations_match_the_tables(database_url: str) -> None:
    db = Database(database_url)
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
            assert isinstance(event, Custom)
            published.append(event.payload["user_id"])
            committed_before_publish.append(
                db.read_sync(
                    lambda c, uid=event.payload["user_id"]: (
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
