"""Benchmark: Ledgerline beside a peer a bank might pick instead — Matrix Synapse — in one run,
driven by the same load generator, with the plain ASGI hello-world as the ceiling.

Synapse is installed from PyPI into an environment of its own, cached
(``~/.cache/ledgerline-bench/synapse-<version>``), and runs on loopback on SQLite and on
PostgreSQL with its rate limits raised. Ledgerline runs ``ledgerline serve`` on SQLite and
on PostgreSQL. For each:

* durable messages/s from ``--senders`` connections at once (closed loop, ``--seconds``),
  posted by ``wrk`` (C, its own process: the Python generator this replaced was the ceiling,
  98 hello-world requests/s under load): Synapse users each in a room of their own (``PUT
  …/rooms/{room}/send/m.room.message/{txn}``, round robin), or one bank sending to as many
  people through the Send API; a message counts once answered 2xx (stored);
* send → receive latency p50/p99 at fixed rates (10, 100, 1,000 messages/s, where each can
  keep up): every message carries its send time; Synapse's arrive on a reader's ``/sync``
  (a user in every room), Ledgerline's on the people's WebSockets.

Prints JSON with the ratios (Ledgerline ÷ Synapse on the same database, each ÷ the
hello-world's requests/s under the same generator), writes docs/benchmarks.md ("Peers") and
a chart, docs/peers.png.

    .venv/bin/python bench/peers.py [--senders 32] [--seconds 10]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (
    ROOT,
    UVICORN_FLAGS,
    emit,
    free_port,
    ledgerline_server,
    peak_rss_mb,
    run_wrk,
    seed_threads,
    server_process,
    write_section,
)
from _load import NUMBER, STAMP, Receivers, paced_posts, percentile
from scale import fresh_database
from send_api import lua_script

SYNAPSE_VERSION = "1.163.2"
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "ledgerline-bench"
RATES = (10, 100, 1000)
LATENCY_SECONDS = 5
_STAMP = re.compile(r"#(\d+)_(\d{9})\b")


def synapse_python() -> Path:
    """The cached environment's interpreter, installing Synapse from PyPI the first time."""
    venv = CACHE / f"synapse-{SYNAPSE_VERSION}"
    python = venv / "bin" / "python"
    if not python.exists():
        venv.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run(
            [
                str(python),
                "-m",
                "pip",
                "install",
                "-q",
                f"matrix-synapse[postgres]=={SYNAPSE_VERSION}",
            ],
            check=True,
        )
    return python


def synapse_config(python: Path, home: Path, port: int, database_url: str | None) -> Path:
    """A generated homeserver config, on loopback, rate limits raised, open registration."""
    import yaml
    from sqlalchemy.engine import make_url

    path = home / "homeserver.yaml"
    subprocess.run(
        [
            str(python),
            "-m",
            "synapse.app.homeserver",
            "--server-name",
            "localhost",
            "--config-path",
            str(path),
            "--generate-config",
            "--report-stats=no",
            "--data-directory",
            str(home),
        ],
        check=True,
        capture_output=True,
    )
    config = yaml.safe_load(path.read_text())
    unlimited = {"per_second": 100_000, "burst_count": 100_000}
    config.update(
        listeners=[
            {
                "port": port,
                "bind_addresses": ["127.0.0.1"],
                "type": "http",
                "tls": False,
                "resources": [{"names": ["client"], "compress": False}],
            }
        ],
        enable_registration=True,
        enable_registration_without_verification=True,
        trusted_key_servers=[],
        suppress_key_server_warning=True,
        presence={"enabled": False},
        url_preview_enabled=False,
        rc_message=unlimited,
        rc_registration=unlimited,
        rc_login={"address": unlimited, "account": unlimited, "failed_attempts": unlimited},
        rc_joins={"local": unlimited, "remote": unlimited},
        rc_joins_per_room=unlimited,
        rc_invites={"per_room": unlimited, "per_user": unlimited, "per_issuer": unlimited},
        rc_room_creation=unlimited,
    )
    if database_url is not None:
        url = make_url(database_url)
        args = {
            "user": url.username,
            "password": url.password,
            "host": url.host,
            "port": url.port or 5432,
            "database": url.database,
            "cp_min": 5,
            "cp_max": 10,
        }
        config["database"] = {
            "name": "psycopg2",
            "allow_unsafe_locale": True,  # the bench database takes the server's locale
            "args": {key: value for key, value in args.items() if value is not None},
        }
    log_config = home / "log.yaml"
    log_config.write_text(
        "version: 1\nroot:\n  level: WARNING\n  handlers: [console]\n"
        "handlers:\n  console:\n    class: logging.StreamHandler\n"
        "disable_existing_loggers: false\n"
    )
    config["log_config"] = str(log_config)
    path.write_text(yaml.safe_dump(config))
    return path


