"""The audit log against someone who can write the database (issue 17 part 5): the keyed
chain, the head anchored outside the database, legacy entries, the anchor worker.

Each attack here leaves a chain the unkeyed log of before accepted: consistent under the
unkeyed hash, its head matching its last entry."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from typer.testing import CliRunner

from ledgerline.audit import (
    Action,
    Actor,
    AnchorFile,
    AuditEvent,
    AuditLog,
    AuditNotConfigured,
    VerifyReport,
    verify,
)
from ledgerline.audit.entries import GENESIS_HASH, entry_body, keyed_hash, legacy_hash
from ledgerline.bootstrap import build_services, load_audit_key
from ledgerline.cli.audit import app as audit_cli
from ledgerline.config import Settings
from ledgerline.domain.clock import FrozenClock
from ledgerline.storage.database import Database, UnitOfWork
from ledgerline.storage.migrate import alembic_config
from ledgerline.storage.stores import audit as audit_store
from ledgerline.storage.tables import audit_head, audit_log
from ledgerline.workers.audit_anchor import AuditAnchorWorker
from tests.support.audit import TEST_AUDIT_KEY, audited_database, verify_chain

CLOCK = FrozenClock(datetime(2026, 12, 7, 9, 0, tzinfo=UTC))


def _append(uow: UnitOfWork, n: int) -> None:
    AuditLog(CLOCK).append(
        uow.conn,
        AuditEvent(
            Actor.component("ingest"),
            Action.READ,
            page_id="100000000000001",
            user_id="u_1",
            purpose="notify",
            record_kind="transaction",
            record_ids=(f"rec_{n}",),
        ),
    )


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = audited_database(database_url)
    yield database
    database.close()


@pytest.fixture
def anchors(tmp_path: Path) -> AnchorFile:
    return AnchorFile(tmp_path / "audit.anchor", TEST_AUDIT_KEY)


def _fill(db: Database, n: int, start: int = 0) -> None:
    for i in range(start, start + n):
        db.write_sync(_append, i)


def _anchor(db: Database, anchors: AnchorFile) -> None:
    """One pass of the platform's anchor worker."""
    worker = AuditAnchorWorker(db=db, anchors=anchors, clock=CLOCK, interval=60)
    assert asyncio.run(worker.run_once()) is not None


def _rows(conn: sa.Connection) -> list[audit_store.AuditRow]:
    return list(audit_store.iter_entries(conn))


def _body(row: audit_store.AuditRow) -> dict[str, object]:
    return entry_body(
        seq=row.seq,
        at=row.at,
        actor_kind=row.actor_kind,
        actor_id=row.actor_id,
        action=row.action,
        outcome=row.outcome,
        page_id=row.page_id,
        user_id=row.user_id,
        purpose=row.purpose,
        record_kind=row.record_kind,
        record_ids=row.record_ids,
        detail=row.detail,
    )


def _unkeyed_chain_accepts(db: Database) -> bool:
    """What the unkeyed log's verify checked: every entry follows the one before under
    the unkeyed hash, and the head names the last."""
    rows = db.read_sync(_rows)
    prev = GENESIS_HASH
    for expected_seq, row in enumerate(rows, start=1):
        body = _body(row)
        if row.seq != expected_seq or row.prev_hash != prev:
            return False
        if legacy_hash(prev, body) != row.entry_hash:
            return False
        prev = row.entry_hash
    head = db.read_sync(audit_store.read_head)
    return (head.seq, head.entry_hash) == (len(rows), prev)


def _rehash_unkeyed(conn: sa.Connection, *, from_seq: int) -> None:
    """Recompute the chain from ``from_seq`` with the unkeyed hash and move the head:
    all that someone without the key can do."""
    rows = _rows(conn)
    prev = GENESIS_HASH if from_seq == 1 else rows[from_seq - 2].entry_hash
    for row in rows[from_seq - 1 :]:
        digest = legacy_hash(prev, _body(row))
        conn.execute(
            audit_log.update()
            .where(audit_log.c.seq == row.seq)
            .values(prev_hash=prev, entry_hash=digest)
        )
        prev = digest
    conn.execute(audit_head.update().values(seq=rows[-1].seq, entry_hash=prev))


