"""Chat-speed labels: what "Not me" reports are worth, measured (docs/fraud-model.md).

    nice -n 10 .venv/bin/python bench/fraud_reports.py --data PATH --out RESULTS.jsonl --issue
    .venv/bin/python bench/fraud_reports.py --chart RESULTS.jsonl --table TABLE.md

The first runs every row issue 20 asks for (p = 0, 0.1, 0.25, 0.5, 0.9 at a mean delay of
60 minutes and m = 10, 1440 at p = 0.5, on the chapter-3 week 2018-08-08 and the chapter-5
weeks 08-15, 08-22, 08-29) for report seeds 0 to 4 (``--seed`` to choose), with a progress
bar; it appends one JSON line per run to RESULTS and skips the runs already there, so an
interrupted sweep resumes. The second draws CP@100 against the report rate (m = 60) per test
week, with the 7-day-label baseline and the perfect score as lines
(``--png``, default docs/fraud-chat-speed-labels.png), and prints the model card's table:
mean ± standard deviation over seeds. Single runs: ``--week W --rate P --delay M --seed S``
(every combination) or ``--config W,P,M,S``; ``--params JSON`` (repeatable) overrides the
report model's tree parameters, for choosing them on a validation week inside the training
period (docs/fraud-model.md says how).

Each run trains the model exactly as ``fraud train --until (week - 8 days) --report-rate P
--report-delay-minutes M --report-seed S`` does and evaluates it as ``fraud eval`` does
(``evaluate.chapter3_split`` and ``evaluate.metrics``; the in-run baselines are left out),
except that the trees' bagging seed is the report seed too (the CLI's is always 0), so that
the spread covers both. A line holds AUC / AP / CP@100, the perfect CP@100, the report
counts, and how fast new terminal compromises of the test week were caught: hours from a
terminal's first scenario-2 fraud to its first payment scored at or above the model's
threshold for the platform's default policy, precision at least 0.8 on its validation
week. A rate of 0 is the 7-day label baseline (the model without report features).
The features are computed once for the whole table and sliced (``PrefixFeatures``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import os
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
    Reports,
    ReportSettings,
    compute_features_with_reports,
    report_features as _report_features,
    simulate_reports,
)
from ledgerline.fraud.offline.training import LGBM_PARAMS, REPORT_PARAMS, train_model
from ledgerline.fraud.online.budget import MinPrecision
from ledgerline.fraud.online.features import DELAY_DAYS
from ledgerline.fraud.online.model import FraudModel

TEST_DAYS = 7


class PrefixFeatures:
    """Every window is a prefix of one time-sorted table, and every feature (base and report)
    uses only what came before its transaction, so a window's features are the first rows of
    the whole table's: computed once per table (and once per report setting), then sliced.
    ``check`` compares the reports drawn on a window with the whole table's."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame
        self.base = compute_features(frame)
        self.reports: dict[ReportSettings, tuple[Reports, dict[str, np.ndarray]]] = {}
        self.current: ReportSettings | None = None

    def _prefix(self, window: pd.DataFrame) -> int:
        n = len(window)
        ids = self.frame["TRANSACTION_ID"]
        if not (
            window["TRANSACTION_ID"].iloc[0] == ids.iloc[0]
            and window["TRANSACTION_ID"].iloc[-1] == ids.iloc[n - 1]
        ):
            raise RuntimeError("a window that is not a prefix of the table")
        return n

    def features(self, window: pd.DataFrame) -> pd.DataFrame:
        return self.base.iloc[: self._prefix(window)].copy()

    def report_features(
        self, window: pd.DataFrame, reports: Reports, _volume: np.ndarray
    ) -> dict[str, np.ndarray]:
        assert self.current is not None
        n = self._prefix(window)
        if self.current not in self.reports:
            whole = simulate_reports(self.frame, self.current)
            volume = self.base["TERMINAL_NB_TX_LIVE_7DAY"].to_numpy()
            self.reports[self.current] = (whole, _report_features(self.frame, whole, volume))
        whole, columns = self.reports[self.current]
        kept = whole.rows < n
        if not np.array_equal(reports.rows, whole.rows[kept]):
            raise RuntimeError("the window's reports differ from the table's")
        return {name: values[:n] for name, values in columns.items()}


