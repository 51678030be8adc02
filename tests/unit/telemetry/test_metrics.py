"""The metrics registry, and the dashboard and alerts shipped in docs/operations/ naming only
metrics that exist."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml
from prometheus_client.parser import text_string_to_metric_families

from ledgerline.domain.events import FraudAlertAnswered, FraudAlertRaised
from ledgerline.telemetry.ids import IdHasher
from ledgerline.telemetry.metrics import Backlog, Metrics

DOCS = Path(__file__).resolve().parents[3] / "docs" / "operations"
NAME = re.compile(r"\b(ledgerline_[a-z_]+|process_[a-z_]+)\b")
SUFFIXES = ("_total", "_bucket", "_sum", "_count")


def _exposed(metrics: Metrics) -> set[str]:
    names: set[str] = set()
    for family in text_string_to_metric_families(metrics.render().decode()):
        names.add(family.name)
        names.update(sample.name for sample in family.samples)
    return names


def _full() -> Metrics:
    metrics = Metrics()
    snapshot = metrics.snapshot
    snapshot.backlog = [Backlog("1", 3, 12.5)]
    snapshot.live_connections = lambda: 2
    snapshot.writer_queue = lambda: 0
    snapshot.pool = lambda: {"size": 8, "checked_out": 1}
    snapshot.broker_queue = lambda: 0
    snapshot.broker_dropped = lambda: 0
    metrics.http.observe("GET", "/healthz", 200, 0.01)
    metrics.send_api.labels("message").inc()
    metrics.ingested.labels("transaction").inc()
    metrics.ingest_duplicates.labels("transaction").inc()
    metrics.webhook_attempts.labels("1", "delivered").inc()
    metrics.alerts_raised.labels("bank").inc()
    metrics.alerts_answered.labels("genuine").inc()
    return metrics


def test_every_metric_the_dashboard_and_alerts_use_exists() -> None:
    exposed = _exposed(_full())
    dashboard = json.loads((DOCS / "grafana-dashboard.json").read_text())
    exprs = [t["expr"] for panel in dashboard["panels"] for t in panel["targets"]]
    rules = yaml.safe_load((DOCS / "alerts.yml").read_text())
    exprs += [rule["expr"] for group in rules["groups"] for rule in group["rules"]]
    used = {name for expr in exprs for name in NAME.findall(expr)}
    assert len(used) > 20
    missing = sorted(name for name in used if name not in exposed)
    assert missing == []
    assert {"ledgerline_webhook_outbox_pending", "ledgerline_live_connections"} <= used


def test_snapshot_gauges_and_events() -> None:
    metrics = _full()
    metrics.on_events([FraudAlertRaised("1", "score"), FraudAlertAnswered("1", "fraud"), object()])
    metrics.on_batch(8, 1, 0.004)
    text = metrics.render().decode()
    assert 'ledgerline_webhook_outbox_pending{page_id="1"} 3.0' in text
    assert 'ledgerline_webhook_outbox_oldest_age_seconds{page_id="1"} 12.5' in text
    assert "ledgerline_live_connections 2.0" in text
    assert 'ledgerline_db_pool_connections{state="checked_out"} 1.0' in text
    assert 'ledgerline_fraud_alerts_raised_total{source="score"} 1.0' in text
    assert 'ledgerline_fraud_alerts_answered_total{verdict="fraud"} 1.0' in text
    assert 'ledgerline_fraud_alerts_answered_total{verdict="genuine"} 1.0' in text
    assert "ledgerline_db_writer_failed_actions_total 1.0" in text
    assert "ledgerline_db_writer_batch_size_sum 8.0" in text
    assert "_created" not in text


def test_two_registries_do_not_share_counts() -> None:
    first, second = Metrics(process=False), Metrics(process=False)
    first.send_api.labels("message").inc()
    assert 'ledgerline_send_api_calls_total{kind="message"} 1.0' in first.render().decode()
    assert 'ledgerline_send_api_calls_total{kind="message"} 0.0' in second.render().decode()


def test_ids_in_logs_are_keyed_hashes() -> None:
    hasher, other = IdHasher(b"k" * 32), IdHasher(b"j" * 32)
    assert hasher("123456") == hasher("123456")
    assert hasher("123456") != other("123456")
    assert hasher("123456") != hasher("123457")
    assert len(hasher("123456") or "") == 12
    assert hasher(None) is None


def test_request_stats_expose_what_prometheus_clients_own_instruments_would() -> None:
    """``RequestStats`` counts in plain dictionaries; scraped, it reads exactly as a
    prometheus_client Counter and Histogram fed the same requests (names, labels, cumulative
    buckets with a value on a bucket's bound counted in that bucket, +Inf, sum, count)."""
    from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

    from ledgerline.telemetry.metrics import RequestStats

    buckets = (0.001, 0.01, 0.1, 1.0)
    registry = CollectorRegistry()
    counter = Counter(
        "ledgerline_http_requests", "x", ["method", "route", "status"], registry=registry
    )
    histogram = Histogram(
        "ledgerline_http_request_duration_seconds",
        "x",
        ["method", "route"],
        buckets=buckets,
        registry=registry,
    )
    ours = RequestStats(buckets)
    requests = [
        ("POST", "/{node}/messages", 200, 0.0004),
        ("POST", "/{node}/messages", 200, 0.01),  # on a bound: in that bucket
        ("POST", "/{node}/messages", 400, 0.05),
        ("GET", "/healthz", 200, 2.5),  # past every bound: +Inf only
    ]
    for method, route, status, seconds in requests:
        counter.labels(method, route, str(status)).inc()
        histogram.labels(method, route).observe(seconds)
        ours.observe(method, route, status, seconds)

    def samples(families: object) -> set[tuple[str, tuple[tuple[str, str], ...], float]]:
        return {
            (s.name, tuple(sorted(s.labels.items())), round(s.value, 9))
            for family in families  # type: ignore[attr-defined]
            for s in family.samples
            if not s.name.endswith("_created")
        }

    theirs = samples(text_string_to_metric_families(generate_latest(registry).decode()))
    mine_registry = CollectorRegistry()
    mine_registry.register(ours)
    mine = samples(text_string_to_metric_families(generate_latest(mine_registry).decode()))
    assert mine == theirs
    assert (
        "ledgerline_http_request_duration_seconds_bucket",
        (("le", "0.01"), ("method", "POST"), ("route", "/{node}/messages")),
        2.0,
    ) in mine
