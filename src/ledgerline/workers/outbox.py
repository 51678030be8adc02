"""Sending the webhook outbox to banks: signed, retried, in order per person, isolated.

One task per business drains that business's due events; within it at most
``concurrency`` people are in flight at once and each person's events go strictly one after
another (only a partition's head is ever due). A receiver that fails or hangs (up to the
20 s timeout) only occupies its own business's task, never another's.

A commit that queued events wakes the dispatcher with its pages: their tasks start (or, running,
claim again before they end) without a look at the whole outbox. The outbox is scanned for due
pages (retries come due, another process's events) at most every ``IDLE_POLL_SECONDS``, and on
a wake-up that names no page (another process's, a test's) at most every ``MIN_SCAN_SECONDS``:
that scan reads every pending event's head, and running it for each commit cost more than the
webhooks themselves under load.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import socket
import time
from collections.abc import Iterable
from typing import Any

import httpx
import structlog
from opentelemetry.trace import SpanKind, StatusCode

from ledgerline.delivery.backoff import retry_delay, should_give_up
from ledgerline.delivery.egress import DEFAULT_LIMITS, guarded_async_transport
from ledgerline.delivery.settings import WebhookSettings
from ledgerline.delivery.signing import encode_body, envelope, signature_headers
from ledgerline.delivery.urls import UrlNotAllowed, check_url
from ledgerline.domain.clock import Clock, to_ms
from ledgerline.domain.ids import derive_app_secret
from ledgerline.domain.webhook_fields import STANDBY_PREFIX
from ledgerline.storage.database import Database, UnitOfWork, person_partition
from ledgerline.storage.stores import businesses as business_store, webhooks as outbox
from ledgerline.storage.stores.businesses import BusinessRow
from ledgerline.storage.stores.webhooks import OutboxEvent
from ledgerline.telemetry import tracing
from ledgerline.telemetry.metrics import Metrics

log = structlog.get_logger(__name__)

IDLE_POLL_SECONDS = 1.0
MIN_SCAN_SECONDS = 0.1  # between two scans of the outbox asked for by wake-ups
RECLAIM_PAUSE_SECONDS = 0.02  # before claiming again after a claim that took nothing
LEASE_MARGIN_SECONDS = 10.0  # a claim outlives the slowest possible POST by this much


def _claim_due(uow: UnitOfWork, **kwargs: Any) -> list[OutboxEvent]:
    return outbox.claim_due(uow.conn, **kwargs)


def _release_claims(uow: UnitOfWork, *, owner: str) -> int:
    return outbox.release_claims(uow.conn, owner=owner)


class OutboxDispatcher:
    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        secret_key: bytes,
        allow_insecure: bool,
        timeout: float = 20.0,
        concurrency: int = 8,
        transport: httpx.AsyncBaseTransport | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self.db = db
        self.metrics = metrics
        self.clock = clock
        self.secret_key = secret_key
        self.allow_insecure = allow_insecure
        self.timeout = timeout
        self.concurrency = concurrency
        self._transport = transport
        self._wake = asyncio.Event()
        self._pages: dict[str, asyncio.Task[None]] = {}
        self._scan = True  # the outbox is to be scanned for due pages
        self._scanned_at = 0.0  # time.monotonic() of the last scan
        self._woken: set[str] = set()  # pages whose commits queued events since the last look
        self._news: dict[str, int] = {}  # per page: how many such wake-ups so far
        self._page_events: dict[str, asyncio.Event] = {}  # set on a page's news
        self._stopping = False
        self._client: httpx.AsyncClient | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        # This dispatcher's name on the events it claims; other processes' dispatchers on
        # the same database leave claimed events alone until the lease runs out.
        self.owner = f"{socket.gethostname()[:16]}:{os.getpid()}:{secrets.token_hex(4)}"
        self.lease_ms = int((timeout + LEASE_MARGIN_SECONDS) * 1000)

    # -- waking ---------------------------------------------------------------------------
    def notify(self, pages: Iterable[str] | None = None) -> None:
        """Events may be due: for ``pages`` (they just queued some; their tasks start or
        claim again, no scan), or anywhere (None: the outbox is scanned soon)."""
        if pages is None:
            self._scan = True
        else:
            for page_id in pages:
                self._woken.add(page_id)
                self._news[page_id] = self._news.get(page_id, 0) + 1
                event = self._page_events.get(page_id)
                if event is not None:
                    event.set()
        self._wake.set()

    def notify_threadsafe(self, pages: tuple[str, ...] | None = None) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self.notify, pages)

    # -- main loop ------------------------------------------------------------------------
    async def run(self) -> None:
        self._loop = asyncio.get_running_loop()
        # Connections go only to addresses checked when they open (delivery.egress): a
        # webhook host that starts resolving to an internal address is refused then.
        transport = self._transport or guarded_async_transport(
            allow_internal=self.allow_insecure, limits=DEFAULT_LIMITS
        )
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(self.timeout),
            follow_redirects=False,
            transport=transport,
            trust_env=False,
        )
        try:
            while not self._stopping:
                self._wake.clear()
                woken, self._woken = self._woken, set()
                for page_id in woken:
                    self._start(page_id)
                since = time.monotonic() - self._scanned_at
                if since >= IDLE_POLL_SECONDS or (self._scan and since >= MIN_SCAN_SECONDS):
                    self._scan = False
                    self._scanned_at = time.monotonic()
                    try:
                        await self._schedule_due_pages()
                    except Exception:  # a database hiccup must not kill the loop
                        log.exception("webhook_schedule_failed")
                    since = 0.0
                wait = (MIN_SCAN_SECONDS if self._scan else IDLE_POLL_SECONDS) - since
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), max(0.0, wait))
        finally:
            await self._shutdown()

    async def stop(self) -> None:
        self._stopping = True
        self._wake.set()

    async def _shutdown(self) -> None:
        tasks = list(self._pages.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._client is not None:
            await self._client.aclose()
        try:  # what was cut short is due again at once, for this process or another
            await self.db.write(_release_claims, owner=self.owner)
        except Exception:
            log.exception("webhook_release_claims_failed")

    async def _schedule_due_pages(self) -> None:
        now = to_ms(self.clock.now())
        for page_id in await self.db.read(outbox.pages_with_due_events, now=now):
            self._start(page_id)

    def _start(self, page_id: str) -> None:
        """The page's task, unless it runs (then it claims again before it ends: news)."""
        task = self._pages.get(page_id)
        if task is None or task.done():
            self._pages[page_id] = asyncio.create_task(
                self._drain_page(page_id), name=f"webhooks-{page_id}"
            )

    # -- one business ---------------------------------------------------------------------
    async def _drain_page(self, page_id: str) -> None:
        business = await self.db.read(business_store.get_business, page_id)
        if business is None or business.webhook_url is None:
            return
        in_flight: dict[str, asyncio.Task[None]] = {}
        batch = WebhookSettings.of(business).events_per_post
        while not self._stopping:
            news = self._news.get(page_id, 0)
            free = self.concurrency - len(in_flight)
            events: list[OutboxEvent] = []
            if free > 0:
                now = to_ms(self.clock.now())
                # Claimed events (ours in flight, or another process's) are never due, so
                # only free people come back, at most one group per free slot.
                events = await self.db.write(
                    _claim_due,
                    page_id=page_id,
                    now=now,
                    limit=free,
                    batch_per_partition=batch,
                    owner=self.owner,
                    lease_until=now + self.lease_ms,
                )
            groups: dict[str, list[OutboxEvent]] = {}
            for event in events:
                groups.setdefault(event.psid, []).append(event)
            for psid, group in groups.items():
                in_flight[psid] = asyncio.create_task(self._deliver_person(business, group, batch))
            if not in_flight:
                if self._news.get(page_id, 0) == news:
                    return
                # Events were queued while this claim (which took nothing) ran: claim again,
                # after a pause. Their heads may all be held by another process's
                # dispatcher, and claiming at once cost a claim for every commit meanwhile.
                await asyncio.sleep(RECLAIM_PAUSE_SECONDS)
                continue
            # A person's task goes on with their next events by itself; the page claims
            # again when one ends, when a commit queues news for the page (another person
            # may be waiting) while a slot is free, or on the poll (retries come due).
            waiters: list[asyncio.Future[Any]] = list(in_flight.values())
            news_waiter: asyncio.Task[None] | None = None
            if len(in_flight) < self.concurrency:
                news_waiter = asyncio.create_task(self._page_news(page_id, news))
                waiters.append(news_waiter)
            try:
                done, _ = await asyncio.wait(
                    waiters, timeout=IDLE_POLL_SECONDS, return_when=asyncio.FIRST_COMPLETED
                )
            finally:
                if news_waiter is not None:
                    news_waiter.cancel()
            ended = [p for p, t in in_flight.items() if t in done]
            for psid in ended:
                del in_flight[psid]
            if not ended and news_waiter in done:
                # News alone: claim once for what a burst of commits queued, not per commit.
                await asyncio.sleep(RECLAIM_PAUSE_SECONDS)

    async def _page_news(self, page_id: str, seen: int) -> None:
        """Returns once a commit queued events for ``page_id`` after ``seen`` wake-ups."""
        while self._news.get(page_id, 0) == seen:
            event = self._page_events.setdefault(page_id, asyncio.Event())
            event.clear()
            await event.wait()

    async def _deliver_person(
        self, business: BusinessRow, events: list[OutboxEvent], batch: int
    ) -> None:
        """One person's events, one POST at a time: each attempt is recorded together with
        the claim of what comes next for them (one writer action), until nothing is due."""
        while events:
            events = await self._deliver(business, events, batch)

    async def _deliver(
        self, business: BusinessRow, events: list[OutboxEvent], batch: int
    ) -> list[OutboxEvent]:
        """POST ``events`` (one person's), record the attempt; the person's next events,
        claimed in the same transaction (none while stopping or once this one failed)."""
        assert self._client is not None  # noqa: S101 - set in run()
        url = business.webhook_url or ""
        app_secret = derive_app_secret(self.secret_key, business.app_id, business.secret_version)
        messaging = [e.event for e in events if not e.kind.startswith(STANDBY_PREFIX)]
        standby = [e.event for e in events if e.kind.startswith(STANDBY_PREFIX)]
        body = encode_body(envelope(business.page_id, to_ms(self.clock.now()), messaging, standby))
        headers = {"Content-Type": "application/json", **signature_headers(app_secret, body)}
        started = time.perf_counter()
        status_code: int | None = None
        error: str | None = None
        origin = events[0].traceparent  # the request that queued it, when traced
        with tracing.span(
            "webhook POST",
            kind=SpanKind.CLIENT,
            headers=None if origin is None else {"traceparent": origin},
            attributes={
                "http.request.method": "POST",
                "ledgerline.page_id": business.page_id,
                "ledgerline.events": len(events),
            },
        ) as span:
            headers = tracing.headers_with_traceparent(headers)
            try:
                # Scheme and literal addresses here; names are resolved and checked once, by
                # the transport, when it connects (no second lookup to rebind).
                check_url(url, allow_insecure=self.allow_insecure, resolve=False)
                response = await self._client.post(url, content=body, headers=headers)
                status_code = response.status_code
                if not 200 <= status_code < 300:
                    error = f"HTTP {status_code}"
            except UrlNotAllowed as exc:
                error = f"URL refused: {exc}"
            except httpx.TimeoutException:
                error = f"timed out after {self.timeout:g} s"
            except httpx.HTTPError as exc:
                error = f"{type(exc).__name__}: {exc}"[:300]
            if span is not None:
                if status_code is not None:
                    span.set_attribute("http.response.status_code", status_code)
                if error is not None:
                    span.set_status(StatusCode.ERROR, error)
        seconds = time.perf_counter() - started
        return await self._record(events, status_code, error, int(seconds * 1000), seconds, batch)

    async def _record(
        self,
        events: list[OutboxEvent],
        status_code: int | None,
        error: str | None,
        duration_ms: int,
        seconds: float,
        batch: int,
    ) -> list[OutboxEvent]:
        now = to_ms(self.clock.now())
        delivered = error is None
        attempts = max(e.attempts for e in events) + 1
        give_up = not delivered and should_give_up(min(e.created_at for e in events), now)
        if self.metrics is not None:
            outcome = "delivered" if delivered else "gave_up" if give_up else "failed"
            self.metrics.webhook_attempts.labels(events[0].page_id, outcome).inc()
            self.metrics.webhook_duration.observe(seconds)
        next_at = None if delivered else now + int(retry_delay(attempts) * 1000)
        ids = [e.event_id for e in events]

        go_on = delivered and not self._stopping
        head = events[0]

        def record(uow: UnitOfWork) -> list[OutboxEvent]:
            outbox.record_attempt(
                uow.conn,
                event_ids=ids,
                now=now,
                status_code=status_code,
                error=error,
                duration_ms=duration_ms,
                delivered=delivered,
                next_attempt_at=next_at,
                give_up=give_up,
            )
            if not go_on:
                return []
            return outbox.claim_next_of_person(
                uow.conn,
                page_id=head.page_id,
                psid=head.psid,
                now=now,
                batch_per_partition=batch,
                owner=self.owner,
                lease_until=now + self.lease_ms,
            )

        # On the person's writer (a group is one person's events): a busy business's
        # attempts spread over every PostgreSQL writer instead of queueing on one.
        following = await self.db.write(record, partition=person_partition(head.page_id, head.psid))
        if not delivered:
            log.info(
                "webhook_failed",
                page_id=head.page_id,
                events=len(ids),
                status_code=status_code,
                error=error,
                attempts=attempts,
            )
        return following
