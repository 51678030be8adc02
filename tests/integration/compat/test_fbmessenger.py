"""fbmessenger 6.0.0, unchanged, beyond the Send API (``tests/integration/api/
test_client_compat.py``): the Messenger Profile (thread settings), whitelisted domains, the
user profile and the attachment upload."""

from __future__ import annotations

import warnings

import pytest

from tests.integration.compat.conftest import Bank

pytestmark = pytest.mark.slow  # end to end: real processes or sockets

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from fbmessenger import MessengerClient
    from fbmessenger.attachments import Image
    from fbmessenger.thread_settings import (
        GetStartedButton,
        GreetingText,
        MessengerProfile,
        PersistentMenu,
        PersistentMenuItem,
    )


def _client(bank: Bank) -> MessengerClient:
    return MessengerClient(bank.token)  # graph_url is redirected, see conftest


def test_profile_user_data_and_attachments(bank: Bank) -> None:
    client = _client(bank)
    cards = PersistentMenuItem(
        "nested",
        "Thẻ",
        nested_items=[PersistentMenuItem("postback", "Khoá thẻ", payload="FREEZE")],
    )
    profile = MessengerProfile(
        greetings=[GreetingText("Chào {{user_first_name}}!")],
        get_started=GetStartedButton("GET_STARTED"),
        persistent_menus=[
            PersistentMenu(
                [
                    PersistentMenuItem("postback", "Số dư", payload="BALANCE"),
                    PersistentMenuItem("web_url", "Ứng dụng", url="https://bank.example/app"),
                    cards,
                ]
            )
        ],
    )
    assert client.set_messenger_profile(profile.to_dict()) == {"result": "success"}
    assert client.update_whitelisted_domains("https://bank.example") == {"result": "success"}
    assert client.remove_whitelisted_domains() == {"result": "success"}
    refused = client.delete_get_started()  # the menu still needs it
    assert refused["error"]["code"] == 100
    assert client.delete_persistent_menu() == {"result": "success"}
    assert client.delete_get_started() == {"result": "success"}

    # Its default fields include gender, which Ledgerline accepts and never answers.
    user = client.get_user_data(bank.psid)
    assert user == {
        "first_name": "An",
        "last_name": "Nguyễn",
        "profile_pic": bank.live.url + "/static/avatar.svg",
        "locale": "vi_VN",
        "id": bank.psid,
    }

    icon = bank.live.url + "/static/icon-192.png"
    uploaded = client.upload_attachment(Image(url=icon, is_reusable=True))
    assert uploaded["attachment_id"].isdigit()
    sent = client.send(Image(attachment_id=uploaded["attachment_id"]).to_dict(), bank.psid)
    assert "message_id" in sent
