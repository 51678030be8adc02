"""m.me-style links: ``/m/{PAGE_ID}?ref=…`` opens the person's chat with the page, and a
person who already has a thread with it sends the bank Messenger's ``messaging_referrals``
event: ``{"referral": {"ref", "source": "SHORTLINK", "type": "OPEN_THREAD"}}``. (A new
conversation's ref goes with the Get Started postback instead, as on Messenger.)"""

from __future__ import annotations

import re

from ledgerline.chat.actions import enqueue_webhook
from ledgerline.chat.blocking import check_not_blocked_by
from ledgerline.domain.errors import InvalidParameter, NoMatchingUser, NotFound
from ledgerline.storage.database import UnitOfWork
from ledgerline.storage.stores import businesses as business_store, threads as thread_store

REFERRAL = "referral"  # the outbox kind (field: messaging_referrals)
# Messenger's ref: up to 2083 characters of a-z A-Z 0-9 + / = - . : _
REF = re.compile(r"[A-Za-z0-9+/=\-.:_]{1,2083}")


def check_ref(ref: object) -> str:
    if not isinstance(ref, str) or not REF.fullmatch(ref):
        raise InvalidParameter("param ref must be 1 to 2083 of a-z A-Z 0-9 + / = - . : _")
    return ref


def referral(ref: str) -> dict[str, str]:
    return {"ref": ref, "source": "SHORTLINK", "type": "OPEN_THREAD"}


def do_open_from_link(uow: UnitOfWork, *, user_id: str, page_id: str, ref: str, now: int) -> None:
    """The person opened their thread with ``page_id`` through a link carrying ``ref``."""
    if business_store.get_business(uow.conn, page_id) is None:
        raise NoMatchingUser("No such business")
    check_not_blocked_by(uow, page_id=page_id, user_id=user_id)
    thread = thread_store.get_thread(uow.conn, page_id, user_id)
    if thread is None:
        raise NotFound("No conversation yet: a new conversation's ref goes with Get Started")
    enqueue_webhook(uow, thread, REFERRAL, now, referral=referral(ref))
