"""The audit chain on SQLite and PostgreSQL: appends, verification, tampering, the CLI."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from ledgerline.audit import Action, Actor, AuditEvent, AuditLog, Outcome
from ledgerline.audit.entries import entry_body, keyed_hash
from ledgerline.cli.audit import app as audit_cli
from ledgerline.domain.clock import FrozenClock
from ledgerline.storage.database import Database, UnitOfWork
from ledgerline.storage.tables import audit_head, audit_log
from tests.support.audit import TEST_AUDIT_KEY, audited_database, verify_chain
from tests.support.cli import InProcessCli

CLOCK = FrozenClock(datetime(2026, 11, 29, 9, 0, tzinfo=UTC))


def _event(n: int, user_id: str = "u_1") -> AuditEvent:
    return AuditEvent(
        actor=Actor.component("ingest"),
        action=Action.READ,
        outcome=Outcome.ALLOWED,
        page_id="100000000000001",
        user_id=user_id,
        purpose="notify",
        record_kind="transaction",
        record_ids=(f"rec_{n}",),
        detail={"found": 1},
    )


def _append(uow: UnitOfWork, n: int, user_id: str = "u_1") -> None:
    AuditLog(CLOCK).append(uow.conn, _event(n, user_id))


@pytest.fixture(autouse=True)
def _audit_key(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The CLI (in-process and as a subprocess) finds the tests' key and its own anchors."""
    monkeypatch.setenv("LEDGERLINE_AUDIT_KEY", base64.b64encode(TEST_AUDIT_KEY).decode())
    monkeypatch.setenv("LEDGERLINE_AUDIT_ANCHOR_FILE", str(tmp_path / "audit.anchor"))


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = audited_database(database_url)
    yield database
    database.close()


def _fill(db: Database, n: int) -> None:
    for i in range(n):
        db.write_sync(_append, i)


def _exec(db: Database, *statements: sa.Executable) -> None:
    with db.engine.begin() as conn:
        for statement in statements:
            conn.execute(statement)


def _verify(db: Database) -> dict[str, object]:
    return db.read_sync(verify_chain).to_dict()


