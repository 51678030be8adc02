"""ampalibe 1.1.9, unchanged: its ``Messenger`` client (sends, templates, files, the Get
Started button, the user profile) and its webhook parser (``tools.analyse``) fed with the
signed POSTs Ledgerline really sent."""

from __future__ import annotations

import sys
import time
import types
import warnings
from pathlib import Path
from typing import Any

import pytest

from tests.integration.compat.conftest import Bank

# ampalibe reads its settings from the bot project's ``conf`` module at import time.
_conf = types.ModuleType("conf")
_conf.Configuration = type("Configuration", (), {"ACCESS_TOKEN": ""})  # type: ignore[attr-defined]
sys.modules.setdefault("conf", _conf)

with warnings.catch_warnings():  # its FastAPI app uses on_event, deprecated since
    warnings.simplefilter("ignore", DeprecationWarning)
    from ampalibe.messenger import Messenger
    from ampalibe.tools import analyse
    from ampalibe.ui import Button, Element, QuickReply


# send_file opens the file and never closes it (the library's bug, not ours).
pytestmark = [
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]


def _client(bank: Bank) -> Messenger:
    sys.modules["conf"].Configuration.ACCESS_TOKEN = bank.token
    return Messenger(log_level="quiet")


def _ok(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_the_client(bank: Bank, png_file: Path) -> None:
    chat = _client(bank)
    psid = bank.psid
    assert chat.page_id == bank.business["page_id"]
    assert "message_id" in _ok(chat.send_text(psid, "Chào An"))
    assert _ok(chat.send_action(psid, "typing_on")) == {"recipient_id": psid}
    replies = [QuickReply(title="Có", payload="YES"), QuickReply(title="Không", payload="NO")]
    assert "message_id" in _ok(chat.send_quick_reply(psid, replies, "Khoá thẻ?"))
    buttons = [Button(type="postback", title="Số dư", payload="BALANCE")]
    assert "message_id" in _ok(chat.send_button(psid, buttons, "Bạn cần gì?"))
    cards = [Element(title="Thẻ Visa", subtitle="•••• 1234", buttons=buttons)]
    assert "message_id" in _ok(chat.send_generic_template(psid, cards))

    # Files: a local one (multipart), one by URL (re-hosted), then reused by id.
    sent = _ok(chat.send_file(psid, str(png_file), filetype="image", reusable=True))
    assert sent["attachment_id"]
    icon = bank.live.url + "/static/icon-192.png"
    assert "attachment_id" in _ok(chat.send_file_url(psid, icon, filetype="image", reusable=True))
    assert "message_id" in _ok(chat.send_attachment(psid, sent["attachment_id"], filetype="image"))
    assert "message_id" in _ok(chat.send_media(psid, icon, "image"))

    assert _ok(chat.get_started("GET_STARTED")) == {"result": "success"}
    profile = chat.get_user_profile(psid)
    assert profile["first_name"] == "An"
    assert profile["last_name"] == "Nguyễn"
    assert profile["id"] == psid

    shown = bank.shown()
    assert all(
        bank.live.url + "/attachments/" in str(m["attachment"]["payload"])
        for m in shown
        if "attachment" in m and m["attachment"]["type"] != "template"
    )


def test_a_menu_for_one_person(bank: Bank) -> None:
    """``persistent_menu`` sets and deletes a person's own menu (``/me/custom_user_settings``);
    the person's app shows it."""
    chat = _client(bank)
    menu = [Button(type="postback", title="Gặp nhân viên", payload="AGENT")]
    assert _ok(chat.persistent_menu(bank.psid, menu)) == {"result": "success"}
    with bank.live.client() as http:
        seen = http.get(
            f"/api/v1/threads/{bank.business['page_id']}/profile",
            headers={"Authorization": f"Bearer {bank.user['access_token']}"},
        ).json()
    assert seen["persistent_menu"]["call_to_actions"][0]["title"] == "Gặp nhân viên"
    assert _ok(chat.persistent_menu(bank.psid, menu, action="DELETE")) == {"result": "success"}


def test_the_webhook_parser_reads_what_ledgerline_sends(bank: Bank, png_file: Path) -> None:
    """Every signed POST Ledgerline sent (a text, a quick reply, a postback, a photo, receipts)
    goes through ampalibe's parser, which must not crash."""
    bank.person_says({"quick_reply": {"title": "Có", "payload": "YES"}})
    bank.person_says({"postback": {"title": "Số dư", "payload": "BALANCE"}})
    with bank.live.client() as http:
        photo = http.post(
            f"/api/v1/threads/{bank.business['page_id']}/attachments",
            headers={"Authorization": f"Bearer {bank.user['access_token']}"},
            files={"filedata": ("me.png", png_file.read_bytes(), "image/png")},
        )
        assert photo.status_code == 201, photo.text
    deadline = time.monotonic() + 15
    while len(bank.receiver.receiver.deliveries) < 4:
        assert time.monotonic() < deadline, bank.receiver.receiver.events()
        time.sleep(0.05)
    seen = []
    for delivery in bank.receiver.receiver.deliveries:
        assert delivery.signature_ok
        sender, command, _event = analyse(delivery.payload)
        assert sender == bank.psid
        seen.append((getattr(command, "webhook", None), str(command)))
    assert seen[:3] == [("message", "Xin chào"), ("message", "YES"), ("postback", "BALANCE")]
    assert seen[3][0] == "attachments"
    assert "/attachments/" in seen[3][1]