_features: PrefixFeatures | None = None


def _use_prefix_features(frame: pd.DataFrame) -> PrefixFeatures:
    global _features
    _features = PrefixFeatures(frame)
    reports_module.compute_features = _features.features  # type: ignore[attr-defined,assignment]
    reports_module.report_features = _features.report_features  # type: ignore[assignment]
    return _features


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
        "hours": [round(h, 2) for h in hours],
    }


def run_one(
    frame: pd.DataFrame,
    start: dt.date,
    rate: float,
    delay: float,
    seed: int,
    params: dict[str, Any] | None = None,
) -> dict[str, Any]:
    t0 = time.monotonic()
    settings = ReportSettings(rate=rate, delay_minutes=delay, seed=seed)
    if _features is not None:
        _features.current = settings
    until = start - dt.timedelta(days=DELAY_DAYS + 1)
    LGBM_PARAMS["seed"] = seed
    saved = dict(REPORT_PARAMS)
    REPORT_PARAMS.update(params or {})
    try:
        model: FraudModel = train_model(frame, until, reports=settings)
    finally:
        REPORT_PARAMS.clear()
        REPORT_PARAMS.update(saved)
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
        "params": model.params,
        "auc_roc": result["auc_roc"],
        "average_precision": result["average_precision"],
        "card_precision_at_100": result["card_precision_at_100"],
        "perfect_card_precision_at_100": perfect["card_precision_at_100"],
        "trees": model.training["trees"],
        "validation_average_precision": model.training["validation_average_precision"],
        "reported_frauds": int((simulated.fraud & in_test).sum()),
        "false_reports": int((~simulated.fraud & in_test).sum()),
        "threshold_min_precision_0_8": threshold,
        "time_to_catch": time_to_catch(window, days, scores, threshold, start),
        "seconds": round(time.monotonic() - t0, 1),
    }


def visible_frauds(
    features: PrefixFeatures, start: dt.date, settings: ReportSettings
) -> dict[str, Any]:
    """How many test frauds no causal model can tell from ordinary payments with these
    reports: scenario-2 frauds on a terminal with no known fraud in its 30-day known window
    and no other card's report in the last 7 days. ``auc_estimate`` ranks every other fraud
    first and these at chance (an estimate, not a bound: a known fraud may be an unrelated
    earlier one, and an invisible fraud's card may look odd for other reasons)."""
    frame = features.frame
    days = day_of(frame)
    end = start + dt.timedelta(days=TEST_DAYS - 1)
    n = int((days <= pd.Timestamp(end)).sum())
    window = frame.iloc[:n]
    split = chapter3_split(window, days.iloc[:n], start, TEST_DAYS)
    test = split.test
    features.current = settings
    reports = simulate_reports(window, settings)
    reported = features.report_features(window, reports, np.empty(0))
    labels = window["TX_FRAUD"].to_numpy()[test] == 1
    scenario = window["TX_FRAUD_SCENARIO"].to_numpy()[test]
    known = features.base["TERMINAL_NB_KNOWN_FRAUDS_30DAY"].to_numpy()[:n][test] > 0
    others = reported["TERMINAL_REPORTING_CARDS_168H"][test] > 0
    invisible = labels & (scenario == 2) & ~known & ~others
    frauds = int(labels.sum())
    return {
        "week": start.isoformat(),
        "rate": settings.rate,
        "delay_minutes": settings.delay_minutes,
        "seed": settings.seed,
        "test_frauds": frauds,
        "invisible_frauds": int(invisible.sum()),
        "auc_estimate": (frauds - 0.5 * int(invisible.sum())) / frauds,
    }


def _plan(args: argparse.Namespace) -> list[tuple[str, float, float, int]]:
    if args.config:
        return [
            (w, float(r), float(d), int(s)) for w, r, d, s in (c.split(",") for c in args.config)
        ]
    return [
        (w, float(r), float(d), int(s))
        for w, r, d, s in itertools.product(args.week, args.rate, args.delay, args.seed)
    ]


