"""Messenger's handover protocol: how control of a thread moves between apps.

Who owns a thread is ``chat.ownership``; this module moves it: ``pass_control``,
``take_control``, ``request_control`` (for the business's app through the Graph API, for the
inbox and the assistant directly) and the page's assistant switch. Each transition queues
the ``messaging_handovers`` item Messenger would send to the business's app (when it is
subscribed to that field) —
``pass_thread_control`` when it receives control, ``take_thread_control`` when control is
taken from it, ``request_thread_control`` when another app asks it for control — and keeps
the agent inbox in step (``customer_service.conversations``).
"""

from __future__ import annotations

from typing import Any

from ledgerline.chat.ownership import (
    ASSISTANT_APP_ID,
    PAGE_INBOX_APP_ID,
    ControlChange,
    business_app,
    owner_of,
)
from ledgerline.chat.wire import webhook_item
from ledgerline.customer_service import conversations
from ledgerline.delivery.subscriptions import business_receives
from ledgerline.domain.errors import InvalidParameter, NoMatchingUser, NotThreadOwner
from ledgerline.domain.events import LiveFrame, WebhookQueued, inbox_of
from ledgerline.domain.fields import Text
from ledgerline.storage.database import UnitOfWork
from ledgerline.storage.stores import (
    businesses as business_store,
    handover as handover_store,
    threads as thread_store,
    webhooks as outbox,
)
from ledgerline.storage.stores.threads import ThreadRow

MAX_METADATA = 1000
HANDOVERS = "messaging_handovers"  # the outbox kind (and webhook field) of these events


# -- transitions -------------------------------------------------------------------------


def _thread(uow: UnitOfWork, page_id: str, user_id: str) -> ThreadRow:
    thread = thread_store.get_thread(uow.conn, page_id, user_id)
    if thread is None:
        raise NoMatchingUser()
    return thread


# A handover's ``metadata``: free text for the receiving app, as sent (empty is none).
METADATA = Text(
    max_length=MAX_METADATA,
    required=False,
    numbers=False,
    strip=False,
    description="Free text for the app receiving the thread",
)


def check_metadata(metadata: Any) -> str | None:
    return METADATA.parse(metadata, "metadata")


def _queue_handover(uow: UnitOfWork, thread: ThreadRow, now: int, **event: Any) -> None:
    business = business_store.get_business(uow.conn, thread.page_id)
    if business is None or not business_receives(business, HANDOVERS):
        return
    item = webhook_item(psid=thread.psid, page_id=thread.page_id, timestamp=now, **event)
    outbox.enqueue(
        uow.conn,
        page_id=thread.page_id,
        psid=thread.psid,
        kind=HANDOVERS,
        event=item,
        now=now,
    )
    uow.emit(WebhookQueued(thread.page_id))


def _change(
    uow: UnitOfWork,
    thread: ThreadRow,
    *,
    business_app_id: str,
    previous: str,
    new: str,
    metadata: str | None,
    how: str,
    now: int,
) -> ControlChange:
    handover_store.set_owner(
        uow.conn, thread_id=thread.thread_id, page_id=thread.page_id, app_id=new, now=now
    )
    change = ControlChange(
        page_id=thread.page_id,
        user_id=thread.user_id,
        thread_id=thread.thread_id,
        psid=thread.psid,
        previous_owner=previous,
        new_owner=new,
        metadata=metadata,
        how=how,
        now=now,
    )
    body: dict[str, Any] = {"previous_owner_app_id": previous, "new_owner_app_id": new}
    if metadata is not None:
        body["metadata"] = metadata
    if how == "pass" and new == business_app_id:
        _queue_handover(uow, thread, now, pass_thread_control=body)
    elif how == "take" and previous == business_app_id:
        _queue_handover(uow, thread, now, take_thread_control=body)
    conversations.control_changed(uow, change)
    uow.emit(
        LiveFrame(
            inbox_of(thread.page_id), {"type": "control", "user_id": thread.user_id, "owner": new}
        )
    )
    return change


def pass_control(
    uow: UnitOfWork,
    *,
    page_id: str,
    user_id: str,
    to_app_id: str,
    metadata: str | None,
    now: int,
    from_app_id: str | None = None,
) -> ControlChange | None:
    """Pass the thread to ``to_app_id`` (the business's app, the inbox or the assistant).

    With ``from_app_id`` the caller must own the thread (else ``NotThreadOwner``); without
    it the current owner passes (what the assistant and the inbox do). Passing to the app
    that already owns the thread changes nothing and returns None.
    """
    business_app_id = business_app(uow, page_id)
    thread = _thread(uow, page_id, user_id)
    owner = owner_of(uow, thread, business_app_id)
    if from_app_id is not None and owner != from_app_id:
        raise NotThreadOwner("Only the thread owner can pass thread control")
    if to_app_id not in (business_app_id, PAGE_INBOX_APP_ID, ASSISTANT_APP_ID):
        raise InvalidParameter(
            "param target_app_id must be the page's app, the Page Inbox "
            f"({PAGE_INBOX_APP_ID}) or the assistant ({ASSISTANT_APP_ID})"
        )
    if to_app_id == ASSISTANT_APP_ID and not handover_store.assistant_enabled(uow.conn, page_id):
        raise InvalidParameter("The assistant is not enabled for this page")
    if to_app_id == owner:
        return None
    return _change(
        uow,
        thread,
        business_app_id=business_app_id,
        previous=owner,
        new=to_app_id,
        metadata=check_metadata(metadata),
        how="pass",
        now=now,
    )


