"""The messaging windows: the 24-hour standard window and the HUMAN_AGENT tag's seven days."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ledgerline.domain.window import may_reply_as_human_agent

NOW = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)


def test_human_agent_replies_last_seven_days_after_the_persons_message() -> None:
    assert may_reply_as_human_agent(last_user_message_at=NOW - timedelta(days=6), now=NOW)
    assert may_reply_as_human_agent(last_user_message_at=NOW - timedelta(days=7), now=NOW)
    assert not may_reply_as_human_agent(
        last_user_message_at=NOW - timedelta(days=7, seconds=1), now=NOW
    )
    assert not may_reply_as_human_agent(last_user_message_at=None, now=NOW)
