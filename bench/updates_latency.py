"""Benchmark: latency of financial updates, from the bank's POST to the person's WebSocket.

A bank streams single-transaction POSTs at a fixed rate, round robin over many linked people
who each have a WebSocket open on the embedded default (SQLite) server in its own process.
For each rate step it prints p50/p95/p99 of (frame arrival − POST accepted) and of
(frame arrival − POST sent), and reports the highest rate whose p99 from acceptance stays
under 100 ms. Frames of a person arrive in the order of their transactions, so the k-th
frame of a person answers their k-th POST. Prints JSON; writes docs/benchmarks.md.

    .venv/bin/python bench/updates_latency.py [--people 200] [--seconds 5] [--rates 100,250,500,1000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import httpx
from websockets.asyncio.client import connect

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import emit, free_port, peak_rss_mb, seed_linked, server_process, write_section

TARGET_P99_MS = 100.0


def seed(data_dir: Path, people: int) -> tuple[str, list[tuple[str, str]]]:
    """A bank and ``people`` linked people: (page token, [(psid, user access token)])."""
    from ledgerline.domain.scopes import Scope

    platform, bank, pairs = seed_linked(data_dir, people, frozenset({Scope.TRANSACTIONS}))
    platform.close()
    return bank.page_access_token, pairs


def _tx(n: int) -> dict[str, Any]:
    return {
        "transaction_id": f"bench-{n}",
        "account_id": "acc-1",
        "card_last4": "1234",
        "amount": {"amount": str(10_000 + n), "currency": "VND"},
        "credit_debit": "debit",
        "status": "booked",
        "booked_at": "2026-11-29T08:15:00+07:00",
        "merchant": {"name": "Highlands Coffee", "category_code": "5814"},
    }


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)


async def run(
    port: int, token: str, pairs: list[tuple[str, str]], rates: list[int], seconds: float
) -> list[dict[str, Any]]:
    accepted_at: dict[tuple[str, int], float] = {}
    arrivals: list[tuple[str, int, float]] = []
    counts: dict[str, int] = defaultdict(int)
    sockets = []
    for psid, access in pairs:
        ws = await connect(f"ws://127.0.0.1:{port}/api/v1/stream?access_token={access}")
        sockets.append((psid, ws))

    async def listen(psid: str, ws: Any) -> None:
        async for raw in ws:
            frame = json.loads(raw)
            if frame.get("type") == "message" and frame["message"].get("from") == "page":
                arrivals.append((psid, counts[psid], time.perf_counter()))
                counts[psid] += 1

    listeners = [asyncio.create_task(listen(psid, ws)) for psid, ws in sockets]
    sent_at: dict[tuple[str, int], float] = {}
    per_person: dict[str, int] = defaultdict(int)
    results = []
    n = 0
    limits = httpx.Limits(max_connections=256, max_keepalive_connections=256)
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{port}",
        timeout=30,
        limits=limits,
        headers={"Authorization": f"Bearer {token}"},
    ) as http:

        async def post(psid: str, k: int, body: dict[str, Any]) -> None:
            sent_at[(psid, k)] = time.perf_counter()
            answer = await http.post("/v19.0/me/transactions", json=body)
            if answer.status_code == 200:
                accepted_at[(psid, k)] = time.perf_counter()

        for rate in rates:
            arrivals.clear()
            tasks = []
            keys = []
            start = time.perf_counter()
            total = int(rate * seconds)
            for i in range(total):
                due = start + i / rate
                delay = due - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                psid = pairs[n % len(pairs)][0]
                k = per_person[psid]
                per_person[psid] += 1
                keys.append((psid, k))
                tasks.append(
                    asyncio.create_task(post(psid, k, {"psid": psid, "transactions": [_tx(n)]}))
                )
                n += 1
            await asyncio.gather(*tasks)
            offered = total / (time.perf_counter() - start)
            await asyncio.sleep(1.0)  # the last frames
            arrived = {(psid, k): at for psid, k, at in arrivals}
            from_accept = [
                max(0.0, (arrived[key] - accepted_at[key]) * 1000)
                for key in keys
                if key in arrived and key in accepted_at
            ]
            from_send = [(arrived[key] - sent_at[key]) * 1000 for key in keys if key in arrived]
            results.append(
                {
                    "rate_per_s": rate,
                    "achieved_per_s": round(offered, 1),
                    "posts": total,
                    "accepted": sum(1 for key in keys if key in accepted_at),
                    "frames": len(from_send),
                    "from_accepted_ms": {
                        "p50": _pct(from_accept, 0.5),
                        "p95": _pct(from_accept, 0.95),
                        "p99": _pct(from_accept, 0.99),
                    },
                    "from_sent_ms": {
                        "p50": _pct(from_send, 0.5),
                        "p95": _pct(from_send, 0.95),
                        "p99": _pct(from_send, 0.99),
                        "mean": round(statistics.fmean(from_send), 1) if from_send else None,
                    },
                }
            )
            print(json.dumps(results[-1]), file=sys.stderr)
    for task in listeners:
        task.cancel()
    for _psid, ws in sockets:
        await ws.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rates", default="100,250,500,1000")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    rates = [int(r) for r in args.rates.split(",")]
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        token, pairs = seed(tmp, args.people)
        port = free_port()
        env = {
            "LEDGERLINE_ENV": "development",
            "LEDGERLINE_DATA_DIR": str(tmp),
            # One page drives the load: lift the per-page limits.
            "LEDGERLINE_RATE_LIMIT_SEND_PER_SECOND": "0",
            "LEDGERLINE_RATE_LIMIT_INGEST_PER_SECOND": "0",
        }
        with server_process(
            [sys.executable, "-m", "ledgerline", "serve", "--port", str(port)],
            port,
            env=env,
            ready_path="/openapi.json",
        ) as server:
            steps = asyncio.run(run(port, token, pairs, rates, args.seconds))
            rss = peak_rss_mb(server.pid)
    good = [
        s["rate_per_s"]
        for s in steps
        if s["from_accepted_ms"]["p99"] < TARGET_P99_MS and s["frames"] == s["posts"]
    ]
    result = {
        "benchmark": "updates_latency",
        "people": args.people,
        "seconds_per_step": args.seconds,
        "steps": steps,
        "highest_rate_with_p99_under_100ms": max(good) if good else None,
        "server_peak_rss_mb": rss,
    }
    emit(result)
    if not args.no_write:
        rows = "\n".join(
            f"| {s['rate_per_s']} | {s['achieved_per_s']} | {s['frames']}/{s['posts']} | "
            f"{s['from_accepted_ms']['p50']} / {s['from_accepted_ms']['p95']} / {s['from_accepted_ms']['p99']} | "
            f"{s['from_sent_ms']['p50']} / {s['from_sent_ms']['p95']} / {s['from_sent_ms']['p99']} |"
            for s in steps
        )
        write_section(
            "Financial updates: POST to WebSocket frame (bench/updates_latency.py)",
            f"""
{args.people} linked people with a WebSocket open each; the bank POSTs one transaction per
request at a fixed rate for {args.seconds:g} s per step, on the embedded default (SQLite)
server in its own process; load generator and WebSocket clients share one Python process on
the same 2-core machine. Latency in ms, from the POST's 200 (accepted) and from the POST being
sent, to the message frame on the person's WebSocket.

| offered rate/s | achieved/s | frames/posts | accepted→frame p50 / p95 / p99 | sent→frame p50 / p95 / p99 |
|---|---|---|---|---|
{rows}

Highest rate with p99 (accepted→frame) under 100 ms and every frame delivered:
**{result["highest_rate_with_p99_under_100ms"]}**/s (aim: 1,000/s). Server peak RSS {rss} MB.
""",
        )


if __name__ == "__main__":
    main()
