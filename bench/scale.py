"""Benchmark: scale-out — 1 and 2 ``ledgerline serve`` processes on PostgreSQL with Redis
Streams and with NATS JetStream, and one process on SQLite, in one run.

Each configuration gets a fresh database, one bank subscribed to ``message_echoes`` (every
Send API message is also a webhook out, to a local sink) and ``--people`` linked people, half
of them with a WebSocket on each process. Under load at once: ``wrk`` posting the Send API
to every process (the connections split between them), and paced financial-data ingestion
(``/me/transactions``, one payment a call) to every process. Then, at half the 1-process
rate, paced Send API calls stamped with their send time: request -> WebSocket frame p50/p99.
The baselines, in the same run: a plain ASGI hello-world with 1 and 2 uvicorn workers
(what a second process can add on this machine) and SQLite in one process (PostgreSQL's
aim: at least 0.7 of it).

Prints JSON (throughput, p99, every process's peak RSS, webhooks out and missing, the ratios
2 / 1 and PostgreSQL / SQLite) and writes docs/benchmarks.md ("Scale-out").

    .venv/bin/python bench/scale.py [--people 200] [--seconds 10] [--connections 64]
    .venv/bin/python bench/scale.py --webhook-drain   # one bank's webhook deliveries a second
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (
    ROOT,
    UVICORN_FLAGS,
    cpu_seconds,
    emit,
    free_port,
    ledgerline_server,
    peak_rss_mb,
    run_wrk,
    seed_linked,
    server_process,
    write_section,
)
from _load import STAMP, Receivers, SendResult, paced_posts, percentile
from send_api import lua_script

POSTGRES = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
BROKERS = {"redis": "redis://127.0.0.1:6379/0", "nats": "nats://127.0.0.1:4222"}
INGEST_PER_S = 100  # financial-data calls a second per process, during the Send API load
DRAIN_SECONDS = 60  # how long webhooks out may take to catch up after the load


@dataclass(frozen=True)
class Config:
    name: str
    database: str  # "sqlite" | "postgresql"
    broker: str | None
    processes: int


CONFIGS = [
    Config("sqlite-1", "sqlite", None, 1),
    Config("postgresql-redis-1", "postgresql", "redis", 1),
    Config("postgresql-redis-2", "postgresql", "redis", 2),
    Config("postgresql-nats-1", "postgresql", "nats", 1),
    Config("postgresql-nats-2", "postgresql", "nats", 2),
]


@contextlib.contextmanager
def fresh_database(database: str) -> Iterator[str | None]:
    """None (SQLite in the data directory) or a PostgreSQL database of this run's own."""
    if database == "sqlite":
        yield None
        return
    import sqlalchemy as sa
    from sqlalchemy.engine import make_url

    from ledgerline.storage.engine import normalize_url

    admin = sa.create_engine(normalize_url(POSTGRES), isolation_level="AUTOCOMMIT")
    name = "ll_bench_" + secrets.token_hex(5)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(POSTGRES).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE "{name}" WITH (FORCE)')
        admin.dispose()


def outbox_figures(database_url: str) -> dict[str, int]:
    """The echo webhooks the outbox holds, by status: every accepted message has one (stored
    with the message), so ``stored`` shows none was lost even if the sink saw fewer in time."""
    import sqlalchemy as sa

    from ledgerline.storage.engine import normalize_url

    engine = sa.create_engine(normalize_url(database_url))
    query = sa.text(
        "SELECT status, count(*) FROM webhook_events WHERE kind = :kind GROUP BY status"
    )
    try:
        with engine.connect() as conn:
            counts = {str(s): int(n) for s, n in conn.execute(query, {"kind": "echo"})}
    finally:
        engine.dispose()
    return {"stored": sum(counts.values()), **counts}


