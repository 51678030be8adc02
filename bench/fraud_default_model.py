"""Build the small demo model shipped as package data (``ledgerline/fraud/data/``).

    .venv/bin/python bench/fraud_default_model.py

Simulates a small population with the handbook's generator (seed 0), trains the calibrated
LightGBM model with a capped number of trees and small leaves (so the file stays small), fitting from
the first simulated day (so it knows cards and terminals without history), and
writes it gzip-compressed. Deterministic for a given library version set.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import sys
from pathlib import Path

from ledgerline.fraud.offline import training as model_mod
from ledgerline.fraud.offline.dataset import normalize
from ledgerline.fraud.offline.simulate import SimulationConfig, simulate

OUT = Path(__file__).resolve().parents[1] / "src/ledgerline/fraud/data/default-model.json.gz"


def main() -> int:
    frame, summary = simulate(SimulationConfig(customers=1500, terminals=3000, days=100, seed=0))
    frame = normalize(frame)
    print(f"simulated {summary['transactions']:,} transactions, {summary['frauds']:,} frauds")
    model_mod.MAX_ROUNDS = 150
    model_mod.LGBM_PARAMS = dict(model_mod.LGBM_PARAMS, num_leaves=15)
    # Fit from the first day: the platform starts with no history for any card or terminal,
    # so the demo model must also have seen cards and terminals with none.
    model_mod.warmup_days = lambda _window_days: 0
    last = frame["TX_DATETIME"].max().date()
    fitted = model_mod.train_model(frame, last - dt.timedelta(days=1))
    fitted.training["purpose"] = "Ledgerline demo default (simulated data, seed 0)"
    fitted.training.pop("trained_at", None)
    data = json.dumps(fitted.to_json(), sort_keys=True).encode()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_bytes(gzip.compress(data, mtime=0))
    print(f"wrote {OUT} ({OUT.stat().st_size:,} bytes, {fitted.training['trees']} trees)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
