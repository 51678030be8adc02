"""Who owns a thread: the default app, the assistant, the page inbox."""

from __future__ import annotations

from ledgerline.chat.ownership import ASSISTANT_APP_ID, PAGE_INBOX_APP_ID, resolve_owner


def test_the_owner_is_the_default_until_passed_and_never_a_disabled_assistant() -> None:
    app = "111"
    assert resolve_owner(None, business_app_id=app, assistant_on=False) == app
    assert resolve_owner(None, business_app_id=app, assistant_on=True) == ASSISTANT_APP_ID
    assert resolve_owner(ASSISTANT_APP_ID, business_app_id=app, assistant_on=False) == app
    assert resolve_owner(PAGE_INBOX_APP_ID, business_app_id=app, assistant_on=True) == (
        PAGE_INBOX_APP_ID
    )
