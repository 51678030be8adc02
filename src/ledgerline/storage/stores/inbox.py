"""The agent inbox: agents, conversations (a thread's stays in the inbox), notes, canned
replies. Every read is scoped by ``page_id``: one business never sees another's rows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from ledgerline.storage.stores.vault import DEFAULT_RETENTION_DAYS
from ledgerline.storage.tables import (
    agents,
    canned_replies,
    inbox_conversations,
    inbox_notes,
    threads,
    users,
    vault_settings,
)

WAITING = "waiting"
ASSIGNED = "assigned"
CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class AgentRow:
    agent_id: str
    page_id: str
    login: str
    name: str
    role: str
    password_hash: str
    created_at: int
    disabled_at: int | None


@dataclass(frozen=True, slots=True)
class ConversationRow:
    conversation_id: int
    page_id: str
    thread_id: int
    user_id: str
    status: str
    opened_at: int
    waiting_since: int | None
    agent_id: str | None
    assigned_at: int | None
    first_response_at: int | None
    closed_at: int | None
    close_reason: str | None
    handover_metadata: str | None
    requested_by: str | None
    satisfaction: int | None
    satisfaction_at: int | None


# -- agents ------------------------------------------------------------------------------


def insert_agent(
    conn: sa.Connection,
    *,
    agent_id: str,
    page_id: str,
    login: str,
    name: str,
    role: str,
    password_hash: str,
    now: int,
) -> None:
    conn.execute(
        agents.insert().values(
            agent_id=agent_id,
            page_id=page_id,
            login=login,
            name=name,
            role=role,
            password_hash=password_hash,
            created_at=now,
        )
    )


def agent_login_taken(conn: sa.Connection, page_id: str, login: str) -> bool:
    return (
        conn.execute(
            sa.select(agents.c.agent_id).where(agents.c.page_id == page_id, agents.c.login == login)
        ).first()
        is not None
    )


def agent_by_login(conn: sa.Connection, page_id: str, login: str) -> AgentRow | None:
    row = conn.execute(
        sa.select(agents).where(
            agents.c.page_id == page_id, agents.c.login == login, agents.c.disabled_at.is_(None)
        )
    ).first()
    return None if row is None else AgentRow(**row._asdict())


def get_agent(conn: sa.Connection, agent_id: str) -> AgentRow | None:
    row = conn.execute(
        sa.select(agents).where(agents.c.agent_id == agent_id, agents.c.disabled_at.is_(None))
    ).first()
    return None if row is None else AgentRow(**row._asdict())


def list_agents(conn: sa.Connection, page_id: str) -> list[AgentRow]:
    rows = conn.execute(
        sa.select(agents)
        .where(agents.c.page_id == page_id, agents.c.disabled_at.is_(None))
        .order_by(agents.c.name)
    ).all()
    return [AgentRow(**row._asdict()) for row in rows]


# -- conversations -----------------------------------------------------------------------


def open_conversation(
    conn: sa.Connection,
    *,
    page_id: str,
    thread_id: int,
    user_id: str,
    now: int,
    waiting_since: int | None,
    metadata: str | None,
) -> int:
    result = conn.execute(
        inbox_conversations.insert().values(
            page_id=page_id,
            thread_id=thread_id,
            user_id=user_id,
            status=WAITING,
            opened_at=now,
            waiting_since=waiting_since,
            handover_metadata=metadata,
        )
    )
    key = result.inserted_primary_key
    return int(key[0]) if key else 0


def _conversation(row: sa.Row[Any] | None) -> ConversationRow | None:
    return None if row is None else ConversationRow(**row._asdict())


def open_conversation_of(conn: sa.Connection, thread_id: int) -> ConversationRow | None:
    """The thread's conversation still in the inbox (not closed), if any."""
    return _conversation(
        conn.execute(
            sa.select(inbox_conversations)
            .where(
                inbox_conversations.c.thread_id == thread_id,
                inbox_conversations.c.status != CLOSED,
            )
            .order_by(inbox_conversations.c.conversation_id.desc())
            .limit(1)
        ).first()
    )


def get_conversation(
    conn: sa.Connection, page_id: str, conversation_id: int
) -> ConversationRow | None:
    """A conversation of this business only (None for another business's id)."""
    return _conversation(
        conn.execute(
            sa.select(inbox_conversations).where(
                inbox_conversations.c.conversation_id == conversation_id,
                inbox_conversations.c.page_id == page_id,
            )
        ).first()
    )


def update_conversation(conn: sa.Connection, conversation_id: int, **values: Any) -> None:
    conn.execute(
        inbox_conversations.update()
        .where(inbox_conversations.c.conversation_id == conversation_id)
        .values(**values)
    )


def set_first_response(conn: sa.Connection, conversation_id: int, now: int) -> None:
    conn.execute(
        inbox_conversations.update()
        .where(
            inbox_conversations.c.conversation_id == conversation_id,
            inbox_conversations.c.first_response_at.is_(None),
        )
        .values(first_response_at=now)
    )


@dataclass(frozen=True, slots=True)
class QueueItem:
    conversation: ConversationRow
    person_name: str
    psid: str


