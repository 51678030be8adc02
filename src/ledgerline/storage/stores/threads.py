"""Threads between a person and a page, and the messages in them."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from ledgerline.storage.prepared import Prepared
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
    """``seq``: the message's place among all messages (history's order); ``thread_seq``: its
    number in its thread, 1, 2, 3, ... in commit order (what a client refills after)."""

    seq: int
    mid: str
    sender: str
    body: dict[str, Any]
    created_at: int
    thread_seq: int


THREAD_COLUMNS = [
    threads.c.thread_id,
    threads.c.page_id,
    threads.c.user_id,
    threads.c.psid,
    threads.c.last_user_message_at,
    threads.c.user_read_seq,
    threads.c.page_read_watermark,
    threads.c.delivered_watermark,
]


# Hot-path statements are built once, with bind parameters, and run on the driver
# (storage/prepared.py): building a Core statement and its cache key on every call cost more
# CPU than running it (see docs/benchmarks.md).
_THREAD_BY_USER = Prepared(
    sa.select(*THREAD_COLUMNS).where(
        threads.c.page_id == sa.bindparam("page_id"), threads.c.user_id == sa.bindparam("user_id")
    )
)
_THREAD_BY_PSID = Prepared(
    sa.select(*THREAD_COLUMNS).where(
        threads.c.page_id == sa.bindparam("page_id"), threads.c.psid == sa.bindparam("psid")
    )
)
_INSERT_MESSAGE = Prepared(
    messages.insert()
    .values(
        mid=sa.bindparam("mid"),
        thread_id=sa.bindparam("thread_id"),
        sender=sa.bindparam("sender"),
        body=sa.bindparam("body"),
        created_at=sa.bindparam("created_at"),
        thread_seq=sa.bindparam("thread_seq"),
    )
    .returning(messages.c.seq)
)
# A message is numbered by touching its thread first: the row lock the touch takes is held
# until the commit, so a thread's numbers (and seqs) are committed in order, never skipping.
_TOUCH_THREAD = Prepared(
    threads.update()
    .where(threads.c.thread_id == sa.bindparam("b_thread_id"))
    .values(last_message_at=sa.bindparam("b_at"), last_seq=threads.c.last_seq + sa.bindparam("b_n"))
    .returning(threads.c.last_seq)
)
_TOUCH_THREAD_BY_USER = Prepared(
    threads.update()
    .where(threads.c.thread_id == sa.bindparam("b_thread_id"))
    .values(
        last_message_at=sa.bindparam("b_at"),
        last_user_message_at=sa.bindparam("b_at"),
        last_seq=threads.c.last_seq + sa.bindparam("b_n"),
    )
    .returning(threads.c.last_seq)
)


def _number(conn: sa.Connection, touch: Prepared, thread_id: int, at: int, count: int) -> int:
    """Touch the thread (its last message's time) and take ``count`` numbers for its new
    messages; the last of them."""
    touched = touch.first(conn, {"b_thread_id": thread_id, "b_at": at, "b_n": count})
    if touched is None:  # pragma: no cover - the caller holds the thread's row
        raise RuntimeError("thread vanished")
    return int(touched[0])


def _thread_row(found: Any) -> ThreadRow | None:
    return None if found is None else ThreadRow(*found)


def get_thread(conn: sa.Connection, page_id: str, user_id: str) -> ThreadRow | None:
    return _thread_row(_THREAD_BY_USER.first(conn, {"page_id": page_id, "user_id": user_id}))


def threads_of_users(
    conn: sa.Connection, page_id: str, user_ids: list[str]
) -> dict[str, ThreadRow]:
    """The page's threads with these people, by person (one query per 500 people; for one
    person, the built-once lookup: delivery receipts ask for one person at a time, and the
    IN list took 11 % of py-spy's samples of a bench/scale.py process)."""
    found: dict[str, ThreadRow] = {}
    unique = sorted(set(user_ids))
    if len(unique) == 1:
        thread = get_thread(conn, page_id, unique[0])
        return {} if thread is None else {thread.user_id: thread}
    for start in range(0, len(unique), 500):
        rows = conn.execute(
            sa.select(*THREAD_COLUMNS).where(
                threads.c.page_id == page_id, threads.c.user_id.in_(unique[start : start + 500])
            )
        )
        for row in rows:
            thread = ThreadRow(*row)
            found[thread.user_id] = thread
    return found


def thread_by_psid(conn: sa.Connection, page_id: str, psid: str) -> ThreadRow | None:
    return _thread_row(_THREAD_BY_PSID.first(conn, {"page_id": page_id, "psid": psid}))


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
) -> tuple[int, int]:
    """Store a message (the thread touched and numbered first); its ``(seq, thread_seq)``."""
    touch = _TOUCH_THREAD_BY_USER if sender == "user" else _TOUCH_THREAD
    number = _number(conn, touch, thread.thread_id, created_at, 1)
    inserted = _INSERT_MESSAGE.first(
        conn,
        {
            "mid": mid,
            "thread_id": thread.thread_id,
            "sender": sender,
            "body": json.dumps(body, ensure_ascii=False, separators=(",", ":")),
            "created_at": created_at,
            "thread_seq": number,
        },
    )
    if inserted is None:  # pragma: no cover - RETURNING always answers the new row
        raise RuntimeError("no seq for the new message")
    return int(inserted[0]), number


