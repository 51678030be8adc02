"""``ledgerline fraud simulate|train|eval``: the offline fraud engine (no database)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from ledgerline.cli.options import DatabaseUrl, DataDir, JsonFlag, emit, fail, settings_from
from ledgerline.fraud.errors import FraudInputError

app = typer.Typer(
    help="Card-fraud engine: simulate transactions, train and evaluate the model.",
    no_args_is_help=True,
)

DataOption = Annotated[
    Path,
    typer.Option(
        "--data", help="Transactions: a Parquet or CSV file, or a folder of YYYY-MM-DD.pkl."
    ),
]

ReportRate = Annotated[
    float,
    typer.Option(
        "--report-rate",
        help='Chance that a fraud\'s card holder reports it ("Not me"); 0 = no reports.',
    ),
]
ReportDelay = Annotated[
    float,
    typer.Option(
        "--report-delay-minutes", help="Mean of the exponential delay before a report arrives."
    ),
]
FalseReportRate = Annotated[
    float,
    typer.Option(
        "--false-report-rate", help="Chance that a genuine payment is reported by mistake."
    ),
]
ReportSeed = Annotated[int, typer.Option("--report-seed", help="Seed of the report draws.")]


def _report_settings(rate: float, delay: float, false_rate: float, seed: int) -> Any:
    from ledgerline.fraud.offline.reports import ReportSettings

    settings = ReportSettings(rate=rate, delay_minutes=delay, false_rate=false_rate, seed=seed)
    settings.validate()
    return settings


@contextmanager
def _progress(as_json: bool) -> Iterator[Callable[[str, float], None]]:
    """A rich progress bar on stderr; the callback takes (stage, fraction done)."""
    console = Console(stderr=True)
    columns = (
        TextColumn("{task.description:<14}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=as_json) as bar:
        tasks: dict[str, Any] = {}

        def report(stage: str, fraction: float) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=1.0)
            bar.update(tasks[stage], completed=min(max(fraction, 0.0), 1.0))

        yield report


def _day(value: str | None, option: str) -> dt.date | None:
    if value is None:
        return None
    from ledgerline.fraud.offline.dataset import parse_day

    return parse_day(value, option)


@app.command()
def simulate(
    out: Annotated[Path, typer.Option("--out", help="Output folder.")],
    customers: Annotated[int, typer.Option(help="Number of customers (cards).")] = 5000,
    terminals: Annotated[int, typer.Option(help="Number of terminals.")] = 10000,
    days: Annotated[int, typer.Option(help="Number of days.")] = 183,
    start: Annotated[str, typer.Option(help="First day, YYYY-MM-DD.")] = "2018-04-01",
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    csv: Annotated[bool, typer.Option("--csv", help="Also write transactions.csv.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Write simulated card transactions (the handbook's generator) to OUT/transactions.parquet."""
    from ledgerline.fraud.offline.simulate import SimulationConfig, simulate as run_simulation

    try:
        from ledgerline.fraud.offline.dataset import parse_day

        first = parse_day(start, "--start")
        config = SimulationConfig(
            customers=customers, terminals=terminals, days=days, start=first, seed=seed
        )
        config.validate()
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise FraudInputError(f"--out {out}: cannot create the folder ({exc})") from exc
        with _progress(as_json) as report:
            frame, summary = run_simulation(config, report)
            report("writing", 0.0)
            files = [out / "transactions.parquet"]
            frame.to_parquet(files[0], index=False)
            if csv:
                files.append(out / "transactions.csv")
                frame.to_csv(files[1], index=False, date_format="%Y-%m-%d %H:%M:%S")
            report("writing", 1.0)
    except FraudInputError as exc:
        fail(exc.message)
    except OSError as exc:
        fail(f"cannot write to {out}: {exc}")
    except Exception as exc:
        fail(f"simulation failed: {exc}")
    summary["files"] = [str(path) for path in files]
    human = "\n".join(
        [
            f"wrote {', '.join(summary['files'])}",
            f"transactions      {summary['transactions']:,} "
            f"({summary['transactions_per_day']['mean']:,.1f} a day)",
            f"frauds            {summary['frauds']:,} ({summary['fraud_rate']:.4%}), "
            f"{summary['frauds_per_day']:.1f} a day, "
            f"{summary['compromised_cards_per_day']:.1f} compromised cards a day",
            "by scenario       "
            + ", ".join(f"{k}: {v:,}" for k, v in summary["frauds_by_scenario"].items()),
            f"terminals/card    {summary['available_terminals_per_customer']['mean']:.1f} "
            f"(radius 5)",
        ]
    )
    emit(summary, as_json=as_json, human=human)


