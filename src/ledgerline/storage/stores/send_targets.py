"""Everything the Send API checks about its recipient, read in one round trip: the page's
thread with the PSID, whether the person is reachable (``blocks``), who controls the thread
(``handover``) and which webhook fields the page subscribed to (for the echo). Three
statements before; on PostgreSQL each was a round trip of every message."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from ledgerline.storage.prepared import Prepared
from ledgerline.storage.stores.blocks import unreachable_flag
from ledgerline.storage.stores.businesses import decode_fields
from ledgerline.storage.stores.handover import assistant_on, recorded_owner
from ledgerline.storage.stores.threads import THREAD_COLUMNS, ThreadRow
from ledgerline.storage.tables import businesses, threads


@dataclass(frozen=True, slots=True)
class SendTarget:
    thread: ThreadRow
    unreachable: bool  # the person blocked the page or deleted their account
    recorded_owner: str | None  # the thread's owner app when one is recorded
    assistant_on: bool
    fields: tuple[str, ...] | None  # the page's subscribed webhook fields


_SEND_TARGET = Prepared(
    sa.select(
        *THREAD_COLUMNS,
        unreachable_flag(threads.c.page_id, threads.c.user_id),
        recorded_owner(threads.c.thread_id),
        assistant_on(threads.c.page_id),
        sa.select(businesses.c.subscribed_fields)
        .where(businesses.c.page_id == threads.c.page_id)
        .scalar_subquery(),
    ).where(threads.c.page_id == sa.bindparam("page_id"), threads.c.psid == sa.bindparam("psid"))
)
_COLUMNS = len(THREAD_COLUMNS)


def send_target(conn: sa.Connection, page_id: str, psid: str) -> SendTarget | None:
    """The recipient ``psid`` of ``page_id``'s Send API call; None: no such thread."""
    row = _SEND_TARGET.first(conn, {"page_id": page_id, "psid": psid})
    if row is None:
        return None
    unreachable, owner, enabled, fields = row[_COLUMNS:]
    return SendTarget(
        thread=ThreadRow(*row[:_COLUMNS]),
        unreachable=bool(unreachable),
        recorded_owner=None if owner is None else str(owner),
        assistant_on=bool(enabled),
        fields=decode_fields(fields),
    )
