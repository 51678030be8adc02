"""Benchmark: the Send API with people's WebSockets receiving, against a plain ASGI baseline.

Prints JSON: accepted→delivered messages/s (each durably stored before its 200), p50/p99
from request to WebSocket frame at half of the maximum rate, peak RSS of each process, and
the baseline hello-world's requests/s under the same uvicorn flags and the same wrk load,
with the ratio. Writes the figures into docs/benchmarks.md ("Send API").

    .venv/bin/python bench/send_api.py [--people 200] [--seconds 10] [--connections 64]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (
    ROOT,
    UVICORN_FLAGS,
    cpu_seconds,
    emit,
    free_port,
    ledgerline_server,
    peak_rss_mb,
    profiling,
    run_wrk,
    seed_threads,
    self_peak_rss_mb,
    server_process,
    write_section,
)
from _load import STAMP, Receivers, paced_posts, percentile


def loop_thread_cpu_seconds(pid: int) -> float:
    """CPU used so far by the server's main thread (the event loop: HTTP, WebSockets,
    handlers); the rest of the process's CPU is the writer and other threads."""
    return cpu_seconds(pid, thread=pid)


def lua_script(path: Path, token: str, psids: list[str]) -> Path:
    bodies = ",\n".join(
        "[==["
        + json.dumps(
            {
                "recipient": {"id": p},
                "messaging_type": "RESPONSE",
                "message": {"text": "Số dư tài khoản: 1.250.000 ₫"},
            },
            ensure_ascii=True,
        )
        + "]==]"
        for p in psids
    )
    path.write_text(f"""
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer {token}"
local bodies = {{
{bodies}
}}
local i = 0
request = function()
  i = i + 1
  return wrk.format(nil, "/v15.0/me/messages", nil, bodies[(i % #bodies) + 1])
end
""")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=200)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument(
        "--profile", type=Path, help="record the server with py-spy during the load (raw stacks)"
    )
    args = parser.parse_args()

    load_before = os.getloadavg()[0]
    tmp = Path(tempfile.mkdtemp(prefix="ll-bench-"))
    token, pairs = seed_threads(tmp, args.people)
    psids = [p for p, _ in pairs]
    lua = lua_script(tmp / "send.lua", token, psids)

    hello_port = free_port()
    with server_process(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--app-dir",
            str(ROOT / "bench"),
            "hello_asgi:app",
            "--port",
            str(hello_port),
            *UVICORN_FLAGS,
        ],
        hello_port,
    ) as hello:
        hello_cpu = cpu_seconds(hello.pid)
        baseline = run_wrk(
            f"http://127.0.0.1:{hello_port}",
            lua,
            connections=args.connections,
            seconds=args.seconds,
        )
        hello_cpu_ms = 1000 * (cpu_seconds(hello.pid) - hello_cpu) / max(1, baseline["requests"])
        hello_rss = peak_rss_mb(hello.pid)

    port = free_port()
    with (
        # One page sends thousands of messages a second: lift its 300/s Send API limit.
        ledgerline_server(port, tmp, rate_limit_send_per_second="0") as server,
        Receivers(f"ws://127.0.0.1:{port}", [t for _, t in pairs]) as receivers,
    ):
        frames_before = receivers.frames
        started = time.perf_counter()
        server_cpu = cpu_seconds(server.pid)
        loop_cpu = loop_thread_cpu_seconds(server.pid)
        with profiling(server.pid, args.profile, args.seconds):
            load = run_wrk(
                f"http://127.0.0.1:{port}", lua, connections=args.connections, seconds=args.seconds
            )
        time.sleep(1.0)  # let the last frames arrive
        accepted = max(1, load["requests"] - load["non_2xx"])
        server_cpu_ms = 1000 * (cpu_seconds(server.pid) - server_cpu) / accepted
        loop_cpu_ms = 1000 * (loop_thread_cpu_seconds(server.pid) - loop_cpu) / accepted
        delivered = receivers.frames - frames_before
        elapsed = time.perf_counter() - started - 1.0
        accepted_per_s = (load["requests"] - load["non_2xx"]) / args.seconds
        delivered_per_s = delivered / elapsed
        print(f"baseline {baseline}, platform {load}, delivered {delivered}", file=sys.stderr)

        rate = max(1.0, accepted_per_s / 2)
        body = json.dumps(
            {"recipient": {"id": "__PSID__"}, "message": {"text": f"Giao dịch 125.000 ₫ #{STAMP}"}}
        )
        paced = paced_posts(
            port,
            "/v15.0/me/messages",
            {"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            [body.replace("__PSID__", psid) for psid in psids],
            rate=rate,
            seconds=min(args.seconds, 10),
        )
        time.sleep(1.0)
        server_rss = peak_rss_mb(server.pid)
        arrivals = receivers.finish()
    latencies = arrivals.since_stamp_ms()
    print(f"ws disconnects {arrivals.disconnects} {arrivals.last_error}", file=sys.stderr)
    lost = paced.ok - len(latencies)

    result: dict[str, Any] = {
        "benchmark": "send_api",
        "people_with_websockets": args.people,
        "wrk": {"connections": args.connections, "seconds": args.seconds, "threads": 1},
        "platform": {
            "accepted_per_s": round(accepted_per_s, 1),
            "delivered_per_s": round(delivered_per_s, 1),
            "non_2xx": load["non_2xx"],
            "cpu_ms_per_message": round(server_cpu_ms, 3),
            "event_loop_cpu_ms_per_message": round(loop_cpu_ms, 3),
            "peak_rss_mb": server_rss,
        },
        "latency_at_half_max": {
            "target_rate_per_s": round(rate, 1),
            "achieved_rate_per_s": round(paced.completed / paced.seconds, 1),
            "p50_ms": round(percentile(latencies, 0.50), 2),
            "p99_ms": round(percentile(latencies, 0.99), 2),
            "mean_ms": round(statistics.fmean(latencies), 2) if latencies else None,
            "frames_missing": lost,
            "request_p99_ms": round(percentile(paced.request_ms, 0.99), 2),
            "request_errors": paced.errors + paced.completed - paced.ok,
        },
        "websocket_disconnects": arrivals.disconnects,
        "baseline_hello_asgi": {
            "requests_per_s": baseline["requests_per_s"],
            "cpu_ms_per_request": round(hello_cpu_ms, 3),
            "peak_rss_mb": hello_rss,
        },
        "ratio_to_baseline": round(accepted_per_s / baseline["requests_per_s"], 3),
        "cpu_ratio_to_baseline": round(hello_cpu_ms / server_cpu_ms, 3),
        "load_generator_peak_rss_mb": self_peak_rss_mb(),
        "durability": "SQLite WAL, synchronous=FULL, group commit; 200 only after commit",
        "load_average_1min": {"start": round(load_before, 2), "end": round(os.getloadavg()[0], 2)},
    }
    emit(result)
    p = result["platform"]
    lat = result["latency_at_half_max"]
    write_section(
        "Send API",
        f"""
`bench/send_api.py` — one bank, {args.people} people with WebSockets open, `wrk -t1
-c{args.connections} -d{args.seconds}s` posting `/v15.0/me/messages` (each message stored
durably before its 200) against `ledgerline serve` on SQLite; the same wrk load against a
plain ASGI hello-world (parse JSON, answer JSON) under the same uvicorn flags (uvloop,
httptools, one worker). Load generator and servers share the machine's {os.cpu_count()} cores
(1-minute load average {result["load_average_1min"]["start"]} at the start,
{result["load_average_1min"]["end"]} at the end).

| measure | value |
|---|---|
| accepted (durable) messages/s | {p["accepted_per_s"]} |
| delivered to WebSockets /s | {p["delivered_per_s"]} |
| hello-world requests/s (baseline) | {baseline["requests_per_s"]} |
| ratio to baseline | {result["ratio_to_baseline"]} |
| server CPU per message (incl. its WebSocket frame) | {p["cpu_ms_per_message"]} ms |
| of which the event loop's thread (HTTP, handler, frame) | {p["event_loop_cpu_ms_per_message"]} ms |
| hello-world CPU per request | {result["baseline_hello_asgi"]["cpu_ms_per_request"]} ms |
| CPU ratio (hello-world CPU / platform CPU per request) | {result["cpu_ratio_to_baseline"]} |
| p50 / p99 request→frame at {lat["target_rate_per_s"]}/s (half max) | {lat["p50_ms"]} ms / {lat["p99_ms"]} ms |
| frames missing | {lat["frames_missing"]} |
| platform peak RSS | {p["peak_rss_mb"]} MB |
| hello-world peak RSS | {hello_rss} MB |
| load generator peak RSS | {result["load_generator_peak_rss_mb"]} MB |
""",
    )


if __name__ == "__main__":
    main()
