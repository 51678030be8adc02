"""Account linking, bank side: the PSID lookup and ``unlink_accounts`` (any version prefix)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request

from ledgerline.api.bank.routing import graph_call, graph_route
from ledgerline.api.deps import Context
from ledgerline.api.linking_schemas import RecipientLookupOut, UnlinkAccountsOut
from ledgerline.api.openapi import documented_query, documented_schemas
from ledgerline.api.schemas import ERRORS
from ledgerline.domain.clock import to_ms
from ledgerline.domain.errors import InvalidParameter, NotFound
from ledgerline.domain.fields import Obj, PageScopedId, json_schemas
from ledgerline.linking.actions import do_business_unlink, lookup_psid
from ledgerline.storage.stores import businesses as business_store

router = APIRouter(tags=["Account linking (bank)"])
UNLINK_ACCOUNTS = Obj("UnlinkAccounts", {"psid": PageScopedId()})

LOOKUP_DESCRIPTION = """
During account linking, the bank's `/authorize` page receives `account_linking_token` and
may ask which person (PSID) it belongs to: `GET` (or `POST`, as some client libraries do)
`/me?fields=recipient&account_linking_token=T`. Only the page the token was issued for gets
an answer; an unknown, expired or other page's token answers `(#10301) Account linking
token expired` (HTTP 400).
"""


@dataclass(frozen=True, slots=True)
class NodeFields:
    """``fields`` of ``/me``: comma-separated (or a list); only ``recipient`` means anything."""

    required: bool = False

    def parse(self, value: Any, param: str) -> set[str]:
        raw = value or ""
        if isinstance(raw, list):
            raw = ",".join(str(x) for x in raw)
        return {f.strip() for f in str(raw).split(",") if f.strip()}

    def schema(self, named: dict[str, dict[str, Any]]) -> dict[str, Any]:
        return {
            "type": "string",
            "description": "`recipient`: the PSID behind `account_linking_token`; without it "
            "(and without a token) the page's `id` and `name`",
            "examples": ["recipient"],
        }


@dataclass(frozen=True, slots=True)
class LinkingToken:
    """``account_linking_token``: when given, a non-empty text (required with
    ``fields=recipient``, which the route checks)."""

    required: bool = False

    def parse(self, value: Any, param: str) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str) or not value:
            raise InvalidParameter(f"param {param} is required")
        return value

    def schema(self, named: dict[str, dict[str, Any]]) -> dict[str, Any]:
        return {
            "type": "string",
            "minLength": 1,
            "description": "The token the bank's `/authorize` page received",
        }


ME_QUERY = Obj(
    "RecipientLookupQuery", {"fields": NodeFields(), "account_linking_token": LinkingToken()}
)


_ME = {
    "response_model": RecipientLookupOut,
    "response_model_exclude_none": True,
    "responses": ERRORS,
    "description": LOOKUP_DESCRIPTION,
    "openapi_extra": documented_query(ME_QUERY),
}


@graph_route(
    router,
    "/me",
    ["GET"],
    summary="The page, or the PSID behind an account_linking_token (fields=recipient)",
    **_ME,
)
async def me(request: Request, ctx: Context, version: str | None = None) -> dict[str, Any]:
    return await _me(request, ctx, version)


@graph_route(
    router,
    "/me",
    ["POST"],
    summary="The same lookup by POST (as fbmessenger's link_account() sends it)",
    **_ME,
)
async def me_by_post(request: Request, ctx: Context, version: str | None = None) -> dict[str, Any]:
    return await _me(request, ctx, version)


async def _me(request: Request, ctx: Context, version: str | None) -> dict[str, Any]:
    params, auth = await graph_call(request, ctx, version)
    query = ME_QUERY.read(params)
    token = query["account_linking_token"]
    if "recipient" not in query["fields"] and token is None:
        business = await ctx.db.read(business_store.get_business, auth.page_id)
        if business is None:  # pragma: no cover - token rows reference businesses
            raise NotFound()
        return {"id": auth.page_id, "name": business.name}
    if token is None:
        raise InvalidParameter("param account_linking_token is required")
    psid = await ctx.db.query(
        lookup_psid, token=token, page_id=auth.page_id, now=to_ms(ctx.clock.now())
    )
    return {"id": auth.page_id, "recipient": psid}


@graph_route(
    router,
    "/me/unlink_accounts",
    ["POST"],
    response_model=UnlinkAccountsOut,
    responses=ERRORS,
    summary="Unlink a person's account (the bank's side of Log Out)",
    description="Ends the person's link with this page: the `account_linking` webhook "
    "`unlinked` follows, and the financial data the page shared about that person is "
    "erased. Idempotent for any PSID of the page; an unknown PSID is `(#100)` "
    "subcode 2018001.",
    openapi_extra=documented_schemas(
        json_schemas(UNLINK_ACCOUNTS), {"unlink": {"psid": "12345678901234567890"}}
    ),
)
async def unlink_accounts(
    request: Request, ctx: Context, version: str | None = None
) -> dict[str, Any]:
    params, auth = await graph_call(request, ctx, version)
    body = UNLINK_ACCOUNTS.read(params)
    await ctx.db.write(
        do_business_unlink,
        page_id=auth.page_id,
        psid=body["psid"],
        now=to_ms(ctx.clock.now()),
        hooks=ctx.linking_hooks,
        partition=auth.page_id,
    )
    return {"result": "unlink account success"}
