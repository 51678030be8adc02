"""Messenger's handover protocol: which app owns a thread, and how control moves.

A page's threads are answered by one of three apps at a time:

- the business's own app (its ``app_id``: its webhook bot) — the *primary receiver*;
- the built-in assistant (``ASSISTANT_APP_ID``), when the business has enabled it;
- the agent inbox (``PAGE_INBOX_APP_ID``, Meta's Page Inbox id): human agents.

A thread nobody has passed belongs to the page's *default owner*: the assistant while it is
enabled, else the business's app. The owner receives the person's messages on
``messaging``; the business's app, when it is not the owner, receives them on ``standby``
and its Send API calls are refused with ``(#10)`` subcode 2018300. Each transition queues the
``messaging_handovers`` item Messenger would send to the business's app:
``pass_thread_control`` when it receives control, ``take_thread_control`` when control is
taken from it, ``request_thread_control`` when another app asks it for control.

Other parts plug in through two registries (filled by the composition root, like
``chat.actions.on_quick_reply``): ``on_assistant_message`` (a person wrote in a thread the
assistant owns) and ``on_control_change`` (a thread changed owner).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ledgerline.chat.shapes import webhook_item
from ledgerline.delivery.signing import STANDBY_PREFIX
from ledgerline.domain.errors import InvalidParameter, NoMatchingUser, NotThreadOwner
from ledgerline.domain.events import Custom, WebhookQueued
from ledgerline.storage.database import UnitOfWork
from ledgerline.storage.stores import (
    businesses as business_store,
    handover as handover_store,
    threads as thread_store,
    webhooks as outbox,
)
from ledgerline.storage.stores.threads import MessageRow, ThreadRow

if TYPE_CHECKING:
    from sqlalchemy import Connection

PAGE_INBOX_APP_ID = "263902037430900"  # Meta's Page Inbox app: human agents
ASSISTANT_APP_ID = "1536977330000001"  # Ledgerline's built-in assistant (fixed, all pages)
INTERNAL_APPS = frozenset({PAGE_INBOX_APP_ID, ASSISTANT_APP_ID})
MAX_METADATA = 1000

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


AssistantMessageHandler = Callable[[UnitOfWork, ThreadRow, MessageRow, int], None]
ControlChangeHandler = Callable[[UnitOfWork, ControlChange], None]
_assistant_handlers: list[AssistantMessageHandler] = []
_control_handlers: list[ControlChangeHandler] = []


def on_assistant_message(handler: AssistantMessageHandler) -> AssistantMessageHandler:
    """Register ``handler(uow, thread, message, now)``: called, inside the person's message
    transaction, for each message a person writes in a thread the assistant owns (after
    it is stored; the business gets it on ``standby``)."""
    if handler not in _assistant_handlers:
        _assistant_handlers.append(handler)
    return handler


def forget_handler(handler: object) -> None:
    """Unregister a handler from both registries (tests, reconfiguration)."""
    for registry in (_assistant_handlers, _control_handlers):
        if handler in registry:
            registry.remove(handler)  # type: ignore[arg-type]


def on_control_change(handler: ControlChangeHandler) -> ControlChangeHandler:
    """Register ``handler(uow, change)``: called inside the transaction of every change of
    a thread's owner."""
    if handler not in _control_handlers:
        _control_handlers.append(handler)
    return handler


# -- who owns a thread -------------------------------------------------------------------


def _business_app(uow: UnitOfWork, page_id: str) -> str:
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
    business_app_id = _business_app(uow, page_id)
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
    return _business_app(uow, page_id)


def check_business_owns(uow: UnitOfWork, thread: ThreadRow) -> None:
    """The Send API's rule: only the owner may message the person (``10/2018300``)."""
    recorded, assistant_on = handover_store.control_of(uow.conn, thread.page_id, thread.thread_id)
    if recorded is None and not assistant_on:
        return  # the common case: the business's app owns the thread by default
    business_app_id = _business_app(uow, thread.page_id)
    owner = resolve_owner(recorded, business_app_id=business_app_id, assistant_on=assistant_on)
    if owner != business_app_id:
        raise NotThreadOwner()


