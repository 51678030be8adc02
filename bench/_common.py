"""Helpers shared by the benchmarks: processes, ports, peak RSS, wrk, the results file."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
UVICORN_FLAGS = [
    "--loop",
    "uvloop",
    "--http",
    "httptools",
    "--no-access-log",
    "--log-level",
    "warning",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def peak_rss_mb(pid: int) -> float:
    """VmHWM: the peak resident set of a live process, in MB."""
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


def cpu_seconds(pid: int, thread: int | None = None) -> float:
    """User + system CPU a live process (or one of its threads) has used so far (from
    /proc), in seconds.

    CPU per request is a figure that a busy machine disturbs far less than requests/s."""
    stat = Path(f"/proc/{pid}/stat" if thread is None else f"/proc/{pid}/task/{thread}/stat")
    fields = stat.read_text().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return ticks / os.sysconf("SC_CLK_TCK")


def self_peak_rss_mb() -> float:
    return peak_rss_mb(os.getpid())


@contextlib.contextmanager
def server_process(
    args: list[str], port: int, env: dict[str, str] | None = None, ready_path: str = "/"
) -> Iterator[subprocess.Popen[bytes]]:
    # stderr goes to a file: a pipe nobody reads would block a chatty server once full.
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(
            args, env={**os.environ, **(env or {})}, stdout=subprocess.DEVNULL, stderr=errors
        )
        deadline = time.monotonic() + 300  # a busy machine can take a while to start a server
        try:
            while True:
                try:
                    httpx.get(f"http://127.0.0.1:{port}{ready_path}", timeout=5)
                    break
                except httpx.HTTPError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        process.kill()
                        process.wait()
                        errors.seek(0)
                        err = errors.read().decode(errors="replace")
                        raise RuntimeError(f"server did not start: {err[-2000:]}") from None
                    time.sleep(0.1)
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()


@contextlib.contextmanager
def ledgerline_server(
    port: int, data_dir: Path, *, database_url: str | None = None, **settings: str
) -> Iterator[subprocess.Popen[bytes]]:
    """``ledgerline serve`` on ``port`` (development, its data in ``data_dir``), once it
    serves its OpenAPI document. ``settings`` are more ``LEDGERLINE_*`` variables by their
    lower-case names, e.g. ``rate_limit_send_per_second="0"``."""
    env = {"LEDGERLINE_ENV": "development", "LEDGERLINE_DATA_DIR": str(data_dir)}
    if database_url:
        env["LEDGERLINE_DATABASE_URL"] = database_url
    env.update({f"LEDGERLINE_{name.upper()}": value for name, value in settings.items()})
    command = [sys.executable, "-m", "ledgerline", "serve", "--port", str(port)]
    with server_process(command, port, env=env, ready_path="/openapi.json") as process:
        yield process


@contextlib.contextmanager
def profiling(pid: int, out: Path | None, seconds: int) -> Iterator[None]:
    """Record ``pid`` with py-spy (raw collapsed stacks, threads named) while the block runs."""
    if out is None:
        yield
        return
    spy = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or shutil.which("py-spy")
    if spy is None:
        raise RuntimeError("--profile needs py-spy (.venv/bin/pip install py-spy)")
    recorder = subprocess.Popen(
        [
            spy,
            "record",
            "--pid",
            str(pid),
            "--duration",
            str(seconds),
            "--format",
            "raw",
            "--threads",
            "--nonblocking",
            "--rate",
            "200",
            "--output",
            str(out),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield
    finally:
        recorder.wait(timeout=seconds + 60)


def ensure_wrk() -> str:
    path = shutil.which("wrk")
    if path:
        return path
    subprocess.run(
        ["apt-get", "install", "-y", "-q", "wrk"],
        check=False,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    path = shutil.which("wrk")
    if not path:
        raise SystemExit("wrk is needed for this benchmark: apt-get install wrk")
    return path


def run_wrk(
    url: str, lua: Path, *, connections: int, seconds: int, threads: int = 1
) -> dict[str, float]:
    run = subprocess.run(
        [
            ensure_wrk(),
            f"-t{threads}",
            f"-c{connections}",
            f"-d{seconds}s",
            "--latency",
            "-s",
            str(lua),
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    if run.stderr.strip():  # e.g. a Lua error: wrk would silently fall back to GET /
        raise RuntimeError(f"wrk failed: {run.stderr.strip()[:500]}")
    out = run.stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = int(non2xx.group(1)) if non2xx else 0
    return {"requests_per_s": rps, "requests": total, "non_2xx": errors}


def write_section(title: str, markdown: str) -> None:
    """Replace (or add) one section of docs/benchmarks.md, leaving the others alone."""
    path = ROOT / "docs" / "benchmarks.md"
    text = (
        path.read_text()
        if path.exists()
        else "# Benchmarks\n\nLatest figures, written by the scripts under `bench/`.\n"
    )
    pattern = re.compile(rf"^## {re.escape(title)}\n.*?(?=^## |\Z)", re.S | re.M)
    section = f"## {title}\n\n{markdown.strip()}\n\n"
    text = pattern.sub(section, text) if pattern.search(text) else text.rstrip() + "\n\n" + section
    path.parent.mkdir(exist_ok=True)
    path.write_text(text)


def emit(result: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(result, indent=2) + "\n")


def seed_bank_and_people(
    data_dir: Path,
    people: int,
    *,
    account_link_url: str | None = None,
    database_url: str | None = None,
    webhook_url: str | None = None,
) -> tuple[Any, Any, list[Any], int]:
    """A fresh platform with one bank and ``people`` people: (platform, bank, users, now).
    ``database_url``: PostgreSQL instead of SQLite in ``data_dir``; ``webhook_url``: where
    the bank's webhooks go (verify token ``bench``)."""
    from ledgerline.bootstrap import build_services
    from ledgerline.chat.accounts import do_create_business, do_create_user
    from ledgerline.config import Settings
    from ledgerline.domain.clock import to_ms

    platform = build_services(
        Settings(env="development", data_dir=data_dir, database_url=database_url)
    )
    now = to_ms(platform.clock.now())
    bank = platform.db.write_sync(
        do_create_business,
        secret_key=platform.secret_key,
        name="Bench Bank",
        webhook_url=webhook_url,
        verify_token=None if webhook_url is None else "bench",
        account_link_url=account_link_url,
        now=now,
    )
    users = [
        platform.db.write_sync(
            do_create_user, name=f"P{i}", locale="vi", timezone="Asia/Ho_Chi_Minh", now=now
        )
        for i in range(people)
    ]
    return platform, bank, users, now


