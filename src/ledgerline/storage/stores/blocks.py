"""Who a business may not reach: people who blocked it, and people who deleted their account."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from ledgerline.storage.prepared import Prepared
from ledgerline.storage.tables import business_blocks, businesses, users


@dataclass(frozen=True, slots=True)
class BlockRow:
    page_id: str
    name: str
    blocked_at: int


def block(conn: sa.Connection, *, page_id: str, user_id: str, now: int) -> bool:
    """Record the block; False when it was already there (the first time is kept)."""
    if is_blocked(conn, page_id=page_id, user_id=user_id):
        return False
    conn.execute(business_blocks.insert().values(page_id=page_id, user_id=user_id, blocked_at=now))
    return True


def unblock(conn: sa.Connection, *, page_id: str, user_id: str) -> bool:
    result = conn.execute(
        business_blocks.delete().where(
            business_blocks.c.page_id == page_id, business_blocks.c.user_id == user_id
        )
    )
    return bool(result.rowcount)


def is_blocked(conn: sa.Connection, *, page_id: str, user_id: str) -> bool:
    return (
        conn.execute(
            sa.select(business_blocks.c.blocked_at).where(
                business_blocks.c.page_id == page_id, business_blocks.c.user_id == user_id
            )
        ).first()
        is not None
    )


def unreachable_flag(page_id: Any, user_id: Any) -> sa.ColumnElement[int]:
    """1 when the person ``user_id`` blocked the business ``page_id`` or deleted their
    account, else 0 (an integer: a boolean result would need converting on SQLite). The ids
    are bind parameters or columns of an outer query (``send_target``)."""
    return sa.case(
        (
            sa.or_(
                sa.select(business_blocks.c.user_id)
                .where(business_blocks.c.page_id == page_id, business_blocks.c.user_id == user_id)
                .exists(),
                sa.select(users.c.user_id)
                .where(users.c.user_id == user_id, users.c.deleted_at.is_not(None))
                .exists(),
            ),
            1,
        ),
        else_=0,
    )


_UNREACHABLE = Prepared(  # built once, run on the driver
    sa.select(unreachable_flag(sa.bindparam("page_id"), sa.bindparam("user_id")))
)


def unreachable(conn: sa.Connection, *, page_id: str, user_id: str) -> bool:
    """The person blocked this business or deleted their account (one round trip)."""
    row = _UNREACHABLE.first(conn, {"page_id": page_id, "user_id": user_id})
    return row is not None and bool(row[0])


def list_blocks(conn: sa.Connection, user_id: str) -> list[BlockRow]:
    rows = conn.execute(
        sa.select(business_blocks.c.page_id, businesses.c.name, business_blocks.c.blocked_at)
        .join(businesses, businesses.c.page_id == business_blocks.c.page_id)
        .where(business_blocks.c.user_id == user_id)
        .order_by(business_blocks.c.blocked_at.desc(), business_blocks.c.page_id)
    ).all()
    return [BlockRow(str(r.page_id), str(r.name), int(r.blocked_at)) for r in rows]