@dataclass
class Latency:
    rate: int
    achieved_per_s: float
    sent: int
    received: int
    p50_ms: float
    p99_ms: float


@dataclass
class Outcome:
    system: str
    database: str
    durable_per_s: float = 0.0
    errors: int = 0
    latency: list[Latency] = field(default_factory=list)
    peak_rss_mb: float = 0.0


@dataclass
class Window:
    rate: int
    started: int  # monotonic ns
    ended: int
    sent: int
    seconds: float


def durable(outcome: Outcome, base: str, lua: Path, senders: int, seconds: int) -> None:
    """Durable messages/s: ``wrk`` with ``senders`` connections, each request built by
    ``lua`` (one thread: its request counter, and so Synapse's transaction ids, never repeat)."""
    load = run_wrk(base, lua, connections=senders, seconds=seconds)
    outcome.durable_per_s = round((load["requests"] - load["non_2xx"]) / seconds, 1)
    outcome.errors += int(load["non_2xx"])


def synapse_lua(path: Path, rooms: list[str], tokens: list[str]) -> Path:
    """PUT a message to each sender's room in turn, a transaction id of its own each."""
    listed = ",".join(f"{{[==[{r}]==], [==[{t}]==]}}" for r, t in zip(rooms, tokens, strict=True))
    path.write_text(f"""
local senders = {{{listed}}}
local n = 0
request = function()
  n = n + 1
  local sender = senders[(n % #senders) + 1]
  return wrk.format("PUT", "/_matrix/client/v3/rooms/" .. sender[1] .. "/send/m.room.message/w" .. n,
    {{["Authorization"] = "Bearer " .. sender[2], ["Content-Type"] = "application/json"}},
    '{{"msgtype":"m.text","body":"w' .. n .. '"}}')
end
""")
    return path


@dataclass(frozen=True)
class Paced:
    """What the paced generator sends to one system: requests round robin over ``paths``
    (``__N__``: the request's number) and ``bodies`` (``__TS__``: its send time)."""

    port: int
    paths: list[str]
    headers: dict[str, str]
    bodies: list[str]
    method: str = "POST"


def drive(outcome: Outcome, paced: Paced) -> list[Window]:
    """The same open-loop generator (``_load.paced_posts``: raw HTTP/1.1 from a process of
    its own) for every system, at each fixed rate it can keep up with (after ``durable``);
    the latencies come from the arrivals afterwards (``latencies``)."""
    windows = []
    for rate in RATES:
        if rate > 2 * outcome.durable_per_s:
            continue  # it cannot keep up: nothing to measure
        started = time.monotonic_ns()
        sent = paced_posts(
            paced.port,
            paced.paths,
            paced.headers,
            paced.bodies,
            rate=rate,
            seconds=LATENCY_SECONDS,
            method=paced.method,
        )
        outcome.errors += sent.errors + sent.completed - sent.ok
        windows.append(Window(rate, started, time.monotonic_ns(), sent.ok, sent.seconds))
        time.sleep(1.0)
    return windows


def latencies(windows: list[Window], arrived: dict[int, int]) -> list[Latency]:
    """Send (the stamp: the scheduled time) → receive, per fixed rate."""
    found = []
    for window in windows:
        got = [(at - s) / 1e6 for s, at in arrived.items() if window.started <= s <= window.ended]
        found.append(
            Latency(
                rate=window.rate,
                achieved_per_s=round(window.sent / window.seconds, 1),
                sent=window.sent,
                received=len(got),
                p50_ms=round(percentile(got, 0.5), 2),
                p99_ms=round(percentile(got, 0.99), 2),
            )
        )
    return found


# --- Synapse -------------------------------------------------------------------------------


