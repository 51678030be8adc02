"""Benchmark: ingestion of card transactions, with encryption and audit, against the same
pipeline with encryption switched off, measured in the same run.

Each mode runs in a fresh process on a fresh SQLite database: card-number scan, validation,
idempotency, consent gate, vault write (AES-256-GCM under a per-person key, or — with
encryption off — the same JSON written unsealed), audit entries and the commit, driven
through ``Ingestor.ingest`` by 16 concurrent callers. Prints JSON; writes docs/benchmarks.md.

    .venv/bin/python bench/ingest.py [--people 50] [--batches 100] [--singles 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import emit, seed_linked, self_peak_rss_mb, write_section

CONCURRENCY = 16


def _transaction(n: int) -> dict[str, Any]:
    return {
        "transaction_id": f"tx-{n}",
        "account_id": "acc-1",
        "card_last4": "1234",
        "amount": {"amount": str(10_000 + n % 500_000), "currency": "VND"},
        "credit_debit": "debit",
        "status": "booked",
        "booked_at": "2026-11-29T08:15:00+07:00",
        "merchant": {
            "name": "Highlands Coffee",
            "category_code": "5814",
            "city": "Hà Nội",
            "country": "VN",
        },
        "terminal_id": f"T-{n % 97}",
    }


def seed(data_dir: Path, people: int) -> tuple[Any, str, list[str]]:
    from ledgerline.domain.scopes import Scope

    platform, bank, pairs = seed_linked(
        data_dir, people, frozenset({Scope.TRANSACTIONS, Scope.BALANCES})
    )
    return platform, bank.page_id, [psid for psid, _ in pairs]


def disable_encryption() -> None:
    """The same pipeline, but records are written as plain JSON instead of AES-GCM."""
    import ledgerline.vault.access as access_module

    setattr(access_module, "seal_plaintext", lambda key, binding, plaintext: plaintext)  # noqa: B010
    setattr(access_module, "open_", lambda key, binding, sealed: json.loads(sealed))  # noqa: B010


async def drive(ingestor: Any, page_id: str, bodies: list[dict[str, Any]]) -> float:
    from ledgerline.ingest.actions import RecordKind

    queue = list(reversed(bodies))

    async def worker() -> None:
        while queue:
            body = queue.pop()
            await ingestor.ingest(
                page_id=page_id, kind=RecordKind.TRANSACTION, body=body, idempotency_key=None
            )

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return time.perf_counter() - started


def run_mode(encrypted: bool, people: int, batches: int, singles: int) -> dict[str, Any]:
    if not encrypted:
        disable_encryption()
    from ledgerline.ingest.actions import Ingestor

    platform, page_id, psids = seed(Path(tempfile.mkdtemp(prefix="ll-ingest-")), people)
    ingestor = Ingestor(db=platform.db, vault=platform.vault, clock=platform.clock)
    counter = iter(range(10**9))
    batched = [
        {
            "psid": psids[i % len(psids)],
            "transactions": [_transaction(next(counter)) for _ in range(100)],
        }
        for i in range(batches)
    ]
    single = [
        {"psid": psids[i % len(psids)], "transactions": [_transaction(next(counter))]}
        for i in range(singles)
    ]
    batched_s = asyncio.run(drive(ingestor, page_id, batched))
    single_s = asyncio.run(drive(ingestor, page_id, single))
    platform.close()
    return {
        "encrypted": encrypted,
        "batched_tx_per_s": round(batches * 100 / batched_s, 1),
        "single_tx_per_s": round(singles / single_s, 1),
        "peak_rss_mb": self_peak_rss_mb(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=50)
    parser.add_argument("--batches", type=int, default=100)
    parser.add_argument("--singles", type=int, default=2000)
    parser.add_argument("--mode", choices=["encrypted", "plain"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.mode:
        sys.stdout.write(
            json.dumps(run_mode(args.mode == "encrypted", args.people, args.batches, args.singles))
            + "\n"
        )
        return
    runs = {}
    for mode in ("encrypted", "plain"):
        out = subprocess.run(
            [
                sys.executable,
                __file__,
                "--mode",
                mode,
                "--people",
                str(args.people),
                "--batches",
                str(args.batches),
                "--singles",
                str(args.singles),
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        runs[mode] = json.loads(out.strip().splitlines()[-1])
    enc, plain = runs["encrypted"], runs["plain"]
    result = {
        "benchmark": "ingest",
        "database": "SQLite (WAL, synchronous=FULL)",
        "concurrency": CONCURRENCY,
        "encrypted": enc,
        "encryption_off": plain,
        "batched_ratio_encrypted_to_plain": round(
            enc["batched_tx_per_s"] / plain["batched_tx_per_s"], 3
        ),
        "single_ratio_encrypted_to_plain": round(
            enc["single_tx_per_s"] / plain["single_tx_per_s"], 3
        ),
    }
    emit(result)
    write_section(
        "Ingestion",
        f"""
`bench/ingest.py` — {args.people} linked people, {args.batches} requests of 100 transactions
and {args.singles} requests of one, {CONCURRENCY} concurrent callers through the whole
ingestion pipeline (card-number scan, validation, consent gate, vault write, audit, commit)
on SQLite; then the same pipeline with AES-GCM sealing replaced by plain JSON, in a fresh
process, in the same run.

| measure | encrypted | encryption off | ratio |
|---|---|---|---|
| batched (100 a request), tx/s | {enc["batched_tx_per_s"]} | {plain["batched_tx_per_s"]} | {result["batched_ratio_encrypted_to_plain"]} |
| one at a time, tx/s | {enc["single_tx_per_s"]} | {plain["single_tx_per_s"]} | {result["single_ratio_encrypted_to_plain"]} |
| peak RSS | {enc["peak_rss_mb"]} MB | {plain["peak_rss_mb"]} MB | |
""",
    )


if __name__ == "__main__":
    main()
