"""Wire models of the Personas API (documentation and response shaping)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

PERSONA: dict[str, Any] = {
    "name": "Minh",
    "profile_picture_url": "https://bank.example/staff/minh.png",
    "id": "1234567890123456",
}


class PersonaIn(BaseModel):
    model_config = ConfigDict(extra="allow")
    name: str = Field(max_length=100, description="Shown to the person as “Minh · Demo Bank”")
    profile_picture_url: str = Field(max_length=2000, description="An http(s) URL")


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
