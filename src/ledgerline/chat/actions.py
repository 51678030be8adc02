"""State changes in threads: ``check_*`` validates, ``do_*`` writes inside one UnitOfWork.

Every ``do_*`` runs on a database writer (``db.write(do_x, ...)``): the message, the webhook
outbox rows and the events to publish share its transaction; nothing leaves before commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from ledgerline.chat import ownership
from ledgerline.chat.blocking import check_not_blocked_by, check_reachable
from ledgerline.chat.personas import persona_of_send
from ledgerline.chat.routing import Inbound
from ledgerline.chat.wire import client_message, echo_message, webhook_item
from ledgerline.delivery.subscriptions import business_receives
from ledgerline.domain.clock import from_ms
from ledgerline.domain.errors import (
    InvalidParameter,
    NoMatchingUser,
    OutsideWindow,
    PersonUnavailable,
)
from ledgerline.domain.events import LiveFrame, MessageCreated, PageRead, WebhookQueued, inbox_of
from ledgerline.domain.ids import new_mid, new_psid
from ledgerline.domain.luhn import mask_card_numbers
from ledgerline.domain.messages import account_link_urls
from ledgerline.domain.webhook_fields import ECHO, delivers
from ledgerline.domain.window import MessageTag, MessagingType, may_send
from ledgerline.storage.database import UnitOfWork
from ledgerline.storage.stores import (
    businesses as business_store,
    send_targets,
    threads as thread_store,
    webhooks as outbox,
)
from ledgerline.storage.stores.threads import MessageRow, ThreadRow


@dataclass(frozen=True, slots=True)
class SentMessage:
    recipient_id: str
    message_id: str


def same_link_target(registered: str, url: str) -> bool:
    """An account_link button must point at the business's registered URL (query aside)."""
    a, b = urlsplit(registered), urlsplit(url)
    return (a.scheme.lower(), a.netloc.lower(), a.path.rstrip("/")) == (
        b.scheme.lower(),
        b.netloc.lower(),
        b.path.rstrip("/"),
    )


def check_account_links(registered: str | None, message: dict[str, Any]) -> None:
    for url in account_link_urls(message):
        if registered is None:
            raise InvalidParameter(
                "param account_link[url]: this page has no registered account-link URL"
            )
        if not same_link_target(registered, url):
            raise InvalidParameter(
                "param account_link[url] must match the page's registered account-link URL"
            )


def _store_page_message(
    uow: UnitOfWork, thread: ThreadRow, message: dict[str, Any], now: int, mid: str | None = None
) -> MessageRow:
    mid = mid or new_mid()
    seq, number = thread_store.insert_message(
        uow.conn, thread=thread, mid=mid, sender="page", body=message, created_at=now
    )
    row = MessageRow(
        seq=seq, mid=mid, sender="page", body=message, created_at=now, thread_seq=number
    )
    uow.emit(MessageCreated(thread.page_id, thread.user_id, client_message(row)))
    return row


def do_send_page_message(
    uow: UnitOfWork,
    *,
    page_id: str,
    psid: str,
    message: dict[str, Any],
    messaging_type: MessagingType,
    tag: MessageTag | None,
    now: datetime,
    persona_id: str | None = None,
) -> SentMessage:
    """The Send API: a page messages a person it has a thread with, within policy;
    ``persona_id``: under one of the page's personas (the message keeps its name)."""
    target = send_targets.send_target(uow.conn, page_id, psid)
    if target is None:
        raise NoMatchingUser()
    if target.unreachable:
        raise PersonUnavailable()
    thread = target.thread
    ownership.check_business_owns(
        uow, thread, recorded_owner=target.recorded_owner, assistant_on=target.assistant_on
    )
    last = None if thread.last_user_message_at is None else from_ms(thread.last_user_message_at)
    if not may_send(messaging_type=messaging_type, tag=tag, last_user_message_at=last, now=now):
        raise OutsideWindow()
    if account_link_urls(message):  # only then is the page's registered URL needed
        business = business_store.get_business(uow.conn, page_id)
        check_account_links(None if business is None else business.account_link_url, message)
    if persona_id is not None:
        message = {**message, "persona": persona_of_send(uow, page_id, persona_id)}
    row = _store_page_message(uow, thread, message, int(now.timestamp() * 1000))
    if delivers(target.fields, ECHO):  # only then is the business read
        _enqueue_echo(uow, thread, row)
    return SentMessage(recipient_id=psid, message_id=row.mid)


