"""``ledgerline business create|list|show|rotate-token|rotate-secret|set-webhook``.

Nothing here prints a secret it did not just make: ``rotate-token`` and ``rotate-secret``
show the new value once; ``list`` and ``show`` never show one. Rotations and webhook changes
are audited (actor ``component:cli``).
"""

from __future__ import annotations

import secrets
from typing import Annotated, Any

import typer

from ledgerline.audit import Actor, AuditEvent, append
from ledgerline.bootstrap import Services, build_services
from ledgerline.chat.accounts import (
    do_create_business,
    do_rotate_app_secret,
    do_rotate_page_token,
    do_set_business_urls,
)
from ledgerline.cli.errors import NOT_FOUND
from ledgerline.cli.options import DatabaseUrl, DataDir, JsonFlag, emit, fail, settings_from
from ledgerline.delivery.handshake import handshake
from ledgerline.delivery.urls import UrlNotAllowed, check_url
from ledgerline.domain.clock import to_ms
from ledgerline.identity.sessions import BUSINESS
from ledgerline.storage.database import UnitOfWork
from ledgerline.storage.stores import (
    businesses as business_store,
    identity as web_store,
    webhooks as outbox,
)
from ledgerline.storage.stores.businesses import BusinessRow

PageId = Annotated[str, typer.Argument(help="The business's page id.", show_default=False)]
CLI = Actor.component("cli")

app = typer.Typer(help="Register and manage businesses (a bank's page).", no_args_is_help=True)


@app.command("create")
def create(
    name: Annotated[str, typer.Option("--name", help="The name people see.")],
    webhook_url: Annotated[
        str | None, typer.Option("--webhook-url", help="Where events are POSTed (handshake first).")
    ] = None,
    verify_token: Annotated[
        str | None, typer.Option("--verify-token", help="Echoed in the webhook handshake.")
    ] = None,
    account_link_url: Annotated[
        str | None, typer.Option("--account-link-url", help="The bank's account-linking page.")
    ] = None,
    database_url: DatabaseUrl = None,
    data_dir: DataDir = None,
    as_json: JsonFlag = False,
) -> None:
    """Register a business; prints page_id, app_id, app_secret and page_access_token once."""
    name = name.strip()
    if not name or len(name) > 200:
        fail("--name must be 1 to 200 characters")
    settings = settings_from(database_url, data_dir)
    insecure = settings.allow_insecure_urls
    try:
        if account_link_url is not None:
            check_url(account_link_url, allow_insecure=insecure)
        if webhook_url is not None:
            if verify_token is None:
                verify_token = secrets.token_urlsafe(16)
            handshake(
                webhook_url,
                verify_token,
                allow_insecure=insecure,
                challenge=secrets.token_urlsafe(12),
            )
    except UrlNotAllowed as exc:
        fail(str(exc))
    platform = build_services(settings)
    try:
        created = platform.db.write_sync(
            do_create_business,
            secret_key=platform.secret_key,
            name=name,
            webhook_url=webhook_url,
            verify_token=verify_token,
            account_link_url=account_link_url,
            now=to_ms(platform.clock.now()),
        )
    finally:
        platform.close()
    result = {
        "page_id": created.page_id,
        "app_id": created.app_id,
        "app_secret": created.app_secret,
        "page_access_token": created.page_access_token,
    }
    human = "\n".join(
        [
            f"Business {name!r} registered.",
            *(f"  {k}: {v}" for k, v in result.items()),
            "The app secret and page access token are shown only now: keep them safe.",
        ]
    )
    emit(result, as_json=as_json, human=human)


def _listing(business: BusinessRow) -> dict[str, Any]:
    return {
        "page_id": business.page_id,
        "name": business.name,
        "webhook_url": business.webhook_url,
        "subscribed_fields": list(business.subscribed_fields or ()),
    }


@app.command("list")
def list_businesses(
    database_url: DatabaseUrl = None, data_dir: DataDir = None, as_json: JsonFlag = False
) -> None:
    """Every business: page_id, name, webhook URL, subscribed fields (no secrets)."""
    platform = build_services(settings_from(database_url, data_dir))
    try:
        rows = platform.db.read_sync(business_store.list_businesses, query=None, limit=1_000_000)
    finally:
        platform.close()
    data = [_listing(row) for row in rows]
    lines = [f"{len(data)} business(es)"] + [
        f"  {b['page_id']}  {b['name']}  webhook: {b['webhook_url'] or '-'}  "
        f"fields: {','.join(b['subscribed_fields']) or '-'}"
        for b in data
    ]
    emit({"data": data}, as_json=as_json, human="\n".join(lines))


def _business(platform: Services, page_id: str) -> BusinessRow:
    business = platform.db.read_sync(business_store.get_business, page_id.strip())
    if business is None:
        platform.close()
        fail(f"no business with page id {page_id!r}", NOT_FOUND)
    return business


