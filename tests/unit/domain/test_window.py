"""The messaging windows: the 24-hour standard window and the HUMAN_AGENT tag's seven days."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ledgerline.domain.window import (
    HUMAN_AGENT_WINDOW,
    LEGACY_TAGS,
    STANDARD_WINDOW,
    MessageTag,
    MessagingType,
    may_reply_as_human_agent,
    may_send,
)

NOW = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)


def test_human_agent_replies_last_seven_days_after_the_persons_message() -> None:
    assert may_reply_as_human_agent(last_user_message_at=NOW - timedelta(days=6), now=NOW)
    assert may_reply_as_human_agent(last_user_message_at=NOW - timedelta(days=7), now=NOW)
    assert not may_reply_as_human_agent(
        last_user_message_at=NOW - timedelta(days=7, seconds=1), now=NOW
    )
    assert not may_reply_as_human_agent(last_user_message_at=None, now=NOW)


HOUR = timedelta(hours=1)


@pytest.mark.parametrize("messaging_type", [MessagingType.RESPONSE, MessagingType.UPDATE])
def test_without_a_tag_only_the_24_hour_window_counts(messaging_type: MessagingType) -> None:
    def may(ago: timedelta | None) -> bool:
        last = None if ago is None else NOW - ago
        return may_send(messaging_type=messaging_type, tag=None, last_user_message_at=last, now=NOW)

    assert may(timedelta(0))
    assert may(24 * HOUR)
    assert not may(24 * HOUR + timedelta(seconds=1))
    assert not may(None)  # the person never wrote


def test_a_tag_is_ignored_unless_the_type_is_message_tag() -> None:
    assert not may_send(
        messaging_type=MessagingType.UPDATE,
        tag=MessageTag.ACCOUNT_UPDATE,
        last_user_message_at=NOW - 25 * HOUR,
        now=NOW,
    )
    assert not may_send(
        messaging_type=MessagingType.MESSAGE_TAG,
        tag=None,
        last_user_message_at=NOW - 25 * HOUR,
        now=NOW,
    )


@pytest.mark.parametrize(
    "tag",
    [MessageTag.ACCOUNT_UPDATE, MessageTag.CONFIRMED_EVENT_UPDATE, MessageTag.POST_PURCHASE_UPDATE],
)
def test_update_tags_have_no_window(tag: MessageTag) -> None:
    for last in (None, NOW - timedelta(days=365)):
        assert may_send(
            messaging_type=MessagingType.MESSAGE_TAG, tag=tag, last_user_message_at=last, now=NOW
        )


@pytest.mark.parametrize("tag", [MessageTag.HUMAN_AGENT, MessageTag.CUSTOMER_FEEDBACK])
def test_agent_and_feedback_tags_last_seven_days(tag: MessageTag) -> None:
    def may(last: datetime | None) -> bool:
        return may_send(
            messaging_type=MessagingType.MESSAGE_TAG, tag=tag, last_user_message_at=last, now=NOW
        )

    assert may(NOW - timedelta(days=7))
    assert not may(NOW - timedelta(days=7, seconds=1))
    assert not may(None)


def test_retired_tags_map_as_messenger_mapped_them() -> None:
    assert LEGACY_TAGS == {
        "PERSONAL_FINANCE_UPDATE": MessageTag.ACCOUNT_UPDATE,
        "ISSUE_RESOLUTION": MessageTag.ACCOUNT_UPDATE,
        "PAYMENT_UPDATE": MessageTag.POST_PURCHASE_UPDATE,
    }
    assert STANDARD_WINDOW == 24 * HOUR
    assert timedelta(days=7) == HUMAN_AGENT_WINDOW
