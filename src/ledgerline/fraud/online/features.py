"""What the fraud features are: their names, windows and the arithmetic both paths share.

``ledgerline.fraud.offline.features`` computes them offline (vectorised, pandas) and
``ledgerline.fraud.online.state`` online (incrementally); the meaning of each feature is documented
there. This module needs nothing but the standard library, so the serving path (model file,
online state, scoring) never imports pandas.
"""

from __future__ import annotations

import math

SECONDS_PER_DAY = 86_400
DELAY_DAYS = 7
CUSTOMER_WINDOWS = (1, 7, 30)
TERMINAL_WINDOWS = (1, 7, 30)
LIVE_WINDOWS = (1, 7)
HISTORY_DAYS = 30
NO_PREVIOUS_SECONDS = float(HISTORY_DAYS * SECONDS_PER_DAY)
LAG_DAYS = 14
HIGH_RATIO = 2.5
SECONDS_PER_HOUR = 3600
HOURS_PER_DAY = 24

BASELINE_FEATURES: tuple[str, ...] = (
    "TX_AMOUNT",
    "TX_DURING_WEEKEND",
    "TX_DURING_NIGHT",
    *(f"CUSTOMER_ID_NB_TX_{n}DAY_WINDOW" for n in CUSTOMER_WINDOWS),
    *(f"CUSTOMER_ID_AVG_AMOUNT_{n}DAY_WINDOW" for n in CUSTOMER_WINDOWS),
    *(f"TERMINAL_ID_NB_TX_{n}DAY_WINDOW" for n in TERMINAL_WINDOWS),
    *(f"TERMINAL_ID_RISK_{n}DAY_WINDOW" for n in TERMINAL_WINDOWS),
)
EXTRA_FEATURES: tuple[str, ...] = (
    "CUSTOMER_AMOUNT_RATIO_7DAY",
    "CUSTOMER_AMOUNT_RATIO_30DAY",
    "CUSTOMER_AMOUNT_ZSCORE_30DAY",
    "CUSTOMER_SECONDS_SINCE_PREV",
    "CUSTOMER_AMOUNT_RATIO_LAGGED",
    "CUSTOMER_AMOUNT_ZSCORE_LAGGED",
    "CUSTOMER_NB_HIGH_RATIO_7DAY",
    *(f"TERMINAL_NB_TX_LIVE_{n}DAY" for n in LIVE_WINDOWS),
    "TERMINAL_FIRST_KNOWN_FRAUD_AGE_DAYS",
    "TERMINAL_LAST_KNOWN_FRAUD_AGE_DAYS",
    "TERMINAL_NB_TX_SINCE_LAST_KNOWN_FRAUD",
    "TERMINAL_NB_KNOWN_FRAUDS_30DAY",
    "TERMINAL_RISK_SINCE_FIRST_KNOWN_FRAUD",
)
ALL_FEATURES: tuple[str, ...] = BASELINE_FEATURES + EXTRA_FEATURES

# Chat-speed labels: "Not me" reports from other card holders at the same terminal, usable
# as soon as they arrive (docs/fraud-model.md, "Chat-speed labels"). A model has them only
# when it was trained with reports (``fraud train --report-rate P`` with P > 0).
REPORT_WINDOW_HOURS = (1, 24, 168)
NO_REPORT_SECONDS = float(max(REPORT_WINDOW_HOURS) * SECONDS_PER_HOUR)
# Counts stop at this many reporting cards (a terminal's online state keeps one more).
MAX_REPORTING_CARDS = 64
REPORT_FEATURES: tuple[str, ...] = (
    *(f"TERMINAL_REPORTING_CARDS_{h}H" for h in REPORT_WINDOW_HOURS),
    "TERMINAL_SECONDS_SINCE_REPORT",
    "TERMINAL_REPORTING_CARDS_PER_TX_168H",
)
KNOWN_FEATURES: tuple[str, ...] = ALL_FEATURES + REPORT_FEATURES


def reporting_cards_per_tx(cards: float, volume: float) -> float:
    """Reporting cards over the terminal's live 7-day volume (shared by both paths)."""
    return cards / max(volume, 1.0)


def to_cents(amount: float) -> int:
    """The integer-cent value windows add up (online path)."""
    return round(amount * 100)


def amount_zscore(amount: float, prev_count: int, prev_sum: int, prev_sumsq: int) -> float:
    """Z-score of ``amount`` against previous cents sums (shared by both paths)."""
    if prev_count < 2:
        return 0.0
    mean = prev_sum / prev_count
    variance = prev_sumsq / prev_count - mean * mean
    std = math.sqrt(variance) if variance > 0 else 0.0
    return (amount * 100 - mean) / (std + 100.0)
