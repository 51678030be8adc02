"""Web Push: a business's messages reach the person's browsers when no Ledgerline page is
open (RFC 8030 to the push service each browser chose; RFC 8291 encryption and RFC 8292
VAPID through ``vault.vapid``).

The person allows notifications in the web app, which subscribes the browser with the
deployment's VAPID public key and sends the subscription and the kinds of updates it wants
(``TOPICS``) to ``POST /api/v1/push/subscriptions``. After a message from a business
commits, :class:`PushSender` (one per process, beside the live hub) sends each of the
person's subscriptions that wants that kind an encrypted notification: the business's
name and the message's preview — only the browser can read it, not the push service. The
service worker shows it unless a Ledgerline page is visible. A subscription the push
service reports gone (404/410) is deleted. Who has a subscription at all is kept in memory
(read at start, kept current by this process's subscribe calls, re-read every minute for
the other processes'), so a message to someone without one costs no database read.

Best effort, as notifications are: a push lost in a crash is not retried (the message
itself is in the thread). Push service URLs obey the webhook URL rules (``urls``: https and
no internal address in production).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx
import structlog

from ledgerline.delivery.urls import UrlNotAllowed, check_url
from ledgerline.domain.clock import Clock, to_ms
from ledgerline.domain.errors import InvalidParameter
from ledgerline.domain.events import Event, MessageCreated
from ledgerline.storage.database import Database, UnitOfWork
from ledgerline.storage.stores import businesses as business_store, push as push_store

log = structlog.get_logger(__name__)

TOPICS = ("alerts", "payments", "updates", "messages")
DEFAULT_TOPICS = frozenset({"alerts", "payments", "messages"})
QUEUE_LIMIT = 10_000
REFRESH_SECONDS = 60.0  # how often the set of people with subscriptions is re-read
MAX_BODY = 300
ALERT_TTL_SECONDS = 7 * 24 * 3600  # as long as an alert can be answered
TTL_SECONDS = 24 * 3600


class PushCrypto(Protocol):
    """The deployment's VAPID key and the encryption (``vault.vapid.VapidKeys``)."""

    public_key: str

    def authorization(self, endpoint_origin: str, now: float | None = None) -> str: ...

    def encrypt(self, endpoint: str, p256dh: str, auth: str, payload: dict[str, Any]) -> bytes: ...

    def valid_subscription_keys(self, p256dh: str, auth: str) -> bool: ...


def _summary(message: dict[str, Any]) -> dict[str, Any] | None:
    attachment = message.get("attachment") or {}
    payload = attachment.get("payload") if attachment.get("type") == "template" else None
    summary = (payload or {}).get("summary")
    return summary if isinstance(summary, dict) else None


def topic_of(message: dict[str, Any]) -> str:
    """Which kind of update a page message is: a fraud alert, a payment, another update
    (balance, receipt, shipment…), or a message someone wrote."""
    summary = _summary(message)
    if summary is not None:
        return "alerts" if summary.get("kind") == "fraud_alert" else "payments"
    return "updates" if message.get("attachment") else "messages"


def notification_of(page_id: str, page_name: str, message: dict[str, Any]) -> dict[str, Any]:
    """What the service worker shows: ``{title, body, tag, page_id, topic}``."""
    topic = topic_of(message)
    payload = (message.get("attachment") or {}).get("payload") or {}
    body = str(message.get("text") or payload.get("text") or "")
    summary = _summary(message) or {}
    if topic == "alerts" and summary.get("amount"):
        head = " · ".join(str(summary[k]) for k in ("amount", "merchant") if summary.get(k))
        body = f"{head}\n{body}"
    title = f"⚠ {page_name}" if topic == "alerts" else page_name
    return {
        "title": title,
        "body": body[:MAX_BODY],
        "tag": message.get("mid"),
        "page_id": page_id,
        "topic": topic,
    }


# -- the person's subscriptions ----------------------------------------------------------------
def check_subscription(
    crypto: PushCrypto,
    *,
    endpoint: str,
    p256dh: str,
    auth: str,
    topics: Iterable[str],
    allow_insecure: bool,
) -> frozenset[str]:
    """A browser's subscription as the page sends it; the topics it wants. Raises
    ``InvalidParameter`` (a 400 with a readable message) otherwise."""
    try:
        check_url(endpoint, allow_insecure=allow_insecure)
    except UrlNotAllowed as exc:
        raise InvalidParameter(f"param endpoint is not a push service URL: {exc}") from None
    if not crypto.valid_subscription_keys(p256dh, auth):
        raise InvalidParameter("param keys must be the subscription's p256dh and auth keys")
    chosen = frozenset(topics)
    unknown = sorted(chosen - set(TOPICS))
    if unknown:
        raise InvalidParameter(
            f"param topics: {unknown[0][:40]!r} is not one of {', '.join(TOPICS)}"
        )
    return chosen


def do_subscribe(
    uow: UnitOfWork,
    *,
    user_id: str,
    endpoint: str,
    p256dh: str,
    auth: str,
    topics: frozenset[str],
    now: int,
) -> None:
    push_store.put_subscription(
        uow.conn,
        user_id=user_id,
        endpoint=endpoint,
        p256dh=p256dh,
        auth=auth,
        topics=topics,
        now=now,
    )


