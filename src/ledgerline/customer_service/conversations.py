"""The agent inbox's state, kept in step with handover (called by ``customer_service.handover``).

A *conversation* is one stay of a thread in the inbox: it opens when control passes to the
Page Inbox and ends when an agent closes it, hands it back to the bot, or the business's
app takes the thread. While open it is ``waiting`` (in the queue) or ``assigned`` to an
agent. ``waiting_since`` is the time of the person's oldest unanswered message: the queue
is ordered by it, and an agent's reply clears it.

Agents' actions (assign, reply, notes, close…) are in ``customer_service.agent_actions``.
Live frames go to the hub key ``inbox_of(page_id)`` (the inbox's WebSocket).
"""

from __future__ import annotations

from typing import Any

from ledgerline.chat.ownership import PAGE_INBOX_APP_ID, ControlChange, current_owner
from ledgerline.chat.wire import client_message
from ledgerline.domain.events import LiveFrame, inbox_of
from ledgerline.storage.database import UnitOfWork
from ledgerline.storage.stores import inbox as inbox_store, threads as thread_store
from ledgerline.storage.stores.threads import MessageRow, ThreadRow


def emit_inbox(uow: UnitOfWork, page_id: str, frame: dict[str, Any]) -> None:
    """A live frame for the business's agents (after commit)."""
    uow.emit(LiveFrame(inbox_of(page_id), frame))


def emit_person(uow: UnitOfWork, user_id: str, frame: dict[str, Any]) -> None:
    """A live frame for the person's messenger (after commit)."""
    uow.emit(LiveFrame(user_id, frame))


def control_changed(uow: UnitOfWork, change: ControlChange) -> None:
    if change.new_owner == PAGE_INBOX_APP_ID:
        last_user = thread_store.get_thread(uow.conn, change.page_id, change.user_id)
        waiting = None if last_user is None else last_user.last_user_message_at
        conversation_id = inbox_store.open_conversation(
            uow.conn,
            page_id=change.page_id,
            thread_id=change.thread_id,
            user_id=change.user_id,
            now=change.now,
            waiting_since=waiting if waiting is not None else change.now,
            metadata=change.metadata,
        )
        emit_inbox(
            uow,
            change.page_id,
            {"type": "queue", "conversation_id": conversation_id, "status": "waiting"},
        )
        # The person's messenger asks who answers now ("a person will answer shortly").
        emit_person(
            uow, change.user_id, {"type": "agent", "page_id": change.page_id, "agent": None}
        )
    elif change.previous_owner == PAGE_INBOX_APP_ID:
        conversation = inbox_store.open_conversation_of(uow.conn, change.thread_id)
        if conversation is None:
            return
        reason = "handed_back" if change.how == "pass" else "taken"
        inbox_store.update_conversation(
            uow.conn,
            conversation.conversation_id,
            status=inbox_store.CLOSED,
            closed_at=change.now,
            close_reason=reason,
        )
        emit_inbox(
            uow,
            change.page_id,
            {
                "type": "queue",
                "conversation_id": conversation.conversation_id,
                "status": "closed",
            },
        )
        emit_person(
            uow, change.user_id, {"type": "agent", "page_id": change.page_id, "agent": None}
        )


def person_wrote(uow: UnitOfWork, thread: ThreadRow, row: MessageRow, now: int) -> None:
    """A person's message in an inbox-owned thread: it waits for an answer, agents see it."""
    conversation = inbox_store.open_conversation_of(uow.conn, thread.thread_id)
    if conversation is None:
        return
    if conversation.waiting_since is None:
        inbox_store.update_conversation(uow.conn, conversation.conversation_id, waiting_since=now)
    emit_inbox(
        uow,
        thread.page_id,
        {
            "type": "message",
            "conversation_id": conversation.conversation_id,
            "message": client_message(row),
        },
    )


def control_requested(
    uow: UnitOfWork, thread: ThreadRow, *, by_app_id: str, metadata: str | None, now: int
) -> None:
    """Another app asked for an inbox-owned thread: agents see the request."""
    conversation = inbox_store.open_conversation_of(uow.conn, thread.thread_id)
    if conversation is None:
        return
    inbox_store.update_conversation(uow.conn, conversation.conversation_id, requested_by=by_app_id)
    emit_inbox(
        uow,
        thread.page_id,
        {
            "type": "request",
            "conversation_id": conversation.conversation_id,
            "requested_by": by_app_id,
            "metadata": metadata,
        },
    )


def answering(uow: UnitOfWork, page_id: str, user_id: str) -> dict[str, Any]:
    """What the person's messenger shows about who answers: ``{"human": bool, "agent":
    {"name"} | None}`` (a person from the inbox, by first name, once one is assigned)."""
    if current_owner(uow, page_id, user_id) != PAGE_INBOX_APP_ID:
        return {"human": False, "agent": None}
    conn = uow.conn
    thread = thread_store.get_thread(conn, page_id, user_id)
    conversation = (
        None if thread is None else inbox_store.open_conversation_of(conn, thread.thread_id)
    )
    agent = None
    if conversation is not None and conversation.agent_id is not None:
        row = inbox_store.get_agent(conn, conversation.agent_id)
        agent = None if row is None else {"name": row.name}
    return {"human": True, "agent": agent}