def _problem(report: VerifyReport) -> tuple[int, str]:
    assert not report.ok
    assert report.first_bad is not None
    return report.first_bad.seq, report.first_bad.problem


def _rewind(db: Database, to_seq: int) -> None:
    """Delete the tail after ``to_seq`` and point the head at ``to_seq``, consistently."""
    with db.engine.begin() as conn:
        kept = conn.execute(
            sa.select(audit_log.c.entry_hash).where(audit_log.c.seq == to_seq)
        ).scalar_one()
        conn.execute(audit_log.delete().where(audit_log.c.seq > to_seq))
        conn.execute(audit_head.update().values(seq=to_seq, entry_hash=kept))


def test_every_entry_is_keyed(db: Database) -> None:
    _fill(db, 3)
    rows = db.read_sync(_rows)
    prev = GENESIS_HASH
    for row in rows:
        assert row.entry_hash == keyed_hash(TEST_AUDIT_KEY, prev, _body(row))
        prev = row.entry_hash
    report = db.read_sync(verify_chain)
    assert report.ok
    assert report.keyed_from == 1
    # Under another key, the very first entry fails.
    other = db.read_sync(lambda c: verify(c, key=b"j" * 32))
    assert _problem(other) == (1, "modified")


def test_a_rewrite_without_the_key_is_named(db: Database) -> None:
    _fill(db, 5)
    with db.engine.begin() as conn:
        conn.execute(audit_log.update().where(audit_log.c.seq == 2).values(purpose="marketing"))
        _rehash_unkeyed(conn, from_seq=1)
    assert _unkeyed_chain_accepts(db)  # the unkeyed log saw nothing
    assert _problem(db.read_sync(verify_chain)) == (1, "modified")


def test_a_truncated_log_with_its_head_rewound_is_named(db: Database, anchors: AnchorFile) -> None:
    _fill(db, 5)
    _anchor(db, anchors)
    _rewind(db, 3)
    assert db.read_sync(verify_chain).ok  # the chain alone is consistent: nothing shows
    report = db.read_sync(lambda c: verify_chain(c, anchors=anchors))
    assert _problem(report) == (4, "truncated")
    assert report.first_bad is not None
    assert "entry 5 was anchored" in report.first_bad.message


def test_a_log_rewound_and_grown_again_is_named(db: Database, anchors: AnchorFile) -> None:
    _fill(db, 5)
    _anchor(db, anchors)
    _rewind(db, 3)  # e.g. yesterday's backup restored...
    _fill(db, 3, start=10)  # ...and the platform goes on appending, with the key
    assert db.read_sync(verify_chain).ok
    report = db.read_sync(lambda c: verify_chain(c, anchors=anchors))
    assert _problem(report) == (5, "anchor_mismatch")
    assert report.anchors == 1
    assert report.newest_anchor_at == int(CLOCK.now().timestamp() * 1000)


def test_an_intact_log_verifies_against_its_anchors(db: Database, anchors: AnchorFile) -> None:
    _fill(db, 2)
    _anchor(db, anchors)
    _fill(db, 2, start=2)
    _anchor(db, anchors)
    report = db.read_sync(lambda c: verify_chain(c, anchors=anchors))
    assert report.ok, report.to_dict()
    assert report.anchors == 2


def test_a_forged_anchor_line_is_named(db: Database, anchors: AnchorFile, tmp_path: Path) -> None:
    _fill(db, 2)
    forged = AnchorFile(anchors.path, b"j" * 32)  # written without the audit key
    _anchor(db, forged)
    report = db.read_sync(lambda c: verify_chain(c, anchors=anchors))
    assert _problem(report) == (0, "bad_anchor")


