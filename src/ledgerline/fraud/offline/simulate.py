"""The Fraud Detection Handbook's transaction simulator, draw for draw.

It follows ``Chapter_3_GettingStarted/SimulatedDataset.ipynb`` (Le Borgne et al., 2022):

* customers on a 100x100 grid, ``mean_amount ~ U(5, 100)``, ``std_amount = mean_amount / 2``,
  ``mean_nb_tx_per_day ~ U(0, 4)``; terminals on the same grid; a customer uses the terminals
  at Euclidean distance ``< radius`` (5);
* each day a customer makes ``Poisson(mean_nb_tx_per_day)`` transactions at
  ``int(N(43200, 20000))`` seconds into the day (draws outside ``(0, 86400)`` are dropped),
  for ``N(mean_amount, std_amount)`` (a negative draw is replaced by ``U(0, 2 mean_amount)``),
  rounded to cents, at a terminal chosen uniformly among the available ones;
* scenario 1: every amount above 220 is fraud; scenario 2: each day 2 terminals are
  compromised for 28 days (all their transactions are fraud); scenario 3: each day 3 customers
  are compromised for 14 days and a third of their transactions in that window are multiplied
  by 5 and marked fraud. Later scenarios overwrite the scenario tag.

Every draw is the notebook's: profiles from ``RandomState(seed)`` and ``RandomState(seed + 1)``
one customer after the other; each customer's transactions from ``np.random.seed(CUSTOMER_ID)``
and ``random.seed(CUSTOMER_ID)`` in the notebook's order (day by day, time, amount, then the
terminal); compromises from ``Series.sample(random_state=day)`` and ``random.seed(day)``. So
``seed=0`` with the default configuration reproduces the handbook's published dataset
(1,754,155 transactions, 14,681 frauds); other seeds mix the seed into every one of those
seeds and give other realisations of the same process. Transactions within the same second
are numbered in customer order (the notebook's unstable sort leaves their order open).
"""

from __future__ import annotations

import datetime as dt
import random
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from ledgerline.fraud.errors import FraudInputError

SECONDS_PER_DAY = 86_400
GRID_SIZE = 100.0
TERMINAL_RADIUS = 5.0
MIN_MEAN_AMOUNT = 5.0
MAX_MEAN_AMOUNT = 100.0
MAX_MEAN_TX_PER_DAY = 4.0
TIME_OF_DAY_MEAN = SECONDS_PER_DAY / 2
TIME_OF_DAY_STD = 20_000.0
SCENARIO1_AMOUNT = 220.0
SCENARIO2_TERMINALS_PER_DAY = 2
SCENARIO2_DAYS = 28
SCENARIO3_CUSTOMERS_PER_DAY = 3
SCENARIO3_DAYS = 14
SCENARIO3_FRACTION_DIVISOR = 3
SCENARIO3_AMOUNT_FACTOR = 5.0
MAX_SEED = 2**32 - 2  # numpy's RandomState takes seeds below 2**32; terminals use seed + 1

COLUMNS = (
    "TRANSACTION_ID",
    "TX_DATETIME",
    "CUSTOMER_ID",
    "TERMINAL_ID",
    "TX_AMOUNT",
    "TX_TIME_SECONDS",
    "TX_TIME_DAYS",
    "TX_FRAUD",
    "TX_FRAUD_SCENARIO",
)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Progress = Callable[[str, float], None]


@dataclass(frozen=True)
class SimulationConfig:
    """Parameters of ``ledgerline fraud simulate`` (defaults: the handbook's dataset)."""

    customers: int = 5000
    terminals: int = 10000
    days: int = 183
    start: dt.date = dt.date(2018, 4, 1)
    seed: int = 0
    radius: float = TERMINAL_RADIUS

    def validate(self) -> None:
        if self.customers < 1:
            raise FraudInputError("--customers must be at least 1")
        if self.terminals < 1:
            raise FraudInputError("--terminals must be at least 1")
        if self.days < 1:
            raise FraudInputError("--days must be at least 1")
        if not 0 <= self.seed <= MAX_SEED:
            raise FraudInputError(f"--seed must be between 0 and {MAX_SEED:,}")
        if self.customers * self.days > 200_000_000:
            raise FraudInputError("customers x days is too large (at most 200,000,000)")


