"""``ledgerline user create``."""

from __future__ import annotations

from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import typer

from ledgerline.bootstrap import build_services
from ledgerline.chat.accounts import SUPPORTED_LOCALES, do_create_user
from ledgerline.cli.options import DatabaseUrl, DataDir, JsonFlag, emit, fail, settings_from
from ledgerline.domain.clock import to_ms

app = typer.Typer(help="Create people (users of the messaging app).", no_args_is_help=True)


@app.command("create")
def create(
    name: Annotated[str, typer.Option("--name", help="The person's display name.")],
    locale: Annotated[str, typer.Option("--locale", help="vi or en.")] = "vi",
    timezone: Annotated[str, typer.Option("--timezone", help="IANA zone.")] = "Asia/Ho_Chi_Minh",
    database_url: DatabaseUrl = None,
    data_dir: DataDir = None,
    as_json: JsonFlag = False,
) -> None:
    """Create a person; prints user_id and access_token (shown once, stored hashed)."""
    name = name.strip()
    if not name or len(name) > 200:
        fail("--name must be 1 to 200 characters")
    if locale not in SUPPORTED_LOCALES:
        fail(f"--locale must be one of {', '.join(SUPPORTED_LOCALES)}")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        fail(f"unknown --timezone {timezone!r} (use an IANA name such as Asia/Ho_Chi_Minh)")
    platform = build_services(settings_from(database_url, data_dir))
    try:
        created = platform.db.write_sync(
            do_create_user,
            name=name,
            locale=locale,
            timezone=timezone,
            now=to_ms(platform.clock.now()),
        )
    finally:
        platform.close()
    result = {"user_id": created.user_id, "access_token": created.access_token}
    emit(
        result,
        as_json=as_json,
        human=f"Person {name!r} created.\n  user_id: {created.user_id}\n"
        f"  access_token: {created.access_token}\nThe token is shown only now.",
    )
