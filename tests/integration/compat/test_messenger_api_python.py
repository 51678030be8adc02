"""messenger-api-python 2022.4.22 (``messengerapi``), unchanged: its Send, Messenger Profile
and Attachment Upload APIs."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.compat.conftest import Bank

# The library opens the files it uploads and never closes them (its bug, not ours).
pytestmark = [
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]
from messengerapi import AttachmentUploadApi, ProfileApi, SendApi  # noqa: E402
from messengerapi.components import (  # noqa: E402
    Button,
    Element,
    Elements,
    PersistentMenu,
    QuickReplies,
    QuickReply,
)


def test_send_api(bank: Bank, png_file: Path, tmp_path: Path) -> None:
    send = SendApi(bank.token)
    psid = bank.psid
    assert "message_id" in send.send_text_message("Số dư của bạn: 1.000.000 ₫", psid)
    replies = QuickReplies()
    replies.add_quick_reply(QuickReply(title="Có", payload="YES").get_content())
    assert "message_id" in send.send_quick_replies("Khoá thẻ?", replies.get_content(), psid)
    postback = Button(button_type="postback", title="Số dư")
    postback.set_payload("BALANCE")
    assert "message_id" in send.send_buttons("Bạn cần gì?", [postback.get_content()], psid)
    elements = Elements()
    elements.add_element(Element(title="Thẻ Visa", subtitle="•••• 1234").get_content())
    assert "message_id" in send.send_generic_message(elements.get_content(), psid)
    for action in (send.typing_on_message, send.typing_off_message, send.mark_seen_message):
        assert action(psid) == {"recipient_id": psid}

    # Local files, multipart with pseudo-JSON (str(dict)) fields, as the library sends them.
    image = send.send_local_image(str(png_file), psid)
    assert image["attachment_id"]
    statement = tmp_path / "statement.pdf"
    statement.write_bytes(b"%PDF-1.4\n")
    document = send.send_local_file(str(statement), psid)
    assert "message_id" in document
    assert "message_id" in send.send_saved_image(image["attachment_id"], psid)

    shown = bank.shown()
    kinds = [m["attachment"]["type"] for m in shown if "attachment" in m]
    assert kinds == ["template", "template", "image", "file", "image"]


def test_attachment_upload_and_profile(bank: Bank, png_file: Path) -> None:
    upload = AttachmentUploadApi(bank.token)
    attachment_id = upload.upload_local_image(str(png_file))
    assert attachment_id.isdigit()
    assert "message_id" in SendApi(bank.token).send_saved_image(attachment_id, bank.psid)

    profile = ProfileApi(bank.token)
    assert profile.set_welcome_screen("GET_STARTED") == {"result": "success"}
    item = Button(button_type="postback", title="Số dư")
    item.set_payload("BALANCE")
    menu = PersistentMenu([item.get_content()])
    assert profile.set_persistent_menu(menu.get_content()) == {"result": "success"}
