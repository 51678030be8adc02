"""Wire models of account linking (documentation and parsing at the edge only)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from ledgerline.domain.scopes import Scope

SCOPE_EXAMPLE = ["balances", "transactions", "fraud_alerts"]
BANK_URL = "https://bank.example/authorize"


class RecipientLookupOut(BaseModel):
    id: str = Field(description="The page id (PAGE_ID)", examples=["106548372910462"])
    recipient: str | None = Field(
        default=None,
        description="The person's PSID for this page (only with fields=recipient)",
        examples=["12345678901234567890"],
    )
    name: str | None = Field(default=None, description="The page's name (without fields)")


class UnlinkAccountsOut(BaseModel):
    result: Literal["unlink account success"]


class AccountLinkIn(BaseModel):
    url: str = Field(
        max_length=2000,
        description="The bank's URL from the account_link button; must match the "
        "business's registered account-link URL (scheme, host and path).",
        examples=[BANK_URL],
    )
    scopes: list[str] = Field(
        max_length=20,
        description="The scopes the person agreed to share (at least one): "
        + ", ".join(s.value for s in Scope),
        examples=[SCOPE_EXAMPLE],
    )
    consent_version: str | None = Field(
        default=None,
        max_length=40,
        description="The version of the consent text the app showed "
        "(GET /api/v1/consent_text); default: the person's locale's current text.",
    )


ACCOUNT_LINK_EXAMPLES: dict[str, Any] = {
    "link": {"url": BANK_URL, "scopes": SCOPE_EXAMPLE},
}


class AccountLinkOut(BaseModel):
    redirect_url: str = Field(
        description="Open this in the browser: the bank's URL with account_linking_token "
        "and redirect_uri",
        examples=[
            BANK_URL + "?account_linking_token=Zk3…&redirect_uri=https%3A%2F%2Fledgerline.example"
            "%2Faccount_linking%2Fcallback%3Fstate%3DqW9…"
        ],
    )
    expires_time: str = Field(examples=["2026-11-29T02:05:00.000+00:00"])
    consent_version: str = Field(examples=["vi-3f1c0a9b2e7d4c55"])
    scopes: list[Scope] = Field(examples=[SCOPE_EXAMPLE])


class ConsentUrlIn(BaseModel):
    url: str = Field(max_length=2000, examples=[BANK_URL])


class ConsentUrlOut(BaseModel):
    consent_url: str = Field(
        description="Open in a browser within 10 minutes: the platform's consent screen",
        examples=["https://ledgerline.example/account_linking/consent?ticket=eyJr…"],
    )


class LinkOut(BaseModel):
    page_id: str = Field(examples=["106548372910462"])
    page_name: str = Field(examples=["Demo Bank"])
    status: Literal["linked", "expired", "unlinked"]
    scopes: list[Scope] = Field(examples=[SCOPE_EXAMPLE])
    consent_version: str = Field(examples=["vi-3f1c0a9b2e7d4c55"])
    granted_time: str | None = Field(examples=["2026-11-29T01:00:00.000+00:00"])
    expires_time: str = Field(examples=["2027-05-28T01:00:00.000+00:00"])
    ended_time: str | None = Field(default=None, examples=[None])


class LinkList(BaseModel):
    data: list[LinkOut]


class LinkPatchIn(BaseModel):
    scopes: list[str] | None = Field(
        default=None,
        max_length=20,
        description="The new scopes (at least one; DELETE the link to share nothing)",
        examples=[["balances"]],
    )
    renew: bool = Field(
        default=False,
        description="Start a new full term (180 days) from now, e.g. after the expiry reminder",
    )


LINK_PATCH_EXAMPLES: dict[str, Any] = {
    "narrow": {"scopes": ["balances"]},
    "widen": {"scopes": ["balances", "transactions", "receipts"]},
    "renew": {"renew": True},
}


class SuccessOut(BaseModel):
    success: bool = True


class ConsentScopeText(BaseModel):
    scope: Scope
    name: str
    purposes: list[str]


class ConsentTextOut(BaseModel):
    locale: Literal["vi", "en"]
    consent_version: str = Field(examples=["vi-3f1c0a9b2e7d4c55"])
    days: int = Field(examples=[180])
    scopes: list[ConsentScopeText]
