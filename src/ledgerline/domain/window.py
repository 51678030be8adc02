"""Messenger's standard messaging window and message tags, as pure rules."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

STANDARD_WINDOW = timedelta(hours=24)
HUMAN_AGENT_WINDOW = timedelta(days=7)


class MessagingType(StrEnum):
    RESPONSE = "RESPONSE"
    UPDATE = "UPDATE"
    MESSAGE_TAG = "MESSAGE_TAG"


class MessageTag(StrEnum):
    ACCOUNT_UPDATE = "ACCOUNT_UPDATE"
    CONFIRMED_EVENT_UPDATE = "CONFIRMED_EVENT_UPDATE"
    POST_PURCHASE_UPDATE = "POST_PURCHASE_UPDATE"
    HUMAN_AGENT = "HUMAN_AGENT"
    CUSTOMER_FEEDBACK = "CUSTOMER_FEEDBACK"


# Tags retired in 2020 that aggregators still send; Messenger mapped them like this.
LEGACY_TAGS: dict[str, MessageTag] = {
    "PERSONAL_FINANCE_UPDATE": MessageTag.ACCOUNT_UPDATE,
    "ISSUE_RESOLUTION": MessageTag.ACCOUNT_UPDATE,
    "PAYMENT_UPDATE": MessageTag.POST_PURCHASE_UPDATE,
}

_TAG_WINDOWS: dict[MessageTag, timedelta | None] = {
    MessageTag.ACCOUNT_UPDATE: None,
    MessageTag.CONFIRMED_EVENT_UPDATE: None,
    MessageTag.POST_PURCHASE_UPDATE: None,
    MessageTag.HUMAN_AGENT: HUMAN_AGENT_WINDOW,
    MessageTag.CUSTOMER_FEEDBACK: HUMAN_AGENT_WINDOW,
}


def may_send(
    *,
    messaging_type: MessagingType,
    tag: MessageTag | None,
    last_user_message_at: datetime | None,
    now: datetime,
) -> bool:
    """Whether a page may message a person now, under Messenger's policy.

    Inside 24 h of the person's last message anything goes; after that only a tag whose own
    window (none, or 7 days for HUMAN_AGENT and CUSTOMER_FEEDBACK) still covers it.
    """
    since = None if last_user_message_at is None else now - last_user_message_at
    in_standard = since is not None and since <= STANDARD_WINDOW
    if messaging_type is not MessagingType.MESSAGE_TAG or tag is None:
        return in_standard
    tag_window = _TAG_WINDOWS[tag]
    if tag_window is None:
        return True
    return since is not None and since <= tag_window


def may_reply_as_human_agent(*, last_user_message_at: datetime | None, now: datetime) -> bool:
    """A human agent's reply (the inbox, or a bank's ``HUMAN_AGENT`` tag): up to 7 days
    after the person's last message, whatever the 24-hour window says."""
    return may_send(
        messaging_type=MessagingType.MESSAGE_TAG,
        tag=MessageTag.HUMAN_AGENT,
        last_user_message_at=last_user_message_at,
        now=now,
    )
