"""The platform's Prometheus metrics, on a registry of their own (never the global one).

Counters and histograms are updated where things happen (a request, a webhook attempt, a
writer batch, a committed event); gauges of state (outbox backlog, open WebSockets, the
database pool, the broker's queue) are read when Prometheus scrapes (``Snapshot``), so the
hot paths pay nothing for them. Every name starts with ``ledgerline_``; labels stay few
(``route`` is the route's template, ``page_id`` a business — a bank, never a person).
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

from ledgerline.domain.events import FraudAlertAnswered, FraudAlertRaised

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

_LATENCY = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_WEBHOOK = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0)
_BATCH = (1, 2, 4, 8, 16, 32, 64, 128, 256)
_SCORING = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1)


@dataclass(frozen=True, slots=True)
class Backlog:
    """One business's pending webhook events: how many, and the oldest one's age."""

    page_id: str
    pending: int
    oldest_age_seconds: float


@dataclass
class Snapshot:
    """State read at scrape time. Each source is a callable set by the composition root."""

    backlog: list[Backlog] = field(default_factory=list)
    live_connections: Callable[[], int] | None = None
    writer_queue: Callable[[], int] | None = None
    pool: Callable[[], dict[str, int]] | None = None
    broker_queue: Callable[[], int] | None = None
    broker_dropped: Callable[[], int] | None = None
    # Called first at each scrape, where the scrape runs on a thread that may block (the
    # workers-only process); the API refreshes the backlog itself, off its event loop.
    refresh: Callable[[], None] | None = None


class _SnapshotCollector(Collector):
    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot

    def collect(self) -> Iterable[GaugeMetricFamily]:
        s = self.snapshot
        if s.refresh is not None:
            s.refresh()
        pending = GaugeMetricFamily(
            "ledgerline_webhook_outbox_pending",
            "Webhook events waiting to be delivered, per business",
            labels=["page_id"],
        )
        age = GaugeMetricFamily(
            "ledgerline_webhook_outbox_oldest_age_seconds",
            "Age of the oldest webhook event still waiting, per business",
            labels=["page_id"],
        )
        for row in s.backlog:
            pending.add_metric([row.page_id], row.pending)
            age.add_metric([row.page_id], row.oldest_age_seconds)
        yield pending
        yield age
        if s.live_connections is not None:
            yield GaugeMetricFamily(
                "ledgerline_live_connections",
                "People's WebSocket connections open on this process",
                value=s.live_connections(),
            )
        if s.writer_queue is not None:
            yield GaugeMetricFamily(
                "ledgerline_db_writer_queue_depth",
                "Actions waiting for a database writer",
                value=s.writer_queue(),
            )
        if s.pool is not None:
            pool = GaugeMetricFamily(
                "ledgerline_db_pool_connections",
                "Database pool connections by state (size, checked_out, idle, overflow)",
                labels=["state"],
            )
            for state, value in s.pool().items():
                pool.add_metric([state], value)
            yield pool
        if s.broker_queue is not None:
            yield GaugeMetricFamily(
                "ledgerline_broker_outgoing_queue",
                "Frames and wake-ups waiting to be published to the broker (its lag)",
                value=s.broker_queue(),
            )
        if s.broker_dropped is not None:
            yield GaugeMetricFamily(
                "ledgerline_broker_dropped",
                "Frames and wake-ups dropped since start because the broker queue was full",
                value=s.broker_dropped(),
            )


class RequestStats(Collector):
    """``ledgerline_http_requests_total`` and ``ledgerline_http_request_duration_seconds``:
    counted in plain dictionaries by the one thread that serves requests (the event loop), and
    turned into Prometheus families when scraped. prometheus_client's children take a lock
    for each increment (four a request), a measurable share of a Send API call's CPU; here
    a request costs two dictionary updates. A scrape copies each dictionary in one step."""

    def __init__(self, buckets: Sequence[float] = _LATENCY) -> None:
        self.bounds = tuple(sorted(buckets))
        self._counts: dict[tuple[str, str, int], int] = {}
        # per (method, route): a count per bucket (the last for +Inf), then the sum
        self._durations: dict[tuple[str, str], list[float]] = {}

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        key = (method, route, status)
        self._counts[key] = self._counts.get(key, 0) + 1
        histogram = self._durations.get((method, route))
        if histogram is None:
            histogram = self._durations[(method, route)] = [0.0] * (len(self.bounds) + 2)
        histogram[bisect.bisect_left(self.bounds, seconds)] += 1
        histogram[-1] += seconds

    def collect(self) -> Iterable[CounterMetricFamily | HistogramMetricFamily]:
        requests = CounterMetricFamily(
            "ledgerline_http_requests",
            "HTTP requests answered, by method, route template and status",
            labels=["method", "route", "status"],
        )
        for (method, route, status), count in list(self._counts.items()):
            requests.add_metric([method, route, str(status)], count)
        durations = HistogramMetricFamily(
            "ledgerline_http_request_duration_seconds",
            "Time from a request's arrival to its last byte, by method and route template",
            labels=["method", "route"],
        )
        labels = [*(floatToGoString(b) for b in self.bounds), "+Inf"]  # type: ignore[no-untyped-call]
        for (method, route), histogram in list(self._durations.items()):
            counts = list(itertools.accumulate(histogram[:-1]))
            durations.add_metric(
                [method, route], list(zip(labels, counts, strict=True)), histogram[-1]
            )
        yield requests
        yield durations


class Metrics:
    """Every instrument of one process. ``render()`` is the ``/metrics`` body."""

    def __init__(self, *, process: bool = True) -> None:
        # No ``*_created`` series beside each counter (prometheus_client's switch is global).
        disable_created_metrics()  # type: ignore[no-untyped-call]
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        if process:
            ProcessCollector(registry=r)
            PlatformCollector(registry=r)
        self.snapshot = Snapshot()
        r.register(_SnapshotCollector(self.snapshot))
        # -- HTTP ---------------------------------------------------------------------------
        self.http = RequestStats(_LATENCY)
        r.register(self.http)
        # -- the bank API -------------------------------------------------------------------
        self.send_api = Counter(
            "ledgerline_send_api_calls",
            "Send API calls accepted (kind: message or sender_action)",
            ["kind"],
            registry=r,
        )
        # The Send API's two children, made once (``labels()`` costs more than ``inc()``).
        self.send_message = self.send_api.labels("message")
        self.send_action = self.send_api.labels("sender_action")
        self.ingested = Counter(
            "ledgerline_ingested_records",
            "Financial records accepted from banks (new ones, not duplicates), by kind",
            ["kind"],
            registry=r,
        )
        self.ingest_duplicates = Counter(
            "ledgerline_ingested_duplicates",
            "Financial records acknowledged as duplicates (idempotency), by kind",
            ["kind"],
            registry=r,
        )
        # -- webhooks out -------------------------------------------------------------------
        self.webhook_attempts = Counter(
            "ledgerline_webhook_delivery_attempts",
            "Webhook POSTs attempted, by business and outcome (delivered, failed, gave_up)",
            ["page_id", "outcome"],
            registry=r,
        )
        self.webhook_duration = Histogram(
            "ledgerline_webhook_delivery_duration_seconds",
            "Time a webhook POST took (to the answer, the error or the timeout)",
            buckets=_WEBHOOK,
            registry=r,
        )
        # -- live ---------------------------------------------------------------------------
        self.frames_sent = Counter(
            "ledgerline_live_frames_sent",
            "Frames sent to people's WebSockets by this process",
            registry=r,
        )
        # -- fraud --------------------------------------------------------------------------
        self.alerts_raised = Counter(
            "ledgerline_fraud_alerts_raised",
            "'Was it you?' alerts raised (source: score or bank)",
            ["source"],
            registry=r,
        )
        self.alerts_answered = Counter(
            "ledgerline_fraud_alerts_answered",
            "Fraud alerts answered by the person (verdict: genuine or fraud)",
            ["verdict"],
            registry=r,
        )
        self.fraud_scoring = Histogram(
            "ledgerline_fraud_scoring_duration_seconds",
            "Time to score one batch of a person's transactions (features and model)",
            buckets=_SCORING,
            registry=r,
        )
        # -- storage ------------------------------------------------------------------------
        self.writer_batch = Histogram(
            "ledgerline_db_writer_batch_size",
            "Actions committed together by a database writer (group commit)",
            buckets=_BATCH,
            registry=r,
        )
        self.writer_commit = Histogram(
            "ledgerline_db_writer_batch_duration_seconds",
            "Time a writer batch took, from BEGIN to COMMIT",
            buckets=_LATENCY,
            registry=r,
        )
        self.writer_failed = Counter(
            "ledgerline_db_writer_failed_actions",
            "Actions rolled back (to their savepoint, or with their batch)",
            registry=r,
        )

    # -- hooks the composition root wires -----------------------------------------------------
    def on_batch(self, size: int, failed: int, seconds: float) -> None:
        """A writer committed (or rolled back) a batch of ``size`` actions."""
        self.writer_batch.observe(size)
        self.writer_commit.observe(seconds)
        if failed:
            self.writer_failed.inc(failed)

    def on_events(self, events: Sequence[object]) -> None:
        """Facts published after a commit: alerts raised and answered."""
        for event in events:
            if isinstance(event, FraudAlertRaised):
                self.alerts_raised.labels(event.source).inc()
            elif isinstance(event, FraudAlertAnswered):
                self.alerts_answered.labels(event.verdict).inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)
