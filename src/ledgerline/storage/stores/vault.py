"""SQL for the vault: data keys, encrypted records, per-business settings.

Every record query filters by its owner (``page_id`` and/or ``user_id``). Inserts that may
race (a data key for a new person, a transaction repeated by a bank) use the dialect's
``ON CONFLICT DO NOTHING`` so the unique index, not a read-then-write, decides who wins.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from ledgerline.storage.prepared import Prepared, driver_bytes
from ledgerline.storage.tables import vault_keys, vault_records, vault_settings

DEFAULT_RETENTION_DAYS = 400


@dataclass(frozen=True, slots=True)
class KeyRow:
    page_id: str
    user_id: str
    key_id: str
    master_key_id: str
    wrapped_key: bytes


@dataclass(frozen=True, slots=True)
class RecordRow:
    record_id: str
    page_id: str
    user_id: str
    kind: str
    key_id: str
    ref_hash: str | None
    occurred_at: int
    created_at: int
    ciphertext: bytes


_KEY_COLUMNS = [
    vault_keys.c.page_id,
    vault_keys.c.user_id,
    vault_keys.c.key_id,
    vault_keys.c.master_key_id,
    vault_keys.c.wrapped_key,
]
_RECORD_COLUMNS = [
    vault_records.c.record_id,
    vault_records.c.page_id,
    vault_records.c.user_id,
    vault_records.c.kind,
    vault_records.c.key_id,
    vault_records.c.ref_hash,
    vault_records.c.occurred_at,
    vault_records.c.created_at,
    vault_records.c.ciphertext,
]


def _key(row: sa.Row[Any]) -> KeyRow:
    values = row._asdict()
    values["wrapped_key"] = bytes(values["wrapped_key"])
    return KeyRow(**values)


def _record(row: sa.Row[Any]) -> RecordRow:
    values = row._asdict()
    values["ciphertext"] = bytes(values["ciphertext"])
    return RecordRow(**values)


def _insert_ignoring_conflicts(
    conn: sa.Connection, table: sa.Table, values: dict[str, Any]
) -> bool:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING pk; True when the row was inserted.

    RETURNING, not ``rowcount``: drivers do not all report a count for this statement.
    """
    first_key = next(iter(table.primary_key.columns))
    statement: sa.Insert
    if conn.dialect.name == "postgresql":
        statement = postgresql.insert(table).values(**values).on_conflict_do_nothing()
    else:
        statement = sqlite.insert(table).values(**values).on_conflict_do_nothing()
    return conn.execute(statement.returning(first_key)).first() is not None


# -- data keys --------------------------------------------------------------------------
_KEY = Prepared(  # on every vault access: built once
    sa.select(*_KEY_COLUMNS).where(
        vault_keys.c.page_id == sa.bindparam("page_id"),
        vault_keys.c.user_id == sa.bindparam("user_id"),
    )
)


def get_key(conn: sa.Connection, page_id: str, user_id: str) -> KeyRow | None:
    """The data key row of (page, person) (a vault access reads it once per action)."""
    row = _KEY.first(conn, {"page_id": page_id, "user_id": user_id})
    return None if row is None else KeyRow(row[0], row[1], row[2], row[3], bytes(row[4]))


def insert_key_txn(conn: sa.Connection, key: KeyRow, *, created_at: int) -> bool:
    """Insert a data key unless one exists for (page, person); True when this one won."""
    values = {column.name: getattr(key, column.name) for column in _KEY_COLUMNS}
    return _insert_ignoring_conflicts(conn, vault_keys, {**values, "created_at": created_at})


def keys_for_user(conn: sa.Connection, user_id: str) -> list[KeyRow]:
    rows = conn.execute(
        sa.select(*_KEY_COLUMNS)
        .where(vault_keys.c.user_id == user_id)
        .order_by(vault_keys.c.page_id)
    )
    return [_key(r) for r in rows]


def all_keys(conn: sa.Connection, *, batch: int = 1000) -> Iterator[KeyRow]:
    """Every data key, in ``key_id`` order, fetched in keyset pages."""
    after: str | None = None
    while True:
        query = sa.select(*_KEY_COLUMNS).order_by(vault_keys.c.key_id).limit(batch)
        if after is not None:
            query = query.where(vault_keys.c.key_id > after)
        rows = [_key(r) for r in conn.execute(query)]
        yield from rows
        if len(rows) < batch:
            return
        after = rows[-1].key_id