def test_an_intact_chain_verifies(
    db: Database, database_url: str, ledgerline_cli: InProcessCli
) -> None:
    _fill(db, 5)
    report = db.read_sync(verify_chain)
    assert report.ok
    assert report.entries == 5
    assert report.head_seq == 5
    done = ledgerline_cli("audit", "verify", "--database-url", database_url, "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["ok"] is True
    assert result["entries"] == 5
    human = CliRunner().invoke(audit_cli, ["verify", "--database-url", database_url])
    assert human.exit_code == 0
    assert "intact: 5 entries" in human.stdout


def test_an_empty_chain_verifies(db: Database) -> None:
    assert _verify(db)["ok"] is True
    assert _verify(db)["entries"] == 0


def test_a_modified_entry_is_named(
    db: Database, database_url: str, ledgerline_cli: InProcessCli
) -> None:
    _fill(db, 5)
    _exec(db, audit_log.update().where(audit_log.c.seq == 3).values(purpose="marketing"))
    result = _verify(db)
    assert result["ok"] is False
    assert result["first_bad"] == {
        "seq": 3,
        "problem": "modified",
        "message": "entry 3 does not match its hash (modified)",
    }
    done = ledgerline_cli("audit", "verify", "--database-url", database_url, "--json")
    assert done.returncode == 1
    as_json = json.loads(done.stdout)
    assert as_json["ok"] is False
    assert as_json["first_bad"]["seq"] == 3
    human = CliRunner().invoke(audit_cli, ["verify", "--database-url", database_url])
    assert human.exit_code == 1
    assert "entry 3" in human.stderr


def test_a_deleted_entry_is_named(db: Database) -> None:
    _fill(db, 5)
    _exec(db, audit_log.delete().where(audit_log.c.seq == 2))
    result = _verify(db)
    assert result["first_bad"]["seq"] == 2  # type: ignore[index]
    assert result["first_bad"]["problem"] == "missing"  # type: ignore[index]


def test_a_deleted_first_entry_is_named(db: Database) -> None:
    _fill(db, 3)
    _exec(db, audit_log.delete().where(audit_log.c.seq == 1))
    assert _verify(db)["first_bad"]["seq"] == 1  # type: ignore[index]


def test_a_truncated_tail_is_named(db: Database) -> None:
    _fill(db, 5)
    _exec(db, audit_log.delete().where(audit_log.c.seq >= 4))
    result = _verify(db)
    assert result["first_bad"]["seq"] == 4  # type: ignore[index]
    assert result["first_bad"]["problem"] == "truncated"  # type: ignore[index]


def _forged_row(seq: int, prev_hash: str) -> dict[str, object]:
    """An entry forged by someone who holds the audit key."""
    body = entry_body(
        seq=seq,
        at=1,
        actor_kind="business",
        actor_id="100000000000009",
        action="read",
        outcome="allowed",
        page_id="100000000000009",
        user_id="u_1",
        purpose="notify",
        record_kind="transaction",
        record_ids="[]",
        detail="{}",
    )
    return {
        "seq": seq,
        "at": 1,
        "actor_kind": "business",
        "actor_id": "100000000000009",
        "action": "read",
        "outcome": "allowed",
        "page_id": "100000000000009",
        "user_id": "u_1",
        "purpose": "notify",
        "record_kind": "transaction",
        "record_ids": "[]",
        "detail": "{}",
        "prev_hash": prev_hash,
        "entry_hash": keyed_hash(TEST_AUDIT_KEY, prev_hash, body),
    }


def test_an_entry_appended_behind_the_heads_back_is_named(db: Database) -> None:
    _fill(db, 3)
    head = db.read_sync(verify_chain).head_hash
    _exec(db, audit_log.insert().values(**_forged_row(4, head)))
    result = _verify(db)
    assert result["first_bad"]["seq"] == 4  # type: ignore[index]
    assert result["first_bad"]["problem"] == "beyond_head"  # type: ignore[index]


def test_an_entry_inserted_in_the_middle_is_named(db: Database) -> None:
    _fill(db, 4)
    with db.engine.begin() as conn:
        hashes = dict(conn.execute(sa.select(audit_log.c.seq, audit_log.c.entry_hash)).all())
        for seq in (4, 3):  # make room at 3, highest first (unique seq)
            conn.execute(audit_log.update().where(audit_log.c.seq == seq).values(seq=seq + 1))
        conn.execute(audit_log.insert().values(**_forged_row(3, hashes[2])))
        conn.execute(audit_head.update().values(seq=5))
    result = _verify(db)
    assert result["ok"] is False
    assert result["first_bad"]["seq"] == 4  # type: ignore[index]
    assert result["first_bad"]["problem"] == "broken_link"  # type: ignore[index]


def test_reordered_entries_are_named(db: Database) -> None:
    _fill(db, 5)
    _exec(
        db,
        audit_log.update().where(audit_log.c.seq == 2).values(seq=-2),
        audit_log.update().where(audit_log.c.seq == 3).values(seq=2),
        audit_log.update().where(audit_log.c.seq == -2).values(seq=3),
    )
    result = _verify(db)
    assert result["first_bad"]["seq"] == 2  # type: ignore[index]
    assert result["first_bad"]["problem"] == "broken_link"  # type: ignore[index]


def test_a_replaced_head_is_named(db: Database) -> None:
    _fill(db, 3)
    _exec(db, audit_head.update().values(entry_hash="f" * 64))
    result = _verify(db)
    assert result["first_bad"]["seq"] == 3  # type: ignore[index]
    assert result["first_bad"]["problem"] == "head_mismatch"  # type: ignore[index]


def test_an_anchor_catches_a_rewritten_chain(db: Database, database_url: str) -> None:
    _fill(db, 3)
    report = db.read_sync(verify_chain)
    anchor = (
        2,
        db.read_sync(
            lambda c: c.execute(
                sa.select(audit_log.c.entry_hash).where(audit_log.c.seq == 2)
            ).scalar_one()
        ),
    )
    assert db.read_sync(verify_chain, anchor=anchor).ok
    done = CliRunner().invoke(
        audit_cli,
        ["verify", "--database-url", database_url, "--json", "--anchor", f"2:{anchor[1]}"],
    )
    assert done.exit_code == 0, done.stderr
    # Someone holding the audit key rewrites the whole chain consistently from entry 1:
    # only the anchor notices.
    with db.engine.begin() as conn:
        conn.execute(audit_log.delete())
        prev = "0" * 64
        for seq in (1, 2, 3):
            row = _forged_row(seq, prev)
            conn.execute(audit_log.insert().values(**row))
            prev = str(row["entry_hash"])
        conn.execute(audit_head.update().values(seq=3, entry_hash=prev))
    assert db.read_sync(verify_chain).ok
    bad = db.read_sync(verify_chain, anchor=anchor)
    assert not bad.ok
    assert bad.first_bad is not None
    assert bad.first_bad.problem == "anchor_mismatch"
    assert report.head_seq == 3
    missing = db.read_sync(verify_chain, anchor=(9, "a" * 64))
    assert missing.first_bad is not None
    assert (missing.first_bad.seq, missing.first_bad.problem) == (4, "truncated")
    bad_cli = CliRunner().invoke(
        audit_cli, ["verify", "--database-url", database_url, "--anchor", "nonsense"]
    )
    assert bad_cli.exit_code == 1
    assert "--anchor" in bad_cli.stderr


def _logged(db: Database) -> list[tuple[int, str]]:
    """(seq, first record id) of every entry, in seq order."""
    rows = db.read_sync(
        lambda c: c.execute(
            sa.select(audit_log.c.seq, audit_log.c.record_ids).order_by(audit_log.c.seq)
        ).all()
    )
    return [(int(seq), json.loads(ids)[0]) for seq, ids in rows]


def test_concurrent_appenders_keep_one_linear_chain(db: Database) -> None:
    futures = [db.submit(_append, i, partition=f"p{i % 7}") for i in range(120)]
    for future in futures:
        future.result()
    logged = _logged(db)
    assert [seq for seq, _ in logged] == list(range(1, 121))
    assert sorted(record for _, record in logged) == sorted(f"rec_{i}" for i in range(120))
    report = db.read_sync(verify_chain)
    assert report.ok, report.to_dict()
    assert report.entries == 120


def test_a_batch_chains_the_entries_of_its_successful_actions_only(db: Database) -> None:
    """Entries are chained at the batch's end: a failing action in the middle of a batch
    takes its entry with it, the others' are chained in the order the actions ran."""
    release = threading.Event()

    def gate(uow: UnitOfWork) -> None:
        release.wait(10)  # holds the writer so the rest queue into one batch
        _append(uow, 0)

    def append_then_fail(uow: UnitOfWork, n: int) -> None:
        _append(uow, n)
        raise RuntimeError("boom")

    futures = [db.submit(gate)]
    futures += [db.submit(_append, i) for i in range(1, 4)]
    failing = db.submit(append_then_fail, 99)
    futures += [db.submit(_append, i) for i in range(4, 7)]
    release.set()
    for future in futures:
        future.result()
    with pytest.raises(RuntimeError, match="boom"):
        failing.result()
    assert _logged(db) == [(i + 1, f"rec_{i}") for i in range(7)]
    assert db.read_sync(verify_chain).ok


def test_a_rolled_back_append_leaves_no_trace(db: Database) -> None:
    _fill(db, 2)

    def append_then_fail(uow: UnitOfWork) -> None:
        _append(uow, 99)
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        db.write_sync(append_then_fail)
    _fill(db, 1)
    report = db.read_sync(verify_chain)
    assert report.ok
    assert report.entries == 3


def test_the_access_log_is_newest_first_and_only_about_that_person(db: Database) -> None:
    for i in range(4):
        db.write_sync(_append, i, "u_1")
        db.write_sync(_append, i, "u_2")
    log = AuditLog(CLOCK)
    entries = db.read_sync(lambda c: log.access_log(c, "u_1"))
    assert [e.record_ids[0] for e in entries] == ["rec_3", "rec_2", "rec_1", "rec_0"]
    assert all(e.user_id == "u_1" for e in entries)
    older = db.read_sync(lambda c: log.access_log(c, "u_1", limit=2, before_seq=entries[1].seq))
    assert [e.record_ids[0] for e in older] == ["rec_1", "rec_0"]
    first = entries[-1].to_dict()
    assert first["actor"] == {"kind": "component", "id": "ingest"}
    assert first["purpose"] == "notify"
    assert first["record_kind"] == "transaction"
    with db.reading() as conn:
        assert verify_chain(conn).ok


def test_a_missing_head_row_is_recreated(db: Database) -> None:
    _exec(db, audit_head.delete())
    assert _verify(db)["ok"] is True
    _fill(db, 2)
    assert _verify(db)["entries"] == 2