def _enqueue_echo(uow: UnitOfWork, thread: ThreadRow, row: MessageRow) -> None:
    """``message_echoes``: what the page's app sent, back to it, as Messenger echoes it."""
    business = business_store.get_business(uow.conn, thread.page_id)
    if business is None or not business_receives(business, ECHO):
        return
    item = {
        "sender": {"id": thread.page_id},
        "recipient": {"id": thread.psid},
        "timestamp": row.created_at,
        "message": echo_message(row, app_id=business.app_id),
    }
    outbox.enqueue(
        uow.conn, page_id=thread.page_id, psid=thread.psid, kind=ECHO, event=item,
        now=row.created_at,
    )  # fmt: skip
    uow.emit(WebhookQueued(thread.page_id))


def do_post_page_message(
    uow: UnitOfWork,
    *,
    page_id: str,
    user_id: str,
    message: dict[str, Any],
    now: int,
    mid: str | None = None,
) -> MessageRow:
    """A message the platform itself posts as the page (updates, confirmations); no window
    check: callers use it only for what Messenger's tags allow. ``mid``: when made already
    (a button in the message names it)."""
    thread = thread_store.get_or_create_thread(
        uow.conn, page_id, user_id, now=now, new_psid=new_psid
    )
    return _store_page_message(uow, thread, message, now, mid)


def _enqueue_webhook(uow: UnitOfWork, thread: ThreadRow, kind: str, now: int, **event: Any) -> None:
    business = business_store.get_business(uow.conn, thread.page_id)
    if business is None or business.webhook_url is None:
        return
    kind = ownership.webhook_kind(uow, thread, kind, business.app_id)  # standby for non-owners
    if not business_receives(business, kind):  # not a field the page is subscribed to
        return
    item = webhook_item(psid=thread.psid, page_id=thread.page_id, timestamp=now, **event)
    outbox.enqueue(
        uow.conn, page_id=thread.page_id, psid=thread.psid, kind=kind, event=item, now=now
    )
    uow.emit(WebhookQueued(thread.page_id))


def enqueue_webhook(uow: UnitOfWork, thread: ThreadRow, kind: str, now: int, **event: Any) -> None:
    """Queue a webhook event of ``thread`` for its business, in the caller's transaction
    (nothing is queued when the business has no webhook URL or is not subscribed to the
    event's field)."""
    _enqueue_webhook(uow, thread, kind, now, **event)


def do_user_message(
    uow: UnitOfWork,
    *,
    user_id: str,
    page_id: str,
    body: dict[str, Any],
    now: int,
    inbound: Inbound,
) -> MessageRow:
    """A person writes to a page: ``body`` is ``{"text"}`` optionally with ``quick_reply``
    ``{"payload"}``, a ``postback`` ``{"title","payload"}`` (shown as its title), or
    ``{"attachments": [{"type","payload":{"url"}}]}`` (re-hosted by ``chat.attachments``).
    ``inbound``: who else hears it (``chat.routing``).

    A card number the person types is masked (all but its last four digits) before the
    message is stored, shown or sent anywhere: the platform never keeps a PAN."""
    if business_store.get_business(uow.conn, page_id) is None:
        raise NoMatchingUser("No such business")
    check_not_blocked_by(uow, page_id=page_id, user_id=user_id)
    if isinstance(body.get("text"), str):
        masked, found = mask_card_numbers(body["text"])
        if found:
            body = {**body, "text": masked}
    thread = thread_store.get_or_create_thread(
        uow.conn, page_id, user_id, now=now, new_psid=new_psid
    )
    mid = new_mid()
    seq, number = thread_store.insert_message(
        uow.conn, thread=thread, mid=mid, sender="user", body=body, created_at=now
    )
    row = MessageRow(seq=seq, mid=mid, sender="user", body=body, created_at=now, thread_seq=number)
    uow.emit(MessageCreated(page_id, user_id, client_message(row)))
    if inbound.take(uow, thread, row, now):  # the platform's own buttons and questions
        return row
    if "postback" in body:
        postback = {"title": body["text"], "payload": body["postback"]["payload"], "mid": mid}
        if "referral" in body["postback"]:  # the Get Started button, opened from a link
            postback["referral"] = body["postback"]["referral"]
        _enqueue_webhook(uow, thread, "postback", now, postback=postback)
    else:
        message: dict[str, Any] = {"mid": mid}
        if "text" in body:
            message["text"] = body["text"]
        if "attachments" in body:  # a photo or file the person sent (chat.attachments)
            message["attachments"] = body["attachments"]
        if "quick_reply" in body:
            message["quick_reply"] = {"payload": body["quick_reply"]["payload"]}
        _enqueue_webhook(uow, thread, "message", now, message=message)
    _hand_to_owner(uow, inbound, thread, row, now)
    return row


