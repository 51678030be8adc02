"""Logs: JSON lines on stdout when it is not a terminal, an access line per request whose
error carries the body's fbtrace_id, lifecycle lines, and a 500's stack."""

from __future__ import annotations

import io
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from ledgerline.bootstrap import build_app, build_services
from ledgerline.config import Settings
from ledgerline.logging import AccessLog, configure_logging
from tests.support.aio import run_async
from tests.support.server import free_port

pytestmark = pytest.mark.slow  # end to end: real processes or sockets


def _lines_of(stream: Any) -> tuple[queue.Queue[str], threading.Thread]:
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        for line in stream:
            lines.put(line)

    thread = threading.Thread(target=pump, daemon=True)
    thread.start()
    return lines, thread


def _wait_for(lines: queue.Queue[str], seen: list[dict[str, Any]], test: Any) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=1)
        except queue.Empty:
            continue
        entry: dict[str, Any] = json.loads(line)  # every line is one JSON object
        seen.append(entry)
        if test(entry):
            return entry
    raise AssertionError(f"no such line in {seen}")


@pytest.mark.slow
def test_serve_logs_json_lines_with_the_error_trace_id(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "LEDGERLINE_ENV": "development", "LEDGERLINE_DATA_DIR": str(tmp_path)}
    env.pop("LEDGERLINE_DATABASE_URL", None)
    env.pop("LEDGERLINE_LOG_FORMAT", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "ledgerline", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert server.stdout is not None
    lines, pump = _lines_of(server.stdout)
    seen: list[dict[str, Any]] = []
    try:
        _wait_for(lines, seen, lambda e: e["event"] == "starting")
        ready = _wait_for(lines, seen, lambda e: e["event"] == "ready")
        assert ready["port"] == port
        assert ready["level"] == "info"
        base = f"http://127.0.0.1:{port}"
        answer = httpx.post(
            base + "/v2.6/me/messages", params={"access_token": "not-a-token"}, json={}
        )
        assert answer.status_code == 400
        trace_id = answer.json()["error"]["fbtrace_id"]
        line = _wait_for(lines, seen, lambda e: e.get("fbtrace_id") == trace_id)
        assert line["event"] == "request"
        assert line["method"] == "POST"
        assert line["route"] == "/{node}/messages"
        assert line["status"] == 400
        assert line["level"] == "warning"
        assert isinstance(line["duration_ms"], float)
        assert "timestamp" in line
        assert "not-a-token" not in json.dumps(seen)
        missing = httpx.get(base + "/v2.6/nothing/here/at/all")
        assert missing.status_code == 404
        lost = _wait_for(
            lines, seen, lambda e: e.get("fbtrace_id") == missing.json()["error"]["fbtrace_id"]
        )
        assert lost["route"] == "unmatched"
        assert lost["path"] == "/v2.6/nothing/here/at/all"
        server.send_signal(signal.SIGTERM)
        _wait_for(lines, seen, lambda e: e["event"] == "draining" and e["signal"] == "SIGTERM")
        _wait_for(lines, seen, lambda e: e["event"] == "stopped")
        assert server.wait(timeout=60) == 0
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
        pump.join(timeout=10)
        server.stdout.close()


def test_an_unexpected_error_answers_500_and_logs_its_stack(tmp_path: Path) -> None:
    out = io.StringIO()
    configure_logging("INFO", stream=out, log_format="json")
    settings = Settings(
        env="development", data_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'l.db'}"
    )
    services = build_services(settings)
    try:
        app = build_app(services, run_workers=False)
        ctx = app.state.ctx
        from ledgerline.chat.accounts import do_create_business
        from ledgerline.domain.clock import to_ms

        bank = services.db.write_sync(
            do_create_business,
            secret_key=services.secret_key,
            name="Bank",
            webhook_url=None,
            verify_token=None,
            account_link_url=None,
            now=to_ms(services.clock.now()),
        )

        async def broken(**_: Any) -> dict[str, Any]:
            raise RuntimeError("a bug in ingestion")

        ctx.ingestor.ingest = broken  # the hot path's ingestion endpoint now fails

        async def call() -> httpx.Response:
            transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
            async with httpx.AsyncClient(transport=transport, base_url="http://ll") as http:
                answer = await http.post(
                    "/v19.0/me/balances",
                    params={"access_token": bank.page_access_token},
                    json={"psid": "1"},
                )
            ctx.access_log.flush()
            return answer

        answer = run_async(call)
        assert answer.status_code == 500
        error = answer.json()["error"]
        assert error["code"] == 2
        assert error["message"].startswith("(#2) ")
        entries = [json.loads(line) for line in out.getvalue().splitlines()]
        (bug,) = [e for e in entries if e["event"] == "unhandled_error"]
        assert bug["fbtrace_id"] == error["fbtrace_id"]
        assert bug["level"] == "error"
        assert "RuntimeError: a bug in ingestion" in bug["exception"]
        assert "Traceback" in bug["exception"]
        (access,) = [e for e in entries if e["event"] == "request"]
        assert access["fbtrace_id"] == error["fbtrace_id"]
        assert access["status"] == 500
        assert access["route"] == "/me/balances"
        assert access["page"] != bank.page_id
        assert len(access["page"]) == 12
    finally:
        services.close()
        configure_logging("WARNING")


def test_the_access_log_in_a_terminal_is_readable(monkeypatch: pytest.MonkeyPatch) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    out = Terminal()
    configure_logging("INFO", stream=out)
    try:
        log = AccessLog(clock=lambda: "2026-12-07T10:00:00.000Z")
        log.write("info", "request", {"method": "GET", "route": "/healthz", "status": 200})
        log.flush()
        assert out.getvalue() == (
            "2026-12-07T10:00:00.000Z [info   ] request              "
            "method=GET route=/healthz status=200\n"
        )
        import structlog

        structlog.get_logger("t").info("ready", port=8000)
        assert "ready" in out.getvalue().splitlines()[-1]
        assert not out.getvalue().splitlines()[-1].startswith("{")
    finally:
        configure_logging("WARNING")
