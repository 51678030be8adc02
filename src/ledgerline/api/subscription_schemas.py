"""Answers of ``/me/subscribed_apps`` (the body a bank sends is
``domain.webhook_fields.subscribe_body``)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from ledgerline.domain.webhook_fields import DEFAULT_FIELDS


class SubscribeOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"success": True}]})
    success: bool = True


class SubscribedApp(BaseModel):
    id: str = Field(description="The business's app id")
    name: str = Field(description="The app's name (the business's)")
    subscribed_fields: list[str]


class SubscribedAppsOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "data": [
                        {
                            "id": "1536977330004567",
                            "name": "Demo Bank",
                            "subscribed_fields": list(DEFAULT_FIELDS),
                        }
                    ]
                }
            ]
        }
    )
    data: list[SubscribedApp] = Field(description="The page's subscribed app; empty when none")
