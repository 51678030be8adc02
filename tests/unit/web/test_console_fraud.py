"""The console's alerts chart: UTC days, stacked by verdict and reports, scaled to the
busiest day; counts kept for people who unlinked add to their day."""

from __future__ import annotations

import datetime as dt

from ledgerline.web.console_fraud import CHART_DAYS, alert_chart


def ms(day: int, hour: int = 12) -> int:
    return int(dt.datetime(2026, 11, day, hour, tzinfo=dt.UTC).timestamp() * 1000)


def test_alerts_are_counted_per_utc_day_by_verdict() -> None:
    outcomes = [
        (ms(28), "fraud", 1),
        (ms(28, 23), "genuine", 1),
        (ms(29, 1), "unanswered", 1),
        (ms(29, 2), "unanswered", 1),
        (ms(29, 3), "fraud", 1),
        (ms(1), "fraud", 1),  # the chart's second day (it starts on 10-31)
        (int(dt.datetime(2026, 10, 30, tzinfo=dt.UTC).timestamp() * 1000), "fraud", 1),  # old
    ]
    chart = alert_chart(outcomes, dt.date(2026, 11, 29))
    assert len(chart.days) == CHART_DAYS
    assert chart.days[0].label == "2026-10-31"
    assert chart.days[-1].label == "2026-11-29"
    assert chart.days[-1].counts == {"fraud": 1, "reported": 0, "genuine": 0, "unanswered": 2}
    assert chart.days[-2].counts == {"fraud": 1, "reported": 0, "genuine": 1, "unanswered": 0}
    assert chart.days[1].counts["fraud"] == 1
    assert chart.totals == {"fraud": 3, "reported": 0, "genuine": 1, "unanswered": 2}
    assert chart.peak == 3
    busiest = chart.days[-1].bars
    assert [b.series for b in busiest] == ["fraud", "unanswered"]
    assert sum(b.height for b in busiest) == chart.bottom - 8  # the full plot height
    assert busiest[1].y + busiest[1].height == busiest[0].y  # stacked, no gap


def test_an_empty_chart_has_no_bars() -> None:
    chart = alert_chart([], dt.date(2026, 11, 29))
    assert chart.peak == 1
    assert all(not day.bars for day in chart.days)


def test_reports_and_kept_counts_of_people_who_unlinked_add_up() -> None:
    day = ms(29, 0)  # a kept count is dated at the start of its UTC day
    outcomes = [(ms(29, 5), "reported", 1), (day, "reported", 2), (day, "fraud", 4)]
    chart = alert_chart(outcomes, dt.date(2026, 11, 29))
    assert chart.days[-1].counts == {"fraud": 4, "reported": 3, "genuine": 0, "unanswered": 0}
    assert [b.series for b in chart.days[-1].bars] == ["fraud", "reported"]
    assert chart.peak == 7
