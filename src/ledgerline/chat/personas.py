"""Personas (Messenger's Personas API): a page's messages sent under a person's name, shown
to the person as "Minh · Demo Bank". A bank creates them, lists them, deletes them, and names
one with ``persona_id`` on a send; the message keeps the name it was sent under."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ledgerline.domain.errors import InvalidParameter, NotFound, bad_param
from ledgerline.domain.fields import Obj, Text
from ledgerline.domain.ids import new_persona_id
from ledgerline.storage.database import UnitOfWork
from ledgerline.storage.stores import personas as persona_store
from ledgerline.storage.stores.personas import PersonaRow

MAX_NAME = 100
MAX_URL = 2000
MAX_PERSONAS = 100  # per page


@dataclass(frozen=True, slots=True)
class PersonaText:
    """A persona's text field as Messenger words it: "The parameter name is required" when
    missing or blank, stripped, at most ``max_length``; with ``url`` an http(s) URL."""

    max_length: int
    url: bool = False
    description: str = ""
    required: bool = True

    def parse(self, value: Any, param: str) -> str:
        if value is None or (isinstance(value, str) and not value.strip()):
            raise InvalidParameter(f"The parameter {param} is required")
        if not isinstance(value, str):
            raise bad_param(param, "must be a string")
        text = value.strip()
        if len(text) > self.max_length:
            raise bad_param(param, f"must be at most {self.max_length} characters")
        if self.url and not text.lower().startswith(("https://", "http://")):
            raise bad_param(param, "must be an http(s) URL")
        return text

    def schema(self, named: dict[str, dict[str, Any]]) -> dict[str, Any]:
        shape = Text(max_length=self.max_length, url=self.url, description=self.description)
        return {**shape.schema(named), "minLength": 1}


NEW_PERSONA = Obj(
    "NewPersona",
    {
        "name": PersonaText(MAX_NAME, description="Shown to the person as “Minh · Demo Bank”"),
        "profile_picture_url": PersonaText(MAX_URL, url=True, description="An http(s) URL"),
    },
    description="Both required, as on Messenger",
)


def check_new_persona(params: dict[str, Any]) -> tuple[str, str]:
    """``{"name", "profile_picture_url"}`` (both required, as on Messenger) → checked."""
    persona = NEW_PERSONA.read(params)
    return persona["name"], persona["profile_picture_url"]


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
