"""Wire shapes built from stored messages: the client API's message and webhook items."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ledgerline.storage.stores.threads import MessageRow


def iso_time(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).isoformat(timespec="milliseconds")


def client_message(row: MessageRow) -> dict[str, Any]:
    """``{"mid","seq","from","text"?,"quick_replies"?,"attachment"?,"agent"?,"persona"?,
    "state"?,"created_time"}`` (``seq``: the message's number in its thread, 1, 2, 3, ... in
    commit order, what a client refills after; ``agent``: ``{"name"}`` when a human agent
    wrote it from the inbox; ``persona``: ``{"id","name"}`` when the bank sent it under a
    persona; ``state``: what became of a question the platform asked, see ``chat.state``;
    ``notice``: ``{"kind", ...}`` when the platform itself says something about the thread,
    e.g. ``agent_left``)."""
    out: dict[str, Any] = {"mid": row.mid, "seq": row.thread_seq, "from": row.sender}
    keys = ("text", "quick_replies", "attachment", "attachments", "quick_reply", "postback")
    for key in (*keys, "agent", "persona", "state", "notice", "update"):
        if key in row.body:
            out[key] = row.body[key]
    out["created_time"] = iso_time(row.created_at)
    return out


def webhook_item(*, psid: str, page_id: str, timestamp: int, **event: Any) -> dict[str, Any]:
    """One item of ``entry[].messaging[]``."""
    return {"sender": {"id": psid}, "recipient": {"id": page_id}, "timestamp": timestamp, **event}


def echo_message(row: MessageRow, *, app_id: str) -> dict[str, Any]:
    """The ``message`` of a ``message_echoes`` event, as Messenger sends it: ``is_echo``, the
    sending app's id (a number), the developer's ``metadata``, the ``mid`` and the content
    (``text``, or the attachment as ``attachments``)."""
    echo: dict[str, Any] = {"is_echo": True, "app_id": int(app_id) if app_id.isdigit() else app_id}
    if "metadata" in row.body:
        echo["metadata"] = row.body["metadata"]
    echo["mid"] = row.mid
    if "text" in row.body:
        echo["text"] = row.body["text"]
    if "attachment" in row.body:
        echo["attachments"] = [row.body["attachment"]]
    return echo