def list_queue(conn: sa.Connection, page_id: str, *, limit: int = 200) -> list[QueueItem]:
    """The business's open conversations: waiting ones first, longest wait first, then the
    assigned ones."""
    waiting_first = sa.case((inbox_conversations.c.status == WAITING, 0), else_=1)
    rows = conn.execute(
        sa.select(inbox_conversations, users.c.name.label("person_name"), threads.c.psid)
        .join(threads, threads.c.thread_id == inbox_conversations.c.thread_id)
        .join(users, users.c.user_id == inbox_conversations.c.user_id)
        .where(
            inbox_conversations.c.page_id == page_id,
            inbox_conversations.c.status != CLOSED,
        )
        .order_by(
            waiting_first,
            inbox_conversations.c.waiting_since.asc().nulls_last(),
            inbox_conversations.c.opened_at,
        )
        .limit(limit)
    ).all()
    out = []
    for row in rows:
        values = row._asdict()
        name = str(values.pop("person_name"))
        psid = str(values.pop("psid"))
        out.append(QueueItem(ConversationRow(**values), name, psid))
    return out


def conversations_since(conn: sa.Connection, page_id: str, since: int) -> list[ConversationRow]:
    rows = conn.execute(
        sa.select(inbox_conversations)
        .where(
            inbox_conversations.c.page_id == page_id,
            inbox_conversations.c.opened_at >= since,
        )
        .order_by(inbox_conversations.c.conversation_id)
    ).all()
    return [ConversationRow(**row._asdict()) for row in rows]


def person_name(conn: sa.Connection, user_id: str) -> str:
    return str(conn.execute(sa.select(users.c.name).where(users.c.user_id == user_id)).scalar())


# -- notes and canned replies ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NoteRow:
    note_id: int
    agent_name: str
    text: str
    created_at: int


def add_note(
    conn: sa.Connection, *, conversation_id: int, agent_id: str, text: str, now: int
) -> None:
    conn.execute(
        inbox_notes.insert().values(
            conversation_id=conversation_id, agent_id=agent_id, text=text, created_at=now
        )
    )


def list_notes(conn: sa.Connection, thread_id: int) -> list[NoteRow]:
    """Every note on any conversation of the thread (an agent sees the thread's history)."""
    rows = conn.execute(
        sa.select(
            inbox_notes.c.note_id, agents.c.name, inbox_notes.c.text, inbox_notes.c.created_at
        )
        .join(
            inbox_conversations,
            inbox_conversations.c.conversation_id == inbox_notes.c.conversation_id,
        )
        .join(agents, agents.c.agent_id == inbox_notes.c.agent_id)
        .where(inbox_conversations.c.thread_id == thread_id)
        .order_by(inbox_notes.c.note_id)
    ).all()
    return [NoteRow(int(a), str(b), str(c), int(d)) for a, b, c, d in rows]


@dataclass(frozen=True, slots=True)
class CannedRow:
    reply_id: int
    title: str
    text: str


def add_canned(conn: sa.Connection, *, page_id: str, title: str, text: str, now: int) -> None:
    conn.execute(
        canned_replies.insert().values(page_id=page_id, title=title, text=text, created_at=now)
    )


def list_canned(conn: sa.Connection, page_id: str) -> list[CannedRow]:
    rows = conn.execute(
        sa.select(canned_replies.c.reply_id, canned_replies.c.title, canned_replies.c.text)
        .where(canned_replies.c.page_id == page_id)
        .order_by(canned_replies.c.title)
    ).all()
    return [CannedRow(int(a), str(b), str(c)) for a, b, c in rows]


def delete_canned(conn: sa.Connection, *, page_id: str, reply_id: int) -> bool:
    result = conn.execute(
        canned_replies.delete().where(
            canned_replies.c.reply_id == reply_id, canned_replies.c.page_id == page_id
        )
    )
    return bool(result.rowcount)


# -- what the inbox holds about one person (their rights: access and erasure) --------------


def _threads_of(user_id: str, page_id: str | None) -> sa.Select[tuple[int]]:
    """The person's thread ids (all businesses, or one): ``ix_threads_user`` finds them,
    ``ix_inbox_conversations_thread`` their conversations."""
    query = sa.select(threads.c.thread_id).where(threads.c.user_id == user_id)
    return query if page_id is None else query.where(threads.c.page_id == page_id)


def _conversations_of(user_id: str, page_id: str | None) -> sa.Select[tuple[int]]:
    return sa.select(inbox_conversations.c.conversation_id).where(
        inbox_conversations.c.thread_id.in_(_threads_of(user_id, page_id))
    )


def conversations_of_person(
    conn: sa.Connection, user_id: str, *, page_id: str | None = None
) -> list[ConversationRow]:
    """Every conversation about the person (with every business, or with ``page_id``)."""
    rows = conn.execute(
        sa.select(inbox_conversations)
        .where(inbox_conversations.c.thread_id.in_(_threads_of(user_id, page_id)))
        .order_by(inbox_conversations.c.conversation_id)
    ).all()
    return [ConversationRow(**row._asdict()) for row in rows]


