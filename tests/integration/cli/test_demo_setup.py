"""What ``ledgerline demo`` sets up: once, and found again on later runs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from ledgerline.audit import verify
from ledgerline.bootstrap import Services, build_services, load_audit_key
from ledgerline.chat.accounts import do_rotate_page_token
from ledgerline.cli.demo_setup import (
    DEMO_PASSWORD,
    DEMO_PEOPLE,
    ensure_demo_assistant,
    ensure_demo_bank,
    ensure_demo_people,
)
from ledgerline.config import Settings
from ledgerline.domain.clock import to_ms
from ledgerline.domain.ids import token_hash
from ledgerline.identity.passwords import verify_password
from ledgerline.storage.stores import (
    audit as audit_store,
    businesses as business_store,
    identity as web_store,
)


@pytest.fixture
def platform(database_url: str, tmp_path: Path) -> Iterator[Services]:
    built = build_services(
        Settings(env="development", data_dir=tmp_path, database_url=database_url)
    )
    try:
        yield built
    finally:
        built.close()


def test_the_demo_bank_is_created_once_and_repointed(platform: Services) -> None:
    first = ensure_demo_bank(
        platform,
        webhook_url="http://127.0.0.1:1/webhook",
        account_link_url="http://127.0.0.1:1/link",
    )
    again = ensure_demo_bank(
        platform,
        webhook_url="http://127.0.0.1:2/webhook",
        account_link_url="http://127.0.0.1:2/link",
    )
    assert again == first  # same page, token, secret and verify token
    business = platform.db.read_sync(business_store.get_business, first.page_id)
    assert business is not None
    assert (business.webhook_url, business.account_link_url) == (
        "http://127.0.0.1:2/webhook",
        "http://127.0.0.1:2/link",
    )
    assert business.verify_token == first.verify_token
    found = platform.db.read_sync(business_store.list_businesses, query="demo bank", limit=10)
    assert [b.page_id for b in found] == [first.page_id]

    # The token was rotated in the console: the next run gets a fresh one that works.
    platform.db.write_sync(
        do_rotate_page_token, page_id=first.page_id, now=to_ms(platform.clock.now())
    )
    rotated = ensure_demo_bank(
        platform,
        webhook_url="http://127.0.0.1:2/webhook",
        account_link_url="http://127.0.0.1:2/link",
    )
    assert rotated.page_id == first.page_id
    assert rotated.page_access_token != first.page_access_token
    assert (
        platform.db.read_sync(business_store.page_for_token, token_hash(rotated.page_access_token))
        == first.page_id
    )
    assert rotated.app_secret == first.app_secret


def test_a_lost_credentials_file_reuses_the_demo_bank_with_a_new_audited_token(
    platform: Services,
) -> None:
    urls = {
        "webhook_url": "http://127.0.0.1:1/webhook",
        "account_link_url": "http://127.0.0.1:1/link",
    }
    first = ensure_demo_bank(platform, **urls)
    credentials = platform.settings.data_dir / "demobank.json"
    credentials.unlink()

    again = ensure_demo_bank(platform, **urls)
    # The same page (no second "Demo Bank" in the directory), with a new token: the platform
    # kept only the old one's hash, so it could not be shown again, and it stops working.
    assert (again.page_id, again.app_id, again.app_secret) == (
        first.page_id,
        first.app_id,
        first.app_secret,
    )
    found = platform.db.read_sync(business_store.list_businesses, query="demo bank", limit=10)
    assert [b.page_id for b in found] == [first.page_id]
    assert again.page_access_token != first.page_access_token
    db = platform.db
    assert db.read_sync(business_store.page_for_token, token_hash(first.page_access_token)) is None
    assert (
        db.read_sync(business_store.page_for_token, token_hash(again.page_access_token))
        == first.page_id
    )
    assert json.loads(credentials.read_text())["page_access_token"] == again.page_access_token
    assert credentials.stat().st_mode & 0o777 == 0o600
    # The new token is audited (who, which page, why), never written in the log.
    (entry,) = [
        e
        for e in db.read_sync(lambda c: list(audit_store.iter_entries(c)))
        if e.action == "rotate_page_token"
    ]
    assert (entry.actor_kind, entry.actor_id, entry.page_id) == (
        "component",
        "demo_setup",
        first.page_id,
    )
    assert json.loads(entry.detail) == {"reason": "credentials_missing"}
    assert again.page_access_token not in entry.detail
    assert db.read_sync(lambda c: verify(c, key=load_audit_key(platform.settings))).ok
    # A third run finds the file again: nothing more is issued.
    assert ensure_demo_bank(platform, **urls) == again


def test_the_demo_people_sign_in_and_are_not_duplicated(platform: Services) -> None:
    ensure_demo_people(platform)
    ensure_demo_people(platform)
    for person in DEMO_PEOPLE:
        credential = platform.db.read_sync(web_store.credential_for_login, person.login)
        assert credential is not None
        assert verify_password(credential.password_hash, DEMO_PASSWORD)[0]


def test_the_assistant_is_off_at_first_and_switched_only_when_asked(platform: Services) -> None:
    page_id = ensure_demo_bank(
        platform,
        webhook_url="http://127.0.0.1:1/webhook",
        account_link_url="http://127.0.0.1:1/link",
    ).page_id
    assert ensure_demo_assistant(platform, page_id, None) is False  # a first run: off
    assert ensure_demo_assistant(platform, page_id, True) is True  # --assistant
    assert ensure_demo_assistant(platform, page_id, None) is True  # left as it was
    assert ensure_demo_assistant(platform, page_id, False) is False  # --no-assistant
