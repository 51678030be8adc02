"""Thread owners and the per-page assistant switch (handover protocol)."""

from __future__ import annotations

import sqlalchemy as sa

from ledgerline.storage.prepared import Prepared
from ledgerline.storage.stores.businesses import decode_fields
from ledgerline.storage.tables import assistant_settings, businesses, thread_control


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


_OWNER = (
    sa.select(thread_control.c.owner_app_id)
    .where(thread_control.c.thread_id == sa.bindparam("thread_id"))
    .scalar_subquery()
    .label("owner")
)
# as an integer: a boolean column would need converting on SQLite
_ASSISTANT_ON = sa.cast(
    sa.select(assistant_settings.c.enabled)
    .where(assistant_settings.c.page_id == sa.bindparam("page_id"))
    .scalar_subquery(),
    sa.Integer,
).label("enabled")
_CONTROL = Prepared(sa.select(_OWNER, _ASSISTANT_ON))  # on every webhook queued: built once

_SEND_CONTROL = Prepared(  # on every Send API call: _CONTROL and the page's subscription
    sa.select(
        _OWNER,
        _ASSISTANT_ON,
        sa.select(businesses.c.subscribed_fields)
        .where(businesses.c.page_id == sa.bindparam("page_id"))
        .scalar_subquery()
        .label("fields"),
    )
)


def send_control(
    conn: sa.Connection, page_id: str, thread_id: int
) -> tuple[str | None, bool, tuple[str, ...] | None]:
    """``control_of`` and the page's subscribed webhook fields, in the same one round trip
    (the Send API echoes a message only to a page subscribed to ``message_echoes``)."""
    row = _SEND_CONTROL.first(conn, {"thread_id": thread_id, "page_id": page_id})
    if row is None:  # pragma: no cover - a SELECT of subqueries always answers a row
        return None, False, None
    owner, enabled, fields = row
    return (None if owner is None else str(owner)), bool(enabled), decode_fields(fields)


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
