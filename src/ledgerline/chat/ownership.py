"""Thread control: which app owns a (page, person) thread, as Messenger's handover protocol
defines it. The messaging core needs the answer on every send and every webhook; the
protocol's transitions (pass, take, request) are customer service's
(``customer_service.handover``).

A page's threads are answered by one of three apps at a time:

- the business's own app (its ``app_id``: its webhook bot) — the *primary receiver*;
- the built-in assistant (``ASSISTANT_APP_ID``), when the business has enabled it;
- the agent inbox (``PAGE_INBOX_APP_ID``, Meta's Page Inbox id): human agents.

A thread nobody has passed belongs to the page's *default owner*: the assistant while it is
enabled, else the business's app. The owner receives the person's messages on
``messaging``; the business's app, when it is not the owner, receives them on ``standby``
and its Send API calls are refused with ``(#10)`` subcode 2018300.
"""

from __future__ import annotations

from dataclasses import dataclass

from ledgerline.domain.errors import NoMatchingUser, NotThreadOwner
from ledgerline.domain.webhook_fields import STANDBY_PREFIX
from ledgerline.storage.database import UnitOfWork
from ledgerline.storage.stores import (
    businesses as business_store,
    handover as handover_store,
    threads as thread_store,
)
from ledgerline.storage.stores.threads import ThreadRow

PAGE_INBOX_APP_ID = "263902037430900"  # Meta's Page Inbox app: human agents
ASSISTANT_APP_ID = "1536977330000001"  # Ledgerline's built-in assistant (fixed, all pages)
INTERNAL_APPS = frozenset({PAGE_INBOX_APP_ID, ASSISTANT_APP_ID})

# Webhook kinds a non-owning business app receives on ``standby`` instead of ``messaging``.
STANDBY_KINDS = frozenset({"message", "postback", "read", "delivery"})


@dataclass(frozen=True, slots=True)
class ControlChange:
    """A thread changed owner (``how`` is ``pass`` or ``take``)."""

    page_id: str
    user_id: str
    thread_id: int
    psid: str
    previous_owner: str
    new_owner: str
    metadata: str | None
    how: str
    now: int


# -- who owns a thread -------------------------------------------------------------------


def business_app(uow: UnitOfWork, page_id: str) -> str:
    business = business_store.get_business(uow.conn, page_id)
    if business is None:
        raise NoMatchingUser("No such business")
    return business.app_id


def resolve_owner(recorded: str | None, *, business_app_id: str, assistant_on: bool) -> str:
    """The owner given the recorded one: the default owner when none is recorded, and the
    business's app when the recorded owner is the assistant but it was switched off."""
    if recorded is None:
        return ASSISTANT_APP_ID if assistant_on else business_app_id
    if recorded == ASSISTANT_APP_ID and not assistant_on:
        return business_app_id
    return recorded


def owner_of(uow: UnitOfWork, thread: ThreadRow, business_app_id: str) -> str:
    recorded, assistant_on = handover_store.control_of(uow.conn, thread.page_id, thread.thread_id)
    return resolve_owner(recorded, business_app_id=business_app_id, assistant_on=assistant_on)


def current_owner(uow: UnitOfWork, page_id: str, user_id: str) -> str:
    """The app id that owns the (page, person) thread now (a thread not yet started
    belongs to the page's default owner)."""
    business_app_id = business_app(uow, page_id)
    thread = thread_store.get_thread(uow.conn, page_id, user_id)
    recorded, assistant_on = handover_store.control_of(
        uow.conn, page_id, None if thread is None else thread.thread_id
    )
    return resolve_owner(recorded, business_app_id=business_app_id, assistant_on=assistant_on)


def assistant_enabled(uow: UnitOfWork, page_id: str) -> bool:
    return handover_store.assistant_enabled(uow.conn, page_id)


def default_bot(uow: UnitOfWork, page_id: str) -> str:
    """Where "back to the bot" goes: the assistant while enabled, else the business's app."""
    if handover_store.assistant_enabled(uow.conn, page_id):
        return ASSISTANT_APP_ID
    return business_app(uow, page_id)


def check_business_owns(
    uow: UnitOfWork, thread: ThreadRow, *, recorded_owner: str | None, assistant_on: bool
) -> None:
    """The Send API's rule: only the owner may message the person (``10/2018300``), given
    the thread's recorded owner and the assistant switch (read with the thread:
    ``send_targets``)."""
    if recorded_owner is None and not assistant_on:
        return  # the common case: the business's app owns the thread by default
    business_app_id = business_app(uow, thread.page_id)
    owner = resolve_owner(
        recorded_owner, business_app_id=business_app_id, assistant_on=assistant_on
    )
    if owner != business_app_id:
        raise NotThreadOwner()


def webhook_kind(uow: UnitOfWork, thread: ThreadRow, kind: str, business_app_id: str) -> str:
    """The outbox kind of a webhook event: ``standby:<kind>`` when the business's app does
    not own the thread and the event is one Messenger routes to standby."""
    if kind in STANDBY_KINDS and owner_of(uow, thread, business_app_id) != business_app_id:
        return STANDBY_PREFIX + kind
    return kind


def internal_owner(uow: UnitOfWork, thread: ThreadRow) -> str | None:
    """The internal app (assistant or Page Inbox) that owns ``thread``, if one does: it answers
    the person's messages (``chat.routing``)."""
    recorded, assistant_on = handover_store.control_of(uow.conn, thread.page_id, thread.thread_id)
    if recorded is None and not assistant_on:
        return None  # the common case: the business's app owns it by default
    owner = resolve_owner(recorded, business_app_id="", assistant_on=assistant_on)
    return owner if owner in INTERNAL_APPS else None
