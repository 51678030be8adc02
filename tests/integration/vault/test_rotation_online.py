"""`ledgerline keys rotate` while the platform serves (issue 18 part 5): a running vault follows
the key files, wraps new data keys by the next key as soon as it exists, and reads every
record before, during and after the rotation, without a restart."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from ledgerline.audit import Actor
from ledgerline.bootstrap import build_services
from ledgerline.config import Settings
from ledgerline.domain.clock import FrozenClock
from ledgerline.domain.scopes import ALL_SCOPES, Purpose, Scope
from ledgerline.storage.database import Database, UnitOfWork
from ledgerline.storage.tables import vault_keys
from ledgerline.vault import (
    MasterKey,
    NewRecord,
    RecordKind,
    Vault,
    load_or_create_master_key,
    rotate_master_key,
)
from ledgerline.vault.keyring import FixedKeys, KeyFileKeys
from ledgerline.vault.keys import KEY_FILE, next_key_path, write_key_file
from tests.support.audit import audited_database

BANK = "100000000000001"


class Everyone:
    def __call__(self, conn: object, page_id: str, user_id: str) -> frozenset[Scope] | None:
        return ALL_SCOPES


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime(2026, 12, 7, 9, 0, tzinfo=UTC))


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = audited_database(database_url)
    yield database
    database.close()


def _put(db: Database, vault: Vault, clock: FrozenClock, user: str) -> str:
    record = NewRecord(
        kind=RecordKind.BALANCE,
        payload={"account_id": "acc-1", "available": {"amount": "1250000", "currency": "VND"}},
        occurred_at=clock.now(),
        ref=f"bal-{user}",
    )

    def action(uow: UnitOfWork) -> str:
        put = vault.access(uow, page_id=BANK, user_id=user).put(record, actor=Actor.business(BANK))
        return put.record_id

    return db.write_sync(action)


def _read(db: Database, vault: Vault, user: str, record_id: str) -> Any:
    def action(uow: UnitOfWork) -> Any:
        return (
            vault.access(uow, page_id=BANK, user_id=user)
            .reading(Purpose.USER_ACCESS, actor=Actor.person(user))
            .get(record_id)
            .payload
        )

    return db.write_sync(action)


def _wrapped_by(db: Database) -> dict[str, str]:
    def rows(conn: sa.Connection) -> dict[str, str]:
        return {
            str(user): str(master)
            for user, master in conn.execute(
                sa.select(vault_keys.c.user_id, vault_keys.c.master_key_id)
            )
        }

    return db.read_sync(rows)


def test_a_serving_vault_follows_a_key_file_rotation(
    db: Database, clock: FrozenClock, tmp_path: Path
) -> None:
    old = load_or_create_master_key(tmp_path / KEY_FILE, None)
    serving = Vault(old, Everyone(), clock, keys=KeyFileKeys(tmp_path / KEY_FILE, old))
    ann = _put(db, serving, clock, "u_ann")

    # `keys rotate` has written the next key and not re-wrapped yet: new data keys use it.
    new = MasterKey.generate()
    write_key_file(tmp_path / "master.key.next", new)
    bo = _put(db, serving, clock, "u_bo")
    assert _wrapped_by(db) == {"u_ann": old.key_id, "u_bo": new.key_id}
    assert _read(db, serving, "u_ann", ann)["account_id"] == "acc-1"
    assert _read(db, serving, "u_bo", bo)["account_id"] == "acc-1"

    report = rotate_master_key(
        db.write_sync, key_file=tmp_path / KEY_FILE, env_value=None, new_key=None, clock=clock
    )
    assert (report.new_key_id, report.rewrapped, report.already) == (new.key_id, 1, 1)
    assert _wrapped_by(db) == {"u_ann": new.key_id, "u_bo": new.key_id}

    # The same process, never restarted, reads everything and writes under the new key.
    assert _read(db, serving, "u_ann", ann)["account_id"] == "acc-1"
    chi = _put(db, serving, clock, "u_chi")
    assert _wrapped_by(db)["u_chi"] == new.key_id
    restarted = Vault(new, Everyone(), clock, keys=KeyFileKeys(tmp_path / KEY_FILE, new))
    for user, record_id in (("u_ann", ann), ("u_bo", bo), ("u_chi", chi)):
        assert _read(db, restarted, user, record_id)["account_id"] == "acc-1"


def test_a_data_key_wrapped_late_by_the_old_key_is_caught_by_the_next_pass(
    db: Database, clock: FrozenClock, tmp_path: Path
) -> None:
    """A server transaction that chose the old key just before the next one was written and
    committed after the first pass (PostgreSQL) is re-wrapped by the second."""
    old = load_or_create_master_key(tmp_path / KEY_FILE, None)
    late_writer = Vault(old, Everyone(), clock)  # still on the old key
    _put(db, late_writer, clock, "u_ann")
    passes: list[int] = []

    def write_sync(fn: Any, *args: Any) -> Any:
        result = db.write_sync(fn, *args)
        passes.append(result.rewrapped)
        if len(passes) == 1:
            _put(db, late_writer, clock, "u_bo")
        return result

    report = rotate_master_key(
        write_sync, key_file=tmp_path / KEY_FILE, env_value=None, new_key=None, clock=clock
    )
    assert passes == [1, 1, 0]
    assert report.rewrapped == 2
    assert set(_wrapped_by(db).values()) == {report.new_key_id}


def test_keys_from_the_environment_rotate_with_the_new_one_given_to_every_process(
    db: Database, clock: FrozenClock, tmp_path: Path
) -> None:
    old, new = MasterKey.generate(), MasterKey.generate()
    before = Vault(old, Everyone(), clock, keys=FixedKeys(old))
    ann = _put(db, before, clock, "u_ann")
    # LEDGERLINE_NEW_MASTER_KEY set on the servers: they wrap by it and unwrap with both.
    during = Vault(old, Everyone(), clock, keys=FixedKeys(old, new))
    bo = _put(db, during, clock, "u_bo")
    assert _wrapped_by(db) == {"u_ann": old.key_id, "u_bo": new.key_id}
    assert _read(db, during, "u_ann", ann)["account_id"] == "acc-1"
    rotate_master_key(
        db.write_sync,
        key_file=tmp_path / KEY_FILE,
        env_value=old.to_text(),
        new_key=new,
        clock=clock,
    )
    assert _read(db, during, "u_ann", ann)["account_id"] == "acc-1"
    after = Vault(new, Everyone(), clock, keys=FixedKeys(new))
    assert _read(db, after, "u_bo", bo)["account_id"] == "acc-1"
    assert _read(db, after, "u_ann", ann)["account_id"] == "acc-1"


def test_a_master_key_file_outside_the_data_dir_is_created_used_and_rotated(
    tmp_path: Path,
) -> None:
    key_file = tmp_path / "keys" / "master"
    settings = Settings(
        env="development",
        data_dir=tmp_path / "data",
        database_url=f"sqlite:///{tmp_path / 'l.db'}",
        master_key_file=key_file,
    )
    services = build_services(settings)
    try:
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        assert not (tmp_path / "data" / KEY_FILE).exists()
        old_id = services.vault.master_key.key_id
        report = rotate_master_key(
            services.db.write_sync,
            key_file=settings.resolved_master_key_file(),
            env_value=None,
            new_key=None,
            clock=services.clock,
        )
        assert (report.old_key_id, report.key_file) == (old_id, key_file)
        assert load_or_create_master_key(key_file, None).key_id == report.new_key_id
        assert not next_key_path(key_file).exists()
    finally:
        services.close()