class SyncReader:
    """The reader's ``/sync`` long poll in a thread of its own: when each stamp arrived."""

    def __init__(self, base: str, token: str) -> None:
        import threading

        self.base, self.token = base, token
        self.arrived: dict[int, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        since = None
        headers = {"Authorization": f"Bearer {self.token}"}
        with httpx.Client(timeout=60) as http:
            while not self._stop.is_set():
                params = {"timeout": "1000"}
                if since:
                    params["since"] = since
                with contextlib.suppress(httpx.HTTPError):
                    answer = http.get(
                        f"{self.base}/_matrix/client/v3/sync", params=params, headers=headers
                    )
                    now = time.monotonic_ns()
                    body = answer.json()
                    since = body.get("next_batch", since)
                    for room in body.get("rooms", {}).get("join", {}).values():
                        for event in room.get("timeline", {}).get("events", []):
                            match = _STAMP.search(str(event.get("content", {}).get("body", "")))
                            if match:
                                stamp = int(match[1]) * 10**9 + int(match[2])
                                self.arrived.setdefault(stamp, now)

    def __enter__(self) -> SyncReader:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


def run_synapse(database: str, senders: int, seconds: int) -> Outcome:
    python = synapse_python()
    outcome = Outcome("synapse", database)
    with fresh_database(database) as database_url, tempfile.TemporaryDirectory() as home:
        port = free_port()
        config = synapse_config(python, Path(home), port, database_url)
        base = f"http://127.0.0.1:{port}"
        args = [str(python), "-m", "synapse.app.homeserver", "--config-path", str(config)]
        with server_process(args, port, ready_path="/_matrix/client/versions") as server:
            with httpx.Client(base_url=base, timeout=60) as http:

                def register(name: str) -> str:
                    answer = http.post(
                        "/_matrix/client/v3/register",
                        json={
                            "username": name,
                            "password": "bench-pass-1",
                            "auth": {"type": "m.login.dummy"},
                        },
                    )
                    answer.raise_for_status()
                    return str(answer.json()["access_token"])

                reader = register("reader")
                tokens, rooms = [], []
                for i in range(senders):
                    token = register(f"sender{i}")
                    room = http.post(
                        "/_matrix/client/v3/createRoom",
                        headers={"Authorization": f"Bearer {token}"},
                        json={"preset": "public_chat"},
                    ).json()["room_id"]
                    http.post(
                        f"/_matrix/client/v3/join/{room}",
                        headers={"Authorization": f"Bearer {reader}"},
                    ).raise_for_status()
                    tokens.append(token)
                    rooms.append(room)
                for room in rooms[1:]:  # the paced sender writes in every room
                    http.post(
                        f"/_matrix/client/v3/join/{room}",
                        headers={"Authorization": f"Bearer {tokens[0]}"},
                    ).raise_for_status()
            paced = Paced(
                port,
                [
                    f"/_matrix/client/v3/rooms/{room}/send/m.room.message/p{NUMBER}"
                    for room in rooms
                ],
                {"Authorization": f"Bearer {tokens[0]}", "Content-Type": "application/json"},
                [json.dumps({"msgtype": "m.text", "body": f"p #{STAMP}"})],
                method="PUT",
            )
            lua = synapse_lua(Path(home) / "send.lua", rooms, tokens)
            with SyncReader(base, reader) as sync:
                durable(outcome, base, lua, senders, seconds)
                windows = drive(outcome, paced)
                time.sleep(2.0)
                outcome.latency = latencies(windows, dict(sync.arrived))
            outcome.peak_rss_mb = peak_rss_mb(server.pid)
    return outcome


# --- Ledgerline ----------------------------------------------------------------------------


def run_ledgerline(database: str, senders: int, seconds: int) -> Outcome:
    outcome = Outcome("ledgerline", database)
    with fresh_database(database) as database_url, tempfile.TemporaryDirectory() as home:
        token, pairs = seed_threads(Path(home), senders, database_url=database_url)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        serving = ledgerline_server(
            port, Path(home), database_url=database_url, rate_limit_send_per_second="0"
        )
        with (
            serving as server,
            Receivers(f"ws://127.0.0.1:{port}", [t for _, t in pairs]) as receivers,
        ):
            paced = Paced(
                port,
                ["/v15.0/me/messages"],
                {"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
                [
                    json.dumps({"recipient": {"id": psid}, "message": {"text": f"p #{STAMP}"}})
                    for psid, _ in pairs
                ],
            )
            lua = lua_script(Path(home) / "send.lua", token, [psid for psid, _ in pairs])
            durable(outcome, base, lua, senders, seconds)
            windows = drive(outcome, paced)
            time.sleep(2.0)
            outcome.peak_rss_mb = peak_rss_mb(server.pid)
            outcome.latency = latencies(windows, receivers.finish().arrived_at)
    return outcome


def run_hello(senders: int, seconds: int) -> Outcome:
    outcome = Outcome("hello_asgi", "none")
    port = free_port()
    args = [sys.executable, "-m", "uvicorn", "--app-dir", str(ROOT / "bench"), "hello_asgi:app"]
    with (
        server_process([*args, "--port", str(port), *UVICORN_FLAGS], port) as server,
        tempfile.TemporaryDirectory() as home,
    ):
        lua = lua_script(Path(home) / "hello.lua", "t", [str(i) for i in range(senders)])
        durable(outcome, f"http://127.0.0.1:{port}", lua, senders, seconds)
        outcome.peak_rss_mb = peak_rss_mb(server.pid)
    return outcome


def ratio(a: float, b: float) -> float | None:
    return round(a / b, 4) if b else None


def chart(result: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    runs = result["runs"]
    names = [f"{r['system']}\n{r['database']}" for r in runs]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    left.bar(names, [r["durable_per_s"] for r in runs], color="#3b6ea8")
    left.set_yscale("log")
    left.set_title(f"durable messages/s, {result['senders']} senders (log)")
    for r in runs:
        points = [(lat["rate"], lat["p99_ms"]) for lat in r["latency"]]
        if points and r["system"] != "hello_asgi":
            right.plot(
                *zip(*points, strict=True), marker="o", label=f"{r['system']} {r['database']}"
            )
    right.set_xscale("log")
    right.set_yscale("log")
    right.set_xlabel("messages/s offered")
    right.set_title("send → receive p99 (ms, log)")
    right.legend(fontsize=8)
    fig.suptitle(f"bench/peers.py — load average {result['load_average_1min']['start']}")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--senders", type=int, default=32)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--databases", nargs="*", default=["sqlite", "postgresql"])
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    runs: list[Outcome] = [run_hello(args.senders, args.seconds)]
    for database in args.databases:
        for run in (run_ledgerline, run_synapse):
            outcome = run(database, args.senders, args.seconds)
            print(json.dumps(outcome.__dict__, default=lambda o: o.__dict__), file=sys.stderr)
            runs.append(outcome)
    # The ceiling again at the end: a shared machine's load moves during the run.
    again = run_hello(args.senders, args.seconds)
    if again.durable_per_s > runs[0].durable_per_s:
        runs[0] = again
    hello = runs[0].durable_per_s
    by = {(r.system, r.database): r for r in runs}
    ratios: dict[str, Any] = {}
    for database in args.databases:
        ledgerline, synapse = by[("ledgerline", database)], by[("synapse", database)]
        ratios[f"ledgerline_over_synapse_{database}"] = ratio(
            ledgerline.durable_per_s, synapse.durable_per_s
        )
        ratios[f"ledgerline_over_hello_{database}"] = ratio(ledgerline.durable_per_s, hello)
        ratios[f"synapse_over_hello_{database}"] = ratio(synapse.durable_per_s, hello)
    result = {
        "benchmark": "peers",
        "synapse_version": SYNAPSE_VERSION,
        "senders": args.senders,
        "seconds": args.seconds,
        "runs": [json.loads(json.dumps(r, default=lambda o: o.__dict__)) for r in runs],
        "ratios": ratios,
        "load_average_1min": {"start": round(load_before, 2), "end": round(os.getloadavg()[0], 2)},
        "cpus": os.cpu_count(),
    }
    emit(result)
    chart(result, ROOT / "docs" / "peers.png")
    write_docs(result)


def write_docs(result: dict[str, Any]) -> None:
    def lat(run: dict[str, Any], rate: int) -> str:
        for found in run["latency"]:
            if found["rate"] == rate:
                return (
                    f"{found['p50_ms']} / {found['p99_ms']} ({found['received']}/{found['sent']})"
                )
        return "–"

    rows = "\n".join(
        f"| {r['system']} | {r['database']} | {r['durable_per_s']} | {r['errors']} | "
        + " | ".join(lat(r, rate) for rate in RATES)
        + f" | {r['peak_rss_mb']} |"
        for r in result["runs"]
    )
    ratios = "\n".join(f"| {name} | {value} |" for name, value in result["ratios"].items())
    load = result["load_average_1min"]
    write_section(
        "Peers",
        f"""
`bench/peers.py` — Matrix Synapse {result["synapse_version"]} (from PyPI, in a cached
environment of its own, on loopback, rate limits raised) and `ledgerline serve`, each on
SQLite and on PostgreSQL, driven by the same generators: `wrk` (C, a process of its own)
with {result["senders"]} connections at once for {result["seconds"]} s (Synapse users each in a
room of their own, round robin; one bank sending to {result["senders"]} people through the
Send API), a message counted once answered 2xx (stored); then, from a process of its own
(`bench/_load.py`: raw HTTP/1.1 on asyncio, open loop), fixed rates of
{", ".join(str(r) for r in RATES)} messages/s for {LATENCY_SECONDS} s each, where the system
kept up with at least half of it, send → receive (Synapse: a reader's `/sync` in every room;
Ledgerline: the people's WebSockets). The plain ASGI hello-world under the same generator is
the ceiling (measured first and last, the higher kept). The machine's {result["cpus"]} cores are shared by all of it and by other
engineers' work: load average {load["start"]} at the start, {load["end"]} at the end —
**absolute figures were measured under that load**; the ratios come from the same run.

![durable messages/s and p99 latency](peers.png)

| system | database | durable messages/s | errors | p50 / p99 ms (received/sent) at 10/s | at 100/s | at 1,000/s | peak RSS MB |
|---|---|---|---|---|---|---|---|
{rows}

| ratio (same run) | value |
|---|---|
{ratios}
""",
    )


if __name__ == "__main__":
    main()
