"""Threads between a person and a page, and the messages in them."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from ledgerline.storage.tables import businesses, messages, threads


@dataclass(frozen=True, slots=True)
class ThreadRow:
    thread_id: int
    page_id: str
    user_id: str
    psid: str
    last_user_message_at: int | None
    user_read_seq: int
    page_read_watermark: int
    delivered_watermark: int


@dataclass(frozen=True, slots=True)
class MessageRow:
    seq: int
    mid: str
    sender: str
    body: dict[str, Any]
    created_at: int


_THREAD_COLUMNS = [
    threads.c.thread_id,
    threads.c.page_id,
    threads.c.user_id,
    threads.c.psid,
    threads.c.last_user_message_at,
    threads.c.user_read_seq,
    threads.c.page_read_watermark,
    threads.c.delivered_watermark,
]


def _thread(row: sa.Row[Any] | None) -> ThreadRow | None:
    return None if row is None else ThreadRow(**row._asdict())


def get_thread(conn: sa.Connection, page_id: str, user_id: str) -> ThreadRow | None:
    return _thread(
        conn.execute(
            sa.select(*_THREAD_COLUMNS).where(
                threads.c.page_id == page_id, threads.c.user_id == user_id
            )
        ).first()
    )


def thread_by_psid(conn: sa.Connection, page_id: str, psid: str) -> ThreadRow | None:
    return _thread(
        conn.execute(
            sa.select(*_THREAD_COLUMNS).where(threads.c.page_id == page_id, threads.c.psid == psid)
        ).first()
    )


def get_or_create_thread(
    conn: sa.Connection, page_id: str, user_id: str, *, now: int, new_psid: Callable[[], str]
) -> ThreadRow:
    """The (page, person) thread, created with a fresh page-scoped id on first contact."""
    existing = get_thread(conn, page_id, user_id)
    if existing is not None:
        return existing
    conn.execute(
        threads.insert().values(page_id=page_id, user_id=user_id, psid=new_psid(), created_at=now)
    )
    created = get_thread(conn, page_id, user_id)
    if created is None:  # pragma: no cover - just inserted in this transaction
        raise RuntimeError("thread vanished")
    return created


def insert_message(
    conn: sa.Connection,
    *,
    thread: ThreadRow,
    mid: str,
    sender: str,
    body: dict[str, Any],
    created_at: int,
) -> int:
    result = conn.execute(
        messages.insert().values(
            mid=mid,
            thread_id=thread.thread_id,
            sender=sender,
            body=json.dumps(body, ensure_ascii=False, separators=(",", ":")),
            created_at=created_at,
        )
    )
    seq = result.inserted_primary_key[0] if result.inserted_primary_key else None
    values: dict[str, object] = {"last_message_at": created_at}
    if sender == "user":
        values["last_user_message_at"] = created_at
    conn.execute(threads.update().where(threads.c.thread_id == thread.thread_id).values(**values))
    return int(seq) if seq is not None else 0


def _message(row: sa.Row[Any]) -> MessageRow:
    values = row._asdict()
    values["body"] = json.loads(values["body"])
    return MessageRow(**values)


_MESSAGE_COLUMNS = [
    messages.c.seq,
    messages.c.mid,
    messages.c.sender,
    messages.c.body,
    messages.c.created_at,
]


def list_messages(
    conn: sa.Connection,
    thread_id: int,
    *,
    limit: int,
    before_seq: int | None = None,
    after_seq: int | None = None,
) -> list[MessageRow]:
    """Up to ``limit`` messages, oldest first: the newest ones before ``before_seq``, or the
    oldest ones after ``after_seq``."""
    stmt = sa.select(*_MESSAGE_COLUMNS).where(messages.c.thread_id == thread_id)
    if after_seq is not None:
        stmt = stmt.where(messages.c.seq > after_seq).order_by(messages.c.seq).limit(limit)
        return [_message(row) for row in conn.execute(stmt)]
    if before_seq is not None:
        stmt = stmt.where(messages.c.seq < before_seq)
    rows = conn.execute(stmt.order_by(messages.c.seq.desc()).limit(limit)).all()
    return [_message(row) for row in reversed(rows)]


def message_seq(conn: sa.Connection, thread_id: int, mid: str) -> int | None:
    return conn.execute(
        sa.select(messages.c.seq).where(messages.c.thread_id == thread_id, messages.c.mid == mid)
    ).scalar()


def last_message(
    conn: sa.Connection, thread_id: int, *, sender: str | None = None
) -> MessageRow | None:
    stmt = sa.select(*_MESSAGE_COLUMNS).where(messages.c.thread_id == thread_id)
    if sender is not None:
        stmt = stmt.where(messages.c.sender == sender)
    row = conn.execute(stmt.order_by(messages.c.seq.desc()).limit(1)).first()
    return None if row is None else _message(row)


def set_user_read(conn: sa.Connection, thread_id: int, seq: int) -> None:
    conn.execute(
        threads.update()
        .where(threads.c.thread_id == thread_id, threads.c.user_read_seq < seq)
        .values(user_read_seq=seq)
    )


def set_page_read(conn: sa.Connection, thread_id: int, watermark: int) -> None:
    conn.execute(
        threads.update()
        .where(threads.c.thread_id == thread_id, threads.c.page_read_watermark < watermark)
        .values(page_read_watermark=watermark)
    )


def set_delivered(conn: sa.Connection, thread_id: int, watermark: int) -> bool:
    """Advance the delivered watermark; False when it was already at or past it."""
    result = conn.execute(
        threads.update()
        .where(threads.c.thread_id == thread_id, threads.c.delivered_watermark < watermark)
        .values(delivered_watermark=watermark)
    )
    return bool(result.rowcount)


@dataclass(frozen=True, slots=True)
class ThreadSummary:
    page_id: str
    page_name: str
    last_message: MessageRow | None
    unread: int
    last_message_at: int | None


def list_user_threads(
    conn: sa.Connection, user_id: str, *, limit: int = 100
) -> list[ThreadSummary]:
    unread = (
        sa.select(sa.func.count())
        .where(
            messages.c.thread_id == threads.c.thread_id,
            messages.c.sender == "page",
            messages.c.seq > threads.c.user_read_seq,
        )
        .scalar_subquery()
    )
    rows = conn.execute(
        sa.select(
            threads.c.thread_id,
            threads.c.page_id,
            businesses.c.name,
            unread,
            threads.c.last_message_at,
        )
        .join(businesses, businesses.c.page_id == threads.c.page_id)
        .where(threads.c.user_id == user_id)
        .order_by(threads.c.last_message_at.desc().nulls_last(), threads.c.thread_id.desc())
        .limit(limit)
    ).all()
    return [
        ThreadSummary(
            page_id=str(page_id),
            page_name=str(name),
            last_message=last_message(conn, int(thread_id)),
            unread=int(count),
            last_message_at=None if at is None else int(at),
        )
        for thread_id, page_id, name, count, at in rows
    ]


def max_page_message_seq(conn: sa.Connection, thread_id: int) -> tuple[int, int] | None:
    """(seq, created_at) of the newest message the page sent in a thread."""
    row = conn.execute(
        sa.select(messages.c.seq, messages.c.created_at)
        .where(messages.c.thread_id == thread_id, messages.c.sender == "page")
        .order_by(messages.c.seq.desc())
        .limit(1)
    ).first()
    return None if row is None else (int(row[0]), int(row[1]))
