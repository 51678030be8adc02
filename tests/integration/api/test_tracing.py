"""OpenTelemetry (issue 18 part 3): a bank's request, the writer action it queues and the
webhook POST that follows are one trace, continued from the bank's traceparent and handed
on to its receiver."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from ledgerline.telemetry import tracing
from tests.support.inprocess import in_process_server
from tests.support.linking import linked_world

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
CALLER = f"00-{TRACE_ID}-00f067aa0ba902b7-01"


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing.install(provider)
    try:
        yield exporter
    finally:
        tracing.install(None)
        provider.shutdown()


def _of_trace(exporter: InMemorySpanExporter) -> list[ReadableSpan]:
    return [
        span
        for span in exporter.get_finished_spans()
        if span.context is not None and f"{span.context.trace_id:032x}" == TRACE_ID
    ]


def test_a_bank_request_its_write_and_its_webhook_are_one_trace(
    database_url: str, tmp_path: Path, spans: InMemorySpanExporter
) -> None:
    with in_process_server(database_url, tmp_path) as live, linked_world(live) as world:
        user = live.create_user()
        psid = world.link(user, ["balances"])
        receiver = world.bank.bank.receiver
        before = len(receiver.deliveries)
        with live.client() as http:
            answer = http.post(
                "/v15.0/me/unlink_accounts",
                headers={
                    "Authorization": f"Bearer {world.business['page_access_token']}",
                    "traceparent": CALLER,
                },
                json={"psid": psid},
            )
        assert answer.status_code == 200, answer.text
        # The webhook's span ends before the dispatcher commits its delivery.
        live.until(
            lambda: (
                "webhook POST" in {span.name for span in _of_trace(spans)}
                and len(receiver.deliveries) > before
            ),
            "the webhook POST's span",
        )
        trace = {span.name: span for span in _of_trace(spans)}
        request = trace["POST /me/unlink_accounts"]
        assert request.kind is SpanKind.SERVER
        assert request.parent is not None
        assert f"{request.parent.span_id:016x}" == "00f067aa0ba902b7"
        assert request.attributes is not None
        assert request.attributes["http.response.status_code"] == 200
        (write,) = [s for s in trace.values() if s.name.startswith("db ")]
        assert write.parent is not None
        assert write.parent.span_id == request.context.span_id
        post = trace["webhook POST"]
        assert post.kind is SpanKind.CLIENT
        assert post.parent is not None
        assert post.parent.span_id == write.context.span_id
        assert post.attributes is not None
        assert post.attributes["http.response.status_code"] == 200
        # The bank's receiver is handed the trace too.
        unlinked = receiver.deliveries[-1]
        assert (
            unlinked.payload["entry"][0]["messaging"][0]["account_linking"]["status"] == "unlinked"
        )
        assert unlinked.headers["traceparent"].split("-")[1] == TRACE_ID


def test_without_an_exporter_nothing_is_traced(database_url: str, tmp_path: Path) -> None:
    assert not tracing.enabled()
    assert tracing.capture() is None
    assert tracing.traceparent() is None
    with tracing.span("nothing") as span:
        assert span is None
    with in_process_server(database_url, tmp_path) as live, live.client() as http:
        assert http.get("/healthz").status_code == 200


def test_the_standard_otlp_variable_turns_tracing_on(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from ledgerline.bootstrap import build_services
    from ledgerline.config import Settings

    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:9")
    services = build_services(Settings(env="development", data_dir=tmp_path))
    try:
        assert services.settings.otel_endpoint == "http://127.0.0.1:9"
        assert tracing.enabled()
    finally:
        services.close()  # nothing was traced: nothing is sent
    assert not tracing.enabled()
