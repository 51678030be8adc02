"""Personas (Messenger's Personas API): a page's messages sent under a person's name, shown
to the person as "Minh · Demo Bank". A bank creates them, lists them, deletes them, and names
one with ``persona_id`` on a send; the message keeps the name it was sent under."""

from __future__ import annotations

from typing import Any

from ledgerline.domain.errors import InvalidParameter, NotFound
from ledgerline.domain.ids import new_persona_id
from ledgerline.storage.database import UnitOfWork
from ledgerline.storage.stores import personas as persona_store
from ledgerline.storage.stores.personas import PersonaRow

MAX_NAME = 100
MAX_URL = 2000
MAX_PERSONAS = 100  # per page


def _text(value: Any, param: str, limit: int) -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise InvalidParameter(f"The parameter {param} is required")
    if not isinstance(value, str):
        raise InvalidParameter(f"param {param} must be a string")
    text = value.strip()
    if len(text) > limit:
        raise InvalidParameter(f"param {param} must be at most {limit} characters")
    return text


def check_new_persona(params: dict[str, Any]) -> tuple[str, str]:
    """``{"name", "profile_picture_url"}`` (both required, as on Messenger) → checked."""
    name = _text(params.get("name"), "name", MAX_NAME)
    url = _text(params.get("profile_picture_url"), "profile_picture_url", MAX_URL)
    if not url.lower().startswith(("https://", "http://")):
        raise InvalidParameter("param profile_picture_url must be an http(s) URL")
    return name, url


def do_create_persona(
    uow: UnitOfWork, *, page_id: str, name: str, profile_picture_url: str, now: int
) -> PersonaRow:
    if persona_store.count_personas(uow.conn, page_id) >= MAX_PERSONAS:
        raise InvalidParameter(f"A page can have at most {MAX_PERSONAS} personas")
    row = PersonaRow(new_persona_id(), page_id, name, profile_picture_url, now)
    persona_store.insert_persona(uow.conn, row)
    return row


def list_personas(uow: UnitOfWork, page_id: str) -> list[PersonaRow]:
    return persona_store.list_personas(uow.conn, page_id, limit=MAX_PERSONAS)


def find_persona(uow: UnitOfWork, page_id: str, persona_id: str) -> PersonaRow | None:
    """One of the page's personas (another page's is not found)."""
    return persona_store.get_persona(uow.conn, page_id, persona_id)


def do_delete_persona(uow: UnitOfWork, *, page_id: str, persona_id: str) -> None:
    """Messages already sent keep the name they were sent under."""
    if not persona_store.delete_persona(uow.conn, page_id, persona_id):
        raise NotFound(f"Persona {persona_id[:40]} does not exist")


def persona_of_send(uow: UnitOfWork, page_id: str, persona_id: str) -> dict[str, str]:
    """What a message sent with ``persona_id`` carries: the persona's id and name."""
    persona = persona_store.get_persona(uow.conn, page_id, persona_id)
    if persona is None:
        raise InvalidParameter("param persona_id is not a persona of this page")
    return {"id": persona.persona_id, "name": persona.name}


def persona_wire(row: PersonaRow) -> dict[str, str]:
    return {"name": row.name, "profile_picture_url": row.profile_picture_url, "id": row.persona_id}
