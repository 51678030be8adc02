"""Logs (structlog). Never log a secret, a card number or a financial value.

A server (``serve``, ``work``, ``demo``) logs to stdout: one JSON object a line when stdout
is not a terminal (or ``LEDGERLINE_LOG_FORMAT=json``), readable ``key=value`` lines in a
terminal (or ``LEDGERLINE_LOG_FORMAT=console``). One-shot commands log warnings to stderr:
their stdout carries only their result. Libraries' own log records (uvicorn, httpx, alembic)
go through the same renderer.

The access log (one line per HTTP request) has its own writer, :class:`AccessLog`: it formats
the line itself and writes lines in small batches, so a busy server does not pay structlog's
processor chain and a write per request.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Literal, TextIO

import structlog

LogFormat = Literal["auto", "json", "console"]

_state: dict[str, Any] = {"stream": sys.stderr, "json": True}


def wants_json(stream: TextIO, log_format: LogFormat) -> bool:
    if log_format == "auto":
        isatty = getattr(stream, "isatty", None)
        return not (callable(isatty) and isatty())
    return log_format == "json"


def configure_logging(
    level: str = "INFO", *, stream: TextIO | None = None, log_format: LogFormat = "auto"
) -> None:
    """Route structlog and stdlib logging to ``stream`` (default stderr) at ``level``; may be
    called again (a server does, once it knows its settings)."""
    out = stream if stream is not None else sys.stderr
    as_json = wants_json(out, log_format)
    _state.update(stream=out, json=as_json)
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer(ensure_ascii=False, separators=(",", ":"))
        if as_json
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    final: list[Any] = [structlog.stdlib.ProcessorFormatter.remove_processors_meta]
    if as_json:
        final.append(structlog.processors.format_exc_info)
    final.append(renderer)
    handler = logging.StreamHandler(out)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[*shared, structlog.stdlib.add_logger_name],
            processors=final,
        )
    )
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(getattr(logging, level.upper(), logging.INFO))
    logging.getLogger("alembic").setLevel(logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one INFO line per webhook POST
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *shared,
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )


_second: list[Any] = [-1, ""]  # the last second formatted, and its text


def _iso_now() -> str:
    """UTC now, to the millisecond (the second's text is formatted once per second)."""
    now = time.time()
    second = int(now)
    if second != _second[0]:
        _second[:] = [second, datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%S")]
    return f"{_second[1]}.{int((now - second) * 1000):03d}Z"


_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str).encode
_PLAIN = re.compile(r"[A-Za-z0-9_{}/.:-]*").fullmatch  # safe in JSON as it is


class AccessLog:
    """One line per request, written in batches: on the event loop, at most ``delay``
    seconds after the request (or at once past ``max_lines``); ``flush()`` on the way out.

    The format follows :func:`configure_logging` (JSON or console); ``enabled`` False
    silences it (``LEDGERLINE_ACCESS_LOG=false``)."""

    def __init__(
        self,
        *,
        enabled: bool = True,
        delay: float = 0.1,
        max_lines: int = 256,
        clock: Callable[[], str] = _iso_now,
    ) -> None:
        self.enabled = enabled
        self.delay = delay
        self.max_lines = max_lines
        self._clock = clock
        self._lines: list[str] = []
        self._timer: asyncio.TimerHandle | None = None

    def write(self, level: str, event: str, fields: dict[str, Any]) -> None:
        if not self.enabled:
            return
        if _state["json"]:
            line = _encode({"timestamp": self._clock(), "level": level, "event": event, **fields})
        else:
            pairs = " ".join(f"{k}={v}" for k, v in fields.items() if v is not None)
            line = f"{self._clock()} [{level:<7}] {event:<20} {pairs}"
        self._append(line)

    def request(
        self,
        level: str,
        method: str,
        route: str,
        status: int,
        duration_ms: float,
        extra: dict[str, Any],
    ) -> None:
        """One request's line: the common fields formatted directly (they are plain tokens;
        anything else goes through the JSON encoder), ``extra`` as :meth:`write` would."""
        if not self.enabled:
            return
        if not _state["json"] or not (_PLAIN(method) and _PLAIN(route)):
            self.write(
                level,
                "request",
                {"method": method, "route": route, "status": status, "duration_ms": duration_ms}
                | extra,
            )
            return
        head = (
            f'{{"timestamp":"{self._clock()}","level":"{level}","event":"request",'
            f'"method":"{method}","route":"{route}","status":{status},"duration_ms":{duration_ms}'
        )
        tail = _encode(extra)[1:] if extra else "}"
        self._append(head + ("," + tail if extra else tail))

    def _append(self, line: str) -> None:
        self._lines.append(line)
        if len(self._lines) >= self.max_lines:
            self.flush()
        elif self._timer is None:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:  # not on a loop (a test's thread): no batching
                self.flush()
                return
            self._timer = loop.call_later(self.delay, self.flush)

    def flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if not self._lines:
            return
        lines, self._lines = self._lines, []
        stream: TextIO = _state["stream"]
        try:
            stream.write("\n".join(lines) + "\n")
            stream.flush()
        except (OSError, ValueError):  # stdout closed (the reader went away)
            pass