def rewrap_key_txn(
    conn: sa.Connection, key_id: str, *, master_key_id: str, wrapped_key: bytes, at: int
) -> None:
    conn.execute(
        vault_keys.update()
        .where(vault_keys.c.key_id == key_id)
        .values(master_key_id=master_key_id, wrapped_key=wrapped_key, rewrapped_at=at)
    )


def delete_key_txn(conn: sa.Connection, page_id: str, user_id: str) -> str | None:
    """Destroy the data key of (page, person); returns its key id, or None if there was none."""
    key = get_key(conn, page_id, user_id)
    if key is None:
        return None
    conn.execute(
        vault_keys.delete().where(vault_keys.c.page_id == page_id, vault_keys.c.user_id == user_id)
    )
    return key.key_id


# -- records ----------------------------------------------------------------------------
_INSERT_RECORDS: dict[str, sa.Insert] = {  # every ingestion and vault-held message: built once
    "postgresql": postgresql.insert(vault_records)
    .on_conflict_do_nothing()
    .returning(vault_records.c.record_id),
    "sqlite": sqlite.insert(vault_records)
    .on_conflict_do_nothing()
    .returning(vault_records.c.record_id),
}


def _insert_one_record(dialect_insert: Callable[[sa.Table], Any]) -> Prepared:
    values: dict[str, sa.BindParameter[Any]] = {
        column.name: sa.bindparam(column.name) for column in _RECORD_COLUMNS
    }
    values["ciphertext"] = driver_bytes("ciphertext")
    return Prepared(
        dialect_insert(vault_records)
        .values(**values)
        .on_conflict_do_nothing()
        .returning(vault_records.c.record_id)
    )


_INSERT_ONE_RECORD = {  # one transaction or one message a request is the common case
    "postgresql": _insert_one_record(postgresql.insert),
    "sqlite": _insert_one_record(sqlite.insert),
}


def insert_records_txn(conn: sa.Connection, records: Sequence[RecordRow]) -> set[str]:
    """Insert records, skipping any whose (page, person, kind, ref_hash) or id already exists
    (ON CONFLICT DO NOTHING, one multi-row statement); returns the ids actually inserted."""
    if not records:
        return set()
    rows = [{column.name: getattr(r, column.name) for column in _RECORD_COLUMNS} for r in records]
    if len(rows) == 1:
        inserted = _INSERT_ONE_RECORD[conn.dialect.name].first(conn, rows[0])
        return set() if inserted is None else {str(inserted[0])}
    result = conn.execute(_INSERT_RECORDS[conn.dialect.name], rows)
    return {str(row.record_id) for row in result}


def record_ids_by_refs(
    conn: sa.Connection, page_id: str, user_id: str, ref_hashes: Sequence[str]
) -> dict[tuple[str, str], str]:
    """``{(kind, ref_hash): record_id}`` for the stored records of (page, person) among them."""
    found: dict[tuple[str, str], str] = {}
    unique = sorted(set(ref_hashes))
    for start in range(0, len(unique), 500):
        rows = conn.execute(
            sa.select(
                vault_records.c.kind, vault_records.c.ref_hash, vault_records.c.record_id
            ).where(
                vault_records.c.page_id == page_id,
                vault_records.c.user_id == user_id,
                vault_records.c.ref_hash.in_(unique[start : start + 500]),
            )
        )
        for row in rows:
            found[(str(row.kind), str(row.ref_hash))] = str(row.record_id)
    return found


def record_id_by_ref(
    conn: sa.Connection, page_id: str, user_id: str, kind: str, ref_hash: str
) -> str | None:
    return conn.execute(
        sa.select(vault_records.c.record_id).where(
            vault_records.c.page_id == page_id,
            vault_records.c.user_id == user_id,
            vault_records.c.kind == kind,
            vault_records.c.ref_hash == ref_hash,
        )
    ).scalar_one_or_none()


def get_record(conn: sa.Connection, page_id: str, user_id: str, record_id: str) -> RecordRow | None:
    row = conn.execute(
        sa.select(*_RECORD_COLUMNS).where(
            vault_records.c.record_id == record_id,
            vault_records.c.page_id == page_id,
            vault_records.c.user_id == user_id,
        )
    ).first()
    return None if row is None else _record(row)