@dataclass(frozen=True, slots=True)
class AuthorRow:
    """An agent as the person may learn of them: the display name they see in the chat and
    the role, never the agent's id or login."""

    name: str
    role: str


@dataclass(frozen=True, slots=True)
class PersonNoteRow:
    conversation_id: int
    author: AuthorRow | None  # None: the agent's account is gone
    text: str
    created_at: int


def notes_about_person(
    conn: sa.Connection, user_id: str, *, page_id: str | None = None
) -> list[PersonNoteRow]:
    """Every note on a conversation about the person, oldest first."""
    rows = conn.execute(
        sa.select(
            inbox_notes.c.conversation_id,
            agents.c.name,
            agents.c.role,
            inbox_notes.c.text,
            inbox_notes.c.created_at,
        )
        .outerjoin(agents, agents.c.agent_id == inbox_notes.c.agent_id)
        .where(inbox_notes.c.conversation_id.in_(_conversations_of(user_id, page_id)))
        .order_by(inbox_notes.c.note_id)
    ).all()
    return [
        PersonNoteRow(
            int(cid), None if name is None else AuthorRow(str(name), str(role)), str(text), int(at)
        )
        for cid, name, role, text, at in rows
    ]


def agent_names(conn: sa.Connection, agent_ids: set[str]) -> dict[str, AuthorRow]:
    """Display name and role of each agent (disabled ones too: they still answered)."""
    if not agent_ids:
        return {}
    rows = conn.execute(
        sa.select(agents.c.agent_id, agents.c.name, agents.c.role).where(
            agents.c.agent_id.in_(sorted(agent_ids))
        )
    ).all()
    return {str(a): AuthorRow(str(n), str(r)) for a, n, r in rows}


def delete_notes_about_person_txn(conn: sa.Connection, user_id: str, *, page_id: str | None) -> int:
    """Delete the agents' notes about the person (every business's, or ``page_id``'s)."""
    result = conn.execute(
        inbox_notes.delete().where(
            inbox_notes.c.conversation_id.in_(_conversations_of(user_id, page_id))
        )
    )
    return int(result.rowcount or 0)


def clear_handover_metadata_txn(conn: sa.Connection, user_id: str, *, page_id: str) -> int:
    """Drop the free-text metadata apps passed with the threads of (business, person)."""
    result = conn.execute(
        inbox_conversations.update()
        .where(
            inbox_conversations.c.thread_id.in_(_threads_of(user_id, page_id)),
            inbox_conversations.c.handover_metadata.is_not(None),
        )
        .values(handover_metadata=None)
    )
    return int(result.rowcount or 0)


def delete_conversations_of_person_txn(conn: sa.Connection, user_id: str) -> int:
    """Delete every conversation about the person (their notes first: see
    ``delete_notes_about_person_txn``)."""
    result = conn.execute(
        inbox_conversations.delete().where(
            inbox_conversations.c.thread_id.in_(_threads_of(user_id, None))
        )
    )
    return int(result.rowcount or 0)


# -- retention (``privacy.service_records.purge_expired_txn``) -----------------------------

DAY_MS = 24 * 3600 * 1000


@dataclass(frozen=True, slots=True)
class ExpiredConversation:
    conversation_id: int
    page_id: str
    user_id: str
    retention_days: int
    notes: int


def expired_conversations(conn: sa.Connection, *, now: int) -> list[ExpiredConversation]:
    """Closed conversations that ended longer ago than their business keeps records (its
    ``vault_settings.retention_days``, default ``DEFAULT_RETENTION_DAYS``), with their
    number of notes. Open ones (waiting, assigned) are never expired."""
    days = sa.func.coalesce(vault_settings.c.retention_days, DEFAULT_RETENTION_DAYS)
    notes = (
        sa.select(sa.func.count())
        .where(inbox_notes.c.conversation_id == inbox_conversations.c.conversation_id)
        .scalar_subquery()
    )
    rows = conn.execute(
        sa.select(
            inbox_conversations.c.conversation_id,
            inbox_conversations.c.page_id,
            inbox_conversations.c.user_id,
            days,
            notes,
        )
        .select_from(
            inbox_conversations.outerjoin(
                vault_settings, vault_settings.c.page_id == inbox_conversations.c.page_id
            )
        )
        .where(
            inbox_conversations.c.status == CLOSED,
            inbox_conversations.c.closed_at < now - sa.cast(days, sa.BigInteger) * DAY_MS,
        )
        .order_by(inbox_conversations.c.conversation_id)
    ).all()
    return [
        ExpiredConversation(int(cid), str(page_id), str(user_id), int(d), int(n))
        for cid, page_id, user_id, d, n in rows
    ]


def delete_conversations_txn(conn: sa.Connection, conversation_ids: list[int]) -> None:
    """Delete these conversations and their notes."""
    for start in range(0, len(conversation_ids), 500):
        chunk = conversation_ids[start : start + 500]
        conn.execute(inbox_notes.delete().where(inbox_notes.c.conversation_id.in_(chunk)))
        conn.execute(
            inbox_conversations.delete().where(inbox_conversations.c.conversation_id.in_(chunk))
        )
