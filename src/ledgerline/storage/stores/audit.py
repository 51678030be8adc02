"""SQL for the audit log: lock the chain head, append an entry, scan, query a person's log.

``*_txn`` functions need the caller's open transaction; the head lock they take is held
until that transaction ends, which keeps the chain linear with concurrent appenders
(PostgreSQL: ``SELECT ... FOR UPDATE`` on the single head row; SQLite: one writer anyway).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from ledgerline.storage.tables import audit_head, audit_log

GENESIS_HASH = "0" * 64
HEAD_ID = 1


@dataclass(frozen=True, slots=True)
class AuditRow:
    seq: int
    at: int
    actor_kind: str
    actor_id: str
    action: str
    outcome: str
    page_id: str | None
    user_id: str | None
    purpose: str | None
    record_kind: str | None
    record_ids: str
    detail: str
    prev_hash: str
    entry_hash: str


_COLUMNS = [
    audit_log.c.seq,
    audit_log.c.at,
    audit_log.c.actor_kind,
    audit_log.c.actor_id,
    audit_log.c.action,
    audit_log.c.outcome,
    audit_log.c.page_id,
    audit_log.c.user_id,
    audit_log.c.purpose,
    audit_log.c.record_kind,
    audit_log.c.record_ids,
    audit_log.c.detail,
    audit_log.c.prev_hash,
    audit_log.c.entry_hash,
]


def _row(row: sa.Row[Any]) -> AuditRow:
    return AuditRow(**row._asdict())


@dataclass(frozen=True, slots=True)
class AuditHead:
    """The chain's last entry (``seq`` 0 and the genesis hash when empty), and the first
    entry chained with the audit key."""

    seq: int
    entry_hash: str
    keyed_from: int


_HEAD_COLUMNS = (audit_head.c.seq, audit_head.c.entry_hash, audit_head.c.keyed_from)


def _head(row: Any) -> AuditHead:
    keyed_from = 1 if row.keyed_from is None else int(row.keyed_from)
    return AuditHead(int(row.seq), str(row.entry_hash), keyed_from)


# Appends are on every vault access: their statements are built once.
_LOCK_HEAD = sa.select(*_HEAD_COLUMNS).where(audit_head.c.id == HEAD_ID).with_for_update()
_INSERT_ENTRY = audit_log.insert()
_MOVE_HEAD = (
    audit_head.update()
    .where(audit_head.c.id == HEAD_ID)
    .values(seq=sa.bindparam("b_seq"), entry_hash=sa.bindparam("b_hash"))
)


def lock_head_txn(conn: sa.Connection) -> AuditHead:
    """Lock the chain head for the rest of the transaction."""
    row = conn.execute(_LOCK_HEAD).first()
    if row is None:
        # Normally created by the migration; recreate it if a fresh schema lacks it.
        conn.execute(
            audit_head.insert().values(id=HEAD_ID, seq=0, entry_hash=GENESIS_HASH, keyed_from=1)
        )
        row = conn.execute(_LOCK_HEAD).one()
    return _head(row)


def append_many_txn(conn: sa.Connection, rows: list[AuditRow]) -> None:
    """Insert chained entries and move the head to the last (the head must be locked by
    this transaction)."""
    if not rows:
        return
    values = [{column.name: getattr(row, column.name) for column in _COLUMNS} for row in rows]
    conn.execute(_INSERT_ENTRY, values)
    conn.execute(_MOVE_HEAD, {"b_seq": rows[-1].seq, "b_hash": rows[-1].entry_hash})


def read_head(conn: sa.Connection) -> AuditHead:
    """The head without locking it; (0, genesis, 1) when absent."""
    row = conn.execute(sa.select(*_HEAD_COLUMNS).where(audit_head.c.id == HEAD_ID)).first()
    if row is None:
        return AuditHead(0, GENESIS_HASH, 1)
    return _head(row)


def iter_entries(conn: sa.Connection, *, batch: int = 1000) -> Iterator[AuditRow]:
    """Every entry in ``seq`` order, fetched in keyset pages (memory stays bounded)."""
    after: int | None = None
    while True:
        query = sa.select(*_COLUMNS).order_by(audit_log.c.seq).limit(batch)
        if after is not None:
            query = query.where(audit_log.c.seq > after)
        rows = [_row(r) for r in conn.execute(query)]
        yield from rows
        if len(rows) < batch:
            return
        after = rows[-1].seq


@dataclass(frozen=True, slots=True)
class LogFilter:
    """Which of a person's entries to list: one business's, some kinds of actor's, and
    whether the person's own reads of their data count (they are no access by another)."""

    page_id: str | None = None
    actor_kinds: tuple[str, ...] = ()
    own_reads: bool = True


OWN_READ = sa.and_(audit_log.c.actor_kind == "person", audit_log.c.action == "read")


def _filtered(query: Any, where: LogFilter) -> Any:
    if where.page_id is not None:
        query = query.where(audit_log.c.page_id == where.page_id)
    if where.actor_kinds:
        query = query.where(audit_log.c.actor_kind.in_(where.actor_kinds))
    if not where.own_reads:
        query = query.where(sa.not_(OWN_READ))
    return query


def entries_for_user(
    conn: sa.Connection,
    user_id: str,
    *,
    limit: int,
    before_seq: int | None = None,
    where: LogFilter | None = None,
) -> list[AuditRow]:
    """Entries about one person, newest first."""
    query = sa.select(*_COLUMNS).where(audit_log.c.user_id == user_id)
    if before_seq is not None:
        query = query.where(audit_log.c.seq < before_seq)
    if where is not None:
        query = _filtered(query, where)
    query = query.order_by(audit_log.c.seq.desc()).limit(limit)
    return [_row(r) for r in conn.execute(query)]


def count_own_reads(conn: sa.Connection, user_id: str, page_id: str | None = None) -> int:
    """How many times the person read their own data (one business's, or all)."""
    query = sa.select(sa.func.count()).where(audit_log.c.user_id == user_id, OWN_READ)
    if page_id is not None:
        query = query.where(audit_log.c.page_id == page_id)
    return int(conn.execute(query).scalar_one())


def max_seq(conn: sa.Connection) -> int:
    """The highest stored ``seq`` (0 when empty)."""
    value = conn.execute(sa.select(sa.func.max(audit_log.c.seq))).scalar_one_or_none()
    return 0 if value is None else int(value)