def take_control(
    uow: UnitOfWork,
    *,
    page_id: str,
    user_id: str,
    by_app_id: str,
    metadata: str | None,
    now: int,
) -> ControlChange | None:
    """The business's app (the primary receiver) or the inbox takes the thread at once."""
    business_app_id = business_app(uow, page_id)
    if by_app_id not in (business_app_id, PAGE_INBOX_APP_ID):
        raise InvalidParameter("Only the page's app or the Page Inbox can take thread control")
    thread = _thread(uow, page_id, user_id)
    owner = owner_of(uow, thread, business_app_id)
    if owner == by_app_id:
        return None
    return _change(
        uow,
        thread,
        business_app_id=business_app_id,
        previous=owner,
        new=by_app_id,
        metadata=check_metadata(metadata),
        how="take",
        now=now,
    )


def request_control(
    uow: UnitOfWork,
    *,
    page_id: str,
    user_id: str,
    by_app_id: str,
    metadata: str | None,
    now: int,
) -> str:
    """``by_app_id`` asks the owner for the thread. The business's app hears it as a
    ``request_thread_control`` event; the inbox shows it to agents; the assistant grants it
    at once. Returns the owner after the request."""
    business_app_id = business_app(uow, page_id)
    thread = _thread(uow, page_id, user_id)
    owner = owner_of(uow, thread, business_app_id)
    metadata = check_metadata(metadata)
    if owner == by_app_id:
        return owner
    body: dict[str, Any] = {"requested_owner_app_id": by_app_id}
    if metadata is not None:
        body["metadata"] = metadata
    if owner == business_app_id:
        _queue_handover(uow, thread, now, request_thread_control=body)
        return owner
    if owner == ASSISTANT_APP_ID:
        _change(
            uow,
            thread,
            business_app_id=business_app_id,
            previous=owner,
            new=by_app_id,
            metadata=metadata,
            how="pass",
            now=now,
        )
        return by_app_id
    conversations.control_requested(uow, thread, by_app_id=by_app_id, metadata=metadata, now=now)
    return owner


def set_assistant_enabled(uow: UnitOfWork, *, page_id: str, enabled: bool, now: int) -> None:
    """Turn the page's built-in assistant on or off. While on it is the default owner of the
    page's threads; threads it owns go back to the business's app when it is turned off."""
    business_app_id = business_app(uow, page_id)
    handover_store.set_assistant_enabled(uow.conn, page_id, enabled=enabled, now=now)
    if not enabled:  # recorded for good: turning it on again does not take them back
        handover_store.reassign_owner(
            uow.conn,
            page_id=page_id,
            from_app_id=ASSISTANT_APP_ID,
            to_app_id=business_app_id,
            now=now,
        )


# -- the bank's API (by PSID, as the business's app) ---------------------------------------


def _person(uow: UnitOfWork, page_id: str, psid: str) -> ThreadRow:
    thread = thread_store.thread_by_psid(uow.conn, page_id, psid)
    if thread is None:
        raise NoMatchingUser()
    return thread


def do_api_pass_thread_control(
    uow: UnitOfWork, *, page_id: str, psid: str, target_app_id: str, metadata: Any, now: int
) -> None:
    """``POST /me/pass_thread_control``: the business's app must own the thread."""
    thread = _person(uow, page_id, psid)
    pass_control(
        uow,
        page_id=page_id,
        user_id=thread.user_id,
        to_app_id=target_app_id,
        metadata=check_metadata(metadata),
        now=now,
        from_app_id=business_app(uow, page_id),
    )


def do_api_take_thread_control(
    uow: UnitOfWork, *, page_id: str, psid: str, metadata: Any, now: int
) -> None:
    """``POST /me/take_thread_control``: the primary receiver takes the thread."""
    thread = _person(uow, page_id, psid)
    take_control(
        uow,
        page_id=page_id,
        user_id=thread.user_id,
        by_app_id=business_app(uow, page_id),
        metadata=check_metadata(metadata),
        now=now,
    )


def do_api_request_thread_control(
    uow: UnitOfWork, *, page_id: str, psid: str, metadata: Any, now: int
) -> None:
    """``POST /me/request_thread_control``: ask the owner (inbox or assistant) for it."""
    thread = _person(uow, page_id, psid)
    request_control(
        uow,
        page_id=page_id,
        user_id=thread.user_id,
        by_app_id=business_app(uow, page_id),
        metadata=check_metadata(metadata),
        now=now,
    )


def api_thread_owner(uow: UnitOfWork, *, page_id: str, psid: str) -> str:
    """``GET /me/thread_owner``: a query (``db.query``)."""
    thread = _person(uow, page_id, psid)
    return owner_of(uow, thread, business_app(uow, page_id))