def count_deadlocks(database_url: str | None) -> int | None:
    """Deadlocks PostgreSQL detected in this database (None on SQLite)."""
    if database_url is None:
        return None
    import sqlalchemy as sa

    from ledgerline.storage.engine import normalize_url

    engine = sa.create_engine(normalize_url(database_url))
    try:
        with engine.connect() as conn:
            found = conn.exec_driver_sql(
                "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()"
            ).scalar()
    finally:
        engine.dispose()
    return int(found or 0)


STORED = ("messages", "vault_records", "audit_log", "webhook_events", "webhook_attempts")


def storage_figures(database_url: str | None) -> dict[str, Any] | None:
    """Rows and bytes (table, indexes and TOAST) of the tables that grow with traffic, and
    the whole database (PostgreSQL only): the base of the storage arithmetic in
    docs/deploy.md."""
    if database_url is None:
        return None
    import sqlalchemy as sa

    from ledgerline.storage.engine import normalize_url

    engine = sa.create_engine(normalize_url(database_url))
    figures: dict[str, Any] = {}
    try:
        with engine.connect() as conn:
            for table in STORED:
                count = sa.select(sa.func.count()).select_from(sa.table(table))
                rows = int(conn.execute(count).scalar() or 0)
                total = sa.text("SELECT pg_total_relation_size(:name)")
                size = int(conn.execute(total, {"name": table}).scalar() or 0)
                figures[table] = {
                    "rows": rows,
                    "bytes": size,
                    "bytes_per_row": round(size / rows) if rows else None,
                }
            figures["database_bytes"] = int(
                conn.exec_driver_sql("SELECT pg_database_size(current_database())").scalar() or 0
            )
    finally:
        engine.dispose()
    return figures


