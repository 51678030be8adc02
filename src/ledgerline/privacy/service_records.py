"""Customer-service records about a person, and what the person's rights do to them.

The agent inbox keeps, per business, *conversations* (a thread's stays in the inbox: when,
which agent, how it ended, the handover metadata an app passed, the person's satisfaction
answer) and the agents' internal *notes*. They are about the person, so:

* **Access** (GDPR art. 15): the export carries every conversation and every note (notes
  included: an internal note is still personal data). Agents appear as the person already
  meets them in the chat — display name and role — never by id or login.
* **Unlink of one business** (art. 7(3), 17): that business's notes about the person are
  erased and the handover metadata of its conversations cleared, in the unlink's
  transaction. Both are free text written while the agent could see the financial data
  shared under the link (``service.context``), so they may quote it: they go with it. The
  conversation records (times, agent, outcome, satisfaction) stay, like the chat history
  they describe, which stays with the business as on Messenger.
* **Account deletion** (art. 17): every conversation and note about the person, with every
  business, is erased in the deletion's transaction.
* **Retention** (art. 5(1)(e)): a closed conversation and its notes are deleted once it
  ended longer ago than the business keeps records (its retention period, the one financial
  records follow: default 400 days), by the hourly retention pass. Open conversations stay.

Each erasure that removed something is audited (``erase_service_records``: business,
person, counts — never a note's text).
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any, Literal

from ledgerline.audit import Actor, AuditEvent, append
from ledgerline.chat.wire import iso_time
from ledgerline.privacy.texts import SERVICE_ERASE
from ledgerline.storage.database import UnitOfWork
from ledgerline.storage.stores import businesses as business_store, inbox as inbox_store
from ledgerline.storage.stores.inbox import (
    AuthorRow,
    ConversationRow,
    ExpiredConversation,
    PersonNoteRow,
)

if TYPE_CHECKING:
    from sqlalchemy import Connection

# What an erasure entry covered: unlink | account deletion | past the retention period.
Extent = Literal["notes", "all", "retention"]


def _author(author: AuthorRow | None) -> dict[str, str] | None:
    return None if author is None else {"name": author.name, "role": author.role}


def _time(ms: int | None) -> str | None:
    return None if ms is None else iso_time(ms)


def _conversation(
    row: ConversationRow, authors: dict[str, AuthorRow], notes: list[PersonNoteRow]
) -> dict[str, Any]:
    return {
        "opened_time": iso_time(row.opened_at),
        "status": row.status,
        "agent": None if row.agent_id is None else _author(authors.get(row.agent_id)),
        "assigned_time": _time(row.assigned_at),
        "first_response_time": _time(row.first_response_at),
        "closed_time": _time(row.closed_at),
        "close_reason": row.close_reason,
        "handover_metadata": row.handover_metadata,
        "satisfaction": row.satisfaction,
        "satisfaction_time": _time(row.satisfaction_at),
        "notes": [
            {"created_time": iso_time(n.created_at), "author": _author(n.author), "text": n.text}
            for n in notes
        ],
    }


def export_service_records(uow: UnitOfWork, user_id: str) -> list[dict[str, Any]]:
    """``{"page_id", "page_name", "conversations": [...]}`` per business, for the export."""
    conn = uow.conn
    conversations = inbox_store.conversations_of_person(conn, user_id)
    notes: dict[int, list[PersonNoteRow]] = {}
    for note in inbox_store.notes_about_person(conn, user_id):
        notes.setdefault(note.conversation_id, []).append(note)
    authors = inbox_store.agent_names(conn, {c.agent_id for c in conversations if c.agent_id})
    by_page: dict[str, list[dict[str, Any]]] = {}
    for row in conversations:
        by_page.setdefault(row.page_id, []).append(
            _conversation(row, authors, notes.get(row.conversation_id, []))
        )
    out = []
    for page_id, items in by_page.items():
        business = business_store.get_business(conn, page_id)
        out.append(
            {
                "page_id": page_id,
                "page_name": None if business is None else business.name,
                "conversations": items,
            }
        )
    return out


def _audit(
    conn: Connection,
    *,
    actor: Actor,
    page_id: str,
    user_id: str,
    extent: Extent,
    now: int,
    **counts: int,
) -> None:
    append(
        conn,
        AuditEvent(
            actor=actor,
            action=SERVICE_ERASE,
            page_id=page_id,
            user_id=user_id,
            detail={"extent": extent, **counts},
        ),
        at=now,
    )


def erase_on_unlink_txn(
    uow: UnitOfWork, *, actor: Actor, page_id: str, user_id: str, now: int
) -> None:
    """The link of (business, person) ended: that business's notes about the person and its
    handover metadata go (see the module docstring); audited when anything went."""
    conn = uow.conn
    notes = inbox_store.delete_notes_about_person_txn(conn, user_id, page_id=page_id)
    metadata = inbox_store.clear_handover_metadata_txn(conn, user_id, page_id=page_id)
    if notes or metadata:
        _audit(
            conn, actor=actor, page_id=page_id, user_id=user_id, extent="notes", now=now,
            notes=notes, metadata=metadata,
        )  # fmt: skip


def erase_person_txn(uow: UnitOfWork, *, actor: Actor, user_id: str, now: int) -> None:
    """The person deleted their account: every conversation and note about them goes; one
    audit entry per business that held any."""
    conn = uow.conn
    conversations = inbox_store.conversations_of_person(conn, user_id)
    if not conversations:
        return
    page_of = {c.conversation_id: c.page_id for c in conversations}
    notes = Counter(
        page_of[n.conversation_id] for n in inbox_store.notes_about_person(conn, user_id)
    )
    inbox_store.delete_notes_about_person_txn(conn, user_id, page_id=None)
    inbox_store.delete_conversations_of_person_txn(conn, user_id)
    for page_id, count in sorted(Counter(page_of.values()).items()):
        _audit(
            conn, actor=actor, page_id=page_id, user_id=user_id, extent="all", now=now,
            conversations=count, notes=notes[page_id],
        )  # fmt: skip


def purge_expired_txn(uow: UnitOfWork, *, actor: Actor, now: int) -> int:
    """Delete the closed conversations (and their notes) past their business's retention;
    one audit entry per business and person. Returns the number of conversations."""
    conn = uow.conn
    expired = inbox_store.expired_conversations(conn, now=now)
    if not expired:
        return 0
    inbox_store.delete_conversations_txn(conn, [c.conversation_id for c in expired])
    groups: dict[tuple[str, str], list[ExpiredConversation]] = {}
    for row in expired:
        groups.setdefault((row.page_id, row.user_id), []).append(row)
    for (page_id, user_id), rows in sorted(groups.items()):
        _audit(
            conn, actor=actor, page_id=page_id, user_id=user_id, extent="retention", now=now,
            conversations=len(rows), notes=sum(r.notes for r in rows),
            retention_days=rows[0].retention_days,
        )  # fmt: skip
    return len(expired)
