"""Chat-speed labels offline: simulated "Not me" reports and the features they feed.

The protocol (docs/fraud-model.md, "Chat-speed labels"): each fraudulent transaction is
reported by its card holder with probability ``rate`` after a delay drawn from an exponential
with mean ``delay_minutes``; each genuine one is reported by mistake with probability
``false_rate``, after a delay from the same distribution. The draws of a transaction depend
only on ``seed`` and its ``TRANSACTION_ID`` (hashed), so the training and the evaluation
windows of one table see the same reports.

A transaction at time ``t`` (whole seconds) on terminal ``T`` by card ``c`` sees the reports on
``T`` received strictly before ``t`` by cards other than ``c`` (crowd signal only: its own
card's reports, and so its own report, never count):

* ``TERMINAL_REPORTING_CARDS_{1,24,168}H``: distinct reporting cards whose latest report
  arrived in ``[t - h hours, t)``, at most ``MAX_REPORTING_CARDS`` (64);
* ``TERMINAL_SECONDS_SINCE_REPORT``: seconds since the latest such report, at most 7 days
  (7 days when none);
* ``TERMINAL_REPORTING_CARDS_PER_TX_168H``: the 7-day count over the terminal's live 7-day
  volume (``TERMINAL_NB_TX_LIVE_7DAY``).

Counting distinct cards, not reports, is what keeps a false report cheap: one person who taps
"Not me" by mistake (or three times) adds at most one, and the ratio to volume tells a busy
terminal's background of mistakes from a quiet terminal's burst.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from ledgerline.fraud.errors import FraudInputError
from ledgerline.fraud.offline.features import compute_features, epoch_seconds
from ledgerline.fraud.online.features import (
    MAX_REPORTING_CARDS,
    NO_REPORT_SECONDS,
    REPORT_FEATURES,
    REPORT_WINDOW_HOURS,
    SECONDS_PER_HOUR,
)

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

_MASK64 = np.uint64(0xFFFFFFFFFFFFFFFF)
_MAX_SEED = 2**63 - 1


@dataclass(frozen=True)
class ReportSettings:
    """The four ``--report-*`` options (defaults as CONTRACTS.md §1)."""

    rate: float = 0.0
    delay_minutes: float = 60.0
    false_rate: float = 0.001
    seed: int = 0

    def validate(self) -> None:
        for option, value in (
            ("--report-rate", self.rate),
            ("--false-report-rate", self.false_rate),
        ):
            if not (math.isfinite(value) and 0.0 <= value <= 1.0):
                raise FraudInputError(f"{option}: expected a probability from 0 to 1, got {value}")
        if not (math.isfinite(self.delay_minutes) and self.delay_minutes >= 0.0):
            raise FraudInputError(
                f"--report-delay-minutes: expected a number of minutes >= 0, got {self.delay_minutes}"
            )
        if not 0 <= self.seed <= _MAX_SEED:
            raise FraudInputError(f"--report-seed: expected 0 to {_MAX_SEED}, got {self.seed}")

    @property
    def used_by_training(self) -> bool:
        """A model learns report features only when some frauds are reported (rate > 0):
        with rate 0 training is exactly what it was before reports existed."""
        return self.rate > 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "rate": self.rate,
            "delay_minutes": self.delay_minutes,
            "false_rate": self.false_rate,
            "seed": self.seed,
        }


@dataclass(frozen=True)
class Reports:
    """The simulated reports of one table: the reported rows and when each report arrives."""

    rows: IntArray
    """Positions in the table of the reported transactions."""
    received: IntArray
    """Epoch seconds at which each report arrives (never before its transaction)."""
    fraud: npt.NDArray[np.bool_]
    """Whether the reported transaction was a fraud (False: a false report)."""

    @property
    def reported_frauds(self) -> int:
        return int(self.fraud.sum())

    @property
    def false_reports(self) -> int:
        return int((~self.fraud).sum())


def _splitmix64(x: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    with np.errstate(over="ignore"):
        z = (x + np.uint64(0x9E3779B97F4A7C15)) & _MASK64
        z = ((z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)) & _MASK64
        z = ((z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)) & _MASK64
        return z ^ (z >> np.uint64(31))


def _uniforms(ids: pd.Series, seed: int, stream: int) -> FloatArray:
    """One uniform [0, 1) per transaction id, from (seed, stream, id) alone."""
    hashed = pd.util.hash_pandas_object(ids, index=False).to_numpy(dtype=np.uint64)
    key = _splitmix64(np.array([(seed * 4 + stream) % 2**64], dtype=np.uint64))[0]
    bits = _splitmix64(hashed ^ key)
    return (bits >> np.uint64(11)).astype(np.float64) * 2.0**-53


def simulate_reports(frame: pd.DataFrame, settings: ReportSettings) -> Reports:
    """The reports the protocol draws for a normalised transactions frame."""
    settings.validate()
    ids = frame["TRANSACTION_ID"].reset_index(drop=True)
    fraud = frame["TX_FRAUD"].to_numpy(dtype=np.int64) == 1
    chance = np.where(fraud, settings.rate, settings.false_rate)
    reported = _uniforms(ids, settings.seed, 0) < chance
    rows = np.flatnonzero(reported).astype(np.int64)
    # Exponential delay by inversion; 1 - u is in (0, 1], so the log is finite.
    u = _uniforms(ids, settings.seed, 1)[rows]
    delay = np.floor(-settings.delay_minutes * 60.0 * np.log1p(-u)).astype(np.int64)
    seconds = epoch_seconds(frame["TX_DATETIME"])[rows]
    return Reports(rows=rows, received=seconds + delay, fraud=fraud[rows])


def report_features(
    frame: pd.DataFrame, reports: Reports, live_7day_volume: FloatArray
) -> dict[str, FloatArray]:
    """The report features of each row of ``frame`` (see the module docstring)."""
    n = len(frame)
    seconds = epoch_seconds(frame["TX_DATETIME"])
    cards = pd.factorize(frame["CUSTOMER_ID"], sort=False)[0].astype(np.int64)
    terminals = pd.factorize(frame["TERMINAL_ID"], sort=False)[0].astype(np.int64)
    counts = {h: np.zeros(n, dtype=np.float64) for h in REPORT_WINDOW_HOURS}
    latest = np.full(n, np.iinfo(np.int64).min, dtype=np.int64)
    if len(reports.rows):
        by_terminal = np.argsort(terminals, kind="stable")
        sorted_terminals = terminals[by_terminal]
        rep_terminal, rep_card = terminals[reports.rows], cards[reports.rows]
        order = np.lexsort((reports.received, rep_card, rep_terminal))
        rep_terminal, rep_card = rep_terminal[order], rep_card[order]
        received = reports.received[order]
        new_pair = (rep_terminal[1:] != rep_terminal[:-1]) | (rep_card[1:] != rep_card[:-1])
        starts = np.flatnonzero(np.concatenate(([True], new_pair)))
        ends = np.concatenate((starts[1:], [len(order)]))
        for first, end in zip(starts.tolist(), ends.tolist(), strict=True):
            terminal, card = int(rep_terminal[first]), int(rep_card[first])
            times = received[first:end]
            lo, hi = np.searchsorted(sorted_terminals, [terminal, terminal + 1])
            at = by_terminal[lo:hi]
            at = at[cards[at] != card]
            if not len(at):
                continue
            t = seconds[at]
            before = np.searchsorted(times, t, side="left")
            has = before > 0
            last = np.where(has, times[np.maximum(before - 1, 0)], np.iinfo(np.int64).min)
            for h in REPORT_WINDOW_HOURS:
                counts[h][at] += (has & (last >= t - h * SECONDS_PER_HOUR)).astype(np.float64)
            latest[at] = np.maximum(latest[at], last)
    since = np.minimum(seconds - latest.astype(np.float64), NO_REPORT_SECONDS)
    since = np.where(latest == np.iinfo(np.int64).min, NO_REPORT_SECONDS, since)
    cap = float(MAX_REPORTING_CARDS)
    out = {
        f"TERMINAL_REPORTING_CARDS_{h}H": np.minimum(counts[h], cap) for h in REPORT_WINDOW_HOURS
    }
    out["TERMINAL_SECONDS_SINCE_REPORT"] = since
    week = out[f"TERMINAL_REPORTING_CARDS_{max(REPORT_WINDOW_HOURS)}H"]
    # reporting_cards_per_tx, vectorised
    out["TERMINAL_REPORTING_CARDS_PER_TX_168H"] = week / np.maximum(live_7day_volume, 1.0)
    return out


def compute_features_with_reports(frame: pd.DataFrame, reports: Reports | None) -> pd.DataFrame:
    """``compute_features`` plus, when ``reports`` is given, the report features."""
    features = compute_features(frame)
    if reports is None:
        return features
    extra = report_features(frame, reports, features["TERMINAL_NB_TX_LIVE_7DAY"].to_numpy())
    for name in REPORT_FEATURES:
        features[name] = extra[name]
    return features
