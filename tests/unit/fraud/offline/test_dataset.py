"""Loading the three layouts, and clear errors for bad input."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from ledgerline.fraud.errors import FraudInputError
from ledgerline.fraud.offline.dataset import load_transactions, normalize, parse_day
from ledgerline.fraud.offline.simulate import SimulationConfig, simulate


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    frame, _ = simulate(SimulationConfig(customers=30, terminals=60, days=4, seed=2))
    return frame


def write_layouts(frame: pd.DataFrame, root: Path) -> list[Path]:
    parquet = root / "t.parquet"
    frame.to_parquet(parquet, index=False)
    csv = root / "t.csv"
    frame.to_csv(csv, index=False)
    folder = root / "daily"
    folder.mkdir()
    for day, rows in frame.groupby(frame["TX_DATETIME"].dt.date):
        rows.to_pickle(folder / f"{day.isoformat()}.pkl", protocol=4)
    (folder / "notes.txt").write_text("ignored")
    return [parquet, csv, folder]


def test_the_three_layouts_load_the_same(table: pd.DataFrame, tmp_path: Path) -> None:
    loaded = [load_transactions(path) for path in write_layouts(table, tmp_path)]
    for frame in loaded:
        assert len(frame) == len(table)
        pd.testing.assert_frame_equal(
            frame[["TX_DATETIME", "CUSTOMER_ID", "TERMINAL_ID", "TX_FRAUD", "TRANSACTION_ID"]],
            loaded[0][["TX_DATETIME", "CUSTOMER_ID", "TERMINAL_ID", "TX_FRAUD", "TRANSACTION_ID"]],
        )
        pd.testing.assert_series_equal(frame["TX_AMOUNT"], loaded[0]["TX_AMOUNT"])


def test_simulate_output_folder_is_accepted(table: pd.DataFrame, tmp_path: Path) -> None:
    table.to_parquet(tmp_path / "transactions.parquet", index=False)
    assert len(load_transactions(tmp_path)) == len(table)


def test_missing_column_is_named(table: pd.DataFrame, tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    table.drop(columns=["TERMINAL_ID"]).to_csv(path, index=False)
    with pytest.raises(FraudInputError, match=r"missing column.*TERMINAL_ID"):
        load_transactions(path)


@pytest.mark.parametrize(
    "content", ["", "TX_DATETIME,CUSTOMER_ID,TERMINAL_ID,TX_AMOUNT,TX_FRAUD\n"]
)
def test_empty_files(tmp_path: Path, content: str) -> None:
    path = tmp_path / "empty.csv"
    path.write_text(content)
    with pytest.raises(FraudInputError, match=r"empty|no transactions"):
        load_transactions(path)


def test_other_bad_inputs(tmp_path: Path, table: pd.DataFrame) -> None:
    with pytest.raises(FraudInputError, match="no such file"):
        load_transactions(tmp_path / "absent.parquet")
    with pytest.raises(FraudInputError, match="no daily"):
        load_transactions(tmp_path)
    (tmp_path / "x.json").write_text("{}")
    with pytest.raises(FraudInputError, match="unsupported"):
        load_transactions(tmp_path / "x.json")
    (tmp_path / "bad.parquet").write_bytes(b"not parquet")
    with pytest.raises(FraudInputError, match="cannot read"):
        load_transactions(tmp_path / "bad.parquet")
    bad = table.head(5).copy()
    bad["TX_DATETIME"] = "yesterday"
    with pytest.raises(FraudInputError, match="TX_DATETIME"):
        normalize(bad)
    bad = table.head(5).copy()
    bad["TX_FRAUD"] = 3
    with pytest.raises(FraudInputError, match="TX_FRAUD"):
        normalize(bad)
    with pytest.raises(FraudInputError, match="--until"):
        parse_day("2018-13-01", "--until")


def test_rows_are_sorted_by_time(table: pd.DataFrame) -> None:
    shuffled = table.sample(frac=1.0, random_state=0)
    assert normalize(shuffled)["TX_DATETIME"].is_monotonic_increasing