def get_records(
    conn: sa.Connection, page_id: str, user_id: str, record_ids: Sequence[str]
) -> list[RecordRow]:
    """The named records of (page, person) that exist, in time order."""
    if not record_ids:
        return []
    rows = conn.execute(
        sa.select(*_RECORD_COLUMNS)
        .where(
            vault_records.c.page_id == page_id,
            vault_records.c.user_id == user_id,
            vault_records.c.record_id.in_(list(record_ids)),
        )
        .order_by(vault_records.c.occurred_at, vault_records.c.record_id)
    )
    return [_record(r) for r in rows]


def list_records(
    conn: sa.Connection,
    page_id: str,
    user_id: str,
    *,
    kinds: Sequence[str] | None = None,
    since: int | None = None,
    until: int | None = None,
    limit: int | None = None,
) -> list[RecordRow]:
    """Records of (page, person), oldest first; ``until`` is exclusive."""
    query = sa.select(*_RECORD_COLUMNS).where(
        vault_records.c.page_id == page_id, vault_records.c.user_id == user_id
    )
    if kinds is not None:
        query = query.where(vault_records.c.kind.in_(list(kinds)))
    if since is not None:
        query = query.where(vault_records.c.occurred_at >= since)
    if until is not None:
        query = query.where(vault_records.c.occurred_at < until)
    query = query.order_by(vault_records.c.occurred_at, vault_records.c.record_id)
    if limit is not None:
        query = query.limit(limit)
    return [_record(r) for r in conn.execute(query)]


def delete_records_txn(conn: sa.Connection, page_id: str, user_id: str) -> int:
    result = conn.execute(
        vault_records.delete().where(
            vault_records.c.page_id == page_id, vault_records.c.user_id == user_id
        )
    )
    return int(result.rowcount)


def pages_with_records(conn: sa.Connection) -> list[str]:
    rows = conn.execute(
        sa.select(vault_records.c.page_id).distinct().order_by(vault_records.c.page_id)
    )
    return [str(r.page_id) for r in rows]


def kind_counts(conn: sa.Connection, page_id: str, user_id: str) -> dict[str, int]:
    """How many records of each kind the vault holds for (business, person): no values,
    only the kinds and counts kept in clear (what unlinking would erase)."""
    rows = conn.execute(
        sa.select(vault_records.c.kind, sa.func.count().label("n"))
        .where(vault_records.c.page_id == page_id, vault_records.c.user_id == user_id)
        .group_by(vault_records.c.kind)
    )
    return {str(r.kind): int(r.n) for r in rows}


def expired_counts(conn: sa.Connection, page_id: str, cutoff: int) -> list[tuple[str, int]]:
    """(user_id, number of records older than ``cutoff``) for one business."""
    rows = conn.execute(
        sa.select(vault_records.c.user_id, sa.func.count().label("n"))
        .where(vault_records.c.page_id == page_id, vault_records.c.occurred_at < cutoff)
        .group_by(vault_records.c.user_id)
        .order_by(vault_records.c.user_id)
    )
    return [(str(r.user_id), int(r.n)) for r in rows]


def delete_expired_txn(conn: sa.Connection, page_id: str, cutoff: int) -> int:
    result = conn.execute(
        vault_records.delete().where(
            vault_records.c.page_id == page_id, vault_records.c.occurred_at < cutoff
        )
    )
    return int(result.rowcount)


# -- settings ---------------------------------------------------------------------------
def get_retention_days(conn: sa.Connection, page_id: str) -> int:
    value = conn.execute(
        sa.select(vault_settings.c.retention_days).where(vault_settings.c.page_id == page_id)
    ).scalar_one_or_none()
    return DEFAULT_RETENTION_DAYS if value is None else int(value)


def set_retention_days_txn(conn: sa.Connection, page_id: str, days: int, *, at: int) -> None:
    updated = conn.execute(
        vault_settings.update()
        .where(vault_settings.c.page_id == page_id)
        .values(retention_days=days, updated_at=at)
    ).rowcount
    if updated == 0:
        conn.execute(
            vault_settings.insert().values(page_id=page_id, retention_days=days, updated_at=at)
        )
