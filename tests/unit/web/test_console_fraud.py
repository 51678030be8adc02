"""The console's alerts chart: UTC days, stacked by verdict, scaled to the busiest day."""

from __future__ import annotations

import datetime as dt

from ledgerline.web.console_fraud import CHART_DAYS, alert_chart


def ms(day: int, hour: int = 12) -> int:
    return int(dt.datetime(2026, 11, day, hour, tzinfo=dt.UTC).timestamp() * 1000)


def test_alerts_are_counted_per_utc_day_by_verdict() -> None:
    outcomes = [
        (ms(28), "fraud"),
        (ms(28, 23), "genuine"),
        (ms(29, 1), None),
        (ms(29, 2), None),
        (ms(29, 3), "fraud"),
        (ms(1), "fraud"),  # the chart's second day (it starts on 10-31)
        (int(dt.datetime(2026, 10, 30, tzinfo=dt.UTC).timestamp() * 1000), "fraud"),  # too old
    ]
    chart = alert_chart(outcomes, dt.date(2026, 11, 29))
    assert len(chart.days) == CHART_DAYS
    assert chart.days[0].label == "2026-10-31"
    assert chart.days[-1].label == "2026-11-29"
    assert chart.days[-1].counts == {"fraud": 1, "genuine": 0, "unanswered": 2}
    assert chart.days[-2].counts == {"fraud": 1, "genuine": 1, "unanswered": 0}
    assert chart.days[1].counts["fraud"] == 1
    assert chart.totals == {"fraud": 3, "genuine": 1, "unanswered": 2}
    assert chart.peak == 3
    busiest = chart.days[-1].bars
    assert [b.series for b in busiest] == ["fraud", "unanswered"]
    assert sum(b.height for b in busiest) == chart.bottom - 8  # the full plot height
    assert busiest[1].y + busiest[1].height == busiest[0].y  # stacked, no gap


def test_an_empty_chart_has_no_bars() -> None:
    chart = alert_chart([], dt.date(2026, 11, 29))
    assert chart.peak == 1
    assert all(not day.bars for day in chart.days)