def postgres_cpu_seconds() -> float:
    """CPU used so far by every PostgreSQL process on this machine (its backends serve the
    benchmark's servers; on a shared machine, also anyone else's work: a figure to compare
    within one run)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                if (entry / "comm").read_text().startswith("postgres"):
                    total += cpu_seconds(int(entry.name))
    return total


class LockWaits:
    """Samples, every 0.1 s while the load runs, how many of the database's backends wait
    for a lock (``pg_stat_activity.wait_event_type = 'Lock'``): rows one writer holds that
    another writer (of this process or another) needs."""

    def __init__(self, database_url: str | None) -> None:
        self.url = database_url
        self.samples: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        import sqlalchemy as sa

        from ledgerline.storage.engine import normalize_url

        assert self.url is not None  # started only for PostgreSQL
        engine = sa.create_engine(normalize_url(self.url), isolation_level="AUTOCOMMIT")
        query = sa.text(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        try:
            with engine.connect() as conn:
                while not self._stop.wait(0.1):
                    self.samples.append(int(conn.execute(query).scalar() or 0))
        finally:
            engine.dispose()

    def __enter__(self) -> LockWaits:
        if self.url is not None:
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def figures(self) -> dict[str, float] | None:
        if not self.samples:
            return None
        return {
            "mean_backends_waiting": round(sum(self.samples) / len(self.samples), 2),
            "max_backends_waiting": max(self.samples),
            "share_of_samples_with_a_wait": round(
                sum(1 for n in self.samples if n) / len(self.samples), 3
            ),
        }


def current_rss_mb(pid: int) -> float:
    """VmRSS: what a live process holds now, in MB."""
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def forget_broker(kind: str | None, namespace: str) -> None:
    if kind == "redis":
        import redis

        client = redis.Redis.from_url(BROKERS["redis"])
        keys = list(client.scan_iter(f"{namespace}:*"))
        if keys:
            client.delete(*keys)
        client.close()
    elif kind == "nats":
        import asyncio

        import nats

        async def drop() -> None:
            nc = await nats.connect(BROKERS["nats"])
            js = nc.jetstream()
            with contextlib.suppress(Exception):
                await js.delete_stream(namespace.upper())
            for name in ("send", "ingest", "person"):
                with contextlib.suppress(Exception):
                    await js.delete_key_value(f"{namespace}_limit_{name}")
            await nc.close()

        asyncio.run(drop())


def seed(data_dir: Path, database_url: str | None, people: int, webhook_url: str) -> Any:
    """A bank (webhooks to the sink, echoes too) and ``people`` linked people who each wrote
    once (the 24-hour window is open): (page token, [(psid, user token)])."""
    from ledgerline.chat.actions import do_user_message
    from ledgerline.chat.routing import Inbound
    from ledgerline.domain.clock import to_ms
    from ledgerline.domain.scopes import Scope
    from ledgerline.domain.webhook_fields import DEFAULT_FIELDS, MESSAGE_ECHOES
    from ledgerline.storage.stores import businesses, threads

    platform, bank, pairs = seed_linked(
        data_dir,
        people,
        frozenset({Scope.TRANSACTIONS, Scope.BALANCES}),
        database_url=database_url,
        webhook_url=webhook_url,
    )
    now = to_ms(platform.clock.now())
    platform.db.write_sync(
        lambda uow: businesses.set_subscribed_fields(
            uow.conn, bank.page_id, (*DEFAULT_FIELDS, MESSAGE_ECHOES)
        )
    )
    for psid, _ in pairs:
        thread = platform.db.read_sync(threads.thread_by_psid, bank.page_id, psid)
        platform.db.write_sync(
            do_user_message,
            user_id=thread.user_id,
            page_id=bank.page_id,
            body={"text": "hi"},
            now=now,
            inbound=Inbound(),
        )
    platform.close()
    return bank.page_access_token, pairs


def transaction_bodies(psids: list[str]) -> list[str]:
    return [
        json.dumps(
            {
                "psid": psid,
                "transactions": [
                    {
                        "transaction_id": f"tx-{STAMP}",
                        "account_id": "acc-1",
                        "card_last4": "1234",
                        "amount": {"amount": "125000", "currency": "VND"},
                        "credit_debit": "debit",
                        "status": "booked",
                        "booked_at": "2026-11-29T08:15:00+07:00",
                        "merchant": {"name": "Highlands Coffee", "country": "VN"},
                        "terminal_id": f"T-{n % 97}",
                    }
                ],
            }
        )
        for n, psid in enumerate(psids)
    ]


def in_threads(*calls: Any) -> list[Any]:
    """Run blocking calls at once; their results in order."""
    results: list[Any] = [None] * len(calls)

    def run(i: int) -> None:
        results[i] = calls[i]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def sink_count(url: str) -> int:
    return int(httpx.get(f"{url}/count", timeout=10).text)


def hello(workers: int, lua: Path, connections: int, seconds: int) -> dict[str, Any]:
    port = free_port()
    args = [sys.executable, "-m", "uvicorn", "--app-dir", str(ROOT / "bench"), "hello_asgi:app"]
    args += ["--port", str(port), "--workers", str(workers), *UVICORN_FLAGS]
    with server_process(args, port):
        load = run_wrk(f"http://127.0.0.1:{port}", lua, connections=connections, seconds=seconds)
    return {"workers": workers, "requests_per_s": load["requests_per_s"]}


def run_config(
    config: Config, args: argparse.Namespace, sink: str, half_rate: float | None
) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="ll-scale-"))
    namespace = "bench" + secrets.token_hex(4)
    with fresh_database(config.database) as database_url:
        token, pairs = seed(tmp, database_url, args.people, sink)
        psids = [psid for psid, _ in pairs]
        lua = lua_script(tmp / "send.lua", token, psids)
        settings = {
            "rate_limit_send_per_second": "0",  # one bank sends thousands a second
            "rate_limit_ingest_per_second": "0",
            "broker_namespace": namespace,
        }
        if config.broker:
            settings["broker_url"] = BROKERS[config.broker]
        ports = [free_port() for _ in range(config.processes)]
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        with contextlib.ExitStack() as stack:
            servers = [
                stack.enter_context(
                    ledgerline_server(port, tmp, database_url=database_url, **settings)
                )
                for port in ports
            ]
            tokens = [t for _, t in pairs]
            rss_before_sockets = sum(current_rss_mb(server.pid) for server in servers)
            receivers = [
                stack.enter_context(
                    Receivers(f"ws://127.0.0.1:{port}", tokens[i :: config.processes])
                )
                for i, port in enumerate(ports)
            ]
            time.sleep(1.0)
            socket_kb = (
                1024 * (sum(current_rss_mb(s.pid) for s in servers) - rss_before_sockets)
            ) / len(tokens)
            webhooks_before = sink_count(sink)
            frames_before = sum(r.frames for r in receivers)
            connections = max(1, args.connections // config.processes)
            tx_bodies = transaction_bodies(psids)
            cpu_before = [cpu_seconds(server.pid) for server in servers]
            postgres_before = postgres_cpu_seconds()
            waits = LockWaits(database_url).__enter__()
            started = time.perf_counter()
            results = in_threads(
                *(
                    lambda port=port: run_wrk(
                        f"http://127.0.0.1:{port}",
                        lua,
                        connections=connections,
                        seconds=args.seconds,
                    )
                    for port in ports
                ),
                *(
                    lambda port=port: paced_posts(
                        port,
                        "/v15.0/me/transactions",
                        headers,
                        tx_bodies,
                        rate=INGEST_PER_S,
                        seconds=args.seconds,
                        connections=8,
                    )
                    for port in ports
                ),
            )
            loads: list[dict[str, float]] = results[: config.processes]
            ingests: list[SendResult] = results[config.processes :]
            waits.__exit__()
            server_cpu = sum(
                cpu_seconds(server.pid) - before
                for server, before in zip(servers, cpu_before, strict=True)
            )
            postgres_cpu = postgres_cpu_seconds() - postgres_before
            time.sleep(1.0)
            elapsed = time.perf_counter() - started - 1.0
            sent = sum(load["requests"] - load["non_2xx"] for load in loads)
            non_2xx = sum(int(load["non_2xx"]) for load in loads)
            accepted_per_s = sent / args.seconds
            delivered = sum(r.frames for r in receivers) - frames_before
            ingested = sum(i.ok for i in ingests)
            ingest_errors = sum(i.completed - i.ok + i.errors for i in ingests)

            # Latency at a fixed rate: half of what one process took (this config's own
            # maximum for the first configuration), split between the processes.
            rate = half_rate or max(1.0, accepted_per_s / 2)
            body = json.dumps(
                {"recipient": {"id": "__PSID__"}, "message": {"text": f"Giao dịch #{STAMP}"}}
            )
            bodies = [body.replace("__PSID__", psid) for psid in psids]
            paced = in_threads(
                *(
                    lambda port=port: paced_posts(
                        port,
                        "/v15.0/me/messages",
                        headers,
                        bodies,
                        rate=rate / config.processes,
                        seconds=min(args.seconds, 10),
                    )
                    for port in ports
                )
            )
            expected_webhooks = sent + sum(p.ok for p in paced)
            deadline = time.monotonic() + DRAIN_SECONDS
            while (
                sink_count(sink) - webhooks_before < expected_webhooks
                and time.monotonic() < deadline
            ):
                time.sleep(0.5)
            webhooks = sink_count(sink) - webhooks_before
            rss = [peak_rss_mb(server.pid) for server in servers]
            arrivals = [r.finish() for r in receivers]
        deadlocks = count_deadlocks(database_url)
        outbox = outbox_figures(database_url or f"sqlite:///{tmp / 'ledgerline.db'}")
        stored = storage_figures(database_url)
    forget_broker(config.broker, namespace)
    latencies = [ms for a in arrivals for ms in a.since_stamp_ms()]
    paced_ok = sum(p.ok for p in paced)
    return {
        "config": config.name,
        "database": config.database,
        "broker": config.broker,
        "processes": config.processes,
        "send_api_accepted_per_s": round(accepted_per_s, 1),
        "frames_delivered_per_s": round(delivered / elapsed, 1),
        "send_api_non_2xx": non_2xx,
        "ingested_per_s": round(ingested / args.seconds, 1),
        "ingest_errors": ingest_errors,
        "webhooks_out": webhooks,
        "webhooks_expected": expected_webhooks,
        "webhooks_missing": max(0, expected_webhooks - webhooks),
        "echo_events_in_outbox": outbox,
        "deadlocks": deadlocks,
        "latency": {
            "rate_per_s": round(rate, 1),
            "p50_ms": round(percentile(latencies, 0.50), 2),
            "p99_ms": round(percentile(latencies, 0.99), 2),
            "frames_missing": paced_ok - len(latencies),
            "request_errors": sum(p.errors + p.completed - p.ok for p in paced),
        },
        "websocket_disconnects": sum(a.disconnects for a in arrivals),
        "peak_rss_mb": rss,
        # CPU while the load ran (Send API, ingestion, webhooks, receipts), per Send API
        # message accepted: what a second process has to find on this machine's cores.
        "cpu_ms_per_message": {
            "servers": round(1000 * server_cpu / max(1, sent), 3),
            "postgresql": None
            if database_url is None
            else round(1000 * postgres_cpu / max(1, sent), 3),
        },
        "lock_waits": waits.figures(),
        "rss_kb_per_websocket": round(socket_kb, 1),
        "storage": stored,
    }


def webhook_drain(database: str, people: int, per_person: int) -> dict[str, Any]:
    """One bank's webhook deliveries a second: ``people`` × ``per_person`` events queued, then
    drained by the dispatcher in this process, the bank an ``httpx.MockTransport`` that
    answers 200 at once (what the dispatcher and the database cost, not the network). Every
    person's events are checked to arrive in order."""
    import asyncio

    from ledgerline.chat.accounts import do_create_business
    from ledgerline.domain.clock import SystemClock
    from ledgerline.storage.database import Database, UnitOfWork
    from ledgerline.storage.stores import webhooks as outbox
    from ledgerline.workers.outbox import OutboxDispatcher

    tmp = Path(tempfile.mkdtemp(prefix="ll-drain-"))
    with fresh_database(database) as url:
        db = Database(url or f"sqlite:///{tmp / 'ledgerline.db'}")
        now = int(time.time() * 1000)
        bank = db.write_sync(
            do_create_business,
            secret_key=b"k" * 32,
            name="Drain Bank",
            webhook_url="http://bank.test/webhook",
            verify_token=None,
            account_link_url=None,
            now=now,
        )

        def fill(uow: UnitOfWork) -> None:
            for n in range(per_person):
                for p in range(people):
                    event = {"sender": {"id": f"p{p}"}, "message": {"mid": f"m{p}.{n}", "text": n}}
                    outbox.enqueue(
                        uow.conn, page_id=bank.page_id, psid=f"p{p}", kind="message",
                        event=event, now=now,
                    )  # fmt: skip

        db.write_sync(fill)
        last: dict[str, int] = {}
        out_of_order = 0
        total = people * per_person
        received = {"events": 0}

        async def drain() -> tuple[float, float]:
            nonlocal out_of_order
            all_in = asyncio.Event()

            def receive(request: httpx.Request) -> httpx.Response:
                nonlocal out_of_order
                (event,) = json.loads(request.content)["entry"][0]["messaging"]
                psid, n = event["sender"]["id"], int(event["message"]["text"])
                out_of_order += last.get(psid, -1) != n - 1
                last[psid] = n
                received["events"] += 1
                if received["events"] >= total:
                    all_in.set()
                return httpx.Response(200)

            dispatcher = OutboxDispatcher(
                db=db,
                clock=SystemClock(),
                secret_key=b"s" * 32,
                allow_insecure=True,
                transport=httpx.MockTransport(receive),
            )
            task = asyncio.create_task(dispatcher.run())
            cpu, started = time.process_time(), time.perf_counter()
            await all_in.wait()
            seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
            await dispatcher.stop()
            await task
            return seconds, cpu

        load = os.getloadavg()[0]
        seconds, cpu = asyncio.run(drain())
        db.close()
    return {
        "database": database,
        "events": total,
        "people": people,
        "deliveries_per_s": round(total / seconds, 1),
        "cpu_ms_per_delivery": round(1000 * cpu / total, 2),
        "out_of_order": out_of_order,
        "load_average_1min": {"start": round(load, 2), "end": round(os.getloadavg()[0], 2)},
    }


