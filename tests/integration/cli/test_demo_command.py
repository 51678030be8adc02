"""``ledgerline demo``: starts the platform and the demo bank, prints the URLs and sign-ins
(one JSON object with ``--json``), sets up on first run only, and stops cleanly on a signal."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest

from ledgerline.bootstrap import build_services
from ledgerline.config import Settings
from ledgerline.identity.passwords import verify_password
from ledgerline.storage.stores import businesses as business_store, identity as web_store
from tests.support.server import free_port

pytestmark = pytest.mark.slow


def _start(
    data_dir: Path, port: int, bank_port: int, *options: str
) -> tuple[subprocess.Popen[str], dict[str, Any]]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("LEDGERLINE_DATABASE_URL", "LEDGERLINE_ENV")
    }
    env["LEDGERLINE_DATA_DIR"] = str(data_dir)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ledgerline",
            "demo",
            "--json",
            "--port",
            str(port),
            "--bank-port",
            str(bank_port),
            "--interval",
            "0",
            *options,
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    assert process.stdout is not None
    stdout = process.stdout
    threading.Thread(target=lambda: lines.put(stdout.readline()), daemon=True).start()
    try:
        first = lines.get(timeout=120)
    except queue.Empty:
        process.kill()
        process.communicate()
        raise AssertionError("ledgerline demo printed nothing within 120 s") from None
    if not first:
        _out, err = process.communicate(timeout=60)
        raise AssertionError(f"ledgerline demo failed: {err}")
    return process, json.loads(first)


def _stop(process: subprocess.Popen[str], sig: int) -> None:
    process.send_signal(sig)
    _out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err


def test_demo_runs_both_sets_up_once_and_stops_cleanly(tmp_path: Path) -> None:
    port, bank_port = free_port(), free_port()
    process, info = _start(tmp_path, port, bank_port)
    try:
        base = f"http://127.0.0.1:{port}"
        assert info["web_url"] == base + "/"
        assert info["console_url"] == base + "/console"
        assert info["bank_url"] == f"http://127.0.0.1:{bank_port}/"
        assert {p["login"] for p in info["people"]} == {"an.nguyen", "claire.martin"}
        assert {(a["login"], a["role"]) for a in info["agents"]} == {
            ("lan", "supervisor"),
            ("minh", "agent"),
        }
        assert httpx.get(info["inbox_url"], timeout=10).status_code == 200
        assert {c["username"] for c in info["bank_customers"]} >= {"an.nguyen", "claire.martin"}
        assert httpx.get(info["web_url"] + "signin", timeout=10).status_code == 200
        office = httpx.get(info["bank_url"], timeout=10)
        assert office.status_code == 200
        assert "Demo Bank" in office.text or "Ngân hàng Demo" in office.text
        assert info["assistant"] is False  # off unless asked for
        # The printed page token is live, and the business points at the bank.
        token = info["page_access_token"]
        assert httpx.get(
            base + "/me/webhook_deliveries", params={"access_token": token}, timeout=10
        ).is_success
    finally:
        if process.poll() is None:
            _stop(process, signal.SIGTERM)

    again, second = _start(tmp_path, port, bank_port, "--assistant")
    try:
        office = httpx.get(second["bank_url"], params={"lang": "en"}, timeout=10)
        assert "Turn the assistant off" in office.text  # the back office knows it is on
    finally:
        _stop(again, signal.SIGINT)
    assert second["assistant"] is True
    assert (second["page_id"], second["page_access_token"]) == (info["page_id"], token)
    assert oct((tmp_path / "demobank.json").stat().st_mode & 0o777) == "0o600"

    platform = build_services(Settings(env="development", data_dir=tmp_path))
    try:
        business = platform.db.read_sync(business_store.get_business, info["page_id"])
        assert business is not None
        assert business.name == "Demo Bank"
        assert business.webhook_url == f"http://127.0.0.1:{bank_port}/webhook"
        assert business.account_link_url == f"http://127.0.0.1:{bank_port}/link"
        found = platform.db.read_sync(business_store.list_businesses, query="demo", limit=10)
        assert [b.page_id for b in found] == [info["page_id"]]  # created once
        for person in info["people"]:
            credential = platform.db.read_sync(web_store.credential_for_login, person["login"])
            assert credential is not None
            assert verify_password(credential.password_hash, person["password"])[0]
    finally:
        platform.close()


def test_demo_says_so_when_its_port_is_taken(tmp_path: Path) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {**os.environ, "LEDGERLINE_DATA_DIR": str(tmp_path)}
        env.pop("LEDGERLINE_DATABASE_URL", None)
        done = subprocess.run(
            [sys.executable, "-m", "ledgerline", "demo", "--port", str(port), "--interval", "0"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert done.returncode == 1
    assert "port" in done.stderr
    assert "Traceback" not in done.stderr
