"""One vault access per action: what an access loads once, what it shares between purposes,
and what it forgets when a savepoint rolls back (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from ledgerline.audit import Actor, AuditLog
from ledgerline.domain.clock import FrozenClock
from ledgerline.domain.errors import ConsentRequired, PurposeNotAllowed
from ledgerline.domain.records import NewRecord, RecordAccess, RecordKind, VaultPort
from ledgerline.domain.scopes import ALL_SCOPES, Purpose, Scope
from ledgerline.storage.database import Database, UnitOfWork
from ledgerline.storage.tables import vault_keys, vault_records
from ledgerline.vault import MasterKey, Vault, database_refusal_recorder
from tests.support.audit import audited_database, verify_chain
from tests.support.queries import counting_statements

BANK = "100000000000001"
ANN = "u_ann"
BO = "u_bo"
BANK_ACTOR = Actor.business(BANK)
NOTIFIER = Actor.component("notify")


class Consent:
    """A ConsentLookup double that counts how often it is asked."""

    def __init__(self) -> None:
        self.grants: dict[tuple[str, str], frozenset[Scope]] = {
            (BANK, ANN): ALL_SCOPES,
            (BANK, BO): frozenset({Scope.TRANSACTIONS}),
        }
        self.asked = 0

    def __call__(self, conn: object, page_id: str, user_id: str) -> frozenset[Scope] | None:
        self.asked += 1
        return self.grants.get((page_id, user_id))


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime(2026, 11, 29, 9, 0, tzinfo=UTC))


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = audited_database(database_url)
    yield database
    database.close()


@pytest.fixture
def consent() -> Consent:
    return Consent()


@pytest.fixture
def vault(db: Database, consent: Consent, clock: FrozenClock) -> Vault:
    return Vault(
        MasterKey.generate(), consent, clock, refusal_recorder=database_refusal_recorder(db)
    )


def _tx(clock: FrozenClock, tx_id: str) -> NewRecord:
    payload = {"transaction_id": tx_id, "amount": {"amount": "125000", "currency": "VND"}}
    return NewRecord(RecordKind.TRANSACTION, payload, clock.now(), ref=tx_id)


def _scalar_count(db: Database, table: sa.Table) -> int:
    return int(
        db.read_sync(lambda c: c.execute(sa.select(sa.func.count()).select_from(table)).scalar())
    )


def test_the_vault_is_the_port_the_capabilities_type_against(db: Database, vault: Vault) -> None:
    port: VaultPort[UnitOfWork] = vault  # checked by mypy: the Protocol is the contract

    def shape(uow: UnitOfWork) -> tuple[str, str]:
        access: RecordAccess = port.access(uow, page_id=BANK, user_id=ANN)
        return access.page_id, access.user_id

    assert db.write_sync(shape) == (BANK, ANN)


def test_an_ingestion_loads_consent_and_key_once_and_reads_its_records_without_a_select(
    db: Database, vault: Vault, consent: Consent, clock: FrozenClock
) -> None:
    """Store, read back to notify, post the message, read for fraud: one consent lookup,
    one data-key read, no record SELECT."""

    def ingest(uow: UnitOfWork) -> tuple[list[str], int]:
        access = vault.access(uow, page_id=BANK, user_id=ANN)
        stored = [r.record_id for r in access.put_many([_tx(clock, "T1")], actor=BANK_ACTOR)]
        records = access.reading(Purpose.NOTIFY, actor=NOTIFIER).get_many(stored)
        message = NewRecord(RecordKind.CHAT_MESSAGE, {"text": "paid"}, clock.now())
        access.put(message, actor=NOTIFIER)
        fraud = access.reading(Purpose.FRAUD_DETECTION, actor=Actor.component("fraud"))
        assert fraud.purpose is Purpose.FRAUD_DETECTION
        again = fraud.get_many(stored)
        assert records.keys() == again.keys() == set(stored)
        assert again[stored[0]].payload["transaction_id"] == "T1"
        return stored, consent.asked

    with counting_statements(db) as log:
        stored, asked = db.write_sync(ingest)
    assert asked == 1
    key_reads = [s for s in log.statements if s.startswith("SELECT") and "FROM vault_keys" in s]
    record_reads = [s for s in log.statements if "FROM vault_records" in s]
    assert (len(key_reads), record_reads) == (1, [])
    assert len(stored) == 1

    def notify_again(uow: UnitOfWork) -> int:  # a later action reads the table, audited
        access = vault.access(uow, page_id=BANK, user_id=ANN)
        return len(access.reading(Purpose.NOTIFY, actor=NOTIFIER).get_many(stored))

    with counting_statements(db) as log:
        assert db.write_sync(notify_again) == 1
    assert sum("FROM vault_records" in s for s in log.statements) == 1
    entries = db.read_sync(lambda c: AuditLog(vault.clock).access_log(c, ANN))
    reads = [e for e in entries if e.action == "read"]
    assert [e.purpose for e in reversed(reads)] == ["notify", "fraud_detection", "notify"]
    assert db.read_sync(verify_chain).ok


def test_records_another_person_stored_are_not_theirs_to_read(
    db: Database, vault: Vault, clock: FrozenClock
) -> None:
    def two_people(uow: UnitOfWork) -> dict[str, object]:
        ann = vault.access(uow, page_id=BANK, user_id=ANN)
        bo = vault.access(uow, page_id=BANK, user_id=BO)
        stored = ann.put(_tx(clock, "T1"), actor=BANK_ACTOR).record_id
        reading = bo.reading(Purpose.USER_ACCESS, actor=Actor.person(BO))
        return dict(reading.get_many([stored]))

    assert db.write_sync(two_people) == {}


def test_a_refusal_needs_no_second_consent_lookup_and_is_audited(
    db: Database, vault: Vault, consent: Consent, clock: FrozenClock
) -> None:
    def fraud_on_bo(uow: UnitOfWork) -> tuple[str, int]:
        access = vault.access(uow, page_id=BANK, user_id=BO)  # Bo shares transactions only
        access.put(_tx(clock, "T1"), actor=BANK_ACTOR)
        try:
            access.reading(Purpose.FRAUD_DETECTION, actor=Actor.component("fraud")).read()
        except PurposeNotAllowed as refused:
            return refused.reason, consent.asked
        raise AssertionError("the read was allowed")

    assert db.write_sync(fraud_on_bo) == ("purpose_not_for_kind", 1)

    def balance_for_bo(uow: UnitOfWork) -> None:
        balance = NewRecord(RecordKind.BALANCE, {"available": "1"}, clock.now())
        vault.access(uow, page_id=BANK, user_id=BO).put(balance, actor=BANK_ACTOR)

    with pytest.raises(ConsentRequired):
        db.write_sync(balance_for_bo)
    db.write_sync(lambda uow: None)  # the refusals, recorded on their own, have committed
    refused = [
        e
        for e in db.read_sync(lambda c: AuditLog(vault.clock).access_log(c, BO))
        if e.outcome == "refused"
    ]
    assert sorted(e.action for e in refused) == ["read", "store"]


def test_what_a_rolled_back_savepoint_undid_is_loaded_again(
    db: Database, vault: Vault, consent: Consent, clock: FrozenClock
) -> None:
    """The data key created and the record stored inside a failed savepoint are gone: the
    access must not serve them from what it had loaded."""

    def action(uow: UnitOfWork) -> tuple[dict[str, object], object, int]:
        access = vault.access(uow, page_id=BANK, user_id=ANN)
        lost: list[str] = []

        def store_then_fail() -> None:
            with uow.savepoint():
                lost.append(access.put(_tx(clock, "T1"), actor=BANK_ACTOR).record_id)
                raise RuntimeError("scoring failed")

        with pytest.raises(RuntimeError):
            store_then_fail()
        reading = access.reading(Purpose.USER_ACCESS, actor=Actor.person(ANN))
        after: dict[str, object] = dict(reading.get_many(lost))
        kept = access.put(_tx(clock, "T1"), actor=BANK_ACTOR)  # a new key, the record again
        assert kept.status == "stored"
        return after, reading.get(kept.record_id).payload["transaction_id"], consent.asked

    after, transaction_id, asked = db.write_sync(action)
    assert (after, transaction_id, asked) == ({}, "T1", 2)
    assert (_scalar_count(db, vault_keys), _scalar_count(db, vault_records)) == (1, 1)


def test_derived_data_is_sealed_under_the_data_key_and_erased_with_it(
    db: Database, vault: Vault, clock: FrozenClock
) -> None:
    def seal(uow: UnitOfWork) -> bytes:
        access = vault.access(uow, page_id=BANK, user_id=ANN)
        cipher = access.derived_cipher()
        sealed = cipher.seal("card:1", b"state")
        assert cipher.open("card:1", sealed) == b"state"
        assert cipher.open("card:2", sealed) is None  # bound to its name
        return sealed

    sealed = db.write_sync(seal)

    def open_later(uow: UnitOfWork) -> bytes | None:
        return vault.access(uow, page_id=BANK, user_id=ANN).derived_cipher().open("card:1", sealed)

    assert db.write_sync(open_later) == b"state"

    def open_as_bo(uow: UnitOfWork) -> bytes | None:  # another person's key: no
        return vault.access(uow, page_id=BANK, user_id=BO).derived_cipher().open("card:1", sealed)

    db.write_sync(
        lambda uow: vault.access(uow, page_id=BANK, user_id=BO).put(
            _tx(clock, "B"), actor=BANK_ACTOR
        )
    )
    assert db.write_sync(open_as_bo) is None

    def erase_then_open(uow: UnitOfWork) -> tuple[int, bytes | None]:
        access = vault.access(uow, page_id=BANK, user_id=ANN)
        cipher = access.derived_cipher()
        assert cipher.open("card:1", sealed) == b"state"  # the key is loaded ...
        erased = access.erase(actor=Actor.person(ANN))
        return erased.records_deleted, cipher.open("card:1", sealed)  # ... and forgotten

    assert db.write_sync(erase_then_open) == (0, None)
    assert db.write_sync(open_later) is None


def test_an_access_erases_and_can_store_again_in_the_same_action(
    db: Database, vault: Vault, clock: FrozenClock
) -> None:
    def action(uow: UnitOfWork) -> tuple[int, bool, int]:
        access = vault.access(uow, page_id=BANK, user_id=ANN)
        first = access.put(_tx(clock, "T1"), actor=BANK_ACTOR).record_id
        erased = access.erase(actor=Actor.component("linking"), reason="expired")
        reading = access.reading(Purpose.USER_ACCESS, actor=Actor.person(ANN))
        assert reading.get_many([first]) == {}  # what it had stored is gone with the key
        access.put(_tx(clock, "T2"), actor=BANK_ACTOR)
        return erased.records_deleted, erased.key_destroyed, len(reading.read())

    assert db.write_sync(action) == (1, True, 1)
    assert _scalar_count(db, vault_keys) == 1