def _done(path: Path) -> set[tuple[str, float, float, int, str]]:
    """The runs already in RESULTS (a sweep resumes where it stopped)."""
    if not path.exists():
        return set()
    done = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            r = json.loads(line)
            overrides = json.dumps(r.get("overrides", {}), sort_keys=True)
            done.add((r["week"], r["rate"], r["delay_minutes"], r["seed"], overrides))
    return done


def measure(args: argparse.Namespace) -> None:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    sets = [json.loads(text) for text in args.params] or [{}]
    plan = [
        (*run, json.dumps(overrides, sort_keys=True)) for run in _plan(args) for overrides in sets
    ]
    done = _done(args.out)
    todo = [run for run in plan if run not in done]
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, TimeElapsedColumn()) as progress:
        task = progress.add_task("features of the whole table", total=len(plan))
        progress.advance(task, len(plan) - len(todo))
        frame = load_transactions(args.data)
        _use_prefix_features(frame)
        for week, rate, delay, seed, overrides in todo:
            label = f"week {week} p={rate:g} m={delay:g} seed {seed}"
            if overrides != "{}":
                label += f" {overrides}"
            progress.update(task, description=label)
            start = dt.date.fromisoformat(week)
            row = run_one(frame, start, rate, delay, seed, json.loads(overrides))
            row["overrides"] = json.loads(overrides)
            with args.out.open("a", encoding="utf-8") as out:
                out.write(json.dumps(row) + "\n")
            progress.console.print(
                f"{label}: AUC {row['auc_roc']:.3f} AP {row['average_precision']:.3f} "
                f"CP@100 {row['card_precision_at_100']:.3f} "
                f"({row['trees']} trees, {row['seconds']:.0f} s)"
            )
            progress.advance(task)


def _rows(results: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in results.read_text().splitlines() if line.strip()]


def chart(rows: list[dict[str, Any]], png: Path) -> None:
    """CP@100 against the report rate at m = 60 (mean and each seed), per test week."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

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
    ax.set_ylabel("card precision@100 (line: mean over seeds; dots: seeds)")
    ax.set_title("Chat-speed labels: CP@100 against the report rate")
    ax.plot([], [], color="gray", linestyle=":", label="7-day labels only (p = 0)")
    ax.plot([], [], color="gray", linestyle="--", label="perfect scorer")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    png.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(png)
    plt.close(fig)


def _spread(values: list[float]) -> str:
    """Mean ± sample standard deviation over seeds (the value alone for one seed)."""
    if len(values) == 1:
        return f"{values[0]:.3f}"
    return f"{statistics.fmean(values):.3f} ± {statistics.stdev(values):.3f}"


def _caught(rs: list[dict[str, Any]]) -> str:
    """New compromises caught within the week over all seeds, and the median hours pooled."""
    caught = sum(r["time_to_catch"]["caught"] for r in rs)
    new = sum(r["time_to_catch"]["new_compromises"] for r in rs)
    hours = [h for r in rs for h in r["time_to_catch"].get("hours", [])]
    return f"{caught}/{new}" + (f" ({statistics.median(hours):.0f} h)" if hours else "")


def table(rows: list[dict[str, Any]]) -> str:
    """The model card's table: one line per test week, p, m (and tree overrides, if any)."""
    groups: dict[tuple[str, float, float, str], list[dict[str, Any]]] = {}
    for r in rows:
        overrides = json.dumps(r.get("overrides", {}), sort_keys=True)
        groups.setdefault((r["week"], r["rate"], r["delay_minutes"], overrides), []).append(r)
    tuned = any(key[3] != "{}" for key in groups)
    head = "| test week | p | m |" + (" trees |" if tuned else "")
    lines = [
        head + " seeds | AUC ROC | AP | CP@100 | perfect | frauds reported | caught (median h) |",
        "|---" * (head.count("|") - 1 + 7) + "|",
    ]
    for (week, rate, delay, overrides), rs in sorted(groups.items()):
        seeds = ",".join(str(r["seed"]) for r in sorted(rs, key=lambda r: r["seed"]))
        reported = statistics.fmean(r["reported_frauds"] for r in rs)
        lines.append(
            f"| {week} | {rate:g} | {delay:g} |"
            + (f" {overrides} |" if tuned else "")
            + f" {seeds} | {_spread([r['auc_roc'] for r in rs])} | "
            f"{_spread([r['average_precision'] for r in rs])} | "
            f"{_spread([r['card_precision_at_100'] for r in rs])} | "
            f"{rs[0]['perfect_card_precision_at_100']:.3f} | {reported:.0f} | {_caught(rs)} |"
        )
    return "\n".join(lines)


