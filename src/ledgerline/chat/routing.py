"""Where a person's message goes besides the thread: handler tables, passed down as data.

The messaging core stores a person's message and tells the business's app. Two kinds of
message need someone else too, and those someones live above chat, so the composition root
(``bootstrap``) hands their handlers to :func:`chat.actions.do_user_message` in an
:class:`Inbound`:

- ``quick_replies``: answers to quick replies the platform asked itself (a fraud alert's
  "Was it you?", the satisfaction question), keyed by their payload prefix. A handler that
  returns True took the answer: no ``message`` webhook is sent for it.
- ``answerers``: the internal app that owns the thread (``chat.ownership``: the assistant
  or the agent inbox), keyed by its app id, gets every message the person writes there.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from ledgerline.storage.database import UnitOfWork
from ledgerline.storage.stores.threads import MessageRow, ThreadRow

QuickReplyHandler = Callable[[UnitOfWork, ThreadRow, str, int], bool]
Answerer = Callable[[UnitOfWork, ThreadRow, MessageRow, int], None]


@dataclass(frozen=True)
class Inbound:
    quick_replies: Mapping[str, QuickReplyHandler] = field(default_factory=dict)
    answerers: Mapping[str, Answerer] = field(default_factory=dict)

    def take_quick_reply(self, uow: UnitOfWork, thread: ThreadRow, payload: str, now: int) -> bool:
        """True when one of the platform's own quick replies took ``payload``."""
        for prefix, handler in self.quick_replies.items():
            if payload.startswith(prefix) and handler(uow, thread, payload, now):
                return True
        return False

    def answerer(self, app_id: str | None) -> Answerer | None:
        return None if app_id is None else self.answerers.get(app_id)
