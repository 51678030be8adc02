"""A message's state: what became of a question the platform asked in a thread.

A fraud alert, the confirmation of a typed answer, the satisfaction question and a payment's
"Not me" stay on screen with their buttons; once answered (or past their expiry) they say so
— the answer and what follows from it — instead of vanishing like quick replies. The state
is a small JSON object kept with the message (beside a private message's placeholder, never
in the vault: it holds no financial data) and sent to the person's apps as
``message.state``; a change reaches them live as a ``message_state`` frame.

Shape: ``{"status": "open"|"answered"|"expired", "expires_time"?: ISO 8601,
"answer"?: what the person chose, "note"?: what follows, in their language,
"verdict"?: "fraud"|"genuine"}``. An ``open`` state past its ``expires_time`` is expired
(clients compare it with their clock; the server checks it again on every answer).
"""

from __future__ import annotations

from typing import Any

from ledgerline.chat.wire import iso_time
from ledgerline.domain.events import LiveFrame
from ledgerline.storage.database import UnitOfWork
from ledgerline.storage.stores import threads as thread_store
from ledgerline.storage.stores.threads import ThreadRow

OPEN, ANSWERED, EXPIRED = "open", "answered", "expired"


def open_state(expires_at: int | None) -> dict[str, Any]:
    state: dict[str, Any] = {"status": OPEN}
    if expires_at is not None:
        state["expires_time"] = iso_time(expires_at)
    return state


def answered_state(answer: str, note: str | None = None, **extra: Any) -> dict[str, Any]:
    state: dict[str, Any] = {"status": ANSWERED, "answer": answer}
    if note:
        state["note"] = note
    state.update({k: v for k, v in extra.items() if v is not None})
    return state


def set_message_state(
    uow: UnitOfWork, thread: ThreadRow, mid: str | None, state: dict[str, Any]
) -> bool:
    """Replace the state of message ``mid`` of ``thread`` and tell the person's apps; False
    when there is no such message (erased with the data it came from)."""
    if mid is None:
        return False
    row = thread_store.get_message(uow.conn, thread.thread_id, mid)
    if row is None:
        return False
    thread_store.set_message_body(uow.conn, thread.thread_id, mid, {**row.body, "state": state})
    uow.emit(
        LiveFrame(
            thread.user_id,
            {"type": "message_state", "page_id": thread.page_id, "mid": mid, "state": state},
        )
    )
    return True
