"""``ledgerline business create``."""

from __future__ import annotations

import secrets
from typing import Annotated

import typer

from ledgerline.bootstrap import build_services
from ledgerline.chat.accounts import do_create_business
from ledgerline.cli.options import DatabaseUrl, DataDir, JsonFlag, emit, fail, settings_from
from ledgerline.delivery.handshake import handshake
from ledgerline.delivery.urls import UrlNotAllowed, check_url
from ledgerline.domain.clock import to_ms

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