@dataclass(frozen=True)
class Profiles:
    """Customer and terminal profiles and each customer's available terminals (CSR)."""

    customer_xy: FloatArray
    mean_amount: FloatArray
    std_amount: FloatArray
    mean_nb_tx_per_day: FloatArray
    terminal_xy: FloatArray
    available_offsets: IntArray
    available_terminals: IntArray

    @property
    def available_counts(self) -> IntArray:
        return np.diff(self.available_offsets)


def _noop(_stage: str, _fraction: float) -> None:
    return None


def generate_profiles(config: SimulationConfig) -> Profiles:
    """Customer and terminal profiles, drawn in the handbook's order."""
    customer_draws = np.random.RandomState(config.seed).random_sample((config.customers, 4))
    customer_xy = customer_draws[:, :2] * GRID_SIZE
    mean_amount = MIN_MEAN_AMOUNT + (MAX_MEAN_AMOUNT - MIN_MEAN_AMOUNT) * customer_draws[:, 2]
    mean_nb = MAX_MEAN_TX_PER_DAY * customer_draws[:, 3]
    terminal_xy = np.random.RandomState(config.seed + 1).random_sample((config.terminals, 2))
    terminal_xy = terminal_xy * GRID_SIZE
    offsets = np.zeros(config.customers + 1, dtype=np.int64)
    chunks: list[IntArray] = []
    chunk = max(1, 2_000_000 // config.terminals)
    for begin in range(0, config.customers, chunk):
        block = customer_xy[begin : begin + chunk]
        squared = ((block[:, None, :] - terminal_xy[None, :, :]) ** 2).sum(axis=2)
        rows, cols = np.nonzero(np.sqrt(squared) < config.radius)
        counts = np.bincount(rows, minlength=len(block))
        offsets[begin + 1 : begin + 1 + len(block)] = counts
        chunks.append(cols.astype(np.int64))
    np.cumsum(offsets, out=offsets)
    available = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int64)
    return Profiles(
        customer_xy=customer_xy,
        mean_amount=mean_amount,
        std_amount=mean_amount / 2,
        mean_nb_tx_per_day=mean_nb,
        terminal_xy=terminal_xy,
        available_offsets=offsets,
        available_terminals=available,
    )


@dataclass
class _Columns:
    """Transactions as they are drawn, in compact arrays."""

    customer: array[int] = field(default_factory=lambda: array("q"))
    terminal: array[int] = field(default_factory=lambda: array("q"))
    amount: array[float] = field(default_factory=lambda: array("d"))
    seconds: array[int] = field(default_factory=lambda: array("q"))
    day: array[int] = field(default_factory=lambda: array("q"))


def _seeded(seed: int, key: int) -> tuple[np.random.RandomState, random.Random]:
    """The numpy and Python generators the handbook seeds with ``key`` (its seed-0 draws).

    The notebook calls ``np.random.seed(key)`` and ``random.seed(key)`` (``key`` a customer id
    or a day); other seeds mix the seed in, giving another realisation of the same process.
    """
    if seed == 0:
        return np.random.RandomState(key), random.Random(key)
    return np.random.RandomState([seed, key]), random.Random((seed << 32) | key)


def _customer_transactions(
    config: SimulationConfig, profiles: Profiles, customer: int, out: _Columns
) -> None:
    """One customer's transactions, drawn in the notebook's order (``generate_transactions_table``)."""
    numbers, choices = _seeded(config.seed, customer)
    poisson, normal, uniform = numbers.poisson, numbers.normal, numbers.uniform
    choose = choices.choice
    rate = float(profiles.mean_nb_tx_per_day[customer])
    mean = float(profiles.mean_amount[customer])
    std = float(profiles.std_amount[customer])
    offsets = profiles.available_offsets
    terminals = profiles.available_terminals[offsets[customer] : offsets[customer + 1]].tolist()
    for day in range(config.days):
        for _ in range(poisson(rate)):
            second = int(normal(TIME_OF_DAY_MEAN, TIME_OF_DAY_STD))
            if not 0 < second < SECONDS_PER_DAY:
                continue  # dropped, not redrawn
            amount = normal(mean, std)
            if amount < 0:
                amount = uniform(0, mean * 2)
            if terminals:
                out.customer.append(customer)
                out.terminal.append(choose(terminals))
                out.amount.append(amount)
                out.seconds.append(second + day * SECONDS_PER_DAY)
                out.day.append(day)


