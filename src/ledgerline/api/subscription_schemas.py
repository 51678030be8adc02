"""Wire models of ``/me/subscribed_apps`` (documentation and response shaping)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from ledgerline.domain.webhook_fields import DEFAULT_FIELDS, DELIVERED_FIELDS

_FIELDS_HELP = (
    "Messenger webhook fields: "
    + ", ".join(f"`{name}`" for name in DELIVERED_FIELDS)
    + " (Ledgerline's own: `fraud_alert_responses` for `fraud_alert_response` events, `fraud_reports` for `fraud_report` events). Meta's other page fields "
    "are accepted and kept, but Ledgerline has no event for them. A JSON array, or a "
    "comma-separated string (form bodies and the query work too). Required from Graph v3.2; "
    "an older version (or none) without it keeps the current fields."
)


class SubscribedAppsIn(BaseModel):
    model_config = ConfigDict(extra="allow")
    subscribed_fields: list[str] | str | None = Field(
        default=None, description=_FIELDS_HELP, examples=[list(DEFAULT_FIELDS)]
    )


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
