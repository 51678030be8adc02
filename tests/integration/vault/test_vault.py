"""The vault on SQLite and PostgreSQL: encryption at rest, purposes, dedup, erasure, keys."""

from __future__ import annotations

import json
import os
import stat
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
import structlog.testing
from typer.testing import CliRunner

from ledgerline.audit import Actor, AuditEvent, AuditLog
from ledgerline.cli.keys import app as keys_cli
from ledgerline.domain.clock import FrozenClock, to_ms
from ledgerline.domain.errors import ConsentRequired, NotFound
from ledgerline.domain.scopes import ALL_SCOPES, Purpose, Scope
from ledgerline.storage.database import Database, UnitOfWork
from ledgerline.storage.stores import audit as audit_store, vault as store
from ledgerline.storage.tables import audit_log, metadata, vault_keys, vault_records
from ledgerline.vault import (
    MasterKey,
    NewRecord,
    PurposeNotAllowed,
    RecordKind,
    RecordUnreadable,
    Vault,
    VaultKeyError,
    database_refusal_recorder,
    load_or_create_master_key,
    rewrap_data_keys,
    rotate_master_key,
)
from ledgerline.vault.keys import KEY_FILE, write_key_file
from tests.support.audit import audited_database, verify_chain
from tests.support.cli import InProcessCli

LEDGERLINE = str(Path(sys.executable).with_name("ledgerline"))
BANK = "100000000000001"
OTHER_BANK = "100000000000002"
ANN = "u_ann"
BO = "u_bo"
MERCHANT = "Quán Phở Bà Tư Zyxwv"
AMOUNT = "987654321"
TX_ID = "TXN-ZQ-55501"
BANK_ACTOR = Actor.business(BANK)


class Consent:
    """A ConsentLookup double: scopes per (page, person); absent means not linked."""

    def __init__(self) -> None:
        self.grants: dict[tuple[str, str], frozenset[Scope]] = {}

    def __call__(self, conn: object, page_id: str, user_id: str) -> frozenset[Scope] | None:
        return self.grants.get((page_id, user_id))


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime(2026, 11, 29, 9, 0, tzinfo=UTC))


@pytest.fixture
def consent() -> Consent:
    grants = Consent()
    grants.grants[(BANK, ANN)] = ALL_SCOPES
    grants.grants[(OTHER_BANK, ANN)] = ALL_SCOPES
    grants.grants[(BANK, BO)] = frozenset({Scope.TRANSACTIONS})
    return grants


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = audited_database(database_url)
    yield database
    database.close()


@pytest.fixture
def master() -> MasterKey:
    return MasterKey.generate()


@pytest.fixture
def vault(db: Database, master: MasterKey, consent: Consent, clock: FrozenClock) -> Vault:
    return Vault(master, consent, clock, refusal_recorder=database_refusal_recorder(db))


def _tx(clock: FrozenClock, tx_id: str = TX_ID, merchant: str = MERCHANT) -> NewRecord:
    return NewRecord(
        kind=RecordKind.TRANSACTION,
        payload={
            "transaction_id": tx_id,
            "amount": {"amount": AMOUNT, "currency": "VND"},
            "merchant": {"name": merchant, "city": "Hà Nội"},
        },
        occurred_at=clock.now(),
        ref=tx_id,
    )


def _put(db: Database, vault: Vault, record: NewRecord, page: str = BANK, user: str = ANN) -> str:
    def action(uow: UnitOfWork) -> str:
        return (
            vault.access(uow, page_id=page, user_id=user)
            .put(record, actor=Actor.business(page))
            .status
        )

    return db.write_sync(action)


def _barrier(db: Database) -> None:
    """Wait until writes queued so far (e.g. refusal entries) have committed."""
    db.write_sync(lambda uow: None)


def _audit_rows(db: Database) -> list[dict[str, object]]:
    return db.read_sync(
        lambda c: [
            dict(r._mapping) for r in c.execute(sa.select(audit_log).order_by(audit_log.c.seq))
        ]
    )


def _all_table_text(db: Database) -> str:
    """Every row of every table, as the database renders it in text."""
    chunks: list[str] = []
    with db.engine.connect() as conn:
        for table in metadata.sorted_tables:
            chunks.extend(repr(tuple(row)) for row in conn.execute(sa.select(table)))
            if db.engine.dialect.name == "postgresql":
                query = f'SELECT t::text FROM "{table.name}" t'  # noqa: S608 - our own table names
                text_rows = conn.exec_driver_sql(query).scalars()
                chunks.extend(str(t) for t in text_rows)
    return "\n".join(chunks)