@app.command()
def train(
    data: DataOption,
    out: Annotated[Path, typer.Option("--out", help="Where to write the model file (JSON).")],
    until: Annotated[
        str | None,
        typer.Option(help="Last training day, YYYY-MM-DD (default: all but the last 14 days)."),
    ] = None,
    with_verdicts: Annotated[
        bool,
        typer.Option(
            "--with-verdicts",
            help="Also fit on people's answers to platform fraud alerts, read from the "
            "platform's database (--database-url, --data-dir for the master key).",
        ),
    ] = False,
    database_url: DatabaseUrl = None,
    data_dir: DataDir = None,
    report_rate: ReportRate = 0.0,
    report_delay_minutes: ReportDelay = 60.0,
    false_report_rate: FalseReportRate = 0.001,
    report_seed: ReportSeed = 0,
    as_json: JsonFlag = False,
) -> None:
    """Train the calibrated LightGBM fraud model on the transactions up to --until.

    With --report-rate above 0 the model also learns from simulated "Not me" reports
    (docs/fraud-model.md, "Chat-speed labels")."""
    from ledgerline.fraud.offline.dataset import load_transactions
    from ledgerline.fraud.offline.training import train_model

    try:
        last_day = _day(until, "--until")
        reports = _report_settings(
            report_rate, report_delay_minutes, false_report_rate, report_seed
        )
        extra = _verdicts(database_url, data_dir) if with_verdicts else None
        with _progress(as_json) as report:
            report("loading", 0.0)
            frame = load_transactions(data)
            report("loading", 1.0)
            model = train_model(frame, last_day, report, extra=extra, reports=reports)
            report("saving", 0.0)
            try:
                model.save(out)
            except OSError as exc:
                raise FraudInputError(f"--out {out}: cannot write the model ({exc})") from exc
            report("saving", 1.0)
    except FraudInputError as exc:
        fail(exc.message)
    except Exception as exc:
        fail(f"training failed: {exc}")
    result = {
        "model": str(out),
        "features": list(model.features),
        "training": model.training,
        "versions": model.versions,
    }
    t = model.training
    human = (
        f"wrote {out}\n"
        f"trained on {t['fit_start']}..{t['fit_end']} ({t['fit_transactions']:,} transactions, "
        f"{t['fit_frauds']:,} frauds), {t['trees']} trees\n"
        f"calibrated on {t['validation_start']}..{t['validation_end']} "
        f"(validation AP {t['validation_average_precision']:.3f})"
    )
    if with_verdicts:
        human += f"\nverdict labels: {t['verdict_labels']['rows']} ({t['verdict_labels']['fraud']} fraud)"
    emit(result, as_json=as_json, human=human)


def _verdicts(database_url: str | None, data_dir: Path | None) -> Any:
    """(features, labels) of the answered platform alerts in the database."""
    from ledgerline.bootstrap import build_services
    from ledgerline.fraud.online.labels import verdict_rows

    platform = build_services(settings_from(database_url, data_dir))
    try:
        return platform.db.write_sync(verdict_rows, vault=platform.vault, audit=platform.audit)
    finally:
        platform.close()


def _fmt(value: float | None) -> str:
    return "  n/a" if value is None else f"{value:.3f}"


@app.command("eval")
def evaluate(
    data: DataOption,
    model: Annotated[Path, typer.Option("--model", help="A model file from `fraud train`.")],
    test_start: Annotated[
        str | None,
        typer.Option(help="First test day, YYYY-MM-DD (default: the last --test-days days)."),
    ] = None,
    test_days: Annotated[int, typer.Option(help="Length of the test period in days.")] = 7,
    report_rate: ReportRate = 0.0,
    report_delay_minutes: ReportDelay = 60.0,
    false_report_rate: FalseReportRate = 0.001,
    report_seed: ReportSeed = 0,
    as_json: JsonFlag = False,
) -> None:
    """Evaluate a model with the handbook's chapter-3 protocol, next to LR and a decision tree."""
    from ledgerline.fraud.offline.dataset import load_transactions
    from ledgerline.fraud.offline.evaluate import evaluate as run_evaluation
    from ledgerline.fraud.online.model import FraudModel

    try:
        first = _day(test_start, "--test-start")
        reports = _report_settings(
            report_rate, report_delay_minutes, false_report_rate, report_seed
        )
        loaded = FraudModel.load(model)
        with _progress(as_json) as report:
            report("loading", 0.0)
            frame = load_transactions(data)
            report("loading", 1.0)
            result = run_evaluation(frame, loaded, first, test_days, report, reports=reports)
    except FraudInputError as exc:
        fail(exc.message)
    except Exception as exc:
        fail(f"evaluation failed: {exc}")
    lines = [
        f"test {result['test_start']}..{result['test_end']} "
        f"({result['test_transactions']:,} transactions, {result['test_frauds']:,} frauds; "
        f"delay from {result['delay_start']})",
        f"{'model':<32}{'AUC ROC':>9}{'AP':>9}{'CP@100':>9}",
        f"{'LightGBM (calibrated)':<32}{_fmt(result['auc_roc']):>9}"
        f"{_fmt(result['average_precision']):>9}{_fmt(result['card_precision_at_100']):>9}",
    ]
    for group, suffix in (("baselines", ""), ("baselines_chapter3_week", ", ch.3 week")):
        for name, label in (
            ("logistic_regression", "logistic regression"),
            ("decision_tree_depth2", "decision tree depth 2"),
        ):
            row = result[group].get(name)
            if row:
                lines.append(
                    f"{label + suffix:<32}{_fmt(row['auc_roc']):>9}"
                    f"{_fmt(row['average_precision']):>9}"
                    f"{_fmt(row['card_precision_at_100']):>9}"
                )
    lines.append(f"perfect CP@100 (ceiling) {result['perfect_card_precision_at_100']:.3f}")
    r = result["reports"]
    lines.append(
        f"reports: rate {r['rate']}, mean delay {r['delay_minutes']} min, false rate "
        f"{r['false_rate']}: {r['reported_frauds']:,} frauds and {r['false_reports']:,} "
        "genuine payments of the test period reported"
    )
    lines.extend(f"warning: {w}" for w in result["warnings"])
    emit(result, as_json=as_json, human="\n".join(lines))
