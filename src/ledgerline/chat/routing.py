"""Where a person's message goes besides the thread: handler tables, passed down as data.

The messaging core stores a person's message and tells the business's app. Some messages
need someone else too, and those someones live above chat, so the composition root
(``bootstrap``) hands their handlers to :func:`chat.actions.do_user_message` in an
:class:`Inbound`:

- ``postbacks`` and ``quick_replies``: answers to buttons and quick replies the platform
  posted itself (a fraud alert's "Was it you?", "Not me" on a payment, the satisfaction
  question), keyed by their payload prefix.
- ``typed``: what may read a person's typed text first (a typed "không phải tôi" while a
  fraud alert waits for its answer), tried in order.

A handler that returns True took the message: no webhook is sent for it and no answerer
sees it.

- ``answerers``: the internal app that owns the thread (``chat.ownership``: the assistant
  or the agent inbox), keyed by its app id, gets every other message the person writes there.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from ledgerline.storage.database import UnitOfWork
from ledgerline.storage.stores.threads import MessageRow, ThreadRow

# (uow, thread, the person's message, its payload, now) -> took it
PayloadHandler = Callable[[UnitOfWork, ThreadRow, MessageRow, str, int], bool]
# (uow, thread, the person's typed message, now) -> took it
TypedHandler = Callable[[UnitOfWork, ThreadRow, MessageRow, int], bool]
Answerer = Callable[[UnitOfWork, ThreadRow, MessageRow, int], None]


def _by_prefix(
    table: Mapping[str, PayloadHandler],
    uow: UnitOfWork,
    thread: ThreadRow,
    row: MessageRow,
    payload: str,
    now: int,
) -> bool:
    for prefix, handler in table.items():
        if payload.startswith(prefix) and handler(uow, thread, row, payload, now):
            return True
    return False


@dataclass(frozen=True)
class Inbound:
    postbacks: Mapping[str, PayloadHandler] = field(default_factory=dict)
    quick_replies: Mapping[str, PayloadHandler] = field(default_factory=dict)
    typed: Sequence[TypedHandler] = ()
    answerers: Mapping[str, Answerer] = field(default_factory=dict)

    def take(self, uow: UnitOfWork, thread: ThreadRow, row: MessageRow, now: int) -> bool:
        """True when one of the platform's own handlers took the person's message."""
        body = row.body
        if "postback" in body:
            payload = str(body["postback"].get("payload") or "")
            return _by_prefix(self.postbacks, uow, thread, row, payload, now)
        if "quick_reply" in body:
            payload = str(body["quick_reply"].get("payload") or "")
            return _by_prefix(self.quick_replies, uow, thread, row, payload, now)
        return any(handler(uow, thread, row, now) for handler in self.typed)

    def answerer(self, app_id: str | None) -> Answerer | None:
        return None if app_id is None else self.answerers.get(app_id)
