"""Chat-speed labels: what "Not me" reports are worth, measured (docs/fraud-model.md).

    nice -n 10 .venv/bin/python bench/fraud_reports.py --data PATH --out RESULTS.jsonl \\
        --week 2018-08-08 --rate 0.5 --delay 60 --seed 0 [--rate ... --seed ...]

For each test week, report rate, mean delay and seed given (every combination, in that
order), trains the model exactly as ``fraud train --until (week - 8 days) --report-rate P
--report-delay-minutes M --report-seed S`` does and evaluates it as ``fraud eval`` does
(``evaluate.chapter3_split`` and ``evaluate.metrics``; the in-run baselines are left out),
then appends one JSON line to RESULTS: AUC / AP / CP@100, the perfect CP@100, the report
counts, and how fast new terminal compromises of the test week were caught: hours from a
terminal's first scenario-2 fraud to its first payment scored at or above the model's
threshold for the platform's default policy, precision at least 0.8 on its validation
week. A rate of 0 is the 7-day
label baseline (the model without report features). The seed is both the report seed and
the trees' bagging seed. The base features of a window are computed once and reused.

    .venv/bin/python bench/fraud_reports.py --chart RESULTS.jsonl --png docs/fraud-chat-speed-labels.png

draws CP@100 against the report rate (mean delay 60 minutes) per test week, with the
7-day-label baseline and the perfect score as lines, and prints the tables for the model card.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import ledgerline.fraud.offline.reports as reports_module
from ledgerline.fraud.offline.dataset import day_of, load_transactions
from ledgerline.fraud.offline.evaluate import chapter3_split, metrics
from ledgerline.fraud.offline.features import compute_features
from ledgerline.fraud.offline.reports import (
    ReportSettings,
    compute_features_with_reports,
    simulate_reports,
)
from ledgerline.fraud.offline.training import LGBM_PARAMS, train_model
from ledgerline.fraud.online.budget import MinPrecision
from ledgerline.fraud.online.features import DELAY_DAYS
from ledgerline.fraud.online.model import FraudModel

TEST_DAYS = 7
_cache: dict[tuple[int, Any, Any], pd.DataFrame] = {}


def _cached_features(frame: pd.DataFrame) -> pd.DataFrame:
    """``compute_features``, once per window (the base features do not depend on reports)."""
    # Windows are prefixes of one sorted table: length and end ids identify them.
    ids = frame["TRANSACTION_ID"]
    key = (len(frame), ids.iloc[0], ids.iloc[-1])
    if key not in _cache:
        _cache[key] = compute_features(frame)
    return _cache[key].copy()


def time_to_catch(
    frame: pd.DataFrame, days: pd.Series, scores: np.ndarray, threshold: float, start: dt.date
) -> dict[str, Any]:
    """Hours from each new terminal compromise's first fraud to its first alert, in the week."""
    seconds = frame["TX_DATETIME"].to_numpy().astype("datetime64[s]").astype(np.int64)
    in_week = (days >= pd.Timestamp(start)).to_numpy()
    scenario = frame["TX_FRAUD_SCENARIO"].to_numpy()
    terminals = frame["TERMINAL_ID"].to_numpy()
    week_start = int(pd.Timestamp(start).value // 10**9)
    hours: list[float] = []
    missed = 0
    compromised = pd.unique(terminals[in_week & (scenario == 2)])
    for terminal in compromised:
        here = terminals == terminal
        frauds = here & (scenario == 2)
        earlier = frauds & (seconds >= week_start - 28 * 86_400) & ~in_week
        if earlier.any():
            continue  # a compromise that started before the week
        first = seconds[frauds & in_week].min()
        alerted = here & in_week & (seconds >= first) & (scores >= threshold)
        if alerted.any():
            hours.append((seconds[alerted].min() - first) / 3600)
        else:
            missed += 1
    return {
        "new_compromises": len(hours) + missed,
        "caught": len(hours),
        "median_hours": statistics.median(hours) if hours else None,
        "mean_hours": statistics.fmean(hours) if hours else None,
    }


def run_one(
    frame: pd.DataFrame, start: dt.date, rate: float, delay: float, seed: int
) -> dict[str, Any]:
    t0 = time.monotonic()
    settings = ReportSettings(rate=rate, delay_minutes=delay, seed=seed)
    until = start - dt.timedelta(days=DELAY_DAYS + 1)
    LGBM_PARAMS["seed"] = seed
    model: FraudModel = train_model(frame, until, reports=settings)
    end = start + dt.timedelta(days=TEST_DAYS - 1)
    days_all = day_of(frame)
    keep = (days_all <= pd.Timestamp(end)).to_numpy()
    window = frame.loc[keep].reset_index(drop=True)
    days = days_all[keep].reset_index(drop=True)
    simulated = simulate_reports(window, settings)
    uses = settings.used_by_training
    features = compute_features_with_reports(window, simulated if uses else None)
    split = chapter3_split(window, days, start, TEST_DAYS)
    in_week = split.day_index >= 0
    scores = np.zeros(len(window))
    scores[in_week] = model.predict_frame(features.loc[in_week])
    labels = window["TX_FRAUD"].to_numpy(dtype=np.int64)
    cards = window["CUSTOMER_ID"].to_numpy()
    test = split.test
    result = metrics(split.day_index[test], cards[test], labels[test], scores[test])
    perfect = metrics(
        split.day_index[test], cards[test], labels[test], labels[test].astype(np.float64)
    )
    threshold = model.threshold_for(MinPrecision(precision=0.8))
    in_test = split.day_index[simulated.rows] >= 0
    return {
        "week": start.isoformat(),
        "rate": rate,
        "delay_minutes": delay,
        "false_rate": settings.false_rate,
        "seed": seed,
        "auc_roc": result["auc_roc"],
        "average_precision": result["average_precision"],
        "card_precision_at_100": result["card_precision_at_100"],
        "perfect_card_precision_at_100": perfect["card_precision_at_100"],
        "trees": model.training["trees"],
        "reported_frauds": int((simulated.fraud & in_test).sum()),
        "false_reports": int((~simulated.fraud & in_test).sum()),
        "threshold_min_precision_0_8": threshold,
        "time_to_catch": time_to_catch(window, days, scores, threshold, start),
        "seconds": round(time.monotonic() - t0, 1),
    }


def measure(args: argparse.Namespace) -> None:
    reports_module.compute_features = _cached_features  # type: ignore[attr-defined]
    frame = load_transactions(args.data)
    plan = [tuple(c.split(",")) for c in args.config] or list(
        itertools.product(args.week, args.rate, args.delay, args.seed)
    )
    for week, rate, delay, seed in plan:
        start = dt.date.fromisoformat(str(week))
        rate, delay, seed = float(rate), float(delay), int(seed)
        row = run_one(frame, start, rate, delay, seed)
        print(json.dumps(row), flush=True)
        with args.out.open("a", encoding="utf-8") as out:
            out.write(json.dumps(row) + "\n")


def chart(results: Path, png: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [json.loads(line) for line in results.read_text().splitlines() if line.strip()]
    fig, ax = plt.subplots(figsize=(8, 4.5), dpi=110)
    for i, week in enumerate(sorted({r["week"] for r in rows})):
        color = f"C{i}"
        at = [r for r in rows if r["week"] == week and r["delay_minutes"] == 60]
        by_rate: dict[float, list[float]] = {}
        for r in at:
            by_rate.setdefault(r["rate"], []).append(r["card_precision_at_100"])
        rates = sorted(by_rate)
        if not rates:
            continue
        means = [statistics.fmean(by_rate[p]) for p in rates]
        ax.plot(rates, means, marker="o", color=color, label=f"test week {week}")
        for p in rates:
            ax.scatter([p] * len(by_rate[p]), by_rate[p], color=color, s=8, alpha=0.5)
        if 0.0 in by_rate:
            ax.axhline(means[0], color=color, linestyle=":", linewidth=1)
        ax.axhline(at[0]["perfect_card_precision_at_100"], color=color, linestyle="--", linewidth=1)
    ax.set_xlabel('report rate p (share of frauds reported "Not me", mean delay 60 min)')
    ax.set_ylabel("card precision@100")
    ax.set_title("Chat-speed labels: CP@100 against the report rate")
    ax.plot([], [], color="gray", linestyle=":", label="7-day labels only (p = 0)")
    ax.plot([], [], color="gray", linestyle="--", label="perfect scorer")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    png.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(png)
    plt.close(fig)
    table(rows)


def _spread(values: list[float]) -> str:
    if len(values) == 1:
        return f"{values[0]:.3f}"
    return f"{statistics.fmean(values):.3f} ({min(values):.3f}–{max(values):.3f}, n={len(values)})"


def table(rows: list[dict[str, Any]]) -> None:
    groups: dict[tuple[str, float, float], list[dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault((r["week"], r["rate"], r["delay_minutes"]), []).append(r)
    print(
        "| test week | p | m | AUC ROC | AP | CP@100 | perfect | frauds reported | caught (median h) |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for (week, rate, delay), rs in sorted(groups.items()):
        catch = rs[0]["time_to_catch"]
        median = catch["median_hours"]
        caught = f"{catch['caught']}/{catch['new_compromises']}" + (
            f" ({median:.1f} h)" if median is not None else ""
        )
        print(
            f"| {week} | {rate} | {delay:g} | {_spread([r['auc_roc'] for r in rs])} | "
            f"{_spread([r['average_precision'] for r in rs])} | "
            f"{_spread([r['card_precision_at_100'] for r in rs])} | "
            f"{rs[0]['perfect_card_precision_at_100']:.3f} | {rs[0]['reported_frauds']} | {caught} |"
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--data", type=Path)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--week", action="append", default=[])
    parser.add_argument("--rate", type=float, action="append", default=[])
    parser.add_argument("--delay", type=float, action="append", default=[])
    parser.add_argument("--seed", type=int, action="append", default=[])
    parser.add_argument("--config", action="append", default=[], help="WEEK,RATE,DELAY,SEED")
    parser.add_argument("--chart", type=Path)
    parser.add_argument("--png", type=Path)
    args = parser.parse_args(argv)
    if args.chart:
        chart(args.chart, args.png or Path("docs/fraud-chat-speed-labels.png"))
        return
    if not (args.data and args.out):
        parser.error("--data and --out are needed to measure")
    args.week = args.week or ["2018-08-08"]
    args.rate = args.rate or [0.5]
    args.delay = args.delay or [60.0]
    args.seed = args.seed or [0]
    measure(args)


if __name__ == "__main__":
    main(sys.argv[1:])
