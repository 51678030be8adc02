"""The agent inbox's metrics: per agent and per day."""

from __future__ import annotations

from ledgerline.customer_service import metrics
from ledgerline.storage.stores.inbox import ConversationRow

DAY = 24 * 3600 * 1000


def _conversation(cid: int, **values: object) -> ConversationRow:
    base: dict[str, object] = {
        "conversation_id": cid,
        "page_id": "p",
        "thread_id": cid,
        "user_id": f"u{cid}",
        "status": "closed",
        "opened_at": 0,
        "waiting_since": None,
        "agent_id": None,
        "assigned_at": None,
        "first_response_at": None,
        "closed_at": None,
        "close_reason": None,
        "handover_metadata": None,
        "requested_by": None,
        "satisfaction": None,
        "satisfaction_at": None,
    }
    base.update(values)
    return ConversationRow(**base)  # type: ignore[arg-type]


def test_metrics_per_agent_and_per_day() -> None:
    rows = [
        _conversation(
            1,
            agent_id="a1",
            first_response_at=60_000,
            closed_at=600_000,
            close_reason="resolved",
            satisfaction=5,
        ),
        _conversation(
            2,
            agent_id="a1",
            first_response_at=120_000,
            closed_at=300_000,
            close_reason="resolved",
            satisfaction=3,
        ),
        _conversation(3, agent_id="a2", opened_at=DAY, closed_at=DAY + 5, close_reason="taken"),
        _conversation(4, opened_at=DAY, status="waiting"),
    ]
    result = metrics.compute(rows, {"a1": "Lan", "a2": "Minh"})
    lan, minh = result["agents"]
    assert lan == {
        "agent_id": "a1",
        "name": "Lan",
        "conversations": 2,
        "answered": 2,
        "resolved": 2,
        "first_response_seconds": 90.0,
        "resolution_seconds": 450.0,
        "satisfaction": 4,
        "satisfaction_answers": 2,
    }
    assert minh["resolved"] == 0  # taken by the bank: not a resolution
    assert minh["first_response_seconds"] is None
    assert [d["day"] for d in result["days"]] == ["1970-01-01", "1970-01-02"]
    assert [d["conversations"] for d in result["days"]] == [2, 2]
    assert result["total"]["conversations"] == 4
