"""Pydantic models of the wire formats, used to document (and, for the person-facing API,
to parse) requests and responses. Never imported below ``api``."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class GraphErrorDetail(BaseModel):
    message: str = Field(examples=["(#100) No matching user found"])
    type: str = Field(examples=["OAuthException"])
    code: int = Field(examples=[100])
    error_subcode: int | None = Field(default=None, examples=[2018001])
    fbtrace_id: str


class GraphError(BaseModel):
    error: GraphErrorDetail


ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": GraphError, "description": "Bad parameter (#100) or invalid token (#190)"},
    403: {"model": GraphError, "description": "Not allowed (#200), e.g. outside consent"},
}


class Recipient(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: str = Field(
        description="The person's page-scoped id (PSID)", examples=["12345678901234567890"]
    )


class QuickReply(BaseModel):
    model_config = ConfigDict(extra="allow")
    content_type: Literal["text", "user_phone_number", "user_email"] = "text"
    title: str | None = Field(default=None, max_length=20)
    payload: str | None = Field(default=None, max_length=1000)
    image_url: str | None = None


class OutgoingMessage(BaseModel):
    model_config = ConfigDict(extra="allow")
    text: str | None = Field(default=None, max_length=2000)
    attachment: dict[str, Any] | None = Field(
        default=None,
        description="`{type: template, payload: {template_type: button|generic|receipt, …}}` "
        "or a media attachment `{type: image|audio|video|file, payload: {url}}`",
    )
    quick_replies: list[QuickReply] | None = Field(default=None, max_length=13)
    metadata: str | None = Field(default=None, max_length=1000)


class SendRequest(BaseModel):
    """A Send API call. Form-encoded bodies and JSON-string `recipient`/`message` are
    accepted too, as Messenger does."""

    model_config = ConfigDict(extra="allow")
    recipient: Recipient
    messaging_type: Literal["RESPONSE", "UPDATE", "MESSAGE_TAG"] = "RESPONSE"
    tag: (
        Literal[
            "ACCOUNT_UPDATE",
            "CONFIRMED_EVENT_UPDATE",
            "POST_PURCHASE_UPDATE",
            "HUMAN_AGENT",
            "CUSTOMER_FEEDBACK",
        ]
        | None
    ) = None
    message: OutgoingMessage | None = None
    sender_action: Literal["typing_on", "typing_off", "mark_seen"] | None = None
    notification_type: Literal["REGULAR", "SILENT_PUSH", "NO_PUSH"] | None = None


class SendResponse(BaseModel):
    recipient_id: str
    message_id: str | None = Field(default=None, description="Absent for sender actions")


SEND_EXAMPLES: dict[str, Any] = {
    "text": {
        "recipient": {"id": "12345678901234567890"},
        "messaging_type": "RESPONSE",
        "message": {"text": "Your card ending 1234 is now active."},
    },
    "quick_replies": {
        "recipient": {"id": "12345678901234567890"},
        "message": {
            "text": "Was this you?",
            "quick_replies": [
                {"content_type": "text", "title": "Yes, it was me", "payload": "FRAUD_NO"},
                {"content_type": "text", "title": "No", "payload": "FRAUD_YES"},
            ],
        },
    },
    "button_template": {
        "recipient": {"id": "12345678901234567890"},
        "message": {
            "attachment": {
                "type": "template",
                "payload": {
                    "template_type": "button",
                    "text": "What do you want to do next?",
                    "buttons": [{"type": "postback", "title": "Balance", "payload": "BAL"}],
                },
            }
        },
    },
    "tagged_update": {
        "recipient": {"id": "12345678901234567890"},
        "messaging_type": "MESSAGE_TAG",
        "tag": "ACCOUNT_UPDATE",
        "message": {"text": "Your new card has been shipped."},
    },
    "sender_action": {"recipient": {"id": "12345678901234567890"}, "sender_action": "typing_on"},
}


class DeliveryAttempt(BaseModel):
    attempted_at: int
    status_code: int | None
    error: str | None
    duration_ms: int


class Delivery(BaseModel):
    id: str
    kind: str
    psid: str
    status: Literal["pending", "delivered", "failed"]
    attempts: list[DeliveryAttempt]
    next_attempt_at: int | None
    last_status_code: int | None
    created_at: int
    delivered_at: int | None
    event: dict[str, Any]


class DeliveryLog(BaseModel):
    data: list[Delivery]


# -- person-facing --------------------------------------------------------------------------
class BusinessOut(BaseModel):
    page_id: str
    name: str


class BusinessList(BaseModel):
    data: list[BusinessOut]


class MessageOut(BaseModel):
    model_config = ConfigDict(extra="allow")
    mid: str
    from_: Literal["user", "page"] = Field(alias="from")
    text: str | None = None
    quick_replies: list[dict[str, Any]] | None = None
    attachment: dict[str, Any] | None = None
    created_time: str


class ThreadOut(BaseModel):
    page_id: str
    page_name: str
    last_message: MessageOut | None
    unread: int


class ThreadList(BaseModel):
    data: list[ThreadOut]


class MessageList(BaseModel):
    data: list[MessageOut]


class PayloadIn(BaseModel):
    title: str = Field(min_length=1, max_length=80)
    payload: str = Field(min_length=1, max_length=1000)


class UserMessageIn(BaseModel):
    """Exactly one of `text`, `quick_reply` or `postback`."""

    model_config = ConfigDict(extra="forbid")
    text: str | None = Field(default=None, min_length=1, max_length=2000)
    quick_reply: PayloadIn | None = None
    postback: PayloadIn | None = None


class MidOut(BaseModel):
    mid: str


class ReadOut(BaseModel):
    success: bool
    watermark: int | None
