"""The bank console's fraud section: the business's alert policy (a threshold, an alert budget
or a minimum precision), what it means on the model's validation data, and a chart of the
alerts and the people's verdicts per day (server-rendered SVG, no script)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from ledgerline.audit import AuditLog
from ledgerline.domain.clock import to_ms
from ledgerline.fraud.errors import FraudInputError
from ledgerline.fraud.online.budget import NEVER_ALERT, expected_at
from ledgerline.fraud.online.scoring import (
    POLICY_KINDS,
    FraudEngine,
    do_set_fraud_policy,
    policy_parts,
)
from ledgerline.language.formatter import Formatter
from ledgerline.storage.database import Database
from ledgerline.storage.stores import fraud as fraud_store
from ledgerline.web.config import WebConfig

CHART_DAYS = 30
DAY_MS = 86_400_000
# Chart geometry (SVG user units).
WIDTH, HEIGHT, LEFT, RIGHT, BOTTOM, TOP = 640, 200, 32, 20, 22, 8
SERIES = ("fraud", "reported", "genuine", "unanswered")


@dataclass(frozen=True, slots=True)
class Bar:
    series: str
    x: float
    y: float
    width: float
    height: float
    count: int


@dataclass(frozen=True, slots=True)
class Day:
    label: str  # YYYY-MM-DD (UTC)
    counts: dict[str, int]
    bars: list[Bar]
    x: float
    center: float
    tick: bool  # labelled on the axis (every 7th day, counting back from today)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True, slots=True)
class Chart:
    days: list[Day]
    peak: int
    totals: dict[str, int]
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    bottom: int = HEIGHT - BOTTOM


def alert_chart(outcomes: list[tuple[int, str, int]], today: dt.date) -> Chart:
    """Stacked bars of the last ``CHART_DAYS`` UTC days of ``(time, series, count)``: alerts
    answered "not me" (fraud), "Not me" reports on payments (reported), alerts answered
    "it was me" (genuine), and unanswered alerts."""
    first = today - dt.timedelta(days=CHART_DAYS - 1)
    per_day: dict[dt.date, dict[str, int]] = {
        first + dt.timedelta(days=i): dict.fromkeys(SERIES, 0) for i in range(CHART_DAYS)
    }
    for at, series, count in outcomes:
        day = dt.datetime.fromtimestamp(at / 1000, tz=dt.UTC).date()
        if day in per_day and series in SERIES:
            per_day[day][series] += count
    peak = max([sum(c.values()) for c in per_day.values()] + [1])
    plot_height = HEIGHT - BOTTOM - TOP
    slot = (WIDTH - LEFT - RIGHT) / CHART_DAYS
    days = []
    for i, (day, counts) in enumerate(sorted(per_day.items())):
        x = LEFT + i * slot + slot * 0.15
        base = float(HEIGHT - BOTTOM)
        bars = []
        for series in SERIES:
            if counts[series]:
                h = counts[series] / peak * plot_height
                base -= h
                bars.append(Bar(series, x, base, slot * 0.7, h, counts[series]))
        tick = (CHART_DAYS - 1 - i) % 7 == 0
        days.append(Day(day.isoformat(), counts, bars, x, LEFT + (i + 0.5) * slot, tick))
    totals = {s: sum(d.counts[s] for d in days) for s in SERIES}
    return Chart(days=days, peak=peak, totals=totals)


async def fraud_panel(
    db: Database, engine: FraudEngine | None, page_id: str, now_ms: int, *, locale: str
) -> dict[str, Any]:
    """What the console's fraud section shows for ``page_id``, its numbers written the
    ``locale``'s way (``0,8`` in vi, as its texts are)."""
    row = await db.read(fraud_store.get_policy, page_id)
    outcomes = await db.read(fraud_store.alert_outcomes, page_id, now_ms - CHART_DAYS * DAY_MS)
    today = dt.datetime.fromtimestamp(now_ms / 1000, tz=dt.UTC).date()
    panel: dict[str, Any] = {
        "kinds": POLICY_KINDS,
        "chart": alert_chart(list(outcomes), today),
        "enabled": engine is not None,
        "custom": row is not None,
    }
    if engine is None:
        return panel
    if row is not None:
        kind, value = row.policy, row.value
        policy = engine.policy_of_row(kind, value)
    else:
        policy = engine.default_policy
        kind, value = policy_parts(policy)
    threshold = engine.threshold(policy)
    per_thousand, precision = expected_at(engine.model.curve, threshold)
    fmt = Formatter.for_person(locale, None)
    panel.update(
        kind=kind,
        value=fmt.number(value, grouped=False),
        threshold=None if threshold == NEVER_ALERT else fmt.number(threshold, places=4),
        expected_per_thousand=fmt.number(per_thousand, places=1),
        expected_precision=None if precision is None else fmt.percent(precision),
        model=engine.source,
        trained_until=engine.model.training.get("until", "?"),
    )
    return panel


async def save_fraud_policy(config: WebConfig, page_id: str, kind: str, raw: str) -> str | None:
    """Store the posted policy; the catalogue key of the error to show, or None when saved."""
    if kind not in POLICY_KINDS:
        return "fraud_error_kind"
    try:
        value = float(raw.strip().replace(",", "."))
    except ValueError:
        return "fraud_error_value"
    try:
        await config.db.write(
            do_set_fraud_policy,
            audit=AuditLog(config.clock),
            page_id=page_id,
            kind=kind,
            value=value,
            now=to_ms(config.clock.now()),
        )
    except FraudInputError:
        return f"fraud_error_{kind}"
    return None
