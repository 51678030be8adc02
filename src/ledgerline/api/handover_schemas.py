"""Wire models of the handover protocol and the assistant switch (documentation only)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

PSID = "12345678901234567890"


class Recipient(BaseModel):
    id: str = Field(description="The person's PSID", examples=[PSID])


class PassThreadControlIn(BaseModel):
    model_config = ConfigDict(extra="allow")
    recipient: Recipient
    target_app_id: str = Field(
        description="The app to receive control: the page's own app id, `263902037430900` "
        "(the Page Inbox: human agents) or the built-in assistant's id"
    )
    metadata: str | None = Field(default=None, max_length=1000)


class ThreadControlIn(BaseModel):
    model_config = ConfigDict(extra="allow")
    recipient: Recipient
    metadata: str | None = Field(default=None, max_length=1000)


class SuccessOut(BaseModel):
    success: bool = True


class AssistantIn(BaseModel):
    model_config = ConfigDict(extra="allow")
    enabled: bool = Field(description="Turn the built-in assistant on or off for this page")


class AppRef(BaseModel):
    app_id: str


class ThreadOwner(BaseModel):
    thread_owner: AppRef


class ThreadOwnerOut(BaseModel):
    data: list[ThreadOwner]