def ratio(a: float, b: float) -> float:
    return round(a / b, 3) if b else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=200)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument(
        "--only",
        nargs="*",
        help="configurations to run (default all): " + ", ".join(c.name for c in CONFIGS),
    )
    parser.add_argument(
        "--webhook-drain",
        action="store_true",
        help="only one bank's webhook deliveries a second (SQLite, then PostgreSQL): JSON",
    )
    args = parser.parse_args()
    if args.webhook_drain:
        print(json.dumps([webhook_drain(d, 100, 10) for d in ("sqlite", "postgresql")]))
        return
    load_before = os.getloadavg()[0]
    configs = [c for c in CONFIGS if not args.only or c.name in args.only]

    sink_port = free_port()
    sink_args = [sys.executable, "-m", "uvicorn", "--app-dir", str(ROOT / "bench")]
    sink_args += ["webhook_sink:app", "--port", str(sink_port), "--lifespan", "off"]
    sink_args += UVICORN_FLAGS
    tmp = Path(tempfile.mkdtemp(prefix="ll-scale-hello-"))
    hello_lua = lua_script(tmp / "hello.lua", "t", ["1", "2", "3"])
    baselines = [hello(w, hello_lua, args.connections, args.seconds) for w in (1, 2)]
    runs: list[dict[str, Any]] = []
    with server_process(sink_args, sink_port):
        sink = f"http://127.0.0.1:{sink_port}"
        half: dict[str, float] = {}
        for config in configs:
            key = f"{config.database}-{config.broker}"
            result = run_config(config, args, sink, half.get(key))
            if config.processes == 1:
                half[key] = max(1.0, result["send_api_accepted_per_s"] / 2)
            print(json.dumps(result), file=sys.stderr, flush=True)
            runs.append(result)
    by_name = {r["config"]: r for r in runs}

    def throughput(name: str) -> float:
        return float(by_name[name]["send_api_accepted_per_s"]) if name in by_name else 0.0

    ratios = {
        "hello_2_workers_over_1": ratio(
            baselines[1]["requests_per_s"], baselines[0]["requests_per_s"]
        ),
        "redis_2_over_1": ratio(throughput("postgresql-redis-2"), throughput("postgresql-redis-1")),
        "nats_2_over_1": ratio(throughput("postgresql-nats-2"), throughput("postgresql-nats-1")),
        "postgresql_1_over_sqlite_1": ratio(
            max(throughput("postgresql-redis-1"), throughput("postgresql-nats-1")),
            throughput("sqlite-1"),
        ),
    }
    result = {
        "benchmark": "scale",
        "people_with_websockets": args.people,
        "wrk": {"connections_total": args.connections, "seconds": args.seconds},
        "ingest_calls_per_s_per_process": INGEST_PER_S,
        "baseline_hello_asgi": baselines,
        "runs": runs,
        "ratios": ratios,
        "load_average_1min": {"start": round(load_before, 2), "end": round(os.getloadavg()[0], 2)},
        "cpus": os.cpu_count(),
    }
    emit(result)
    write_docs(result)