def do_unsubscribe(uow: UnitOfWork, *, user_id: str, endpoint: str) -> bool:
    return push_store.delete_subscription(uow.conn, user_id, endpoint)


def _forget(uow: UnitOfWork, subscription_id: int) -> None:
    push_store.forget_endpoint(uow.conn, subscription_id)


@dataclass(frozen=True, slots=True)
class _Outgoing:
    user_id: str
    page_id: str
    message: dict[str, Any]


class PushSender:
    """Sends Web Push notifications for page messages committed in this process."""

    def __init__(
        self,
        *,
        db: Database,
        crypto: PushCrypto,
        clock: Clock,
        allow_insecure: bool,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.db = db
        self.crypto = crypto
        self.clock = clock
        self.allow_insecure = allow_insecure
        self._transport = transport
        self._timeout = timeout
        self._queue: asyncio.Queue[_Outgoing | None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._subscribers: set[str] = set()  # people with at least one subscription
        self.sent = 0  # pushes the push services accepted (for tests and metrics)

    def subscribed(self, user_id: str) -> None:
        """This process just stored a subscription of ``user_id``: push to them from now."""
        self._subscribers.add(user_id)

    @property
    def public_key(self) -> str:
        """The VAPID public key the page subscribes with (``applicationServerKey``)."""
        return self.crypto.public_key

    # -- fed after each commit, from the writer's thread ----------------------------------
    def offer_threadsafe(self, events: Iterable[Event]) -> None:
        loop, queue = self._loop, self._queue
        if loop is None or queue is None:
            return  # not running (one-shot commands)
        for event in events:
            if (
                isinstance(event, MessageCreated)
                and event.message.get("from") == "page"
                and event.user_id in self._subscribers
            ):
                item = _Outgoing(event.user_id, event.page_id, event.message)
                with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                    loop.call_soon_threadsafe(self._put, queue, item)

    @staticmethod
    def _put(queue: asyncio.Queue[_Outgoing | None], item: _Outgoing) -> None:
        if queue.qsize() < QUEUE_LIMIT:
            queue.put_nowait(item)

    # -- the worker ------------------------------------------------------------------------
    async def run(self) -> None:
        self._loop = asyncio.get_running_loop()
        queue: asyncio.Queue[_Outgoing | None] = asyncio.Queue()
        self._queue = queue
        await self._refresh()
        async with httpx.AsyncClient(
            transport=self._transport, timeout=self._timeout, follow_redirects=False
        ) as http:
            while True:
                try:
                    item = await asyncio.wait_for(queue.get(), timeout=REFRESH_SECONDS)
                except TimeoutError:
                    await self._refresh()
                    continue
                if item is None:
                    return
                try:
                    await self._send(http, item)
                except Exception:  # one failure never stops the others
                    log.exception("push_failed", user_id=item.user_id)

    async def _refresh(self) -> None:
        try:
            self._subscribers = set(await self.db.read(push_store.subscribers))
        except Exception:  # the database is away: keep what is known, try again later
            log.exception("push_subscribers_unreadable")

    async def stop(self) -> None:
        if self._queue is not None:
            self._queue.put_nowait(None)
        self._loop = None

    async def _send(self, http: httpx.AsyncClient, item: _Outgoing) -> None:
        topic = topic_of(item.message)
        subscriptions = [
            sub
            for sub in await self.db.read(push_store.subscriptions_of, item.user_id)
            if topic in sub.topics
        ]
        if not subscriptions:
            return
        business = await self.db.read(business_store.get_business, item.page_id)
        name = "Ledgerline" if business is None else business.name
        notification = notification_of(item.page_id, name, item.message)
        for sub in subscriptions:
            await self._deliver(http, sub, notification)

    async def _deliver(
        self, http: httpx.AsyncClient, sub: push_store.SubscriptionRow, note: dict[str, Any]
    ) -> None:
        try:
            url = await asyncio.to_thread(
                check_url, sub.endpoint, allow_insecure=self.allow_insecure
            )
        except UrlNotAllowed as exc:
            log.warning("push_endpoint_refused", reason=str(exc))
            return
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        alert = note["topic"] == "alerts"
        headers = {
            "Authorization": self.crypto.authorization(origin, to_ms(self.clock.now()) / 1000),
            "Content-Encoding": "aes128gcm",
            "Content-Type": "application/octet-stream",
            "TTL": str(ALERT_TTL_SECONDS if alert else TTL_SECONDS),
            "Urgency": "high" if alert else "normal",
        }
        body = self.crypto.encrypt(sub.endpoint, sub.p256dh, sub.auth, note)
        try:
            answer = await http.post(url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            log.warning("push_unreachable", error=type(exc).__name__)
            return
        if answer.status_code in (404, 410):  # the browser unsubscribed, or it expired
            await self.db.write(_forget, sub.subscription_id)
        elif answer.status_code >= 300:
            log.warning("push_refused", status=answer.status_code)
        else:
            self.sent += 1