def seed_threads(
    data_dir: Path, people: int, *, database_url: str | None = None
) -> tuple[str, list[tuple[str, str]]]:
    """One bank and ``people`` persons who each wrote to it once (so it may answer them):
    the page token and [(psid, user access token)]."""
    from ledgerline.chat.actions import do_user_message
    from ledgerline.chat.routing import Inbound
    from ledgerline.storage.stores import threads

    platform, bank, users, now = seed_bank_and_people(data_dir, people, database_url=database_url)
    pairs = []
    for user in users:
        platform.db.write_sync(
            do_user_message,
            user_id=user.user_id,
            page_id=bank.page_id,
            body={"text": "hi"},
            now=now,
            inbound=Inbound(),
        )
        thread = platform.db.read_sync(threads.get_thread, bank.page_id, user.user_id)
        assert thread is not None
        pairs.append((thread.psid, user.access_token))
    platform.close()
    return bank.page_access_token, pairs


def seed_linked(
    data_dir: Path, people: int, scopes: frozenset[Any], **where: Any
) -> tuple[Any, Any, list[tuple[str, str]]]:
    """A bank and ``people`` people linked to it with ``scopes``, through the real linking
    actions. Returns (platform, the bank, [(psid, user access token)]); the caller closes."""
    from urllib.parse import parse_qs, urlsplit

    from ledgerline.linking.actions import do_complete_link, do_start_link
    from ledgerline.storage.stores import threads

    authorize = "http://127.0.0.1:9/authorize"
    platform, bank, users, now = seed_bank_and_people(
        data_dir, people, account_link_url=authorize, **where
    )
    pairs = []
    for user in users:
        started = platform.db.write_sync(
            do_start_link,
            user_id=user.user_id,
            page_id=bank.page_id,
            url=authorize,
            scopes=scopes,
            text_version=None,
            public_url="http://127.0.0.1:8000",
            now=now,
        )
        redirect_uri = parse_qs(urlsplit(started.redirect_url).query)["redirect_uri"][0]
        state = parse_qs(urlsplit(redirect_uri).query)["state"][0]
        platform.db.write_sync(
            do_complete_link,
            state=state,
            code="bench",
            caller=user.user_id,  # the person who started the flow completes it
            binding=None,
            now=now,
            hooks=platform.linking_hooks,
        )
        thread = platform.db.read_sync(threads.get_thread, bank.page_id, user.user_id)
        if thread is None:  # pragma: no cover - linking creates the thread
            raise RuntimeError("linking created no thread")
        pairs.append((thread.psid, user.access_token))
    return platform, bank, pairs
