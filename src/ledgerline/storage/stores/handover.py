"""Thread owners and the per-page assistant switch (handover protocol)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from ledgerline.storage.prepared import Prepared
from ledgerline.storage.tables import assistant_settings, thread_control


def assistant_enabled(conn: sa.Connection, page_id: str) -> bool:
    value = conn.execute(
        sa.select(assistant_settings.c.enabled).where(assistant_settings.c.page_id == page_id)
    ).scalar()
    return bool(value)


def set_assistant_enabled(conn: sa.Connection, page_id: str, *, enabled: bool, now: int) -> None:
    updated = conn.execute(
        assistant_settings.update()
        .where(assistant_settings.c.page_id == page_id)
        .values(enabled=enabled, updated_at=now)
    )
    if not updated.rowcount:
        conn.execute(
            assistant_settings.insert().values(page_id=page_id, enabled=enabled, updated_at=now)
        )


def recorded_owner(thread_id: Any) -> sa.ScalarSelect[Any]:
    """The app id recorded as the thread's owner (NULL: the business's app, by default);
    ``thread_id`` a bind parameter or an outer query's column."""
    return (
        sa.select(thread_control.c.owner_app_id)
        .where(thread_control.c.thread_id == thread_id)
        .scalar_subquery()
    )


def assistant_on(page_id: Any) -> sa.Cast[int]:
    """Whether the page's assistant is on, as an integer (a boolean column would need
    converting on SQLite)."""
    return sa.cast(
        sa.select(assistant_settings.c.enabled)
        .where(assistant_settings.c.page_id == page_id)
        .scalar_subquery(),
        sa.Integer,
    )


_CONTROL = Prepared(  # on every webhook queued: built once
    sa.select(
        recorded_owner(sa.bindparam("thread_id")).label("owner"),
        assistant_on(sa.bindparam("page_id")).label("enabled"),
    )
)


def control_of(conn: sa.Connection, page_id: str, thread_id: int | None) -> tuple[str | None, bool]:
    """(the thread's recorded owner app id or None, whether the page's assistant is on), in
    one round trip."""
    params = {"thread_id": thread_id if thread_id is not None else -1, "page_id": page_id}
    row = _CONTROL.first(conn, params)
    if row is None:  # pragma: no cover - a SELECT of two subqueries always answers a row
        return None, False
    owner, enabled = row
    return (None if owner is None else str(owner)), bool(enabled)


def set_owner(conn: sa.Connection, *, thread_id: int, page_id: str, app_id: str, now: int) -> None:
    updated = conn.execute(
        thread_control.update()
        .where(thread_control.c.thread_id == thread_id)
        .values(owner_app_id=app_id, updated_at=now)
    )
    if not updated.rowcount:
        conn.execute(
            thread_control.insert().values(
                thread_id=thread_id, page_id=page_id, owner_app_id=app_id, updated_at=now
            )
        )


def reassign_owner(
    conn: sa.Connection, *, page_id: str, from_app_id: str, to_app_id: str, now: int
) -> int:
    """Every thread of the page recorded as ``from_app_id``'s now belongs to ``to_app_id``."""
    result = conn.execute(
        thread_control.update()
        .where(thread_control.c.page_id == page_id, thread_control.c.owner_app_id == from_app_id)
        .values(owner_app_id=to_app_id, updated_at=now)
    )
    return int(result.rowcount or 0)
