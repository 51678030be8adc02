"""Chat-speed labels online: reports update the terminal state at once, and the online
report features equal the offline ones (``ledgerline.fraud.offline.reports``)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from ledgerline.fraud.errors import FraudInputError
from ledgerline.fraud.offline.dataset import normalize
from ledgerline.fraud.offline.reports import (
    ReportSettings,
    compute_features_with_reports,
    simulate_reports,
)
from ledgerline.fraud.offline.simulate import SimulationConfig, simulate
from ledgerline.fraud.offline.training import train_model
from ledgerline.fraud.online.features import KNOWN_FEATURES, MAX_REPORTING_CARDS
from ledgerline.fraud.online.model import FraudModel
from ledgerline.fraud.online.scorer import InMemoryStateStore, OnlineScorer, Transaction
from ledgerline.fraud.online.state import TerminalState

EPOCH = dt.datetime(1970, 1, 1)  # noqa: DTZ001 - naive UTC, as the engine takes it
SETTINGS = ReportSettings(rate=0.9, delay_minutes=600, false_rate=0.01, seed=4)


# One test process runs these tests (pytest-xdist --dist loadgroup): the module's
# simulated stream and trained model built once, not in every process that draws one of them.
pytestmark = pytest.mark.xdist_group("unit.fraud.online.test_report_state")


@pytest.fixture(scope="module")
def stream() -> pd.DataFrame:
    frame, _ = simulate(SimulationConfig(customers=100, terminals=200, days=40, seed=3))
    return normalize(frame)


@pytest.fixture(scope="module")
def model(stream: pd.DataFrame) -> FraudModel:
    return train_model(stream, dt.date(2018, 4, 26), reports=SETTINGS)


def at(seconds: int) -> dt.datetime:
    return EPOCH + dt.timedelta(seconds=seconds)


def test_online_report_features_equal_offline(stream: pd.DataFrame, model: FraudModel) -> None:
    reports = simulate_reports(stream, SETTINGS)
    assert len(reports.rows) > 100
    order = np.argsort(reports.received, kind="stable")
    pending = [
        (
            int(reports.received[i]),
            str(stream["TERMINAL_ID"].iloc[row]),
            str(stream["CUSTOMER_ID"].iloc[row]),
        )
        for i, row in zip(order.tolist(), reports.rows[order].tolist(), strict=True)
    ]
    store = InMemoryStateStore()
    scorer = OnlineScorer(model, store)
    online: list[list[float]] = []
    scores: list[float] = []
    next_report = 0
    seconds = stream["TX_DATETIME"].to_numpy().astype("datetime64[s]").astype(np.int64)
    columns = ("TRANSACTION_ID", "CUSTOMER_ID", "TERMINAL_ID", "TX_AMOUNT", "TX_FRAUD")
    rows = zip(*(stream[c].tolist() for c in columns), strict=True)
    for i, (tx_id, card_id, terminal_id, amount, fraud) in enumerate(rows):
        t = int(seconds[i])
        while next_report < len(pending) and pending[next_report][0] < t:
            received, terminal, card = pending[next_report]
            scorer.record_report(terminal, card, at(received))
            next_report += 1
        tx = Transaction(str(tx_id), str(card_id), str(terminal_id), float(amount), at(t))
        result = scorer.score_batch([tx])[0]
        online.append([result.features[name] for name in KNOWN_FEATURES])
        scores.append(result.score)
        scorer.record_verdict(result.ref, bool(fraud))
    offline = compute_features_with_reports(stream, reports)
    np.testing.assert_array_equal(np.array(online), offline[list(KNOWN_FEATURES)].to_numpy())
    np.testing.assert_allclose(scores, model.predict_frame(offline), rtol=1e-9, atol=1e-12)
    assert max(len(v) for v in store.terminals.values()) < 1024


def test_a_report_counts_at_once_for_other_cards_only(model: FraudModel) -> None:
    scorer = OnlineScorer(model, InMemoryStateStore())
    noon = dt.datetime(2026, 12, 7, 12, tzinfo=dt.UTC)
    scorer.score(Transaction("t1", "victim", "shop", 20.0, noon))
    scorer.record_report("shop", "victim", noon + dt.timedelta(minutes=5))
    later = noon + dt.timedelta(minutes=30)
    own, other, elsewhere = (
        result.features
        for result in scorer.score_batch(
            [
                Transaction("t2", "victim", "shop", 20.0, later),
                Transaction("t3", "someone", "shop", 20.0, later),
                Transaction("t4", "someone", "cafe", 20.0, later),
            ]
        )
    )
    assert own["TERMINAL_REPORTING_CARDS_1H"] == 0
    assert other["TERMINAL_REPORTING_CARDS_1H"] == 1
    assert other["TERMINAL_SECONDS_SINCE_REPORT"] == 25 * 60
    assert elsewhere["TERMINAL_REPORTING_CARDS_168H"] == 0


def test_many_reporting_cards_stay_bounded() -> None:
    terminal = TerminalState()
    out: dict[str, float] = {}
    t = 1_800_000_000
    terminal.update(t, out)
    for card in range(1000):
        terminal.add_report(card, t + card)
    data = terminal.to_bytes()
    assert len(data) < 1024
    restored = TerminalState.from_bytes(data)
    assert restored.reports == terminal.reports
    assert len(restored.reports) == MAX_REPORTING_CARDS + 1
    restored.update(t + 2000, out)
    restored.report_features(None, out)
    assert out["TERMINAL_REPORTING_CARDS_1H"] == MAX_REPORTING_CARDS
    assert out["TERMINAL_SECONDS_SINCE_REPORT"] == 1001


def test_terminal_states_without_reports_are_read() -> None:
    terminal = TerminalState()
    out: dict[str, float] = {}
    for k in range(5):
        terminal.update(1_800_000_000 + 3600 * k, out)
    current = terminal.to_bytes()
    assert current[0] == 3
    assert current[-1] == 0  # no reports
    second_format = bytes([2]) + current[1:-1]
    restored = TerminalState.from_bytes(second_format)
    assert restored.to_bytes() == current
    with pytest.raises(FraudInputError, match="corrupt terminal state"):
        TerminalState.from_bytes(current[:-1] + bytes([1, 0, 0]))