def webhook_kind(uow: UnitOfWork, thread: ThreadRow, kind: str, business_app_id: str) -> str:
    """The outbox kind of a webhook event: ``standby:<kind>`` when the business's app does
    not own the thread and the event is one Messenger routes to standby."""
    if kind in STANDBY_KINDS and owner_of(uow, thread, business_app_id) != business_app_id:
        return STANDBY_PREFIX + kind
    return kind


def after_person_message(uow: UnitOfWork, thread: ThreadRow, row: MessageRow, now: int) -> None:
    """Hand a person's stored message to the internal app that owns the thread, if any."""
    recorded, assistant_on = handover_store.control_of(uow.conn, thread.page_id, thread.thread_id)
    if recorded is None and not assistant_on:
        return  # the common case: the business's app owns it by default
    owner = resolve_owner(recorded, business_app_id="", assistant_on=assistant_on)
    if owner == ASSISTANT_APP_ID:
        for handler in list(_assistant_handlers):
            handler(uow, thread, row, now)
    elif owner == PAGE_INBOX_APP_ID:
        from ledgerline.chat import inbox  # imported here: inbox imports this module

        inbox.person_wrote(uow, thread, row, now)


# -- transitions -------------------------------------------------------------------------


def _thread(uow: UnitOfWork, page_id: str, user_id: str) -> ThreadRow:
    thread = thread_store.get_thread(uow.conn, page_id, user_id)
    if thread is None:
        raise NoMatchingUser()
    return thread


def check_metadata(metadata: Any) -> str | None:
    if metadata is None or metadata == "":
        return None
    if not isinstance(metadata, str):
        raise InvalidParameter("param metadata must be a string")
    if len(metadata) > MAX_METADATA:
        raise InvalidParameter(f"param metadata must be at most {MAX_METADATA} characters")
    return metadata


def _queue_handover(uow: UnitOfWork, thread: ThreadRow, now: int, **event: Any) -> None:
    business = business_store.get_business(uow.conn, thread.page_id)
    if business is None or business.webhook_url is None:
        return
    item = webhook_item(psid=thread.psid, page_id=thread.page_id, timestamp=now, **event)
    outbox.enqueue(
        uow.conn,
        page_id=thread.page_id,
        psid=thread.psid,
        kind="messaging_handovers",
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
    from ledgerline.chat import inbox

    inbox.control_changed(uow, change)
    for handler in list(_control_handlers):
        handler(uow, change)
    uow.emit(
        Custom(
            "live",
            {
                "to": f"inbox:{thread.page_id}",
                "frame": {"type": "control", "user_id": thread.user_id, "owner": new},
            },
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
    business_app_id = _business_app(uow, page_id)
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
    business_app_id = _business_app(uow, page_id)
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
    business_app_id = _business_app(uow, page_id)
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
    from ledgerline.chat import inbox

    inbox.control_requested(uow, thread, by_app_id=by_app_id, metadata=metadata, now=now)
    return owner


def set_assistant_enabled(uow: UnitOfWork, *, page_id: str, enabled: bool, now: int) -> None:
    """Turn the page's built-in assistant on or off. While on it is the default owner of the
    page's threads; threads it owns go back to the business's app when it is turned off."""
    business_app_id = _business_app(uow, page_id)
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
        from_app_id=_business_app(uow, page_id),
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
        by_app_id=_business_app(uow, page_id),
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
        by_app_id=_business_app(uow, page_id),
        metadata=check_metadata(metadata),
        now=now,
    )


def api_thread_owner(conn: Connection, *, page_id: str, psid: str) -> str:
    """``GET /me/thread_owner``: a read (runs on a reading connection)."""
    uow = UnitOfWork(conn)
    thread = _person(uow, page_id, psid)
    return owner_of(uow, thread, _business_app(uow, page_id))