def test_no_financial_value_is_stored_in_clear(
    db: Database, vault: Vault, clock: FrozenClock, database_url: str
) -> None:
    assert _put(db, vault, _tx(clock)) == "stored"
    message = NewRecord(
        kind=RecordKind.CHAT_MESSAGE,
        payload={"text": f"You paid {AMOUNT} VND at {MERCHANT}"},
        occurred_at=clock.now(),
        ref="m_123",
    )
    assert _put(db, vault, message) == "stored"
    needles = [MERCHANT, AMOUNT, TX_ID, "Hà Nội"]
    dumped = _all_table_text(db)
    for needle in needles:
        assert needle not in dumped
        assert needle.encode().hex() not in dumped
    if db.engine.dialect.name == "sqlite":
        path = Path(db.engine.url.database or "")
        for file in [path, path.with_name(path.name + "-wal")]:
            if file.exists():
                raw = file.read_bytes()
                for needle in needles:
                    assert needle.encode() not in raw
        db.close()  # checkpoints the WAL into the main file
        raw = path.read_bytes()
        for needle in needles:
            assert needle.encode() not in raw
    else:
        with db.engine.connect() as conn:
            names = (
                conn.exec_driver_sql(
                    "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
                )
                .scalars()
                .all()
            )
            assert "vault_records" in names
            for name in names:
                query = f'SELECT t::text FROM "{name}" t'  # noqa: S608 - names from the catalogue
                text = "\n".join(str(t) for t in conn.exec_driver_sql(query).scalars())
                for needle in needles:
                    assert needle not in text


def test_a_record_reads_back_for_an_allowed_purpose_and_the_read_is_audited(
    db: Database, vault: Vault, clock: FrozenClock
) -> None:
    _put(db, vault, _tx(clock))

    def read(uow: UnitOfWork) -> list[dict[str, object]]:
        records = (
            vault.access(uow, page_id=BANK, user_id=ANN)
            .reading(Purpose.NOTIFY, actor=Actor.component("notifications"))
            .read(kinds=[RecordKind.TRANSACTION])
        )
        return [r.payload for r in records]

    payloads = db.write_sync(read)
    assert payloads[0]["merchant"] == {"name": MERCHANT, "city": "Hà Nội"}
    rows = _audit_rows(db)
    assert [(r["action"], r["outcome"]) for r in rows] == [
        ("store", "allowed"),
        ("read", "allowed"),
    ]
    assert rows[1]["purpose"] == "notify"
    assert rows[1]["actor_kind"] == "component"
    for row in rows:
        assert MERCHANT not in json.dumps(row, default=str)
        assert AMOUNT not in json.dumps(row, default=str)


def test_a_purpose_without_consent_is_refused_and_the_refusal_is_audited(
    db: Database, vault: Vault, clock: FrozenClock
) -> None:
    _put(db, vault, _tx(clock), user=BO)  # Bo shares transactions only

    def fraud_read(uow: UnitOfWork) -> None:
        vault.access(uow, page_id=BANK, user_id=BO).reading(
            Purpose.FRAUD_DETECTION, actor=Actor.component("fraud")
        ).read(kinds=[RecordKind.TRANSACTION])

    with pytest.raises(PurposeNotAllowed) as refused:
        db.write_sync(fraud_read)  # the action fails and rolls back ...
    assert refused.value.reason == "scope_missing"
    assert refused.value.http_status == 403
    _barrier(db)
    rows = _audit_rows(db)  # ... yet the refusal is on record
    assert rows[-1]["outcome"] == "refused"
    assert rows[-1]["purpose"] == "fraud_detection"
    assert rows[-1]["user_id"] == BO
    assert json.loads(str(rows[-1]["detail"])) == {"reason": "scope_missing"}
    assert db.read_sync(verify_chain).ok


def test_refusals_without_a_recorder_go_into_the_callers_transaction(
    db: Database, master: MasterKey, consent: Consent, clock: FrozenClock
) -> None:
    plain = Vault(master, consent, clock)

    def analytics(uow: UnitOfWork) -> str:
        try:
            plain.access(uow, page_id=BANK, user_id="u_nobody").reading(
                Purpose.NOTIFY, actor=Actor.component("analytics")
            ).read()
        except PurposeNotAllowed as exc:
            return exc.reason
        return "allowed"

    assert db.write_sync(analytics) == "not_linked"
    assert _audit_rows(db)[-1]["outcome"] == "refused"


@pytest.mark.parametrize(
    ("purpose", "kind", "actor", "reason"),
    [
        (
            Purpose.FRAUD_DETECTION,
            RecordKind.BALANCE,
            Actor.component("fraud"),
            "purpose_not_for_kind",
        ),
        (Purpose.CUSTOMER_SERVICE, RecordKind.TRANSACTION, Actor.agent("agent_1"), "scope_missing"),
        (Purpose.USER_ACCESS, RecordKind.TRANSACTION, Actor.business(BANK), "not_the_person"),
        (Purpose.USER_ACCESS, RecordKind.TRANSACTION, Actor.person(ANN), "not_the_person"),
    ],
)
def test_each_refusal_reason(
    db: Database, vault: Vault, purpose: Purpose, kind: RecordKind, actor: Actor, reason: str
) -> None:
    def attempt(uow: UnitOfWork) -> None:
        vault.access(uow, page_id=BANK, user_id=BO).reading(purpose, actor=actor).read(kinds=[kind])

    with pytest.raises(PurposeNotAllowed) as refused:
        db.write_sync(attempt)
    assert refused.value.reason == reason


