"""What ``ledgerline demo`` sets up on first run (and finds again on the next ones).

* the Demo Bank business, its webhook and account-linking URLs pointing at the demo bank;
  its page access token is kept in ``DATA_DIR/demobank.json`` (mode 0600) — the demo bank's
  own configuration, as a real bank keeps its credentials; the app secret is derived again
  from the platform's secret key, never stored;
* a few demo people with web sign-ins (argon2 password hashes, like any sign-up);
* the built-in assistant's switch, when ``ledgerline demo --assistant/--no-assistant`` says.

Idempotent: a second run reuses the business and the people, refreshes the URLs (the ports
may have changed) and issues a new page token only when the stored one stopped working
(e.g. it was rotated in the console). Without ``demobank.json`` (deleted, or a fresh data
directory on the same database) it finds the existing "Demo Bank" (the oldest of that name)
rather than registering a second one; the platform keeps only a hash of its token, so a new
token is issued for it — audited (``rotate_page_token``, actor ``component:demo_setup``, with
the reason) and written to ``demobank.json``, never shown.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from ledgerline.audit import Actor, AuditEvent, append
from ledgerline.bootstrap import Services
from ledgerline.chat.accounts import (
    do_create_business,
    do_rotate_page_token,
    do_set_business_urls,
)
from ledgerline.customer_service.handover import set_assistant_enabled
from ledgerline.domain.clock import to_ms
from ledgerline.domain.ids import derive_app_secret, token_hash
from ledgerline.identity.passwords import hash_password
from ledgerline.identity.service import check_sign_up, do_sign_up
from ledgerline.storage.database import UnitOfWork
from ledgerline.storage.stores import (
    businesses as business_store,
    handover as handover_store,
    identity as web_store,
)
from ledgerline.storage.stores.businesses import BusinessRow

BANK_NAME = "Demo Bank"
DEMO_PASSWORD = "ledgerline-demo"  # noqa: S105 - printed for people to try the demo


@dataclass(frozen=True, slots=True)
class DemoPerson:
    login: str
    name: str
    locale: str


DEMO_PEOPLE = (
    DemoPerson("an.nguyen", "Nguyễn Văn An", "vi"),
    DemoPerson("claire.martin", "Claire Martin", "en"),
)


@dataclass(frozen=True, slots=True)
class DemoBankCredentials:
    page_id: str
    app_id: str
    app_secret: str
    page_access_token: str
    verify_token: str


def _credentials_file(data_dir: Path) -> Path:
    return data_dir / "demobank.json"


def _write_private(path: Path, data: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(data, handle)
    os.replace(tmp, path)


def _read(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return {}
    return {k: v for k, v in data.items() if isinstance(v, str)} if isinstance(data, dict) else {}


def do_reissue_demo_token(uow: UnitOfWork, *, page_id: str, reason: str, now: int) -> str:
    """A new page token for the demo bank's page (the old ones stop working), audited."""
    token = do_rotate_page_token(uow, page_id=page_id, now=now)
    append(
        uow.conn,
        AuditEvent(
            actor=Actor.component("demo_setup"),
            action="rotate_page_token",
            page_id=page_id,
            detail={"reason": reason},
        ),
        at=now,
    )
    return token


def _existing_bank(platform: Services, stored: dict[str, str]) -> BusinessRow | None:
    """The business the demo set up before: the one ``demobank.json`` names, else (the file
    is gone) the oldest business called ``BANK_NAME``."""
    db = platform.db
    if stored.get("page_id"):
        business = db.read_sync(business_store.get_business, stored["page_id"])
        if business is not None:
            return business
    named = db.read_sync(business_store.businesses_named, BANK_NAME)
    return named[0] if named else None


def ensure_demo_bank(
    platform: Services, *, webhook_url: str, account_link_url: str
) -> DemoBankCredentials:
    """The Demo Bank business, created on first run, pointed at ``webhook_url`` and
    ``account_link_url`` every run."""
    db, now = platform.db, to_ms(platform.clock.now())
    path = _credentials_file(platform.settings.data_dir)
    stored = _read(path)
    business = _existing_bank(platform, stored)
    verify_token = stored.get("verify_token") or secrets.token_urlsafe(16)
    if business is None:
        created = db.write_sync(
            do_create_business,
            secret_key=platform.secret_key,
            name=BANK_NAME,
            webhook_url=webhook_url,
            verify_token=verify_token,
            account_link_url=account_link_url,
            now=now,
        )
        page_id, token = created.page_id, created.page_access_token
    else:
        page_id = business.page_id
        token = stored.get("page_access_token", "") if stored.get("page_id") == page_id else ""
        db.write_sync(
            do_set_business_urls,
            page_id=page_id,
            webhook_url=webhook_url,
            verify_token=verify_token,
            account_link_url=account_link_url,
        )
        if not token or db.read_sync(business_store.page_for_token, token_hash(token)) != page_id:
            reason = "token_invalid" if token else "credentials_missing"
            token = db.write_sync(do_reissue_demo_token, page_id=page_id, reason=reason, now=now)
    _write_private(
        path, {"page_id": page_id, "page_access_token": token, "verify_token": verify_token}
    )
    business = db.read_sync(business_store.get_business, page_id)
    assert business is not None  # noqa: S101 - written just above
    app_secret = derive_app_secret(platform.secret_key, business.app_id, business.secret_version)
    return DemoBankCredentials(page_id, business.app_id, app_secret, token, verify_token)


def ensure_demo_people(platform: Services) -> list[DemoPerson]:
    """The demo people with web sign-ins (password ``DEMO_PASSWORD``); existing ones are
    left as they are."""
    for person in DEMO_PEOPLE:
        if platform.db.read_sync(web_store.login_taken, person.login):
            continue
        form = check_sign_up(
            name=person.name,
            login=person.login,
            password=DEMO_PASSWORD,
            locale=person.locale,
            timezone="Asia/Ho_Chi_Minh",
        )
        platform.db.write_sync(
            do_sign_up,
            sign_up=form,
            password_hash=hash_password(DEMO_PASSWORD),
            now=to_ms(platform.clock.now()),
        )
    return list(DEMO_PEOPLE)


@dataclass(frozen=True, slots=True)
class DemoAgent:
    login: str
    name: str
    role: str


DEMO_AGENTS = (DemoAgent("lan", "Lan", "supervisor"), DemoAgent("minh", "Minh", "agent"))


def ensure_demo_agents(platform: Services, page_id: str) -> list[DemoAgent]:
    """Demo Bank's agents for the agent inbox (``/inbox``, password ``DEMO_PASSWORD``)."""
    from ledgerline.customer_service.agents import AgentAccounts
    from ledgerline.storage.stores import inbox as inbox_store

    accounts = AgentAccounts(platform.db, platform.clock)
    for agent in DEMO_AGENTS:
        if platform.db.read_sync(inbox_store.agent_login_taken, page_id, agent.login):
            continue
        accounts.create_sync(
            page_id=page_id,
            login=agent.login,
            name=agent.name,
            role=agent.role,
            password=DEMO_PASSWORD,
        )
    return list(DEMO_AGENTS)


def ensure_demo_assistant(platform: Services, page_id: str, wanted: bool | None) -> bool:
    """Switch Demo Bank's built-in assistant on or off (``wanted``; None: leave it as it
    is, off on a first run); returns whether it is on."""
    if wanted is not None:
        platform.db.write_sync(
            set_assistant_enabled,
            page_id=page_id,
            enabled=wanted,
            now=to_ms(platform.clock.now()),
        )
    return bool(platform.db.read_sync(handover_store.assistant_enabled, page_id))
