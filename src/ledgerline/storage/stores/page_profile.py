"""A page's Messenger Profile properties (``tables.page_profile``), as JSON values."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa

from ledgerline.storage.tables import page_profile, person_menus, threads


def get_fields(conn: sa.Connection, page_id: str, names: Iterable[str]) -> dict[str, Any]:
    """The properties among ``names`` that the page has set."""
    wanted = list(names)
    if not wanted:
        return {}
    rows = conn.execute(
        sa.select(page_profile.c.field, page_profile.c.value).where(
            page_profile.c.page_id == page_id, page_profile.c.field.in_(wanted)
        )
    ).all()
    return {str(row.field): json.loads(row.value) for row in rows}


def put_fields(conn: sa.Connection, page_id: str, values: Mapping[str, Any], *, now: int) -> None:
    """Set each property of ``values``, replacing what was there."""
    if not values:
        return
    delete_fields(conn, page_id, values.keys())
    conn.execute(
        page_profile.insert(),
        [
            {
                "page_id": page_id,
                "field": name,
                "value": json.dumps(value, ensure_ascii=False, separators=(",", ":")),
                "updated_at": now,
            }
            for name, value in values.items()
        ],
    )


def delete_fields(conn: sa.Connection, page_id: str, names: Iterable[str]) -> None:
    conn.execute(
        page_profile.delete().where(
            page_profile.c.page_id == page_id, page_profile.c.field.in_(list(names))
        )
    )


def get_person_menu(conn: sa.Connection, page_id: str, psid: str) -> Any | None:
    value = conn.execute(
        sa.select(person_menus.c.value).where(
            person_menus.c.page_id == page_id, person_menus.c.psid == psid
        )
    ).scalar()
    return None if value is None else json.loads(value)


def put_person_menu(conn: sa.Connection, page_id: str, psid: str, menu: Any, *, now: int) -> None:
    delete_person_menu(conn, page_id, psid)
    conn.execute(
        person_menus.insert().values(
            page_id=page_id,
            psid=psid,
            value=json.dumps(menu, ensure_ascii=False, separators=(",", ":")),
            updated_at=now,
        )
    )


def delete_person_menu(conn: sa.Connection, page_id: str, psid: str) -> None:
    conn.execute(
        person_menus.delete().where(person_menus.c.page_id == page_id, person_menus.c.psid == psid)
    )


def delete_person_menus_of(conn: sa.Connection, user_id: str) -> None:
    """Every page's menu for one person (their account is deleted)."""
    their_threads = sa.select(threads.c.page_id, threads.c.psid).where(threads.c.user_id == user_id)
    conn.execute(
        person_menus.delete().where(
            sa.tuple_(person_menus.c.page_id, person_menus.c.psid).in_(their_threads)
        )
    )
