"""OpenTelemetry traces, when an exporter is configured: one trace from a bank's request
through the writer that commits it to the webhook POST it causes.

Off by default, and then free: every function here checks one module flag first. The
composition root turns it on (:func:`install`, with the SDK's tracer provider) when
``OTEL_EXPORTER_OTLP_ENDPOINT`` (or ``…_TRACES_ENDPOINT``) is set.

* the request: a SERVER span (``api.telemetry``), continuing the caller's ``traceparent``;
* the writer: each action runs in a span whose parent is the context of whoever queued it
  (``storage.database`` carries it across the thread);
* the outbox: an event remembers the ``traceparent`` of the action that queued it, and its
  delivery is a CLIENT span under it, whose ``traceparent`` header goes to the bank.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from opentelemetry import context as otel_context, trace
from opentelemetry.trace import SpanKind, Tracer
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

_state: dict[str, Tracer | None] = {"tracer": None}
_propagator = TraceContextTextMapPropagator()

Context = otel_context.Context


def install(provider: trace.TracerProvider | None) -> None:
    """Trace with ``provider`` from now on (None: stop). Called by the composition root."""
    _state["tracer"] = None if provider is None else provider.get_tracer("ledgerline")


def enabled() -> bool:
    return _state["tracer"] is not None


def capture() -> Context | None:
    """The current context, to carry to another thread: None when tracing is off or no span
    is under way (a worker's own write starts no trace)."""
    if _state["tracer"] is None:
        return None
    current = otel_context.get_current()
    if not trace.get_current_span(current).get_span_context().is_valid:
        return None
    return current


def traceparent() -> str | None:
    """The W3C ``traceparent`` of the current span (None when off or outside a span)."""
    if _state["tracer"] is None:
        return None
    carrier: dict[str, str] = {}
    _propagator.inject(carrier)
    return carrier.get("traceparent")


def _parent(
    parent: Context | None = None, headers: Mapping[str, str] | None = None
) -> Context | None:
    if headers is not None:
        return _propagator.extract(headers)
    return parent


@contextmanager
def span(
    name: str,
    *,
    kind: SpanKind = SpanKind.INTERNAL,
    parent: Context | None = None,
    headers: Mapping[str, str] | None = None,
    attributes: Mapping[str, Any] | None = None,
) -> Iterator[trace.Span | None]:
    """A span made current for the block (None, and nothing done, when tracing is off).
    ``parent``: a captured context; ``headers``: a carrier with a ``traceparent``."""
    tracer = _state["tracer"]
    if tracer is None:
        yield None
        return
    with tracer.start_as_current_span(
        name,
        context=_parent(parent, headers),
        kind=kind,
        attributes=dict(attributes or {}),
    ) as current:
        yield current


def headers_with_traceparent(headers: dict[str, str]) -> dict[str, str]:
    """``headers`` plus the current ``traceparent`` (for an outgoing request)."""
    if _state["tracer"] is not None:
        _propagator.inject(headers)
    return headers
