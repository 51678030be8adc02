"""Loading transactions in the handbook's layout: Parquet, CSV, or a folder of daily pickles.

Whatever the layout, ``load_transactions`` returns one frame sorted by ``TX_DATETIME`` (ties
keep ``TRANSACTION_ID`` order) with at least the columns the engine needs, or raises
``FraudInputError`` with a message a person can act on.
"""

from __future__ import annotations

import datetime as dt
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from ledgerline.fraud.errors import FraudInputError

REQUIRED_COLUMNS = ("TX_DATETIME", "CUSTOMER_ID", "TERMINAL_ID", "TX_AMOUNT", "TX_FRAUD")
DAILY_PICKLE = re.compile(r"^\d{4}-\d{2}-\d{2}\.pkl$")


def _read_daily_pickles(folder: Path) -> pd.DataFrame:
    files = sorted(p for p in folder.iterdir() if DAILY_PICKLE.match(p.name))
    if not files:
        for name in ("transactions.parquet", "transactions.csv"):
            if (folder / name).is_file():
                return _read_file(folder / name)
        raise FraudInputError(
            f"{folder}: no daily YYYY-MM-DD.pkl files (nor transactions.parquet/.csv) in the folder"
        )
    frames = []
    for path in files:
        try:
            # Daily pickles are the handbook's published layout; only load files you trust.
            frame = pd.read_pickle(path)  # noqa: S301
        except Exception as exc:
            raise FraudInputError(f"{path}: not a readable pandas pickle ({exc})") from exc
        if not isinstance(frame, pd.DataFrame):
            raise FraudInputError(f"{path}: the pickle does not hold a pandas DataFrame")
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def _read_file(path: Path) -> pd.DataFrame:
    suffix = path.suffix.lower()
    try:
        if suffix in (".parquet", ".pq"):
            return pd.read_parquet(path)
        if suffix in (".csv", ".gz") or path.name.lower().endswith(".csv.gz"):
            return pd.read_csv(path)
        if suffix == ".pkl":
            return _read_daily_pickles_file(path)
    except FraudInputError:
        raise
    except pd.errors.EmptyDataError as exc:
        raise FraudInputError(f"{path}: the file is empty") from exc
    except Exception as exc:
        raise FraudInputError(f"{path}: cannot read the file ({exc})") from exc
    raise FraudInputError(
        f"{path}: unsupported file type (expected .parquet, .csv or a folder of YYYY-MM-DD.pkl)"
    )


def _read_daily_pickles_file(path: Path) -> pd.DataFrame:
    frame = pd.read_pickle(path)  # noqa: S301
    if not isinstance(frame, pd.DataFrame):
        raise FraudInputError(f"{path}: the pickle does not hold a pandas DataFrame")
    return frame


def read_raw(path: Path) -> pd.DataFrame:
    """The table stored at ``path`` as it is, without validation."""
    if not path.exists():
        raise FraudInputError(f"{path}: no such file or folder")
    if path.is_dir():
        return _read_daily_pickles(path)
    return _read_file(path)


def _parse_datetimes(values: pd.Series) -> pd.Series:
    try:
        return pd.to_datetime(values, format="ISO8601")
    except (ValueError, TypeError):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            return pd.to_datetime(values, format="mixed")


def normalize(frame: pd.DataFrame, source: str = "data") -> pd.DataFrame:
    """Validate and sort a raw table; see the module docstring."""
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise FraudInputError(
            f"{source}: missing column(s) {', '.join(missing)} "
            f"(expected at least {', '.join(REQUIRED_COLUMNS)})"
        )
    if len(frame) == 0:
        raise FraudInputError(f"{source}: no transactions")
    out = frame.copy()
    when = out["TX_DATETIME"]
    if not pd.api.types.is_datetime64_any_dtype(when):
        try:
            when = _parse_datetimes(when)
        except (ValueError, TypeError) as exc:
            raise FraudInputError(f"{source}: TX_DATETIME is not a date-time ({exc})") from exc
    if getattr(when.dt, "tz", None) is not None:
        when = when.dt.tz_convert("UTC").dt.tz_localize(None)
    if when.isna().any():
        raise FraudInputError(f"{source}: TX_DATETIME has {int(when.isna().sum())} empty value(s)")
    out["TX_DATETIME"] = when.astype("datetime64[ns]")
    for column in ("TX_AMOUNT", "TX_FRAUD"):
        values = pd.to_numeric(out[column], errors="coerce")
        if values.isna().any():
            raise FraudInputError(
                f"{source}: {column} has {int(values.isna().sum())} empty or non-numeric value(s)"
            )
        out[column] = values
    if not out["TX_FRAUD"].isin([0, 1]).all():
        raise FraudInputError(f"{source}: TX_FRAUD must be 0 or 1")
    if (out["TX_AMOUNT"] < 0).any():
        raise FraudInputError(f"{source}: TX_AMOUNT has negative values")
    out["TX_FRAUD"] = out["TX_FRAUD"].astype(np.int64)
    out["TX_AMOUNT"] = out["TX_AMOUNT"].astype(np.float64)
    for column in ("CUSTOMER_ID", "TERMINAL_ID"):
        if out[column].isna().any():
            raise FraudInputError(f"{source}: {column} has empty values")
    if "TRANSACTION_ID" not in out.columns:
        out["TRANSACTION_ID"] = np.arange(len(out), dtype=np.int64)
    out = out.sort_values(["TX_DATETIME", "TRANSACTION_ID"], kind="stable").reset_index(drop=True)
    return out


def load_transactions(path: Path) -> pd.DataFrame:
    """Read and validate the transactions at ``path`` (Parquet, CSV or daily-pickle folder)."""
    return normalize(read_raw(path), source=str(path))


def parse_day(value: str, option: str) -> dt.date:
    """A ``YYYY-MM-DD`` command-line value, or a clear error naming the option."""
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise FraudInputError(f"{option}: expected YYYY-MM-DD, got {value!r}") from exc


def day_of(frame: pd.DataFrame) -> pd.Series:
    """The calendar day of each transaction (``datetime64`` at midnight)."""
    days: pd.Series = frame["TX_DATETIME"].dt.normalize()
    return days


def first_and_last_day(frame: pd.DataFrame) -> tuple[dt.date, dt.date]:
    days = day_of(frame)
    return days.iloc[0].date(), days.iloc[-1].date()
