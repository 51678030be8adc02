"""Reading chat messages as a person's app shows them: a text, or a template's text and
buttons (payments and fraud alerts are button templates)."""

from __future__ import annotations

from typing import Any


def text_of(message: dict[str, Any]) -> str:
    """The message's text: its own, or its template's."""
    if message.get("text"):
        return str(message["text"])
    payload = (message.get("attachment") or {}).get("payload") or {}
    return str(payload.get("text") or "")


def buttons_of(message: dict[str, Any]) -> list[dict[str, Any]]:
    payload = (message.get("attachment") or {}).get("payload") or {}
    return list(payload.get("buttons") or [])


def summary_of(message: dict[str, Any]) -> dict[str, Any]:
    payload = (message.get("attachment") or {}).get("payload") or {}
    return dict(payload.get("summary") or {})


def answer_button(alert: dict[str, Any], verdict: str) -> dict[str, Any]:
    """An alert's button: ``genuine`` ("Yes, it was me") or ``fraud`` ("No, it wasn't me")."""
    return next(b for b in buttons_of(alert) if str(b.get("payload", "")).endswith(f":{verdict}"))


def press(button: dict[str, Any]) -> dict[str, Any]:
    """The person API's body for pressing a postback button."""
    return {"postback": {"title": button["title"], "payload": button["payload"]}}


def is_alert(message: dict[str, Any]) -> bool:
    return summary_of(message).get("kind") == "fraud_alert"
