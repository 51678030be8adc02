"""``ledgerline fraud simulate|train|eval`` end to end on a few simulated weeks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from ledgerline.cli.fraud import app

runner = CliRunner()


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


# One test process runs these tests (pytest-xdist --dist loadgroup): the module's
# simulated dataset built once, not in every process that draws one of them.
pytestmark = pytest.mark.xdist_group("integration.fraud.test_cli")


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sim")
    code, stdout, stderr = invoke(
        "simulate",
        "--out",
        str(out),
        "--customers",
        "150",
        "--terminals",
        "300",
        "--days",
        "45",
        "--seed",
        "5",
        "--csv",
        "--json",
    )
    assert code == 0, stderr
    summary = json.loads(stdout)
    assert summary["days"] == 45
    assert summary["transactions"] > 5000
    assert 0 < summary["fraud_rate"] < 0.5
    return out


def test_simulate_writes_the_layout(simulated: Path) -> None:
    parquet = pd.read_parquet(simulated / "transactions.parquet")
    csv = pd.read_csv(simulated / "transactions.csv")
    expected = [
        "TRANSACTION_ID",
        "TX_DATETIME",
        "CUSTOMER_ID",
        "TERMINAL_ID",
        "TX_AMOUNT",
        "TX_TIME_SECONDS",
        "TX_TIME_DAYS",
        "TX_FRAUD",
        "TX_FRAUD_SCENARIO",
    ]
    assert list(parquet.columns) == expected
    assert list(csv.columns) == expected
    assert len(parquet) == len(csv)


def test_train_then_eval(simulated: Path, tmp_path: Path) -> None:
    model = tmp_path / "model.json"
    code, stdout, stderr = invoke(
        "train", "--data", str(simulated / "transactions.parquet"), "--out", str(model), "--json"
    )
    assert code == 0, stderr
    trained = json.loads(stdout)
    assert trained["training"]["until"] == "2018-05-01"  # 45 days from 04-01, all but 14
    saved = json.loads(model.read_text())
    assert saved["features"] == trained["features"]
    assert {"lightgbm", "scikit-learn", "numpy", "pandas"} <= set(saved["versions"])
    assert saved["training"]["validation_end"] == "2018-05-01"
    assert saved["alert_curve"]["thresholds"]

    code, stdout, stderr = invoke(
        "eval", "--data", str(simulated / "transactions.csv"), "--model", str(model), "--json"
    )
    assert code == 0, stderr
    result = json.loads(stdout)
    assert result["test_start"] == "2018-05-09"
    assert result["test_end"] == "2018-05-15"
    assert result["delay_start"] == "2018-05-02"
    for key in ("auc_roc", "average_precision", "card_precision_at_100"):
        assert 0.0 <= result[key] <= 1.0
    assert result["auc_roc"] > 0.6
    for name in ("logistic_regression", "decision_tree_depth2"):
        assert 0.0 <= result["baselines"][name]["average_precision"] <= 1.0
    assert result["warnings"] == []

    code, stdout, _ = invoke(
        "eval",
        "--data",
        str(simulated),
        "--model",
        str(model),
        "--test-start",
        "2018-05-05",
        "--test-days",
        "3",
    )
    assert code == 0
    assert "LightGBM" in stdout
    assert "logistic regression" in stdout


def test_bad_inputs_fail_cleanly(simulated: Path, tmp_path: Path) -> None:
    frame = pd.read_parquet(simulated / "transactions.parquet")
    frame.drop(columns=["TX_AMOUNT"]).to_csv(tmp_path / "missing.csv", index=False)
    (tmp_path / "empty.csv").write_text("")
    frame[frame["TX_TIME_DAYS"] < 10].to_parquet(tmp_path / "short.parquet")
    cases = [
        (
            ("train", "--data", str(tmp_path / "missing.csv"), "--out", str(tmp_path / "m")),
            "missing column",
        ),
        (("train", "--data", str(tmp_path / "empty.csv"), "--out", str(tmp_path / "m")), "empty"),
        (
            ("train", "--data", str(tmp_path / "short.parquet"), "--out", str(tmp_path / "m")),
            "too little data",
        ),
        (
            ("train", "--data", str(simulated), "--out", str(tmp_path / "m"), "--until", "May 1"),
            "--until",
        ),
        (
            ("eval", "--data", str(simulated), "--model", str(tmp_path / "absent.json")),
            "no such model",
        ),
        (
            ("eval", "--data", str(simulated), "--model", str(tmp_path / "empty.csv")),
            "not a Ledgerline fraud model",
        ),
        (("simulate", "--out", str(tmp_path / "s"), "--days", "0"), "--days"),
    ]
    for args, message in cases:
        code, stdout, stderr = invoke(*args)
        assert code != 0, args
        assert message in stderr, (args, stderr)
        assert "Traceback" not in stderr
        assert stdout == ""


def test_eval_needs_history_before_the_test_period(simulated: Path, tmp_path: Path) -> None:
    model = tmp_path / "model.json"
    assert invoke("train", "--data", str(simulated), "--out", str(model))[0] == 0
    code, _, stderr = invoke(
        "eval", "--data", str(simulated), "--model", str(model), "--test-start", "2018-04-10"
    )
    assert code != 0
    assert "too little data before the test period" in stderr


def test_the_installed_command_reports_errors_without_a_traceback(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "ledgerline",
            "fraud",
            "train",
            "--data",
            str(tmp_path / "absent.csv"),
            "--out",
            str(tmp_path / "m.json"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0
    assert "error:" in result.stderr
    assert "Traceback" not in result.stderr


def test_train_and_eval_with_simulated_reports(simulated: Path, tmp_path: Path) -> None:
    model = tmp_path / "model.json"
    reports = ("--report-rate", "0.5", "--report-delay-minutes", "30", "--report-seed", "2")
    code, stdout, stderr = invoke(
        "train", "--data", str(simulated), "--out", str(model), *reports, "--json"
    )
    assert code == 0, stderr
    trained = json.loads(stdout)
    assert "TERMINAL_REPORTING_CARDS_1H" in trained["features"]
    assert trained["training"]["reports"]["rate"] == 0.5
    code, stdout, stderr = invoke(
        "eval", "--data", str(simulated), "--model", str(model), *reports, "--json"
    )
    assert code == 0, stderr
    result = json.loads(stdout)
    assert {"auc_roc", "average_precision", "card_precision_at_100", "baselines"} <= set(result)
    summary = result["reports"]
    assert {"rate", "delay_minutes", "false_rate", "reported_frauds", "false_reports"} <= set(
        summary
    )
    assert (summary["rate"], summary["delay_minutes"], summary["false_rate"]) == (0.5, 30.0, 0.001)
    assert summary["reported_frauds"] > 0

    code, stdout, stderr = invoke(
        "eval", "--data", str(simulated), "--model", str(model), "--report-rate", "2"
    )
    assert code != 0
    assert "--report-rate" in stderr
    assert "Traceback" not in stderr
