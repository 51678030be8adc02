"""What a bank does in its console, besides signing in: webhook URL and test events.

(Rotating credentials reuses ``chat.accounts``; see ``service.do_console_rotate_page_token``.)
"""

from __future__ import annotations

import secrets

from ledgerline.chat.wire import webhook_item
from ledgerline.domain.errors import InvalidParameter
from ledgerline.domain.events import WebhookQueued
from ledgerline.storage.database import UnitOfWork
from ledgerline.storage.stores import businesses as business_store, webhooks as outbox

TEST_PSID = "test"  # the sender of console test events; no person has this PSID
TEST_TEXT = "Test event from the Ledgerline console"


def do_set_webhook(uow: UnitOfWork, *, page_id: str, url: str, verify_token: str) -> None:
    """Store a webhook URL that has already passed the handshake."""
    business_store.update_business(uow.conn, page_id, webhook_url=url, verify_token=verify_token)


def do_queue_test_event(uow: UnitOfWork, *, page_id: str, now: int) -> int:
    """Queue a sample ``message`` event through the webhook outbox, so that it is signed,
    retried and shown in the delivery log like any other. Returns its outbox id."""
    business = business_store.get_business(uow.conn, page_id)
    if business is None or business.webhook_url is None:
        raise InvalidParameter("Set a webhook URL before sending a test event")
    item = webhook_item(
        psid=TEST_PSID,
        page_id=page_id,
        timestamp=now,
        message={"mid": "m_test_" + secrets.token_urlsafe(12), "text": TEST_TEXT},
    )
    event_id = outbox.enqueue(
        uow.conn, page_id=page_id, psid=TEST_PSID, kind="test", event=item, now=now
    )
    uow.emit(WebhookQueued(page_id))
    return event_id