def _generate_transactions(
    config: SimulationConfig, profiles: Profiles, progress: Progress
) -> dict[str, Any]:
    out = _Columns()
    step = max(1, config.customers // 100)
    for customer in range(config.customers):
        _customer_transactions(config, profiles, customer, out)
        if customer % step == 0:
            progress("transactions", customer / config.customers)
    seconds = np.frombuffer(out.seconds, dtype=np.int64)
    # Chronological; transactions in the same second keep customer order (the notebook's
    # quicksort leaves their order to the sort implementation).
    order = np.argsort(seconds, kind="stable")
    return {
        "CUSTOMER_ID": np.frombuffer(out.customer, dtype=np.int64)[order],
        "TERMINAL_ID": np.frombuffer(out.terminal, dtype=np.int64)[order],
        "TX_AMOUNT": np.round(np.frombuffer(out.amount, dtype=np.float64)[order], 2),
        "TX_TIME_SECONDS": seconds[order],
        "TX_TIME_DAYS": np.frombuffer(out.day, dtype=np.int64)[order],
    }


def _group_index(keys: IntArray, size: int) -> tuple[IntArray, IntArray]:
    """Rows grouped by key: ``(order, offsets)`` so group ``k`` is ``order[offsets[k]:offsets[k+1]]``."""
    order = np.argsort(keys, kind="stable")
    offsets = np.zeros(size + 1, dtype=np.int64)
    offsets[1:] = np.cumsum(np.bincount(keys, minlength=size))
    return order, offsets


def _sample_ids(seed: int, day: int, population: int, k: int) -> IntArray:
    """``Series.sample(n=k, random_state=day)`` over ids ``0..population-1`` (pandas draws
    ``RandomState(day).choice(population, k, replace=False)``, a permutation's first k)."""
    numbers, _ = _seeded(seed, day)
    return numbers.permutation(population)[:k]


def _rows_on_days(rows: IntArray, days: IntArray, first: int, length: int) -> IntArray:
    return rows[(days[rows] >= first) & (days[rows] < first + length)]


def _add_frauds(
    config: SimulationConfig, columns: dict[str, Any], progress: Progress
) -> tuple[IntArray, IntArray, dict[str, int]]:
    """The notebook's ``add_frauds``: scenario 1, then 2 over every day, then 3 over every day."""
    amount: FloatArray = columns["TX_AMOUNT"]
    days: IntArray = columns["TX_TIME_DAYS"]
    n = len(amount)
    fraud = np.zeros(n, dtype=np.int64)
    scenario = np.zeros(n, dtype=np.int64)
    high = amount > SCENARIO1_AMOUNT
    fraud[high] = 1
    scenario[high] = 1
    logged = {"scenario_1": int(fraud.sum()), "scenario_2": 0, "scenario_3": 0}
    if n == 0:
        return fraud, scenario, logged
    by_terminal, terminal_offsets = _group_index(columns["TERMINAL_ID"], config.terminals)
    by_customer, customer_offsets = _group_index(columns["CUSTOMER_ID"], config.customers)
    last_day = int(days.max())
    n_terminals = min(SCENARIO2_TERMINALS_PER_DAY, config.terminals)
    n_customers = min(SCENARIO3_CUSTOMERS_PER_DAY, config.customers)
    steps = max(1, 2 * last_day)
    for day in range(last_day):
        for terminal in _sample_ids(config.seed, day, config.terminals, n_terminals):
            rows = by_terminal[terminal_offsets[terminal] : terminal_offsets[terminal + 1]]
            rows = _rows_on_days(rows, days, day, SCENARIO2_DAYS)
            fraud[rows] = 1
            scenario[rows] = 2
        progress("frauds", (day + 1) / steps)
    logged["scenario_2"] = int(fraud.sum()) - logged["scenario_1"]
    for day in range(last_day):
        pooled = [
            by_customer[customer_offsets[c] : customer_offsets[c + 1]]
            for c in _sample_ids(config.seed, day, config.customers, n_customers)
        ]
        rows = _rows_on_days(np.sort(np.concatenate(pooled)), days, day, SCENARIO3_DAYS)
        _, choices = _seeded(config.seed, day)
        picked = np.array(
            choices.sample(rows.tolist(), k=len(rows) // SCENARIO3_FRACTION_DIVISOR),
            dtype=np.int64,
        )
        amount[picked] = amount[picked] * SCENARIO3_AMOUNT_FACTOR
        fraud[picked] = 1
        scenario[picked] = 3
        progress("frauds", (last_day + day + 1) / steps)
    logged["scenario_3"] = int(fraud.sum()) - logged["scenario_1"] - logged["scenario_2"]
    progress("frauds", 1.0)
    return fraud, scenario, logged


def simulate(
    config: SimulationConfig, progress: Progress | None = None
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Generate the transactions table and summary statistics for ``config``."""
    config.validate()
    report = progress or _noop
    report("profiles", 0.0)
    profiles = generate_profiles(config)
    report("profiles", 1.0)
    report("transactions", 0.0)
    columns = _generate_transactions(config, profiles, report)
    report("transactions", 1.0)
    fraud, scenario, logged = _add_frauds(config, columns, report)
    n = len(fraud)
    start = pd.Timestamp(config.start)
    frame = pd.DataFrame(
        {
            "TRANSACTION_ID": np.arange(n, dtype=np.int64),
            "TX_DATETIME": start + pd.to_timedelta(columns["TX_TIME_SECONDS"], unit="s"),
            "CUSTOMER_ID": columns["CUSTOMER_ID"],
            "TERMINAL_ID": columns["TERMINAL_ID"],
            "TX_AMOUNT": columns["TX_AMOUNT"],
            "TX_TIME_SECONDS": columns["TX_TIME_SECONDS"],
            "TX_TIME_DAYS": columns["TX_TIME_DAYS"],
            "TX_FRAUD": fraud,
            "TX_FRAUD_SCENARIO": scenario,
        }
    )
    frame["TX_DATETIME"] = frame["TX_DATETIME"].astype("datetime64[ns]")
    return frame, summarize(frame, config, profiles, logged)


def summarize(
    frame: pd.DataFrame,
    config: SimulationConfig,
    profiles: Profiles,
    logged: dict[str, int],
) -> dict[str, Any]:
    """Summary statistics of a simulated table (printed by the CLI)."""
    n = len(frame)
    frauds = int(frame["TX_FRAUD"].sum())
    per_day = frame.groupby("TX_TIME_DAYS").size().reindex(range(config.days), fill_value=0)
    fraud_rows = frame[frame["TX_FRAUD"] == 1]
    cards_per_day = fraud_rows.groupby("TX_TIME_DAYS")["CUSTOMER_ID"].nunique()
    cards_per_day = cards_per_day.reindex(range(config.days), fill_value=0)
    tags = frame["TX_FRAUD_SCENARIO"].value_counts()
    available = profiles.available_counts
    return {
        "transactions": n,
        "frauds": frauds,
        "fraud_rate": frauds / n if n else 0.0,
        "customers": config.customers,
        "active_customers": int(frame["CUSTOMER_ID"].nunique()),
        "terminals": config.terminals,
        "days": config.days,
        "start": config.start.isoformat(),
        "seed": config.seed,
        "transactions_per_day": {
            "mean": float(per_day.mean()),
            "min": int(per_day.min()),
            "max": int(per_day.max()),
        },
        "frauds_per_day": frauds / config.days,
        "compromised_cards_per_day": float(cards_per_day.mean()),
        "frauds_by_scenario": {str(k): int(tags.get(k, 0)) for k in (1, 2, 3)},
        "frauds_logged_by_scenario": logged,
        "available_terminals_per_customer": {
            "mean": float(available.mean()),
            "min": int(available.min()),
            "max": int(available.max()),
        },
        "mean_amount": float(frame["TX_AMOUNT"].mean()) if n else 0.0,
    }
