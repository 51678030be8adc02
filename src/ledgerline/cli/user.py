"""``ledgerline user create|list|show|delete``: the people of the messaging app.

``show`` gives the person's links (business, scopes, status), never their financial data;
``delete`` is the privacy centre's "delete my account" (every link ended and its data erased,
tokens and sessions revoked, the person kept only as a tombstone), audited.
"""

from __future__ import annotations

from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import typer

from ledgerline.bootstrap import build_services
from ledgerline.chat.accounts import SUPPORTED_LOCALES, do_create_user
from ledgerline.cli.errors import NOT_FOUND
from ledgerline.cli.options import DatabaseUrl, DataDir, JsonFlag, emit, fail, settings_from
from ledgerline.domain.clock import to_ms
from ledgerline.privacy.account import do_delete_account
from ledgerline.storage.stores import linking as linking_store, people as people_store
from ledgerline.storage.stores.people import PersonListing

UserId = Annotated[str, typer.Argument(help="The person's user id (u_…).", show_default=False)]

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


def _person(person: PersonListing) -> dict[str, Any]:
    return {
        "user_id": person.user_id,
        "name": person.name,
        "locale": person.locale,
        "timezone": person.timezone,
        "created_at": person.created_at,
        "deleted": person.deleted_at is not None,
    }


@app.command("list")
def list_people(
    limit: Annotated[int, typer.Option("--limit", min=1, max=100_000)] = 1000,
    after: Annotated[
        str | None, typer.Option("--after", help="Continue after this user id.")
    ] = None,
    database_url: DatabaseUrl = None,
    data_dir: DataDir = None,
    as_json: JsonFlag = False,
) -> None:
    """People by user id (--after and --limit page through them)."""
    platform = build_services(settings_from(database_url, data_dir))
    try:
        rows = platform.db.read_sync(people_store.list_people, limit=limit, after=after)
    finally:
        platform.close()
    data = [_person(row) for row in rows]
    lines = [f"{len(data)} person(s)"] + [
        f"  {p['user_id']}  {p['name'] or '-'}  {p['locale']}  {p['timezone']}"
        + ("  (deleted)" if p["deleted"] else "")
        for p in data
    ]
    emit({"data": data}, as_json=as_json, human="\n".join(lines))


@app.command("show")
def show(
    user_id: UserId,
    database_url: DatabaseUrl = None,
    data_dir: DataDir = None,
    as_json: JsonFlag = False,
) -> None:
    """One person and their links (business, scopes, status; no financial data)."""
    platform = build_services(settings_from(database_url, data_dir))
    try:
        person = platform.db.read_sync(people_store.person_listing, user_id.strip())
        links = (
            []
            if person is None
            else platform.db.read_sync(linking_store.list_links, person.user_id)
        )
    finally:
        platform.close()
    if person is None:
        fail(f"no person with user id {user_id!r}", NOT_FOUND)
    result = {
        **_person(person),
        "links": [
            {
                "page_id": link.consent.page_id,
                "page_name": link.page_name,
                "scopes": sorted(filter(None, link.consent.scopes.split(","))),
                "status": link.consent.status,
                "expires_at": link.consent.expires_at,
            }
            for link in links
        ],
    }
    human = "\n".join(
        [f"{key}: {value}" for key, value in result.items() if key != "links"]
        + [
            f"link: {k['page_name']} ({k['page_id']}) {k['status']} {','.join(k['scopes'])}"
            for k in result["links"]
        ]
    )
    emit(result, as_json=as_json, human=human)


@app.command("delete")
def delete(
    user_id: UserId,
    yes: Annotated[bool, typer.Option("--yes", help="Confirm: this cannot be undone.")] = False,
    database_url: DatabaseUrl = None,
    data_dir: DataDir = None,
    as_json: JsonFlag = False,
) -> None:
    """Delete a person's account: links ended and their data erased, tokens revoked."""
    if not yes:
        fail("deleting an account erases what banks shared and cannot be undone: add --yes")
    platform = build_services(settings_from(database_url, data_dir))
    try:
        person = platform.db.read_sync(people_store.person_listing, user_id.strip())
        if person is None:
            platform.close()
            fail(f"no person with user id {user_id!r}", NOT_FOUND)
        deleted = platform.db.write_sync(
            do_delete_account,
            user_id=person.user_id,
            now=to_ms(platform.clock.now()),
            hooks=platform.linking_hooks,
            vault=platform.vault,
        )
    finally:
        platform.close()
    emit(
        {"user_id": person.user_id, "deleted": True, "already_deleted": not deleted},
        as_json=as_json,
        human=f"Account {person.user_id} deleted"
        + (" (it already was)" if not deleted else "; what banks shared is erased."),
    )