_INSERT_MESSAGES = messages.insert().returning(messages.c.seq, sort_by_parameter_order=True)


def insert_page_messages(
    conn: sa.Connection,
    *,
    thread: ThreadRow,
    items: list[tuple[str, dict[str, Any]]],
    created_at: int,
) -> list[tuple[int, int]]:
    """Several page messages ``(mid, body)`` into one thread, in order: one touch of the
    thread (numbering them) and one multi-row insert. Returns their ``(seq, thread_seq)``."""
    if not items:
        return []
    last = _number(conn, _TOUCH_THREAD, thread.thread_id, created_at, len(items))
    numbers = range(last - len(items) + 1, last + 1)
    rows = [
        {
            "mid": mid,
            "thread_id": thread.thread_id,
            "sender": "page",
            "body": json.dumps(body, ensure_ascii=False, separators=(",", ":")),
            "created_at": created_at,
            "thread_seq": number,
        }
        for (mid, body), number in zip(items, numbers, strict=True)
    ]
    if len(rows) == 1:
        inserted = _INSERT_MESSAGE.first(conn, rows[0])
        seqs = [] if inserted is None else [int(inserted[0])]
    else:
        seqs = [int(row[0]) for row in conn.execute(_INSERT_MESSAGES, rows)]
    return list(zip(seqs, numbers, strict=True))


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
    messages.c.thread_seq,
]


def list_messages(
    conn: sa.Connection,
    thread_id: int,
    *,
    limit: int,
    before_seq: int | None = None,
    after_seq: int | None = None,
    after_number: int | None = None,
) -> list[MessageRow]:
    """Up to ``limit`` messages, oldest first: the newest ones before ``before_seq``, or the
    oldest ones after ``after_seq`` or after the thread's message number ``after_number``."""
    stmt = sa.select(*_MESSAGE_COLUMNS).where(messages.c.thread_id == thread_id)
    if after_number is not None:
        stmt = stmt.where(messages.c.thread_seq > after_number)
        return [
            _message(row) for row in conn.execute(stmt.order_by(messages.c.thread_seq).limit(limit))
        ]
    if after_seq is not None:
        stmt = stmt.where(messages.c.seq > after_seq).order_by(messages.c.seq).limit(limit)
        return [_message(row) for row in conn.execute(stmt)]
    if before_seq is not None:
        stmt = stmt.where(messages.c.seq < before_seq)
    rows = conn.execute(stmt.order_by(messages.c.seq.desc()).limit(limit)).all()
    return [_message(row) for row in reversed(rows)]


def get_message(conn: sa.Connection, thread_id: int, mid: str) -> MessageRow | None:
    row = conn.execute(
        sa.select(*_MESSAGE_COLUMNS).where(messages.c.thread_id == thread_id, messages.c.mid == mid)
    ).first()
    return None if row is None else _message(row)


def messages_by_mid(conn: sa.Connection, thread_id: int, mids: list[str]) -> list[MessageRow]:
    if not mids:
        return []
    rows = conn.execute(
        sa.select(*_MESSAGE_COLUMNS).where(
            messages.c.thread_id == thread_id, messages.c.mid.in_(mids)
        )
    ).all()
    return [_message(row) for row in rows]


def set_message_body(conn: sa.Connection, thread_id: int, mid: str, body: dict[str, Any]) -> None:
    conn.execute(
        messages.update()
        .where(messages.c.thread_id == thread_id, messages.c.mid == mid)
        .values(body=json.dumps(body, ensure_ascii=False, separators=(",", ":")))
    )


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


def _advance(column: sa.Column[Any]) -> Prepared:
    """``UPDATE threads SET column = :b_to WHERE thread_id = :b_thread_id AND column < :b_to``."""
    return Prepared(
        threads.update()
        .where(threads.c.thread_id == sa.bindparam("b_thread_id"), column < sa.bindparam("b_to"))
        .values({column.name: sa.bindparam("b_to")})
    )


_SET_USER_READ = _advance(threads.c.user_read_seq)
_SET_PAGE_READ = _advance(threads.c.page_read_watermark)
_SET_DELIVERED = _advance(threads.c.delivered_watermark)


def set_user_read(conn: sa.Connection, thread_id: int, seq: int) -> None:
    _SET_USER_READ.run(conn, {"b_thread_id": thread_id, "b_to": seq})


def set_page_read(conn: sa.Connection, thread_id: int, watermark: int) -> None:
    _SET_PAGE_READ.run(conn, {"b_thread_id": thread_id, "b_to": watermark})


def set_delivered(conn: sa.Connection, thread_id: int, watermark: int) -> bool:
    """Advance the delivered watermark; False when it was already at or past it."""
    return _SET_DELIVERED.run(conn, {"b_thread_id": thread_id, "b_to": watermark}) > 0


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
