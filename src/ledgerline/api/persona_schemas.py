"""Answers of the Personas API (the body a bank sends is ``chat.personas.NEW_PERSONA``)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

PERSONA: dict[str, Any] = {
    "name": "Minh",
    "profile_picture_url": "https://bank.example/staff/minh.png",
    "id": "1234567890123456",
}


class PersonaCreated(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"id": PERSONA["id"]}]})
    id: str


class Persona(BaseModel):
    name: str
    profile_picture_url: str
    id: str


class PersonaList(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"data": [PERSONA]}]})
    data: list[Persona]


class PersonaDeleted(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"success": True}]})
    success: bool = True
