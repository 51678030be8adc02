"""Chat-speed labels offline: the report simulation, the report features, and rate 0."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from ledgerline.fraud.errors import FraudInputError
from ledgerline.fraud.offline.dataset import normalize
from ledgerline.fraud.offline.evaluate import evaluate
from ledgerline.fraud.offline.reports import (
    Reports,
    ReportSettings,
    compute_features_with_reports,
    report_features,
    simulate_reports,
)
from ledgerline.fraud.offline.simulate import SimulationConfig, simulate
from ledgerline.fraud.offline.training import train_model
from ledgerline.fraud.online.features import (
    ALL_FEATURES,
    NO_REPORT_SECONDS,
    REPORT_FEATURES,
    REPORT_WINDOW_HOURS,
)

T0 = pd.Timestamp("2018-04-01 00:00:00")


# One test process runs these tests (pytest-xdist --dist loadgroup): the module's
# simulated stream built once, not in every process that draws one of them.
pytestmark = pytest.mark.xdist_group("unit.fraud.offline.test_reports")


@pytest.fixture(scope="module")
def stream() -> pd.DataFrame:
    frame, _ = simulate(SimulationConfig(customers=120, terminals=250, days=45, seed=11))
    return normalize(frame)


def test_the_draws_are_seeded_and_follow_the_rates(stream: pd.DataFrame) -> None:
    settings = ReportSettings(rate=0.5, delay_minutes=60, false_rate=0.01, seed=3)
    first, again = simulate_reports(stream, settings), simulate_reports(stream, settings)
    assert np.array_equal(first.rows, again.rows)
    assert np.array_equal(first.received, again.received)
    other = simulate_reports(stream, ReportSettings(rate=0.5, false_rate=0.01, seed=4))
    assert not np.array_equal(first.rows, other.rows)

    fraud = stream["TX_FRAUD"].to_numpy() == 1
    assert first.reported_frauds == int(fraud[first.rows].sum())
    assert abs(first.reported_frauds / fraud.sum() - 0.5) < 0.08
    assert abs(first.false_reports / (~fraud).sum() - 0.01) < 0.003
    seconds = stream["TX_DATETIME"].to_numpy().astype("datetime64[s]").astype(np.int64)
    delay = first.received - seconds[first.rows]
    assert (delay >= 0).all()
    assert 45 * 60 < delay.mean() < 75 * 60


def test_a_transactions_draws_do_not_depend_on_the_window(stream: pd.DataFrame) -> None:
    settings = ReportSettings(rate=0.5, false_rate=0.01, seed=1)
    whole = simulate_reports(stream, settings)
    head = stream.iloc[: len(stream) // 2]
    part = simulate_reports(head, settings)
    kept = whole.rows < len(head)
    assert np.array_equal(part.rows, whole.rows[kept])
    assert np.array_equal(part.received, whole.received[kept])


def test_rate_zero_reports_only_mistakes(stream: pd.DataFrame) -> None:
    none = simulate_reports(stream, ReportSettings(rate=0.0, false_rate=0.0))
    assert len(none.rows) == 0
    mistakes = simulate_reports(stream, ReportSettings(rate=0.0, false_rate=0.01))
    assert mistakes.reported_frauds == 0
    assert mistakes.false_reports > 0


@pytest.mark.parametrize(
    ("settings", "option"),
    [
        (ReportSettings(rate=1.5), "--report-rate"),
        (ReportSettings(rate=float("nan")), "--report-rate"),
        (ReportSettings(false_rate=-0.1), "--false-report-rate"),
        (ReportSettings(delay_minutes=-1), "--report-delay-minutes"),
        (ReportSettings(seed=-1), "--report-seed"),
    ],
)
def test_bad_settings_are_refused(settings: ReportSettings, option: str) -> None:
    with pytest.raises(FraudInputError, match=option):
        settings.validate()


def table(rows: list[tuple[float, str, str]]) -> pd.DataFrame:
    """(minutes after T0, card, terminal) rows as a normalised table."""
    return normalize(
        pd.DataFrame(
            {
                "TRANSACTION_ID": range(len(rows)),
                "TX_DATETIME": [T0 + pd.Timedelta(minutes=float(m)) for m, _, _ in rows],
                "CUSTOMER_ID": [c for _, c, _ in rows],
                "TERMINAL_ID": [t for _, _, t in rows],
                "TX_AMOUNT": 10.0,
                "TX_FRAUD": 0,
            }
        )
    )


def reports_at(frame: pd.DataFrame, received: dict[int, float]) -> Reports:
    """Reports of the given rows, arriving the given minutes after T0."""
    rows = np.array(sorted(received), dtype=np.int64)
    t0 = int(T0.value // 10**9)
    return Reports(
        rows=rows,
        received=np.array([t0 + int(received[r] * 60) for r in rows], dtype=np.int64),
        fraud=np.ones(len(rows), dtype=bool),
    )


def test_features_count_other_cards_reports_received_before() -> None:
    frame = table(
        [
            (0, "a", "T"),  # 0: reported at minute 10
            (1, "b", "T"),  # 1: reported at minute 20
            (2, "b", "T"),  # 2: reported at minute 25 (same card: counts once)
            (3, "c", "U"),  # 3: another terminal, reported at minute 5
            (20, "c", "T"),  # 4: sees a only (b's report arrives at this very second)
            (30, "a", "T"),  # 5: its own card's report never counts: sees b
            (30, "d", "T"),  # 6: sees a and b
            (30 + 60, "d", "T"),  # 7: a's report is 80 minutes old, b's 65 min: 1h window empty
            (60 * 24 * 8, "d", "T"),  # 8: everything older than 7 days
            (40, "c", "U"),  # 9: its own card's report only
        ]
    )
    reports = reports_at(frame, {0: 10, 1: 20, 2: 25, 3: 5})
    volume = np.full(len(frame), 4.0)
    got = report_features(frame, reports, volume)
    by_id = frame["TRANSACTION_ID"].to_numpy()

    def value(name: str, tx: int) -> float:
        return float(got[name][np.flatnonzero(by_id == tx)[0]])

    expected = {  # tx: (1h, 24h, 168h, seconds since)
        0: (0, 0, 0, NO_REPORT_SECONDS),
        4: (1, 1, 1, 10 * 60),
        5: (1, 1, 1, 5 * 60),
        6: (2, 2, 2, 5 * 60),
        7: (0, 2, 2, 65 * 60),
        8: (0, 0, 0, NO_REPORT_SECONDS),
        9: (0, 0, 0, NO_REPORT_SECONDS),
    }
    for tx, (h1, h24, h168, since) in expected.items():
        counts = [value(f"TERMINAL_REPORTING_CARDS_{h}H", tx) for h in REPORT_WINDOW_HOURS]
        assert counts == [h1, h24, h168], tx
        assert value("TERMINAL_SECONDS_SINCE_REPORT", tx) == since, tx
        assert value("TERMINAL_REPORTING_CARDS_PER_TX_168H", tx) == h168 / 4, tx


def naive_features(frame: pd.DataFrame, reports: Reports) -> dict[str, list[float]]:
    """The definition, one transaction at a time (the reference for the vectorised code)."""
    seconds = frame["TX_DATETIME"].to_numpy().astype("datetime64[s]").astype(np.int64)
    cards, terminals = frame["CUSTOMER_ID"].to_numpy(), frame["TERMINAL_ID"].to_numpy()
    out: dict[str, list[float]] = {name: [] for name in REPORT_FEATURES[:4]}
    for i in range(len(frame)):
        seen: dict[object, int] = {}
        for row, when in zip(reports.rows.tolist(), reports.received.tolist(), strict=True):
            same_place = terminals[row] == terminals[i] and cards[row] != cards[i]
            if same_place and when < seconds[i]:
                seen[cards[row]] = max(seen.get(cards[row], when), when)
        for h in REPORT_WINDOW_HOURS:
            recent = [w for w in seen.values() if w >= seconds[i] - h * 3600]
            out[f"TERMINAL_REPORTING_CARDS_{h}H"].append(float(len(recent)))
        latest = max(seen.values(), default=None)
        since = NO_REPORT_SECONDS if latest is None else min(seconds[i] - latest, NO_REPORT_SECONDS)
        out["TERMINAL_SECONDS_SINCE_REPORT"].append(float(since))
    return out


def test_vectorised_features_equal_the_definition(stream: pd.DataFrame) -> None:
    head = stream.iloc[:3000].reset_index(drop=True)
    reports = simulate_reports(head, ReportSettings(rate=0.9, delay_minutes=600, false_rate=0.02))
    assert len(reports.rows) > 50
    got = report_features(head, reports, np.ones(len(head)))
    for name, values in naive_features(head, reports).items():
        assert got[name].tolist() == values, name


def test_rate_zero_trains_and_scores_as_without_reports(stream: pd.DataFrame) -> None:
    until = dt.date(2018, 5, 1)
    plain = train_model(stream, until)
    zero = train_model(stream, until, reports=ReportSettings(rate=0.0, false_rate=0.01))
    assert zero.features == ALL_FEATURES
    assert zero.booster_text == plain.booster_text
    assert "reports" not in zero.training
    before = evaluate(stream, plain)
    after = evaluate(stream, zero, reports=ReportSettings(rate=0.0, false_rate=0.01))
    assert before.pop("reports")["reported_frauds"] == 0
    mistakes = after.pop("reports")
    assert mistakes["reported_frauds"] == 0
    assert mistakes["false_reports"] > 0
    assert before == after


def test_a_model_trained_with_reports_learns_their_features(stream: pd.DataFrame) -> None:
    settings = ReportSettings(rate=0.5, seed=2)
    model = train_model(stream, dt.date(2018, 5, 1), reports=settings)
    assert model.features == ALL_FEATURES + REPORT_FEATURES
    assert model.training["reports"]["rate"] == 0.5
    assert model.training["reports"]["reported_frauds"] > 0
    features = compute_features_with_reports(stream, simulate_reports(stream, settings))
    assert list(features.columns) == list(ALL_FEATURES + REPORT_FEATURES)
    result = evaluate(stream, model, reports=settings)
    assert result["reports"]["rate"] == 0.5
    assert result["reports"]["reported_frauds"] > 0
    assert 0.0 <= result["card_precision_at_100"] <= 1.0


def test_the_largest_seed_is_accepted(stream: pd.DataFrame) -> None:
    reports = simulate_reports(stream, ReportSettings(rate=0.5, seed=2**63 - 1))
    assert reports.reported_frauds > 0
