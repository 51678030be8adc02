"""Benchmark: peak memory of `ledgerline serve` while it scores card transactions for fraud
(and, with ``--assistant-messages``, while the built-in assistant answers people).

Seeds a bank and ``--people`` people linked with the ``transactions`` and ``fraud_alerts``
scopes, starts `ledgerline serve` (SQLite, its own process, the default fraud model unless
``--model`` names a file), posts ``--batches`` requests of ``--size`` card transactions
(one in twenty is a large amount, so some alerts are raised), then reads the server's VmHWM
(peak resident set) and VmRSS from /proc, and which heavy libraries its address space maps.
With ``--assistant-messages N`` the bank then turns the assistant on (``POST
/me/assistant``) and ``--people`` more people (seeded unlinked) each write N messages to it.
Prints JSON.

    .venv/bin/python bench/serve_memory.py [--people 20] [--batches 60] [--size 50] [--model PATH]
        [--assistant-messages 0]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import emit, free_port, ledgerline_server, peak_rss_mb, seed_linked

HEAVY = ("pandas", "sklearn", "scipy", "pyarrow", "lightgbm")


# What people ask the assistant (vi with and without diacritics, en), in turn.
QUESTIONS = (
    "xin chào",
    "Số dư của tôi là bao nhiêu?",
    "so du tai khoan con bao nhieu",
    "show me my recent transactions",
    "khoản 125k hôm qua là gì",
    "What's my balance?",
    "cảm ơn",
    "cây ATM gần nhất ở đâu",  # last: the assistant passes the thread to the bank
)


@dataclass
class Seeded:
    page_id: str
    page_access_token: str
    psids: list[str]  # linked people, as the bank knows them
    unlinked_tokens: list[str]  # people who will write to the assistant


def seed(data_dir: Path, people: int) -> Seeded:
    from ledgerline.chat.accounts import do_create_user
    from ledgerline.domain.clock import to_ms
    from ledgerline.domain.scopes import Scope

    scopes = frozenset({Scope.TRANSACTIONS, Scope.FRAUD_ALERTS})
    platform, bank, pairs = seed_linked(data_dir, people, scopes)
    now = to_ms(platform.clock.now())
    unlinked = [
        platform.db.write_sync(
            do_create_user, name=f"Q{i}", locale="vi", timezone="Asia/Ho_Chi_Minh", now=now
        ).access_token
        for i in range(people)
    ]
    platform.close()
    return Seeded(bank.page_id, bank.page_access_token, [psid for psid, _ in pairs], unlinked)


def ask_the_assistant(client: httpx.Client, seeded: Seeded, messages: int) -> int:
    """Turn the assistant on, have each unlinked person write ``messages`` messages; returns
    how many answers the page wrote."""
    on = client.post(
        "/v19.0/me/assistant",
        json={"enabled": True},
        headers={"Authorization": f"Bearer {seeded.page_access_token}"},
    )
    on.raise_for_status()
    answers = 0
    thread = f"/api/v1/threads/{seeded.page_id}/messages"
    for token in seeded.unlinked_tokens:
        auth = {"Authorization": f"Bearer {token}"}
        for i in range(messages):
            said = client.post(thread, json={"text": QUESTIONS[i % len(QUESTIONS)]}, headers=auth)
            said.raise_for_status()
        written = client.get(thread, params={"limit": 200}, headers=auth).json()["data"]
        answers += sum(1 for m in written if m["from"] == "page")
    return answers


def batch(psid: str, n: int, first: int, rng: random.Random) -> dict[str, Any]:
    items = []
    for i in range(first, first + n):
        large = rng.random() < 0.05
        amount = rng.randint(20_000_000, 60_000_000) if large else rng.randint(30_000, 400_000)
        items.append(
            {
                "transaction_id": f"mem-{i}",
                "account_id": "acc-1",
                "card_last4": "1234",
                "amount": {"amount": str(amount), "currency": "VND"},
                "credit_debit": "debit",
                "status": "booked",
                "booked_at": f"2026-11-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:00+07:00",
                "merchant": {"name": "Shop", "category_code": "5411"},
                "terminal_id": f"term-{rng.randint(0, 299)}",
            }
        )
    return {"psid": psid, "transactions": items}


def mapped(pid: int) -> list[str]:
    """Which of the heavy libraries the process has mapped (shared objects of each package)."""
    maps = Path(f"/proc/{pid}/maps").read_text()
    return [name for name in HEAVY if f"/site-packages/{name}" in maps]


def current_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return float("nan")  # pragma: no cover


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=20)
    parser.add_argument("--batches", type=int, default=60)
    parser.add_argument("--size", type=int, default=50)
    parser.add_argument("--model", default="default")
    parser.add_argument("--assistant-messages", type=int, default=0)
    args = parser.parse_args()
    rng = random.Random(0)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        seeded = seed(tmp, args.people)
        token, psids = seeded.page_access_token, seeded.psids
        port = free_port()
        with ledgerline_server(
            port, tmp, fraud_model=args.model, rate_limit_ingest_per_second="0"
        ) as server:
            started_mb = peak_rss_mb(server.pid)
            accepted = alerts = 0
            headers = {"Authorization": f"Bearer {token}"}
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
                for b in range(args.batches):
                    body = batch(psids[b % len(psids)], args.size, b * args.size, rng)
                    answer = client.post("/v19.0/me/transactions", json=body, headers=headers)
                    answer.raise_for_status()
                    accepted += answer.json()["accepted"]
                    alerts += len(answer.json()["alerts"])
                scored_mb = peak_rss_mb(server.pid)
                answers = 0
                if args.assistant_messages:
                    answers = ask_the_assistant(client, seeded, args.assistant_messages)
            result = {
                "benchmark": "serve_memory",
                "model": args.model,
                "transactions": accepted,
                "alerts": alerts,
                "peak_rss_mb_after_start": started_mb,
                "peak_rss_mb_after_scoring": scored_mb,
                "peak_rss_mb": peak_rss_mb(server.pid),
                "rss_mb_at_end": current_rss_mb(server.pid),
                "heavy_libraries_mapped": mapped(server.pid),
            }
            if args.assistant_messages:
                result["assistant_messages"] = args.assistant_messages * len(seeded.psids)
                result["assistant_answers"] = answers
    emit(result)


if __name__ == "__main__":
    main()
