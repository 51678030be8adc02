"""Idempotency-Key records: the first answer to a key, replayed for 24 hours."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa

from ledgerline.storage.tables import idempotency_keys


def find(
    conn: sa.Connection, *, page_id: str, key_hash: str, not_before: int
) -> tuple[str, dict[str, Any]] | None:
    """(request hash, stored response) of a key seen since ``not_before``."""
    row = conn.execute(
        sa.select(idempotency_keys.c.request_hash, idempotency_keys.c.response).where(
            idempotency_keys.c.page_id == page_id,
            idempotency_keys.c.key_hash == key_hash,
            idempotency_keys.c.created_at >= not_before,
        )
    ).first()
    return None if row is None else (str(row[0]), json.loads(str(row[1])))


def remember(
    conn: sa.Connection,
    *,
    page_id: str,
    key_hash: str,
    request_hash: str,
    response: dict[str, Any],
    now: int,
) -> None:
    conn.execute(
        idempotency_keys.delete().where(
            idempotency_keys.c.page_id == page_id, idempotency_keys.c.key_hash == key_hash
        )
    )
    conn.execute(
        idempotency_keys.insert().values(
            page_id=page_id,
            key_hash=key_hash,
            request_hash=request_hash,
            response=json.dumps(response, separators=(",", ":")),
            created_at=now,
        )
    )


def purge_before(conn: sa.Connection, cutoff: int) -> int:
    result = conn.execute(idempotency_keys.delete().where(idempotency_keys.c.created_at < cutoff))
    return int(result.rowcount or 0)
