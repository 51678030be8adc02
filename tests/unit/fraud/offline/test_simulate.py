"""The simulator: determinism, the handbook's constants and its volume statistics."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ledgerline.fraud.errors import FraudInputError
from ledgerline.fraud.offline import simulate as sim
from ledgerline.fraud.offline.dataset import day_of, load_transactions
from ledgerline.fraud.offline.evaluate import chapter3_split
from tests.support.built_once import built_once

SMALL = sim.SimulationConfig(customers=150, terminals=400, days=40, seed=7)


# The tests share the module's simulated datasets: one test process builds them once
# (pytest-xdist --dist loadgroup), not every process that draws one of the tests. The
# handbook's (1.75 million rows, ~7 s of CPU) is built once a run whatever the distribution
# (built_once: loadgroup does not group under pytest 9.2, pytest-dev/pytest-xdist#1386).
pytestmark = pytest.mark.xdist_group("unit.fraud.offline.test_simulate")


@pytest.fixture(scope="module")
def small() -> tuple[pd.DataFrame, dict[str, object]]:
    return sim.simulate(SMALL)


def test_same_seed_gives_the_same_table(small: tuple[pd.DataFrame, dict[str, object]]) -> None:
    again, _ = sim.simulate(SMALL)
    pd.testing.assert_frame_equal(small[0], again)


def test_another_seed_gives_another_table(small: tuple[pd.DataFrame, dict[str, object]]) -> None:
    other, _ = sim.simulate(sim.SimulationConfig(customers=150, terminals=400, days=40, seed=8))
    assert len(other) != len(small[0]) or not other["TX_AMOUNT"].equals(small[0]["TX_AMOUNT"])


def test_layout_and_order(small: tuple[pd.DataFrame, dict[str, object]]) -> None:
    frame = small[0]
    assert tuple(frame.columns) == sim.COLUMNS
    assert (frame["TRANSACTION_ID"].to_numpy() == np.arange(len(frame))).all()
    assert frame["TX_DATETIME"].is_monotonic_increasing
    assert frame["TX_DATETIME"].iloc[0] >= pd.Timestamp("2018-04-01")
    seconds = frame["TX_TIME_SECONDS"].to_numpy()
    assert (frame["TX_TIME_DAYS"].to_numpy() == seconds // 86_400).all()
    expected = pd.Timestamp("2018-04-01") + pd.to_timedelta(seconds, unit="s")
    assert (frame["TX_DATETIME"].to_numpy() == expected.to_numpy()).all()
    time_of_day = seconds % 86_400
    assert ((time_of_day > 0) & (time_of_day < 86_400)).all()
    assert set(frame["TX_FRAUD"].unique()) <= {0, 1}
    assert ((frame["TX_FRAUD"] == 1) == (frame["TX_FRAUD_SCENARIO"] > 0)).all()


def test_volume_matches_the_profiles(small: tuple[pd.DataFrame, dict[str, object]]) -> None:
    profiles = sim.generate_profiles(SMALL)
    # P(0 < N(43200, 20000) < 86400) = 0.9692; customers without terminals make nothing.
    active = profiles.available_counts > 0
    expected = profiles.mean_nb_tx_per_day[active].sum() * 0.9692 * SMALL.days
    assert len(small[0]) == pytest.approx(expected, rel=0.05)


def test_transactions_use_terminals_within_the_radius(
    small: tuple[pd.DataFrame, dict[str, object]],
) -> None:
    profiles = sim.generate_profiles(SMALL)
    frame = small[0]
    c = profiles.customer_xy[frame["CUSTOMER_ID"].to_numpy()]
    t = profiles.terminal_xy[frame["TERMINAL_ID"].to_numpy()]
    assert (np.sqrt(((c - t) ** 2).sum(axis=1)) < sim.TERMINAL_RADIUS).all()


def test_scenario_constants_are_the_handbooks() -> None:
    assert sim.SCENARIO1_AMOUNT == 220
    assert (sim.SCENARIO2_TERMINALS_PER_DAY, sim.SCENARIO2_DAYS) == (2, 28)
    assert (sim.SCENARIO3_CUSTOMERS_PER_DAY, sim.SCENARIO3_DAYS) == (3, 14)
    assert (sim.SCENARIO3_FRACTION_DIVISOR, sim.SCENARIO3_AMOUNT_FACTOR) == (3, 5)
    assert sim.TERMINAL_RADIUS == 5
    assert (sim.TIME_OF_DAY_MEAN, sim.TIME_OF_DAY_STD) == (43_200, 20_000)


def test_scenarios_behave_as_published(small: tuple[pd.DataFrame, dict[str, object]]) -> None:
    frame = small[0]
    # Scenario 1: every amount above 220 is fraud (scenario 3 may have raised it there).
    high = frame[frame["TX_AMOUNT"] > 220]
    assert (high["TX_FRAUD"] == 1).all()
    assert set(high["TX_FRAUD_SCENARIO"].unique()) <= {1, 2, 3}
    # Scenario 2: a compromised terminal's transactions on a compromised day are all fraud.
    s2 = frame[frame["TX_FRAUD_SCENARIO"] == 2][["TERMINAL_ID", "TX_TIME_DAYS"]].drop_duplicates()
    on_days = frame.merge(s2, on=["TERMINAL_ID", "TX_TIME_DAYS"])
    assert len(s2) > 0
    assert (on_days["TX_FRAUD"] == 1).all()
    # Scenario 3: amounts are five times an amount on the customer's own scale.
    profiles = sim.generate_profiles(SMALL)
    s3 = frame[frame["TX_FRAUD_SCENARIO"] == 3]
    assert len(s3) > 0
    mean = profiles.mean_amount[s3["CUSTOMER_ID"].to_numpy()]
    assert np.median(s3["TX_AMOUNT"].to_numpy() / mean) == pytest.approx(5, rel=0.2)


def test_profiles_for_seed_0_are_the_handbooks() -> None:
    profiles = sim.generate_profiles(sim.SimulationConfig())
    counts = profiles.available_counts
    # The research note re-derived the handbook's profiles: mean 75.2, min 22, max 106.
    assert counts.mean() == pytest.approx(75.2, abs=0.05)
    assert (counts.min(), counts.max()) == (22, 106)
    expected_per_day = profiles.mean_nb_tx_per_day.sum() * 0.9692
    assert expected_per_day == pytest.approx(9_584, abs=5)


@pytest.fixture(scope="module")
def handbook(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[pd.DataFrame, dict[str, object]]:
    return built_once(
        tmp_path_factory, "handbook-dataset", lambda: sim.simulate(sim.SimulationConfig())
    )


def test_seed_0_reproduces_the_handbooks_dataset(
    handbook: tuple[pd.DataFrame, dict[str, object]],
) -> None:
    frame, summary = handbook
    # The published files (research note, section 1a): every count is the handbook's.
    assert summary["transactions"] == len(frame) == 1_754_155
    assert summary["frauds"] == 14_681
    assert summary["frauds_by_scenario"] == {"1": 973, "2": 9_077, "3": 4_631}
    assert summary["frauds_logged_by_scenario"] == {
        "scenario_1": 978,
        "scenario_2": 9_099,
        "scenario_3": 4_604,
    }
    per_day = summary["transactions_per_day"]
    assert isinstance(per_day, dict)
    assert (per_day["min"], per_day["max"]) == (9_285, 9_789)
    assert per_day["mean"] == pytest.approx(9_585.5, abs=0.1)
    assert summary["active_customers"] == 4_990
    # The first rows the notebook prints (SimulatedDataset.ipynb, transactions_df).
    head = frame.head(3)
    assert head["TX_DATETIME"].astype(str).tolist() == [
        "2018-04-01 00:00:31",
        "2018-04-01 00:02:10",
        "2018-04-01 00:07:56",
    ]
    assert head["CUSTOMER_ID"].tolist() == [596, 4961, 2]
    assert head["TERMINAL_ID"].tolist() == [3156, 3412, 1365]
    assert head["TX_AMOUNT"].tolist() == [57.16, 81.51, 146.00]


def test_the_chapter3_split_of_the_handbooks_dataset_is_the_published_one(
    handbook: tuple[pd.DataFrame, dict[str, object]],
) -> None:
    frame = handbook[0]
    window = frame[frame["TX_DATETIME"] < pd.Timestamp("2018-08-15")].reset_index(drop=True)
    split = chapter3_split(window, day_of(window), dt.date(2018, 8, 8), 7)
    fraud = window["TX_FRAUD"].to_numpy()
    # BaselineModeling.ipynb: train 67,240 transactions (598 frauds), test 58,264 (385).
    assert (split.chapter3_week.sum(), fraud[split.chapter3_week].sum()) == (67_240, 598)
    assert (split.test.sum(), fraud[split.test].sum()) == (58_264, 385)


def test_daily_pickles_written_by_pandas_1_read_back_as_the_same_rows(
    handbook: tuple[pd.DataFrame, dict[str, object]],
) -> None:
    # The handbook publishes its data as daily pickles written by pandas 1.x, with object
    # id columns; these two days (cards 0-39) were written by pandas 1.5.3 from this table.
    loaded = load_transactions(Path(__file__).parent / "data" / "pandas-1.5-pickles")
    frame = handbook[0]
    expected = frame[(frame["TX_TIME_DAYS"] < 2) & (frame["CUSTOMER_ID"] < 40)]
    assert len(loaded) == len(expected) == 165
    for column in sim.COLUMNS:
        assert loaded[column].tolist() == expected[column].tolist(), column


def test_summary_statistics(small: tuple[pd.DataFrame, dict[str, object]]) -> None:
    frame, summary = small
    assert summary["transactions"] == len(frame)
    assert summary["frauds"] == int(frame["TX_FRAUD"].sum())
    by_scenario = summary["frauds_by_scenario"]
    assert isinstance(by_scenario, dict)
    assert sum(by_scenario.values()) == summary["frauds"]


@pytest.mark.parametrize(
    "config",
    [
        sim.SimulationConfig(customers=0),
        sim.SimulationConfig(terminals=0),
        sim.SimulationConfig(days=0),
        sim.SimulationConfig(seed=-1),
        sim.SimulationConfig(seed=2**32 - 1),
    ],
)
def test_bad_configuration_is_refused(config: sim.SimulationConfig) -> None:
    with pytest.raises(FraudInputError):
        sim.simulate(config)


def test_start_date_shifts_the_datetimes() -> None:
    frame, _ = sim.simulate(
        sim.SimulationConfig(customers=20, terminals=50, days=3, start=dt.date(2020, 2, 28))
    )
    assert frame["TX_DATETIME"].dt.date.min() >= dt.date(2020, 2, 28)
    assert frame["TX_DATETIME"].dt.date.max() <= dt.date(2020, 3, 1)
