"""A card number a person types in chat is masked before anything keeps or sends it: the
stored message, the thread the person sees, the bank's webhook, the database (issue 17)."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from tests.support.inprocess import in_process_server
from tests.support.receiver import WebhookReceiver

PAN = "4111111111111111"
TYPED = "Thẻ của tôi 4111 1111 1111 1111 12/28 123 bị trừ tiền 2 lần"


def test_a_pan_typed_in_chat_is_masked_everywhere(database_url: str, tmp_path: Path) -> None:
    with in_process_server(database_url, tmp_path) as live:
        receiver = live.receiver(WebhookReceiver())
        bank = live.create_business(webhook_url=receiver.url)
        receiver.receiver.app_secret = bank["app_secret"]
        user = live.create_user()
        auth = {"Authorization": f"Bearer {user['access_token']}"}
        with live.client() as http:
            sent = http.post(
                f"/api/v1/threads/{bank['page_id']}/messages", json={"text": TYPED}, headers=auth
            )
            assert sent.status_code == 201, sent.text
            shown = http.get(f"/api/v1/threads/{bank['page_id']}/messages", headers=auth)
        (event,) = receiver.receiver.wait_for_events(1)
        (message,) = shown.json()["data"]
        expected = "Thẻ của tôi •••• •••• •••• 1111 ••/•• ••• bị trừ tiền 2 lần"
        assert message["text"] == expected
        assert event["message"]["text"] == expected
        dump = live.platform.db.read_sync(_every_text)
    assert dump, "the database dump should hold the masked message"
    for digits in (PAN, "4111 1111 1111 1111", "12/28 123"):
        assert digits not in dump


def _every_text(conn: sa.Connection) -> str:
    """Every text and blob value of every table, as one string."""
    parts: list[str] = []
    metadata = sa.MetaData()
    metadata.reflect(bind=conn)
    for table in metadata.sorted_tables:
        for row in conn.execute(sa.select(table)):
            for value in row:
                if isinstance(value, bytes):
                    parts.append(value.decode("utf-8", "replace"))
                elif value is not None:
                    parts.append(str(value))
    return "\n".join(parts)