def _legacy_row(seq: int, prev_hash: str) -> dict[str, object]:
    body = entry_body(
        seq=seq,
        at=1,
        actor_kind="component",
        actor_id="vault",
        action="read",
        outcome="allowed",
        page_id="100000000000001",
        user_id="u_1",
        purpose="notify",
        record_kind="transaction",
        record_ids="[]",
        detail="{}",
    )
    return {**body, "prev_hash": prev_hash, "entry_hash": legacy_hash(prev_hash, body)}


def _write_legacy_log(db: Database, n: int) -> None:
    """A log written before the chain was keyed (as the migration leaves it)."""
    prev = GENESIS_HASH
    with db.engine.begin() as conn:
        for seq in range(1, n + 1):
            row = _legacy_row(seq, prev)
            conn.execute(audit_log.insert().values(**row))
            prev = str(row["entry_hash"])
        conn.execute(audit_head.update().values(seq=n, entry_hash=prev, keyed_from=n + 1))


def test_legacy_entries_verify_unkeyed_up_to_the_marker(db: Database, anchors: AnchorFile) -> None:
    _write_legacy_log(db, 3)
    _fill(db, 2)
    report = db.read_sync(verify_chain)
    assert report.ok, report.to_dict()
    assert (report.entries, report.keyed_from) == (5, 4)
    rows = db.read_sync(_rows)
    assert rows[3].entry_hash == keyed_hash(TEST_AUDIT_KEY, rows[2].entry_hash, _body(rows[3]))
    # A legacy entry changed alone still breaks the chain.
    with db.engine.begin() as conn:
        conn.execute(audit_log.update().where(audit_log.c.seq == 2).values(purpose="marketing"))
    assert _problem(db.read_sync(verify_chain)) == (2, "modified")


def test_moving_the_legacy_marker_is_named(db: Database, anchors: AnchorFile) -> None:
    _write_legacy_log(db, 3)
    _fill(db, 2)
    _anchor(db, anchors)
    # Claim every entry legacy, so the whole log could be recomputed without the key.
    with db.engine.begin() as conn:
        conn.execute(audit_head.update().values(keyed_from=6))
        _rehash_unkeyed(conn, from_seq=4)
    assert _unkeyed_chain_accepts(db)
    assert _problem(db.read_sync(lambda c: verify_chain(c, anchors=anchors))) == (
        6,
        "marker_moved",
    )
    # Given only the anchored head (e.g. copied into a ticket), the rewrite shows there.
    kept = anchors.read().anchors[0]
    only_head = db.read_sync(lambda c: verify_chain(c, anchor=(kept.seq, kept.entry_hash)))
    assert _problem(only_head) == (5, "anchor_mismatch")