def _hand_to_owner(
    uow: UnitOfWork, inbound: Inbound, thread: ThreadRow, row: MessageRow, now: int
) -> None:
    """The assistant or the agent inbox answers when it owns the thread."""
    answerer = inbound.answerer(ownership.internal_owner(uow, thread))
    if answerer is not None:
        answerer(uow, thread, row, now)


def do_user_read(uow: UnitOfWork, *, user_id: str, page_id: str, now: int) -> int | None:
    """The person read the thread: unread drops to zero and the page gets a ``read`` event
    whose watermark is the time of the newest page message read. Returns the watermark."""
    thread = thread_store.get_thread(uow.conn, page_id, user_id)
    if thread is None:
        raise NoMatchingUser("No such thread")
    newest = thread_store.max_page_message_seq(uow.conn, thread.thread_id)
    if newest is None or newest[0] <= thread.user_read_seq:
        return None
    seq, watermark = newest
    thread_store.set_user_read(uow.conn, thread.thread_id, seq)
    _enqueue_webhook(uow, thread, "read", now, read={"watermark": watermark})
    uow.emit(
        LiveFrame(inbox_of(page_id), {"type": "read", "user_id": user_id, "watermark": watermark})
    )
    return watermark


@dataclass(frozen=True, slots=True)
class DeliveredMark:
    user_id: str
    mids: tuple[str, ...]
    watermark: int


def threads_to_mark_delivered(
    uow: UnitOfWork, *, page_id: str, user_ids: list[str]
) -> dict[str, ThreadRow]:
    """The page's threads with these people whose delivery receipts have a reader: none when
    the business has no webhook URL (the watermark exists for the ``delivery`` webhook
    alone), so a flush for such a page writes nothing at all."""
    business = business_store.get_business(uow.conn, page_id)
    if business is None or business.webhook_url is None:
        return {}
    return thread_store.threads_of_users(uow.conn, page_id, user_ids)


def do_mark_delivered_many(
    uow: UnitOfWork, *, page_id: str, marks: list[DeliveredMark], now: int
) -> int:
    """Several people's delivery receipts for one page in one action; how many advanced.

    The delivered watermark exists for the ``delivery`` webhook alone: a business without a
    webhook URL has nobody to tell, so nothing is written (should it add a URL later, its
    first receipts simply start from the old watermark)."""
    business = business_store.get_business(uow.conn, page_id)
    if business is None or business.webhook_url is None:
        return 0
    threads = thread_store.threads_of_users(uow.conn, page_id, [mark.user_id for mark in marks])
    advanced = 0
    for mark in marks:
        thread = threads.get(mark.user_id)
        if thread is None or not thread_store.set_delivered(
            uow.conn, thread.thread_id, mark.watermark
        ):
            continue
        delivery = {"mids": list(mark.mids), "watermark": mark.watermark}
        _enqueue_webhook(uow, thread, "delivery", now, delivery=delivery)
        advanced += 1
    return advanced


def do_page_mark_seen(uow: UnitOfWork, *, page_id: str, psid: str, now: int) -> None:
    """``sender_action: mark_seen``: the page read the person's messages."""
    thread = thread_store.thread_by_psid(uow.conn, page_id, psid)
    if thread is None:
        raise NoMatchingUser()
    check_reachable(uow, page_id=page_id, user_id=thread.user_id)
    thread_store.set_page_read(uow.conn, thread.thread_id, now)
    uow.emit(PageRead(page_id, thread.user_id, now))