def write_docs(result: dict[str, Any]) -> None:
    rows = "\n".join(
        f"| {r['config']} | {r['send_api_accepted_per_s']} | {r['frames_delivered_per_s']} | "
        f"{r['ingested_per_s']} | {r.get('echo_events_in_outbox', {}).get('stored', '?')} / "
        f"{r['webhooks_out']} / {r['webhooks_expected']} | "
        f"{r['latency']['p50_ms']} / {r['latency']['p99_ms']} ms at {r['latency']['rate_per_s']}/s"
        f" | {r['send_api_non_2xx'] + r['ingest_errors'] + r['latency']['request_errors']} | "
        f"{'–' if r['deadlocks'] is None else r['deadlocks']} | "
        f"{r['latency']['frames_missing']} | {', '.join(str(m) for m in r['peak_rss_mb'])} |"
        for r in result["runs"]
    )

    def waits(r: dict[str, Any]) -> str:
        found = r.get("lock_waits")
        if not found:
            return "–"
        return (
            f"{found['mean_backends_waiting']} / {found['max_backends_waiting']} "
            f"({found['share_of_samples_with_a_wait']})"
        )

    costs = "\n".join(
        f"| {r['config']} | {r['cpu_ms_per_message']['servers']} | "
        f"{r['cpu_ms_per_message']['postgresql'] or '–'} | {waits(r)} |"
        for r in result["runs"]
    )
    ratios = result["ratios"]
    hello1, hello2 = result["baseline_hello_asgi"]
    load = result["load_average_1min"]
    write_section(
        "Scale-out",
        f"""
`bench/scale.py` — in one run: `ledgerline serve` on SQLite (one process) and on
PostgreSQL with Redis Streams and with NATS JetStream, one and two processes each. One
bank (subscribed to `message_echoes`, so every Send API message is also a webhook out to a
local sink), {result["people_with_websockets"]} linked people with a WebSocket each (split
between the processes); `wrk` posts the Send API ({result["wrk"]["connections_total"]}
connections split between the processes, {result["wrk"]["seconds"]} s) while
{result["ingest_calls_per_s_per_process"]} financial-data calls a second go to each process;
then paced Send API calls at half the one-process rate measure request → WebSocket frame.
The machine's {result["cpus"]} cores are shared by the load generator, the servers,
PostgreSQL, the broker and other engineers' work: 1-minute load average {load["start"]} at
the start, {load["end"]} at the end — **absolute figures were measured under that load**;
the ratios, taken in the same run, are the figures to compare.

| configuration | Send API accepted/s | frames/s | ingested/s | echo webhooks stored / received in time / expected | p50 / p99 | errors | deadlocks | frames missing | peak RSS per process (MB) |
|---|---|---|---|---|---|---|---|---|---|
{rows}

Where the time goes, while the load ran: CPU of the servers and of PostgreSQL (every
PostgreSQL process on the machine) per Send API message accepted (ingestion, webhooks out
and delivery receipts included), and the database's backends waiting for a row lock, sampled
every 0.1 s (mean / max, and the share of samples with any).

| configuration | servers' CPU ms a message | PostgreSQL CPU ms a message | backends waiting for a lock |
|---|---|---|---|
{costs}

| ratio (same run) | value |
|---|---|
| PostgreSQL one process ÷ SQLite one process (aim ≥ 0.7) | {ratios["postgresql_1_over_sqlite_1"]} |
| two processes ÷ one, PostgreSQL + Redis (aim ≥ 1.8) | {ratios["redis_2_over_1"]} |
| two processes ÷ one, PostgreSQL + NATS (aim ≥ 1.8) | {ratios["nats_2_over_1"]} |
| plain ASGI hello-world, two uvicorn workers ÷ one ({hello2["requests_per_s"]} / {hello1["requests_per_s"]} requests/s) | {ratios["hello_2_workers_over_1"]} |
""",
    )


if __name__ == "__main__":
    main()
