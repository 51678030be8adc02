"""Prepared statements: same answers as SQLAlchemy's path, errors as SQLAlchemy raises them,
and the driver path taken only where it is the same (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from ledgerline.storage.engine import create_engine
from ledgerline.storage.prepared import Prepared, driver_bytes

metadata = sa.MetaData()
items = sa.Table(
    "prepared_items",
    metadata,
    sa.Column("item_id", sa.String(32), primary_key=True),
    sa.Column("owner", sa.String(32), nullable=False),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("blob", sa.LargeBinary),
    sa.Column("note", sa.String(40)),
    sa.Column("flag", sa.Boolean, nullable=False, server_default=sa.false()),
)

BY_OWNER = Prepared(
    sa.select(items.c.item_id, items.c.size, items.c.blob)
    .where(items.c.owner == sa.bindparam("owner"))
    .order_by(items.c.item_id)
)
FIRST_OF_OWNER = Prepared(
    sa.select(items.c.item_id)
    .where(items.c.owner == sa.bindparam("owner"))
    .order_by(items.c.item_id)
    .limit(1)
)
INSERT = Prepared(
    items.insert()
    .values(item_id=sa.bindparam("item_id"), owner=sa.bindparam("owner"), size=sa.bindparam("size"))
    .returning(items.c.size)
)
GROW = Prepared(
    items.update()
    .where(items.c.owner == sa.bindparam("owner"))
    .values(size=items.c.size + sa.bindparam("by"))
)
FLAGGED = Prepared(sa.select(items.c.item_id).where(items.c.flag == sa.bindparam("flag")))


@pytest.fixture
def engine(database_url: str) -> Iterator[sa.Engine]:
    engine, _ = create_engine(database_url)
    metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def sent(engine: sa.Engine) -> list[str]:
    """Statements that went through SQLAlchemy's execution path."""
    statements: list[str] = []

    def record(*args: object) -> None:
        statements.append(str(args[2]))

    sa.event.listen(engine, "before_cursor_execute", record)
    return statements


def _row(item_id: str, owner: str, size: int) -> dict[str, object]:
    return {"item_id": item_id, "owner": owner, "size": size}


def test_answers_like_sqlalchemy_inside_a_transaction(engine: sa.Engine, sent: list[str]) -> None:
    with engine.begin() as conn:
        conn.execute(sa.select(1))  # the transaction has begun
        sent.clear()
        assert INSERT.first(conn, _row("a", "ann", 3)) == (3,)
        INSERT.first(conn, _row("b", "ann", 5))
        INSERT.first(conn, _row("c", "bob", 7))
        sent_before_blob = len(sent)
        conn.execute(items.update().where(items.c.item_id == "a").values(blob=b"\x00\x01"))
        del sent[sent_before_blob:]
        assert [tuple(r) for r in BY_OWNER.all(conn, {"owner": "ann"})] == [
            ("a", 3, b"\x00\x01"),
            ("b", 5, None),
        ]
        assert FIRST_OF_OWNER.first(conn, {"owner": "ann"}) == ("a",)  # LIMIT bound at build
        assert FIRST_OF_OWNER.first(conn, {"owner": "nobody"}) is None
        assert GROW.run(conn, {"owner": "ann", "by": 10}) == 2
        assert sent == []  # all of it straight on the driver
        via_sqlalchemy = conn.execute(
            sa.select(items.c.item_id, items.c.size).order_by(items.c.item_id)
        ).all()
    assert [tuple(r) for r in via_sqlalchemy] == [("a", 13), ("b", 15), ("c", 7)]


def test_rolls_back_with_the_transaction(engine: sa.Engine) -> None:
    with engine.connect() as conn:
        with conn.begin():
            conn.execute(sa.select(1))
            INSERT.first(conn, _row("a", "ann", 1))
            savepoint = conn.begin_nested()
            INSERT.first(conn, _row("b", "ann", 2))
            savepoint.rollback()
        assert [r[0] for r in BY_OWNER.all(conn, {"owner": "ann"})] == ["a"]


def test_outside_a_transaction_sqlalchemy_runs_it(engine: sa.Engine, sent: list[str]) -> None:
    with engine.connect() as conn:
        assert FIRST_OF_OWNER.first(conn, {"owner": "ann"}) is None
        assert conn.in_transaction()  # SQLAlchemy began the transaction ...
        assert any("prepared_items" in statement for statement in sent)  # ... and ran it


def test_types_needing_conversion_go_through_sqlalchemy(engine: sa.Engine, sent: list[str]) -> None:
    with engine.begin() as conn:
        conn.execute(sa.select(1))
        INSERT.first(conn, _row("a", "ann", 1))
        sent.clear()
        assert FLAGGED.all(conn, {"flag": False}) == [("a",)]  # a boolean is converted
        assert len(sent) == 1


def test_driver_errors_are_sqlalchemy_errors(engine: sa.Engine) -> None:
    with engine.connect() as conn, conn.begin():
        conn.execute(sa.select(1))
        INSERT.first(conn, _row("a", "ann", 1))
        with pytest.raises(sa.exc.IntegrityError):
            INSERT.first(conn, _row("a", "ann", 2))


def test_driver_bytes_are_stored_as_the_column_type_stores_them(
    engine: sa.Engine, sent: list[str]
) -> None:
    insert_with_blob = Prepared(
        items.insert().values(
            item_id=sa.bindparam("item_id"),
            owner=sa.bindparam("owner"),
            size=sa.bindparam("size"),
            blob=driver_bytes("blob"),
        )
    )
    payload = bytes(range(256))
    with engine.begin() as conn:
        conn.execute(sa.select(1))
        sent.clear()
        insert_with_blob.run(conn, {**_row("a", "ann", 1), "blob": payload})
        assert sent == []
    with engine.connect() as conn:
        stored = conn.execute(sa.select(items.c.blob)).scalar_one()
    assert stored == payload


def test_values_bound_when_the_statement_was_built_are_sent_too(
    engine: sa.Engine, sent: list[str]
) -> None:
    """Literal values in a prepared statement (``None`` included) need no caller parameter."""
    insert_literal = Prepared(
        items.insert()
        .values(item_id=sa.bindparam("item_id"), owner="fixed", size=0, note=None)
        .returning(items.c.owner, items.c.size)
    )
    with engine.begin() as conn:
        conn.execute(sa.select(1))
        sent.clear()
        assert insert_literal.first(conn, {"item_id": "z"}) == ("fixed", 0)
        assert sent == []
        stored = conn.execute(sa.select(items.c.note).where(items.c.item_id == "z")).scalar()
    assert stored is None


def test_a_lost_connection_is_invalidated_as_sqlalchemy_would(postgres_url: str) -> None:
    engine, _ = create_engine(postgres_url)
    metadata.create_all(engine)
    try:
        with engine.connect() as conn:
            pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
            with engine.connect() as admin:
                admin.exec_driver_sql(f"SELECT pg_terminate_backend({int(pid or 0)})")
                admin.commit()
            with pytest.raises(sa.exc.DBAPIError) as raised:
                FIRST_OF_OWNER.first(conn, {"owner": "ann"})
            assert raised.value.connection_invalidated
            assert conn.invalidated
        with engine.connect() as fresh:  # the pool hands out a working connection again
            assert fresh.execute(sa.select(1)).scalar() == 1
    finally:
        engine.dispose()
