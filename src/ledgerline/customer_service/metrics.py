"""Inbox metrics, computed from conversations: first-response and resolution times and
satisfaction, per agent and per day (UTC). Pure: no I/O."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime
from statistics import mean
from typing import Any

from ledgerline.storage.stores.inbox import ConversationRow


def _seconds(values: list[int]) -> float | None:
    return None if not values else round(mean(values) / 1000, 1)


def _summary(rows: list[ConversationRow]) -> dict[str, Any]:
    first = [r.first_response_at - r.opened_at for r in rows if r.first_response_at is not None]
    resolved = [
        r.closed_at - r.opened_at
        for r in rows
        if r.closed_at is not None and r.close_reason == "resolved"
    ]
    scores = [r.satisfaction for r in rows if r.satisfaction is not None]
    return {
        "conversations": len(rows),
        "answered": len(first),
        "resolved": len(resolved),
        "first_response_seconds": _seconds(first),
        "resolution_seconds": _seconds(resolved),
        "satisfaction": None if not scores else round(mean(scores), 2),
        "satisfaction_answers": len(scores),
    }


def compute(rows: Iterable[ConversationRow], agent_names: dict[str, str]) -> dict[str, Any]:
    """``{"total", "agents": [{agent_id, name, …}], "days": [{day, …}]}``, each with the
    counts, the mean first-response and resolution times (seconds) and mean satisfaction."""
    rows = list(rows)
    by_agent: dict[str, list[ConversationRow]] = defaultdict(list)
    by_day: dict[str, list[ConversationRow]] = defaultdict(list)
    for row in rows:
        if row.agent_id is not None:
            by_agent[row.agent_id].append(row)
        day = datetime.fromtimestamp(row.opened_at / 1000, tz=UTC).date().isoformat()
        by_day[day].append(row)
    return {
        "total": _summary(rows),
        "agents": [
            {"agent_id": agent_id, "name": agent_names.get(agent_id, agent_id), **_summary(items)}
            for agent_id, items in sorted(
                by_agent.items(), key=lambda kv: agent_names.get(kv[0], kv[0])
            )
        ],
        "days": [{"day": day, **_summary(items)} for day, items in sorted(by_day.items())],
    }
