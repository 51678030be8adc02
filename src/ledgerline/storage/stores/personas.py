"""A page's personas."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from ledgerline.storage.tables import personas


@dataclass(frozen=True, slots=True)
class PersonaRow:
    persona_id: str
    page_id: str
    name: str
    profile_picture_url: str
    created_at: int


_COLUMNS = [
    personas.c.persona_id,
    personas.c.page_id,
    personas.c.name,
    personas.c.profile_picture_url,
    personas.c.created_at,
]


def insert_persona(conn: sa.Connection, row: PersonaRow) -> None:
    conn.execute(
        personas.insert().values(
            persona_id=row.persona_id,
            page_id=row.page_id,
            name=row.name,
            profile_picture_url=row.profile_picture_url,
            created_at=row.created_at,
        )
    )


def get_persona(conn: sa.Connection, page_id: str, persona_id: str) -> PersonaRow | None:
    """The page's persona ``persona_id`` (another page's is never found)."""
    row = conn.execute(
        sa.select(*_COLUMNS).where(
            personas.c.page_id == page_id, personas.c.persona_id == persona_id
        )
    ).first()
    return None if row is None else PersonaRow(*row)


def list_personas(conn: sa.Connection, page_id: str, *, limit: int) -> list[PersonaRow]:
    rows = conn.execute(
        sa.select(*_COLUMNS)
        .where(personas.c.page_id == page_id)
        .order_by(personas.c.created_at, personas.c.persona_id)
        .limit(limit)
    )
    return [PersonaRow(*row) for row in rows]


def count_personas(conn: sa.Connection, page_id: str) -> int:
    return int(
        conn.execute(
            sa.select(sa.func.count()).select_from(personas).where(personas.c.page_id == page_id)
        ).scalar_one()
    )


def delete_persona(conn: sa.Connection, page_id: str, persona_id: str) -> bool:
    result = conn.execute(
        personas.delete().where(personas.c.page_id == page_id, personas.c.persona_id == persona_id)
    )
    return bool(result.rowcount)
