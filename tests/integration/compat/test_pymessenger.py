"""pymessenger 0.0.7.0, unchanged, beyond the texts and templates of
``tests/integration/api/test_client_compat.py``: media by URL (JSON-string fields) and the
user profile. Its local-file senders use an attribute it never sets (``self.base_url``,
davidchua/pymessenger#17): the library's bug, shown here so a fix upstream is noticed."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from tests.integration.compat.conftest import Bank

pytestmark = pytest.mark.slow  # end to end: real processes or sockets

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from pymessenger.bot import Bot
    from pymessenger.user_profile import UserProfileApi


# send_image opens the file before it fails, and never closes it (also the library's).
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_media_by_url_and_the_user_profile(bank: Bank, png_file: Path) -> None:
    bot = Bot(bank.token)
    icon = bank.live.url + "/static/icon-192.png"
    sent = bot.send_image_url(bank.psid, icon)
    assert "message_id" in sent
    (shown,) = [m for m in bank.shown() if "attachment" in m]
    assert shown["attachment"]["payload"]["url"].startswith(bank.live.url + "/attachments/")

    profile = UserProfileApi(bank.token).get(bank.psid, fields=["first_name", "locale"])
    assert profile == {"first_name": "An", "locale": "vi_VN", "id": bank.psid}
    assert UserProfileApi(bank.token).get("1234567890123456") is None  # not this page's

    with pytest.raises(AttributeError, match="base_url"):
        bot.send_image(bank.psid, str(png_file))
