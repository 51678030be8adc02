"""Offline features on small hand-made frames, including the 7-day label delay."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ledgerline.fraud.offline.dataset import normalize
from ledgerline.fraud.offline.features import compute_features
from ledgerline.fraud.online.features import (
    ALL_FEATURES,
    BASELINE_FEATURES,
    NO_PREVIOUS_SECONDS,
)


def frame(rows: list[tuple[str, int, int, float, int]]) -> pd.DataFrame:
    """Rows of (datetime, customer, terminal, amount, fraud)."""
    return normalize(
        pd.DataFrame(
            rows, columns=["TX_DATETIME", "CUSTOMER_ID", "TERMINAL_ID", "TX_AMOUNT", "TX_FRAUD"]
        )
    )


def test_the_handbook_baseline_has_15_inputs() -> None:
    assert len(BASELINE_FEATURES) == 15
    assert ALL_FEATURES[:15] == BASELINE_FEATURES
    assert len(set(ALL_FEATURES)) == len(ALL_FEATURES)


def test_customer_windows_include_the_current_transaction() -> None:
    f = frame(
        [
            ("2018-04-01 10:00:00", 1, 9, 10.0, 0),
            ("2018-04-01 22:00:00", 1, 9, 20.0, 0),
            ("2018-04-02 10:00:00", 1, 9, 60.0, 0),  # 1 day: the hours from 04-01 11:00
            ("2018-04-08 12:00:00", 1, 9, 30.0, 0),
            ("2018-04-02 11:00:00", 2, 9, 5.0, 0),
        ]
    )
    x = compute_features(f)
    # Sorted by time, customer 2's transaction is the fourth row.
    assert f["CUSTOMER_ID"].tolist() == [1, 1, 1, 2, 1]
    assert x["CUSTOMER_ID_NB_TX_1DAY_WINDOW"].tolist() == [1, 2, 2, 1, 1]
    assert x["CUSTOMER_ID_AVG_AMOUNT_1DAY_WINDOW"].tolist() == [10, 15, 40, 5, 30]
    # 7 days: whole days 04-01..04-08 (the 7 before the current one, and that one up to t).
    assert x["CUSTOMER_ID_NB_TX_7DAY_WINDOW"].tolist() == [1, 2, 3, 1, 4]
    assert x["CUSTOMER_ID_NB_TX_30DAY_WINDOW"].tolist() == [1, 2, 3, 1, 4]
    assert x["CUSTOMER_ID_AVG_AMOUNT_30DAY_WINDOW"].iloc[4] == pytest.approx(30.0)
    assert x["CUSTOMER_AMOUNT_RATIO_30DAY"].iloc[2] == pytest.approx(60 / 30)
    gaps = x["CUSTOMER_SECONDS_SINCE_PREV"].tolist()
    no_prev = NO_PREVIOUS_SECONDS
    assert gaps == [no_prev, 12 * 3600, 12 * 3600, no_prev, 6 * 86_400 + 2 * 3600]


def test_time_flags() -> None:
    f = frame(
        [
            ("2018-04-07 06:59:59", 1, 1, 1.0, 0),  # Saturday, night
            ("2018-04-09 07:00:00", 1, 1, 1.0, 0),  # Monday, day
        ]
    )
    x = compute_features(f)
    assert x["TX_DURING_WEEKEND"].tolist() == [1, 0]
    assert x["TX_DURING_NIGHT"].tolist() == [1, 0]


def test_terminal_risk_uses_labels_only_after_the_7_day_delay() -> None:
    f = frame(
        [
            ("2018-04-01 12:00:00", 1, 5, 10.0, 1),  # fraud on terminal 5
            ("2018-04-02 12:00:00", 2, 5, 10.0, 0),
            ("2018-04-05 12:00:00", 3, 5, 10.0, 0),  # 4 days later: label not known yet
            ("2018-04-08 12:30:00", 4, 5, 10.0, 0),  # 7 days, but its hour is not 7 days old
            ("2018-04-08 13:00:00", 5, 5, 10.0, 0),  # known: windows end at hour 04-01 13h
            ("2018-04-09 13:30:00", 6, 5, 10.0, 0),  # 1-day window: days from 04-01
            ("2018-04-10 13:00:00", 7, 5, 10.0, 0),  # 1-day window: days from 04-02
        ]
    )
    x = compute_features(f)
    assert x["TERMINAL_ID_RISK_7DAY_WINDOW"].tolist() == [0, 0, 0, 0, 1, 0.5, 0.5]
    assert x["TERMINAL_ID_NB_TX_7DAY_WINDOW"].tolist() == [0, 0, 0, 0, 1, 2, 2]
    assert x["TERMINAL_ID_RISK_1DAY_WINDOW"].tolist() == [0, 0, 0, 0, 1, 0.5, 0]
    assert x["TERMINAL_ID_NB_TX_1DAY_WINDOW"].tolist() == [0, 0, 0, 0, 1, 2, 1]
    assert x["TERMINAL_FIRST_KNOWN_FRAUD_AGE_DAYS"].tolist()[:4] == [-1, -1, -1, -1]
    # ages count from the start of the fraud's (UTC) day
    assert x["TERMINAL_FIRST_KNOWN_FRAUD_AGE_DAYS"].iloc[4] == pytest.approx(7 + 13 / 24)
    assert x["TERMINAL_NB_TX_SINCE_LAST_KNOWN_FRAUD"].tolist() == [-1, -1, -1, -1, 0, 1, 1]
    assert x["TERMINAL_NB_TX_LIVE_7DAY"].tolist() == [1, 2, 3, 3, 4, 4, 5]
    assert x["TERMINAL_NB_TX_LIVE_1DAY"].tolist() == [1, 1, 1, 1, 2, 1, 1]


def test_no_feature_leaks_a_label_before_it_is_known() -> None:
    rng = np.random.default_rng(1)
    n = 400
    seconds = np.sort(rng.integers(0, 40 * 86_400, n))
    customers = rng.integers(0, 20, n)
    terminals = rng.integers(0, 5, n)
    amounts = np.round(rng.uniform(1, 100, n), 2)
    labels = rng.integers(0, 2, n)

    def features(fraud: np.ndarray) -> pd.DataFrame:
        return compute_features(
            normalize(
                pd.DataFrame(
                    {
                        "TX_DATETIME": pd.Timestamp("2018-04-01")
                        + pd.to_timedelta(seconds, unit="s"),
                        "CUSTOMER_ID": customers,
                        "TERMINAL_ID": terminals,
                        "TX_AMOUNT": amounts,
                        "TX_FRAUD": fraud,
                    }
                )
            )
        )

    before = features(labels)
    i = 200
    flipped = labels.copy()
    flipped[i] = 1 - flipped[i]
    after = features(flipped)
    known_at = seconds[i] + 7 * 86_400
    unaffected = seconds <= known_at  # a transaction exactly 7 days later may already know it
    unaffected[seconds == known_at] = False
    pd.testing.assert_frame_equal(before[unaffected], after[unaffected])
    assert not before[~unaffected].equals(after[~unaffected])


def test_amount_changes_leave_other_cards_alone() -> None:
    f = frame([("2018-04-01 10:00:00", 1, 1, 10.0, 0), ("2018-04-01 11:00:00", 2, 1, 500.0, 0)])
    x = compute_features(f)
    assert x["CUSTOMER_ID_AVG_AMOUNT_1DAY_WINDOW"].tolist() == [10.0, 500.0]
    assert x["CUSTOMER_AMOUNT_ZSCORE_30DAY"].tolist() == [0.0, 0.0]


def test_lagged_amount_baseline_ignores_the_last_14_days() -> None:
    f = frame(
        [
            ("2018-04-01 12:00:00", 1, 1, 10.0, 0),
            ("2018-04-01 20:00:00", 1, 1, 30.0, 0),
            ("2018-04-02 00:30:00", 1, 1, 400.0, 0),  # day 04-02 is 14 days before 04-16: out
            ("2018-04-10 12:00:00", 1, 1, 500.0, 1),  # inside 14 days: not in the baseline
            ("2018-04-16 12:00:00", 1, 1, 100.0, 0),  # baseline: whole days 03-17..04-01
        ]
    )
    x = compute_features(f)
    assert x["CUSTOMER_AMOUNT_RATIO_LAGGED"].tolist() == [-1.0, -1.0, -1.0, -1.0, 100.0 / 20.0]
    assert x["CUSTOMER_AMOUNT_ZSCORE_LAGGED"].iloc[4] == pytest.approx((10_000 - 2000) / 1100)
    assert x["CUSTOMER_NB_HIGH_RATIO_7DAY"].tolist() == [0.0, 0.0, 0.0, 0.0, 1.0]
