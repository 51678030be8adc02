"""``make fuzz``: schemathesis over the whole OpenAPI document against a real server until
``--budget`` generated requests were answered; the aim is 0 server errors (issue 17 part 1).

The platform runs on loopback (development mode, SQLite in a temporary directory unless
``--database-url``), with every rate limit off so the fuzzer reaches the handlers. A bank
and a person are created; then rounds of ``schemathesis run`` (phases examples, coverage,
fuzzing and stateful — links between operations —, a new seed each round) alternate
between the bank surface (the page token) and the person surface (the person's token;
deleting the account is left out, or the rest would be 401s). What the server answered is
counted by the server itself, from ``/metrics`` (``ledgerline_http_requests`` by status),
so the figure does not depend on the fuzzer's reporting. A line of progress follows each
round; the end is a JSON summary. Exit 1 when any request got a 5xx: schemathesis's
report of the failing cases is under ``--report-dir``.

    make fuzz                       # 50,000 requests
    make fuzz BUDGET=2000           # a quick run
    .venv/bin/python scripts/fuzz.py --budget 5000 --max-examples 20 --verbose
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support.server import RunningPlatform, running_platform

SCHEMATHESIS = str(Path(sys.executable).with_name("schemathesis"))
NOT_COUNTED = {"/metrics", "/openapi.json"}  # the fuzzer's and this script's own reads


@dataclass(frozen=True, slots=True)
class Surface:
    name: str
    token_key: str
    filters: tuple[str, ...]


SURFACES = (
    Surface("bank", "page", ("--exclude-path-regex", "^/api/")),
    Surface(
        "person",
        "user",
        (
            "--include-path-regex",
            "^/api/",
            "--exclude-operation-id",
            "delete_account_api_v1_me_delete",
        ),
    ),
)


@dataclass(frozen=True, slots=True)
class Answered:
    requests: int
    server_errors: int


def answered(url: str) -> Answered:
    """What the server answered so far, by its own count."""
    text = httpx.get(f"{url}/metrics", timeout=30).text
    requests = errors = 0
    for family in text_string_to_metric_families(text):
        if family.name != "ledgerline_http_requests":
            continue
        for sample in family.samples:
            if not sample.name.endswith("_total") or sample.labels["route"] in NOT_COUNTED:
                continue
            count = int(sample.value)
            requests += count
            if sample.labels["status"].startswith("5"):
                errors += count
    return Answered(requests, errors)


@contextmanager
def platform(database_url: str | None) -> Iterator[RunningPlatform]:
    with (
        tempfile.TemporaryDirectory(prefix="ledgerline-fuzz-") as tmp,
        running_platform(
            database_url or f"sqlite:///{Path(tmp) / 'fuzz.db'}",
            Path(tmp),
            rate_limit_send_per_second=0,
            rate_limit_ingest_per_second=0,
            rate_limit_person_per_second=0,
            access_log=False,
        ) as running,
    ):
        yield running


def tokens(live: RunningPlatform) -> dict[str, str]:
    bank = live.create_business()
    person = live.create_user()
    with live.client() as http:  # a thread, so the person's operations have something
        http.post(
            f"/api/v1/threads/{bank['page_id']}/messages",
            headers={"Authorization": f"Bearer {person['access_token']}"},
            json={"text": "xin chào"},
        ).raise_for_status()
    return {"page": bank["page_access_token"], "user": person["access_token"]}


def run_round(
    live: RunningPlatform,
    surface: Surface,
    token: str,
    *,
    seed: int,
    args: argparse.Namespace,
) -> int:
    command = [
        SCHEMATHESIS,
        "run",
        f"{live.url}/openapi.json",
        "--checks",
        "not_a_server_error",
        "--phases",
        "examples,coverage,fuzzing,stateful",
        "--max-examples",
        str(args.max_examples),
        "--seed",
        str(seed),
        "--workers",
        str(args.workers),
        "--continue-on-failure",
        "--no-color",
        "--report",
        "junit",
        "--report-dir",
        str(Path(args.report_dir) / f"{surface.name}-{seed}"),
        "-H",
        f"Authorization: Bearer {token}",
        *surface.filters,
    ]
    output = None if args.verbose else subprocess.DEVNULL
    # Our own command line: the schemathesis next to this Python, a loopback URL.
    return subprocess.run(command, stdout=output, stderr=output, check=False).returncode  # noqa: S603


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--budget", type=int, default=50_000, help="requests to answer")
    parser.add_argument("--max-examples", type=int, default=50, help="per operation a round")
    parser.add_argument("--seed", type=int, default=1, help="of the first round")
    parser.add_argument("--workers", type=int, default=1, help="schemathesis workers")
    parser.add_argument("--database-url", default=None, help="default: SQLite in a temp dir")
    parser.add_argument("--report-dir", default="fuzz-report")
    parser.add_argument("--verbose", action="store_true", help="show schemathesis's output")
    args = parser.parse_args()

    started = time.monotonic()
    with platform(args.database_url) as live:
        keys = tokens(live)
        seed = args.seed
        rounds = 0
        failed_rounds: list[str] = []
        total = answered(live.url)
        while total.requests < args.budget:
            surface = SURFACES[rounds % len(SURFACES)]
            code = run_round(live, surface, keys[surface.token_key], seed=seed, args=args)
            if code != 0:
                failed_rounds.append(f"{surface.name}-{seed}")
            rounds += 1
            used = seed
            if surface is SURFACES[-1]:
                seed += 1
            total = answered(live.url)
            elapsed = time.monotonic() - started
            rate = total.requests / elapsed if elapsed else 0.0
            left = max(0, args.budget - total.requests)
            sys.stdout.write(
                f"round {rounds:>3} ({surface.name}, seed {used}): "
                f"{total.requests:>7,} / {args.budget:,} requests "
                f"({min(100, 100 * total.requests // max(1, args.budget))} %), "
                f"{total.server_errors} server errors, {rate:.0f} req/s, "
                f"~{left / rate if rate else 0:.0f} s left\n"
            )
            sys.stdout.flush()
    summary = {
        "budget": args.budget,
        "requests": total.requests,
        "server_errors": total.server_errors,
        "rounds": rounds,
        "seconds": round(time.monotonic() - started),
        "rounds_with_failures": failed_rounds,
    }
    sys.stdout.write(json.dumps(summary, indent=2) + "\n")
    return 1 if total.server_errors else 0


if __name__ == "__main__":
    sys.exit(main())