@app.command("show")
def show(
    page_id: PageId,
    database_url: DatabaseUrl = None,
    data_dir: DataDir = None,
    as_json: JsonFlag = False,
) -> None:
    """One business's settings and webhook backlog (no secrets)."""
    platform = build_services(settings_from(database_url, data_dir))
    try:
        business = _business(platform, page_id)
        backlog = {row[0]: row for row in platform.db.read_sync(outbox.backlog)}
        now = to_ms(platform.clock.now())
    finally:
        platform.close()
    pending = backlog.get(business.page_id)
    result = {
        **_listing(business),
        "app_id": business.app_id,
        "account_link_url": business.account_link_url,
        "webhook_batching": business.webhook_batching,
        "webhook_batch_max": business.webhook_batch_max,
        "secret_version": business.secret_version,
        "created_at": business.created_at,
        "pending_webhooks": 0 if pending is None else pending[1],
        "oldest_pending_age_seconds": None if pending is None else (now - pending[2]) / 1000,
    }
    human = "\n".join(f"{key}: {value}" for key, value in result.items())
    emit(result, as_json=as_json, human=human)


def _audited(uow: UnitOfWork, action: str, page_id: str, now: int, **detail: str) -> None:
    append(uow.conn, AuditEvent(actor=CLI, action=action, page_id=page_id, detail=detail), at=now)


def do_cli_rotate_page_token(uow: UnitOfWork, *, page_id: str, now: int) -> str:
    """A new page token; the old ones stop working (within the servers' few seconds of
    token cache) and every console session of the page ends."""
    token = do_rotate_page_token(uow, page_id=page_id, now=now)
    web_store.revoke_other_sessions(
        uow.conn, kind=BUSINESS, subject_id=page_id, keep_hash=None, now=now
    )
    _audited(uow, "rotate_page_token", page_id, now)
    return token


def do_cli_rotate_app_secret(uow: UnitOfWork, *, secret_key: bytes, page_id: str, now: int) -> str:
    secret = do_rotate_app_secret(uow, secret_key=secret_key, page_id=page_id)
    _audited(uow, "rotate_app_secret", page_id, now)
    return secret


@app.command("rotate-token")
def rotate_token(
    page_id: PageId,
    database_url: DatabaseUrl = None,
    data_dir: DataDir = None,
    as_json: JsonFlag = False,
) -> None:
    """Issue a new page access token (shown once); the old ones and the console sessions end."""
    platform = build_services(settings_from(database_url, data_dir))
    try:
        business = _business(platform, page_id)
        token = platform.db.write_sync(
            do_cli_rotate_page_token, page_id=business.page_id, now=to_ms(platform.clock.now())
        )
    finally:
        platform.close()
    emit(
        {"page_id": business.page_id, "page_access_token": token},
        as_json=as_json,
        human=f"New page access token for {business.name!r}: {token}\n"
        "Shown only now; the old tokens stop working within a few seconds.",
    )


@app.command("rotate-secret")
def rotate_secret(
    page_id: PageId,
    database_url: DatabaseUrl = None,
    data_dir: DataDir = None,
    as_json: JsonFlag = False,
) -> None:
    """Issue a new app secret (shown once): webhooks are signed with it from now on."""
    platform = build_services(settings_from(database_url, data_dir))
    try:
        business = _business(platform, page_id)
        secret = platform.db.write_sync(
            do_cli_rotate_app_secret,
            secret_key=platform.secret_key,
            page_id=business.page_id,
            now=to_ms(platform.clock.now()),
        )
    finally:
        platform.close()
    emit(
        {"page_id": business.page_id, "app_id": business.app_id, "app_secret": secret},
        as_json=as_json,
        human=f"New app secret for {business.name!r}: {secret}\n"
        "Shown only now; webhooks are signed with it from now on.",
    )


def do_cli_set_webhook(
    uow: UnitOfWork, *, business: BusinessRow, url: str | None, verify_token: str | None, now: int
) -> None:
    do_set_business_urls(
        uow,
        page_id=business.page_id,
        webhook_url=url,
        verify_token=verify_token,
        account_link_url=business.account_link_url,
    )
    _audited(uow, "set_webhook", business.page_id, now, url=url or "")


@app.command("set-webhook")
def set_webhook(
    page_id: PageId,
    url: Annotated[
        str | None,
        typer.Option("--url", help="Where events are POSTed (Messenger's handshake first)."),
    ] = None,
    verify_token: Annotated[
        str | None, typer.Option("--verify-token", help="Echoed in the handshake.")
    ] = None,
    remove: Annotated[
        bool, typer.Option("--remove", help="Stop sending webhooks to this business.")
    ] = False,
    database_url: DatabaseUrl = None,
    data_dir: DataDir = None,
    as_json: JsonFlag = False,
) -> None:
    """Point the business's webhooks at a new URL (after the handshake), or --remove."""
    if remove == (url is not None):
        fail("give either --url URL or --remove")
    settings = settings_from(database_url, data_dir)
    if url is not None:
        verify_token = verify_token or secrets.token_urlsafe(16)
        try:
            handshake(
                url,
                verify_token,
                allow_insecure=settings.allow_insecure_urls,
                challenge=secrets.token_urlsafe(12),
            )
        except UrlNotAllowed as exc:
            fail(str(exc))
    platform = build_services(settings)
    try:
        business = _business(platform, page_id)
        platform.db.write_sync(
            do_cli_set_webhook,
            business=business,
            url=url,
            verify_token=verify_token if url else None,
            now=to_ms(platform.clock.now()),
        )
    finally:
        platform.close()
    emit(
        {"page_id": business.page_id, "webhook_url": url},
        as_json=as_json,
        human=f"Webhooks of {business.name!r} now go to {url}"
        if url
        else f"Webhooks of {business.name!r} are off",
    )