def test_user_access_and_erasure_need_no_consent(
    db: Database, vault: Vault, consent: Consent, clock: FrozenClock
) -> None:
    _put(db, vault, _tx(clock), user=BO)
    del consent.grants[(BANK, BO)]  # the link expired; the data is still Bo's to see

    def own(uow: UnitOfWork) -> int:
        mine = (
            vault.access(uow, page_id=BANK, user_id=BO)
            .reading(Purpose.USER_ACCESS, actor=Actor.person(BO))
            .read()
        )
        for_erasure = (
            vault.access(uow, page_id=BANK, user_id=BO)
            .reading(Purpose.ERASURE, actor=Actor.component("linking"))
            .read()
        )
        return len(mine) + len(for_erasure)

    assert db.write_sync(own) == 2


def test_writes_need_the_kinds_scope(db: Database, vault: Vault, clock: FrozenClock) -> None:
    balance = NewRecord(
        RecordKind.BALANCE, {"available": {"amount": "1", "currency": "VND"}}, clock.now()
    )
    with pytest.raises(ConsentRequired):
        _put(db, vault, balance, user=BO)
    with pytest.raises(ConsentRequired):
        _put(db, vault, balance, user="u_stranger")
    _barrier(db)
    refusals = [r for r in _audit_rows(db) if r["outcome"] == "refused"]
    assert [r["action"] for r in refusals] == ["store", "store"]
    assert (
        db.read_sync(
            lambda c: c.execute(sa.select(sa.func.count()).select_from(vault_records)).scalar()
        )
        == 0
    )


def test_a_repeated_transaction_id_is_stored_once(
    db: Database, vault: Vault, clock: FrozenClock
) -> None:
    assert _put(db, vault, _tx(clock)) == "stored"
    assert _put(db, vault, _tx(clock, merchant="Another")) == "duplicate"
    assert _put(db, vault, _tx(clock), user=BO) == "stored"  # another person: not a duplicate

    def batch(uow: UnitOfWork) -> list[str]:
        results = vault.access(uow, page_id=BANK, user_id=ANN).put_many(
            [_tx(clock), _tx(clock, "TXN-2"), _tx(clock, "TXN-2")], actor=BANK_ACTOR
        )
        return [r.status for r in results]

    assert db.write_sync(batch) == ["duplicate", "stored", "duplicate"]
    rows = _audit_rows(db)
    assert rows[1]["outcome"] == "duplicate"
    assert json.loads(str(rows[-1]["detail"])) == {"duplicates": 2, "stored": 1}


