"""Answers of the handover protocol (its bodies are field specs: ``api.bank.handover``)."""

from __future__ import annotations

from pydantic import BaseModel

PSID = "12345678901234567890"


class SuccessOut(BaseModel):
    success: bool = True


class AppRef(BaseModel):
    app_id: str


class ThreadOwner(BaseModel):
    thread_owner: AppRef


class ThreadOwnerOut(BaseModel):
    data: list[ThreadOwner]