def test_the_migration_keeps_existing_entries_as_legacy(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = sa.create_engine(url)
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0017")
    prev = GENESIS_HASH
    with engine.begin() as conn:
        for seq in (1, 2):
            row = _legacy_row(seq, prev)
            conn.execute(sa.text("INSERT INTO audit_log (seq, at, actor_kind, actor_id, action, outcome, page_id, user_id, purpose, record_kind, record_ids, detail, prev_hash, entry_hash) VALUES (:seq, :at, :actor_kind, :actor_id, :action, :outcome, :page_id, :user_id, :purpose, :record_kind, :record_ids, :detail, :prev_hash, :entry_hash)"), row)  # fmt: skip
            prev = str(row["entry_hash"])
        conn.execute(
            sa.text("UPDATE audit_head SET seq = 2, entry_hash = :h WHERE id = 1"), {"h": prev}
        )
    engine.dispose()
    db = audited_database(url)  # migrates to the newest revision
    try:
        _fill(db, 1)
        report = db.read_sync(verify_chain)
        assert report.ok, report.to_dict()
        assert (report.entries, report.keyed_from) == (3, 3)
    finally:
        db.close()


def test_a_database_without_the_audit_key_cannot_append(database_url: str) -> None:
    plain = Database(database_url)
    try:
        with pytest.raises(AuditNotConfigured, match="before_commit_steps"):
            plain.write_sync(_append, 1)
        with pytest.raises(AuditNotConfigured), plain.reading() as conn:
            _append(UnitOfWork(conn), 2)
    finally:
        plain.close()


def test_a_read_transaction_appends_at_once(db: Database) -> None:
    with db.reading() as conn:
        _append(UnitOfWork(conn), 1)
    assert db.read_sync(verify_chain).entries == 1


def test_the_anchor_worker_anchors_a_moved_head_and_on_its_way_out(
    db: Database, anchors: AnchorFile
) -> None:
    clock = FrozenClock(CLOCK.now())
    worker = AuditAnchorWorker(db=db, anchors=anchors, clock=clock, interval=3600)

    async def scenario() -> None:
        assert await worker.run_once() is None  # an empty log anchors nothing
        await asyncio.to_thread(_fill, db, 2)
        first = await worker.run_once()
        assert first is not None
        assert first.seq == 2
        assert await worker.run_once() is None  # the head has not moved
        clock.advance(timedelta(minutes=5))
        await asyncio.to_thread(_fill, db, 1, 5)
        task = asyncio.create_task(worker.run())
        await asyncio.sleep(0)
        await worker.stop()
        await task

    asyncio.run(scenario())
    kept = anchors.read().anchors
    assert [a.seq for a in kept] == [2, 3]
    assert kept[1].at - kept[0].at == 5 * 60 * 1000
    assert db.read_sync(lambda c: verify_chain(c, anchors=anchors)).ok


def test_the_cli_checks_the_key_and_the_anchor_file(
    db: Database, database_url: str, anchors: AnchorFile, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEDGERLINE_AUDIT_KEY", base64.b64encode(TEST_AUDIT_KEY).decode())
    monkeypatch.setenv("LEDGERLINE_AUDIT_ANCHOR_FILE", str(anchors.path))
    _fill(db, 4)
    _anchor(db, anchors)
    args = ["verify", "--database-url", database_url]
    intact = CliRunner().invoke(audit_cli, args)
    assert intact.exit_code == 0, intact.stderr
    assert "keyed from entry 1; 1 anchored entries checked" in intact.stdout
    _rewind(db, 2)
    broken = CliRunner().invoke(audit_cli, [*args, "--json"])
    assert broken.exit_code == 1
    assert json.loads(broken.stdout)["first_bad"]["problem"] == "truncated"
    monkeypatch.setenv("LEDGERLINE_AUDIT_KEY", base64.b64encode(b"j" * 32).decode())
    wrong_key = CliRunner().invoke(audit_cli, [*args, "--json"])
    assert wrong_key.exit_code == 1
    assert json.loads(wrong_key.stdout)["first_bad"]["problem"] == "bad_anchor"


def test_the_cli_does_not_invent_a_missing_key(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LEDGERLINE_AUDIT_KEY", raising=False)
    monkeypatch.delenv("LEDGERLINE_AUDIT_KEY_FILE", raising=False)
    done = CliRunner().invoke(
        audit_cli, ["verify", "--database-url", database_url, "--data-dir", str(tmp_path)]
    )
    assert done.exit_code == 1
    assert "LEDGERLINE_AUDIT_KEY" in done.stderr
    assert not (tmp_path / "audit.key").exists()


def test_the_platform_keeps_its_audit_key_and_anchors_where_configured(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LEDGERLINE_AUDIT_KEY", raising=False)
    elsewhere = tmp_path / "keys" / "audit.key"
    settings = Settings(
        data_dir=tmp_path / "data",
        audit_key_file=elsewhere,
        audit_anchor_file=tmp_path / "anchors" / "audit.anchor",
    )
    services = build_services(settings)
    try:
        assert elsewhere.stat().st_mode & 0o777 == 0o600
        assert not (tmp_path / "data" / "audit.key").exists()
        assert services.audit_anchors.path == tmp_path / "anchors" / "audit.anchor"
        assert load_audit_key(settings) == load_audit_key(settings, create=False)
    finally:
        services.close()