ISSUE_RATES = (0.0, 0.1, 0.25, 0.5, 0.9)
ISSUE_DELAYS = (10.0, 1440.0)
ISSUE_WEEKS = ("2018-08-08", "2018-08-15", "2018-08-22", "2018-08-29")


def _issue_plan(seeds: list[int]) -> list[str]:
    """Every row issue 20 asks for: p in ISSUE_RATES at m = 60, and m in ISSUE_DELAYS at
    p = 0.5, on each test week (the chapter-3 week first), for each seed."""
    rows = [(p, 60.0) for p in ISSUE_RATES] + [(0.5, m) for m in ISSUE_DELAYS]
    return [f"{w},{p},{m},{s}" for w in ISSUE_WEEKS for p, m in rows for s in seeds]


def _passive_openmp() -> None:
    """Run again with ``OMP_WAIT_POLICY=PASSIVE`` unless it is set: on a machine busier than
    its cores, LightGBM's OpenMP threads spinning at every barrier made one run take 6 to 17
    minutes instead of 1.5 to 2 (same trees, same figures)."""
    if "OMP_WAIT_POLICY" not in os.environ:
        env = dict(os.environ, OMP_WAIT_POLICY="PASSIVE")
        os.execve(sys.executable, [sys.executable, *sys.argv], env)  # noqa: S606 - this script, again


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--data", type=Path)
    parser.add_argument("--out", type=Path, help="RESULTS.jsonl: one line per run, appended")
    parser.add_argument("--week", action="append", default=[])
    parser.add_argument("--rate", type=float, action="append", default=[])
    parser.add_argument("--delay", type=float, action="append", default=[])
    parser.add_argument("--seed", type=int, action="append", default=[])
    parser.add_argument("--config", action="append", default=[], help="WEEK,RATE,DELAY,SEED")
    parser.add_argument(
        "--issue", action="store_true", help="every row issue 20 asks for, for each --seed"
    )
    parser.add_argument(
        "--params",
        action="append",
        default=[],
        help='JSON object: tree parameters of report models over REPORT_PARAMS, e.g. {"lambda_l2": 50}',
    )
    parser.add_argument("--chart", type=Path, help="RESULTS.jsonl to draw and tabulate")
    parser.add_argument("--png", type=Path)
    parser.add_argument("--table", type=Path, help="write the markdown table here too")
    parser.add_argument(
        "--visible", action="store_true", help="count the frauds reports leave invisible"
    )
    args = parser.parse_args(argv)
    if args.visible:
        if not args.data:
            parser.error("--visible needs --data")
        features = PrefixFeatures(load_transactions(args.data))
        for week, rate, delay, seed in itertools.product(
            args.week or ["2018-08-08"], args.rate or [0.5], args.delay or [60.0], args.seed or [0]
        ):
            settings = ReportSettings(rate=rate, delay_minutes=delay, seed=seed)
            print(json.dumps(visible_frauds(features, dt.date.fromisoformat(week), settings)))
        return
    if args.chart:
        rows = _rows(args.chart)
        chart(rows, args.png or Path("docs/fraud-chat-speed-labels.png"))
        text = table(rows)
        print(text)
        if args.table:
            args.table.write_text(text + "\n", encoding="utf-8")
        return
    if not (args.data and args.out):
        parser.error("--data and --out are needed to measure")
    _passive_openmp()
    args.seed = args.seed or ([0, 1, 2, 3, 4] if args.issue else [0])
    if args.issue:
        args.config = _issue_plan(args.seed)
    args.week = args.week or ["2018-08-08"]
    args.rate = args.rate or [0.5]
    args.delay = args.delay or [60.0]
    measure(args)


if __name__ == "__main__":
    main(sys.argv[1:])