def test_concurrent_duplicates_are_stored_once(
    db: Database, vault: Vault, clock: FrozenClock
) -> None:
    def put(uow: UnitOfWork) -> str:
        return vault.access(uow, page_id=BANK, user_id=ANN).put(_tx(clock), actor=BANK_ACTOR).status

    start = threading.Barrier(8)
    futures: list[object] = []
    lock = threading.Lock()

    def submitter(i: int) -> None:
        start.wait()
        future = db.submit(put, partition=f"thread-{i}")
        with lock:
            futures.append(future)

    threads = [threading.Thread(target=submitter, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    statuses = sorted(f.result() for f in futures)  # type: ignore[attr-defined]
    assert statuses == ["duplicate"] * 7 + ["stored"]
    count = db.read_sync(
        lambda c: c.execute(sa.select(sa.func.count()).select_from(vault_records)).scalar()
    )
    keys = db.read_sync(
        lambda c: c.execute(sa.select(sa.func.count()).select_from(vault_keys)).scalar()
    )
    assert (count, keys) == (1, 1)
    assert db.read_sync(verify_chain).ok


def test_a_ciphertext_moved_to_another_record_does_not_decrypt(
    db: Database, vault: Vault, clock: FrozenClock
) -> None:
    _put(db, vault, _tx(clock, "TXN-A"))
    _put(db, vault, _tx(clock, "TXN-B"))
    _put(db, vault, _tx(clock, "TXN-C"), user=BO)
    with db.engine.begin() as conn:
        rows = conn.execute(
            sa.select(
                vault_records.c.record_id, vault_records.c.user_id, vault_records.c.ciphertext
            ).order_by(vault_records.c.user_id)
        ).all()
        ann = [r for r in rows if r.user_id == ANN]
        bo = [r for r in rows if r.user_id == BO]
        conn.execute(
            vault_records.update()
            .where(vault_records.c.record_id == ann[1].record_id)
            .values(ciphertext=ann[0].ciphertext)
        )
    reader = Actor.person(ANN)

    def get(uow: UnitOfWork, record_id: str, user_id: str) -> object:
        return (
            vault.access(uow, page_id=BANK, user_id=user_id)
            .reading(Purpose.USER_ACCESS, actor=Actor.person(user_id))
            .get(record_id)
        )

    assert db.write_sync(get, ann[0].record_id, ANN) is not None
    with pytest.raises(RecordUnreadable) as failed:
        db.write_sync(get, ann[1].record_id, ANN)
    assert MERCHANT not in str(failed.value)
    with db.engine.begin() as conn:  # another person's ciphertext under Ann's row
        conn.execute(
            vault_records.update()
            .where(vault_records.c.record_id == ann[0].record_id)
            .values(ciphertext=bo[0].ciphertext)
        )
    with pytest.raises(RecordUnreadable):
        db.write_sync(get, ann[0].record_id, ANN)
    with db.engine.begin() as conn:  # Bo's record claimed for Ann
        conn.execute(
            vault_records.update()
            .where(vault_records.c.record_id == bo[0].record_id)
            .values(user_id=ANN)
        )
    with pytest.raises(RecordUnreadable):
        db.write_sync(get, bo[0].record_id, ANN)
    assert reader.id == ANN


def test_a_wrapped_key_moved_to_another_person_does_not_unwrap(
    db: Database, vault: Vault, clock: FrozenClock
) -> None:
    _put(db, vault, _tx(clock))
    _put(db, vault, _tx(clock), user=BO)
    with db.engine.begin() as conn:
        ann_key = conn.execute(
            sa.select(vault_keys.c.wrapped_key).where(vault_keys.c.user_id == ANN)
        ).scalar_one()
        conn.execute(
            vault_keys.update().where(vault_keys.c.user_id == BO).values(wrapped_key=ann_key)
        )

    def read(uow: UnitOfWork) -> object:
        return (
            vault.access(uow, page_id=BANK, user_id=BO)
            .reading(Purpose.USER_ACCESS, actor=Actor.person(BO))
            .read()
        )

    with pytest.raises(VaultKeyError):
        db.write_sync(read)


def test_get_find_and_their_misses(db: Database, vault: Vault, clock: FrozenClock) -> None:
    _put(db, vault, _tx(clock))
    agent = Actor.agent("agent_7")

    def find(uow: UnitOfWork, ref: str) -> object:
        return (
            vault.access(uow, page_id=BANK, user_id=ANN)
            .reading(Purpose.CUSTOMER_SERVICE, actor=agent)
            .find(RecordKind.TRANSACTION, ref)
        )

    found = db.write_sync(find, TX_ID)
    assert found is not None
    assert found.payload["transaction_id"] == TX_ID  # type: ignore[attr-defined]
    assert found.to_dict()["kind"] == "transaction"  # type: ignore[attr-defined]
    assert db.write_sync(find, "TXN-unknown") is None

    def get(uow: UnitOfWork, record_id: str) -> object:
        return (
            vault.access(uow, page_id=BANK, user_id=ANN)
            .reading(Purpose.CUSTOMER_SERVICE, actor=agent)
            .get(record_id)
        )

    assert db.write_sync(get, found.record_id) == found  # type: ignore[attr-defined]
    with pytest.raises(NotFound):
        db.write_sync(get, "rec_missing")

    def find_stranger(uow: UnitOfWork) -> object:
        return (
            vault.access(uow, page_id=BANK, user_id="u_x")
            .reading(Purpose.USER_ACCESS, actor=Actor.person("u_x"))
            .find(RecordKind.TRANSACTION, TX_ID)
        )

    assert db.write_sync(find_stranger) is None
    entries = db.read_sync(lambda c: AuditLog(vault.clock).access_log(c, ANN))
    assert [e.detail for e in entries[:3]] == [{"found": 1}, {"found": 0}, {"found": 1}]
    assert entries[0].actor == agent


def test_erasure_leaves_nothing_to_read_or_export_and_the_chain_intact(
    db: Database, vault: Vault, clock: FrozenClock
) -> None:
    _put(db, vault, _tx(clock))
    _put(db, vault, _tx(clock, "TXN-other-bank"), page=OTHER_BANK)
    ann = Actor.person(ANN)

    def export(uow: UnitOfWork) -> list[tuple[str, str]]:
        return [(r.page_id, r.record_id) for r in vault.export(uow, actor=ann, user_id=ANN)]

    assert {page for page, _ in db.write_sync(export)} == {BANK, OTHER_BANK}
    erased = db.write_sync(
        lambda uow: vault.access(uow, page_id=BANK, user_id=ANN).erase(actor=ann)
    )
    assert (erased.records_deleted, erased.key_destroyed) == (1, True)
    assert [page for page, _ in db.write_sync(export)] == [OTHER_BANK]

    def everything(uow: UnitOfWork) -> int:
        return len(
            vault.access(uow, page_id=BANK, user_id=ANN)
            .reading(Purpose.USER_ACCESS, actor=ann)
            .read()
        )

    assert db.write_sync(everything) == 0
    again = db.write_sync(lambda uow: vault.access(uow, page_id=BANK, user_id=ANN).erase(actor=ann))
    assert (again.records_deleted, again.key_destroyed) == (0, False)
    report = db.read_sync(verify_chain)
    assert report.ok
    rows = _audit_rows(db)
    erase = next(r for r in rows if r["action"] == "erase")
    assert erase["purpose"] == "erasure"
    assert json.loads(str(erase["detail"]))["records"] == 1

    def stranger_export(uow: UnitOfWork) -> object:
        return vault.export(uow, actor=Actor.business(BANK), user_id=ANN)

    with pytest.raises(PurposeNotAllowed):
        db.write_sync(stranger_export)


def test_records_orphaned_from_their_key_are_unreadable(
    db: Database, vault: Vault, clock: FrozenClock
) -> None:
    _put(db, vault, _tx(clock))
    with db.engine.begin() as conn:
        conn.execute(vault_keys.delete())

    def read(uow: UnitOfWork) -> int:
        return len(
            vault.access(uow, page_id=BANK, user_id=ANN)
            .reading(Purpose.USER_ACCESS, actor=Actor.person(ANN))
            .read()
        )

    assert db.write_sync(read) == 0


def test_rotation_rewraps_every_key(
    db: Database, vault: Vault, master: MasterKey, consent: Consent, clock: FrozenClock
) -> None:
    _put(db, vault, _tx(clock))
    _put(db, vault, _tx(clock), user=BO)
    new = MasterKey.generate()
    log = AuditLog(clock)
    result = db.write_sync(lambda uow: rewrap_data_keys(uow, master, new, audit=log, clock=clock))
    assert (result.rewrapped, result.already) == (2, 0)
    again = db.write_sync(lambda uow: rewrap_data_keys(uow, master, new, audit=log, clock=clock))
    assert (again.rewrapped, again.already) == (0, 2)
    with pytest.raises(VaultKeyError):
        db.write_sync(
            lambda uow: rewrap_data_keys(
                uow, MasterKey.generate(), MasterKey.generate(), audit=log, clock=clock
            )
        )

    def read(uow: UnitOfWork, v: Vault) -> int:
        return len(
            v.access(uow, page_id=BANK, user_id=ANN)
            .reading(Purpose.USER_ACCESS, actor=Actor.person(ANN))
            .read()
        )

    with pytest.raises(VaultKeyError) as old_fails:
        db.write_sync(read, vault)
    assert new.key_id in str(old_fails.value)
    assert db.write_sync(read, Vault(new, consent, clock)) == 1
    assert db.read_sync(verify_chain).ok


def test_keys_rotate_cli_replaces_the_key_file(
    database_url: str,
    tmp_path: Path,
    consent: Consent,
    clock: FrozenClock,
    ledgerline_cli: InProcessCli,
) -> None:
    data_dir = tmp_path / "data"
    old = load_or_create_master_key(data_dir / KEY_FILE, None)
    db = audited_database(database_url)
    try:
        _put(db, Vault(old, consent, clock), _tx(clock))
    finally:
        db.close()
    done = ledgerline_cli(
        "keys", "rotate", "--json", "--database-url", database_url, "--data-dir", str(data_dir)
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["ok"] is True
    assert result["rewrapped"] == 1
    assert result["old_key_id"] == old.key_id
    new = load_or_create_master_key(data_dir / KEY_FILE, None)
    assert new.key_id == result["new_key_id"] != old.key_id
    assert stat.S_IMODE((data_dir / "master.key").stat().st_mode) == 0o600
    assert not (data_dir / "master.key.next").exists()
    assert new.to_text() not in done.stdout + done.stderr
    db = audited_database(database_url)
    try:

        def read(uow: UnitOfWork, v: Vault) -> int:
            return len(
                v.access(uow, page_id=BANK, user_id=ANN)
                .reading(Purpose.USER_ACCESS, actor=Actor.person(ANN))
                .read()
            )

        assert db.write_sync(read, Vault(new, consent, clock)) == 1
        with pytest.raises(VaultKeyError):
            db.write_sync(read, Vault(old, consent, clock))
    finally:
        db.close()


def test_retention_purges_old_records_and_audits_it(
    db: Database, vault: Vault, clock: FrozenClock
) -> None:
    old = NewRecord(
        RecordKind.BALANCE,
        {"current": {"amount": AMOUNT, "currency": "VND"}},
        clock.now() - timedelta(days=401),
    )
    recent = NewRecord(
        RecordKind.BALANCE,
        {"current": {"amount": "5", "currency": "VND"}},
        to_ms(clock.now() - timedelta(days=399)),
    )
    _put(db, vault, old)
    _put(db, vault, recent)
    _put(db, vault, old, page=OTHER_BANK)
    _put(db, vault, recent, page=OTHER_BANK)
    admin = Actor.business(OTHER_BANK)
    db.write_sync(
        lambda uow: vault.set_retention_days(uow, actor=admin, page_id=OTHER_BANK, days=30)
    )
    db.write_sync(
        lambda uow: vault.set_retention_days(uow, actor=admin, page_id=OTHER_BANK, days=300)
    )
    assert db.read_sync(
        lambda c: (
            vault.retention_days(UnitOfWork(c), BANK),
            vault.retention_days(UnitOfWork(c), OTHER_BANK),
        )
    ) == (400, 300)
    with pytest.raises(ValueError, match="retention"):
        db.write_sync(lambda uow: vault.set_retention_days(uow, actor=admin, page_id=BANK, days=0))
    results = db.write_sync(lambda uow: vault.purge_expired(uow))
    assert {(r.page_id, r.records_deleted, r.retention_days) for r in results} == {
        (BANK, 1, 400),
        (OTHER_BANK, 2, 300),
    }
    assert db.write_sync(lambda uow: vault.purge_expired(uow, page_ids=[BANK])) == []
    purges = [r for r in _audit_rows(db) if r["action"] == "purge"]
    assert [(r["page_id"], r["user_id"], r["actor_id"]) for r in purges] == [
        (BANK, ANN, "retention"),
        (OTHER_BANK, ANN, "retention"),
    ]
    assert db.read_sync(verify_chain).ok


def test_bad_inputs_are_refused(db: Database, vault: Vault, clock: FrozenClock) -> None:
    with pytest.raises(ValueError, match="timezone"):
        _put(db, vault, NewRecord(RecordKind.BALANCE, {}, datetime(2026, 1, 1)))  # noqa: DTZ001
    with pytest.raises(ValueError, match="ref"):
        _put(db, vault, NewRecord(RecordKind.TRANSACTION, {}, clock.now(), ref=""))
    with pytest.raises(ValueError, match="JSON"):
        _put(db, vault, NewRecord(RecordKind.TRANSACTION, {"x": object()}, clock.now()))
    fixed = NewRecord(RecordKind.RECEIPT, {"total": "1"}, clock.now(), record_id="rec_fixed")
    assert _put(db, vault, fixed) == "stored"
    with pytest.raises(ValueError, match="record_id"):
        _put(db, vault, fixed)
    assert (
        db.write_sync(
            lambda uow: vault.access(uow, page_id=BANK, user_id=ANN).put_many([], actor=BANK_ACTOR)
        )
        == []
    )


def test_rotation_with_the_key_in_the_environment(
    db: Database,
    vault: Vault,
    master: MasterKey,
    consent: Consent,
    clock: FrozenClock,
    tmp_path: Path,
) -> None:
    _put(db, vault, _tx(clock))
    with pytest.raises(VaultKeyError, match="LEDGERLINE_NEW_MASTER_KEY"):
        rotate_master_key(
            db.write_sync,
            key_file=tmp_path / KEY_FILE,
            env_value=master.to_text(),
            new_key=None,
            clock=clock,
        )
    with pytest.raises(VaultKeyError, match="same"):
        rotate_master_key(
            db.write_sync,
            key_file=tmp_path / KEY_FILE,
            env_value=master.to_text(),
            new_key=master,
            clock=clock,
        )
    new = MasterKey.generate()
    report = rotate_master_key(
        db.write_sync,
        key_file=tmp_path / KEY_FILE,
        env_value=master.to_text(),
        new_key=new,
        clock=clock,
    )
    assert report.to_dict() == {
        "ok": True,
        "old_key_id": master.key_id,
        "new_key_id": new.key_id,
        "rewrapped": 1,
        "already": 0,
        "key_file": None,
    }
    assert not (tmp_path / "master.key").exists()


def test_an_interrupted_file_rotation_is_finished_by_running_it_again(
    db: Database, consent: Consent, clock: FrozenClock, tmp_path: Path
) -> None:
    with pytest.raises(VaultKeyError, match="no master key"):
        rotate_master_key(
            db.write_sync, key_file=tmp_path / KEY_FILE, env_value=None, new_key=None, clock=clock
        )
    old = load_or_create_master_key(tmp_path / KEY_FILE, None)
    _put(db, Vault(old, consent, clock), _tx(clock))
    with pytest.raises(VaultKeyError, match="same"):
        rotate_master_key(
            db.write_sync, key_file=tmp_path / KEY_FILE, env_value=None, new_key=old, clock=clock
        )
    chosen = MasterKey.generate()

    def crash_after_commit(fn: object, *args: object) -> object:
        db.write_sync(fn, *args)  # type: ignore[arg-type]
        raise KeyboardInterrupt  # the process dies before the key file is replaced

    with pytest.raises(KeyboardInterrupt):
        rotate_master_key(
            crash_after_commit,
            key_file=tmp_path / KEY_FILE,
            env_value=None,
            new_key=chosen,
            clock=clock,
        )
    assert (tmp_path / "master.key.next").exists()
    with pytest.raises(VaultKeyError, match="unfinished rotation"):
        rotate_master_key(
            db.write_sync,
            key_file=tmp_path / KEY_FILE,
            env_value=None,
            new_key=MasterKey.generate(),
            clock=clock,
        )
    report = rotate_master_key(
        db.write_sync, key_file=tmp_path / KEY_FILE, env_value=None, new_key=None, clock=clock
    )
    assert (report.new_key_id, report.rewrapped, report.already) == (chosen.key_id, 0, 1)
    assert report.key_file == tmp_path / "master.key"
    assert load_or_create_master_key(tmp_path / KEY_FILE, None).key_id == chosen.key_id
    assert not (tmp_path / "master.key.next").exists()


def test_keys_rotate_cli_takes_the_new_key_from_a_file_or_the_environment(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in [k for k in os.environ if k.startswith("LEDGERLINE_")]:
        monkeypatch.delenv(name)
    base = ["rotate", "--database-url", database_url, "--data-dir", str(tmp_path)]
    missing = CliRunner().invoke(keys_cli, base)
    assert missing.exit_code == 1
    assert "no master key" in missing.stderr
    assert "(#" not in missing.stderr
    current = MasterKey.generate()
    monkeypatch.setenv("LEDGERLINE_MASTER_KEY", current.to_text())
    from_env = MasterKey.generate()
    monkeypatch.setenv("LEDGERLINE_NEW_MASTER_KEY", from_env.to_text())
    done = CliRunner().invoke(keys_cli, base)
    assert done.exit_code == 0, done.stderr
    assert "set LEDGERLINE_MASTER_KEY" in done.stdout
    assert from_env.to_text() not in done.stdout
    monkeypatch.setenv("LEDGERLINE_MASTER_KEY", from_env.to_text())
    monkeypatch.delenv("LEDGERLINE_NEW_MASTER_KEY")
    key_file = tmp_path / "new.key"
    from_file = MasterKey.generate()
    write_key_file(key_file, from_file)
    done = CliRunner().invoke(keys_cli, [*base, "--new-key-file", str(key_file), "--json"])
    assert done.exit_code == 0, done.stderr
    assert json.loads(done.stdout)["new_key_id"] == from_file.key_id
    gone = CliRunner().invoke(keys_cli, [*base, "--new-key-file", str(tmp_path / "absent")])
    assert gone.exit_code == 1
    assert "absent" in gone.stderr
    monkeypatch.delenv("LEDGERLINE_MASTER_KEY")
    load_or_create_master_key(tmp_path / KEY_FILE, None)
    done = CliRunner().invoke(keys_cli, base)
    assert done.exit_code == 0, done.stderr
    assert "now holds the new key" in done.stdout


def test_put_results_and_orphans(db: Database, vault: Vault, clock: FrozenClock) -> None:
    def put(uow: UnitOfWork) -> tuple[bool, str]:
        result = vault.access(uow, page_id=BANK, user_id=ANN).put(_tx(clock), actor=BANK_ACTOR)
        return result.duplicate, result.record_id

    duplicate, record_id = db.write_sync(put)
    assert duplicate is False
    assert db.write_sync(put) == (True, record_id)
    with db.engine.begin() as conn:
        conn.execute(vault_keys.delete())

    def get(uow: UnitOfWork) -> object:
        return (
            vault.access(uow, page_id=BANK, user_id=ANN)
            .reading(Purpose.USER_ACCESS, actor=Actor.person(ANN))
            .get(record_id)
        )

    with pytest.raises(NotFound):
        db.write_sync(get)


def test_a_refusal_that_cannot_be_recorded_is_logged(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr("ledgerline.vault.recorder.append", broken)
    record = database_refusal_recorder(db)
    with structlog.testing.capture_logs() as logs:
        record(AuditEvent(Actor.component("analytics"), "read", "refused"), 1)
        _barrier(db)
    assert {
        "event": "audit_refusal_not_recorded",
        "error_type": "RuntimeError",
        "log_level": "error",
    } in logs


def test_a_data_key_created_by_a_racing_writer_is_used(
    db: Database, vault: Vault, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    _put(db, vault, _tx(clock, "TXN-1"))
    real_get_key = store.get_key
    calls: list[int] = []

    def get_key_missing_once(conn: sa.Connection, page_id: str, user_id: str) -> object:
        calls.append(1)
        return None if len(calls) == 1 else real_get_key(conn, page_id, user_id)

    monkeypatch.setattr(store, "get_key", get_key_missing_once)
    assert _put(db, vault, _tx(clock, "TXN-2")) == "stored"
    monkeypatch.undo()

    def read(uow: UnitOfWork) -> int:
        return len(
            vault.access(uow, page_id=BANK, user_id=ANN)
            .reading(Purpose.USER_ACCESS, actor=Actor.person(ANN))
            .read()
        )

    assert db.write_sync(read) == 2
    assert (
        db.read_sync(
            lambda c: c.execute(sa.select(sa.func.count()).select_from(vault_keys)).scalar()
        )
        == 1
    )


def test_reads_filter_by_kind_and_time_and_page_through_keys(
    db: Database, vault: Vault, clock: FrozenClock
) -> None:
    start = clock.now()
    for day in range(5):
        _put(db, vault, _tx(clock, f"TXN-{day}"))
        _put(db, vault, NewRecord(RecordKind.SHIPMENT, {"status": "in_transit"}, clock.now()))
        clock.advance(timedelta(days=1))
    ann = Actor.person(ANN)

    def read(uow: UnitOfWork) -> list[str]:
        records = (
            vault.access(uow, page_id=BANK, user_id=ANN)
            .reading(Purpose.USER_ACCESS, actor=ann)
            .read(
                kinds=[RecordKind.TRANSACTION],
                since=start + timedelta(days=1),
                until=to_ms(start + timedelta(days=4)),
                limit=2,
            )
        )
        return [r.payload["transaction_id"] for r in records]

    assert db.write_sync(read) == ["TXN-1", "TXN-2"]
    for user in ("u_k1", "u_k2", "u_k3"):
        vault.consent.grants[(BANK, user)] = ALL_SCOPES  # type: ignore[attr-defined]
        _put(db, vault, _tx(clock), user=user)
    keys = db.read_sync(lambda c: [k.user_id for k in store.all_keys(c, batch=2)])
    assert sorted(keys) == sorted([ANN, "u_k1", "u_k2", "u_k3"])
    assert db.write_sync(lambda uow: store.insert_records_txn(uow.conn, [])) == set()
    entries = db.read_sync(lambda c: [row.seq for row in audit_store.iter_entries(c, batch=3)])
    assert entries == list(range(1, len(entries) + 1))


def test_several_records_are_read_at_once_and_a_person_is_erased_everywhere(
    db: Database, vault: Vault, clock: FrozenClock
) -> None:
    note = NewRecord(RecordKind.CHAT_MESSAGE, {"text": "You paid"}, clock.now(), record_id="m_abc")
    _put(db, vault, note)
    _put(db, vault, _tx(clock))
    _put(db, vault, _tx(clock), page=OTHER_BANK)
    ann = Actor.person(ANN)

    def many(uow: UnitOfWork, ids: list[str], actor: Actor) -> dict[str, object]:
        found = (
            vault.access(uow, page_id=BANK, user_id=ANN)
            .reading(Purpose.USER_ACCESS, actor=actor)
            .get_many(ids)
        )
        return {k: v.payload for k, v in found.items()}

    assert db.write_sync(many, ["m_abc", "m_abc", "rec_gone"], ann) == {
        "m_abc": {"text": "You paid"}
    }
    assert db.write_sync(many, [], ann) == {}
    with pytest.raises(PurposeNotAllowed):
        db.write_sync(many, ["m_abc"], Actor.business(BANK))
    assert "You paid" not in repr(note)
    erased = db.write_sync(lambda uow: vault.erase_person(uow, actor=ann, user_id=ANN))
    assert sorted((e.page_id, e.records_deleted) for e in erased) == [(BANK, 2), (OTHER_BANK, 1)]
    assert db.write_sync(lambda uow: vault.export(uow, actor=ann, user_id=ANN)) == []
    assert db.read_sync(verify_chain).ok


def test_probing_for_records_without_a_link_is_refused(db: Database, vault: Vault) -> None:
    def probe(uow: UnitOfWork) -> object:
        return (
            vault.access(uow, page_id=BANK, user_id="u_unlinked")
            .reading(Purpose.NOTIFY, actor=Actor.component("analytics"))
            .get_many(["rec_x"])
        )

    with pytest.raises(PurposeNotAllowed) as refused:
        db.write_sync(probe)
    assert refused.value.reason == "not_linked"


def test_a_record_id_repeated_within_one_batch(
    db: Database, vault: Vault, clock: FrozenClock
) -> None:
    same_ref = [
        NewRecord(RecordKind.TRANSACTION, {"n": 1}, clock.now(), ref="T1", record_id="rec_same"),
        NewRecord(RecordKind.TRANSACTION, {"n": 2}, clock.now(), ref="T1", record_id="rec_same"),
    ]

    def put(uow: UnitOfWork, records: list[NewRecord]) -> list[tuple[str, str]]:
        results = vault.access(uow, page_id=BANK, user_id=ANN).put_many(records, actor=BANK_ACTOR)
        return [(r.record_id, r.status) for r in results]

    assert db.write_sync(put, same_ref) == [("rec_same", "stored"), ("rec_same", "duplicate")]
    other_ref = [
        NewRecord(RecordKind.TRANSACTION, {"n": 1}, clock.now(), ref="T2", record_id="rec_twice"),
        NewRecord(RecordKind.TRANSACTION, {"n": 2}, clock.now(), ref="T3", record_id="rec_twice"),
    ]
    with pytest.raises(ValueError, match="record_id"):
        db.write_sync(put, other_ref)


def test_held_kinds_counts_without_reading_or_auditing(
    db: Database, vault: Vault, clock: FrozenClock
) -> None:
    _put(db, vault, _tx(clock, "tx-a"))
    _put(db, vault, _tx(clock, "tx-b"))
    _barrier(db)
    entries = len(_audit_rows(db))
    held = db.write_sync(lambda uow: vault.held_kinds(uow, page_id=BANK, user_id=ANN))
    assert held == {"transaction": 2}
    assert db.write_sync(lambda uow: vault.held_kinds(uow, page_id=BANK, user_id="nobody")) == {}
    _barrier(db)
    assert len(_audit_rows(db)) == entries
