"""Run every benchmark in turn (``make bench``); each prints JSON and updates docs/benchmarks.md."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
RUNS = [
    ["send_api.py"],
    ["ingest.py"],
    ["updates_latency.py"],
    ["fraud.py", "--write-docs"],
    ["request_telemetry.py"],
    ["scale.py"],
    ["peers.py"],
]


def main() -> None:
    failed = []
    for run in RUNS:
        print(f"== {' '.join(run)}", flush=True)
        if subprocess.run([sys.executable, str(HERE / run[0]), *run[1:]], check=False).returncode:
            failed.append(run[0])
    if failed:
        sys.exit(f"failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
