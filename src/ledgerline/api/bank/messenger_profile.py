"""The Messenger Profile API: ``GET|POST|DELETE /me/messenger_profile`` and a person's own
menu, ``GET|POST|DELETE /me/custom_user_settings`` (any version prefix).

What a bot sets at start-up: the Get Started button, the greeting, the persistent menu, ice
breakers, whitelisted domains and the account-linking URL. The person's app shows them
(``api.person.page_profile``); validation and limits are Messenger's (``domain.page_profile``).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from ledgerline.api.bank.body import decode_json_fields
from ledgerline.api.bank.routing import graph_call, graph_route
from ledgerline.api.deps import Context
from ledgerline.api.openapi import documented_query, documented_schemas
from ledgerline.api.profile_schemas import (
    DELETE_EXAMPLES,
    GET_EXAMPLE,
    PERSON_MENU_EXAMPLES,
    PROFILE_EXAMPLES,
    MessengerProfileOut,
    ResultOut,
)
from ledgerline.api.schemas import ERRORS
from ledgerline.chat.page_profile import (
    do_delete_page_profile,
    do_delete_person_menu,
    do_set_page_profile,
    do_set_person_menu,
    page_profile,
    person_menus,
)
from ledgerline.delivery.urls import UrlNotAllowed, check_url
from ledgerline.domain.clock import to_ms
from ledgerline.domain.errors import InvalidParameter
from ledgerline.domain.fields import json_schemas
from ledgerline.domain.page_profile import (
    DELETE_PERSON_MENU,
    FIELDS,
    PERSON_MENU,
    PERSON_MENU_QUERY,
    PROFILE,
    PROFILE_FIELDS,
    PROFILE_QUERY,
    field_names,
    normalize_profile,
)

router = APIRouter(tags=["Messenger Profile"])
PATH = "/me/messenger_profile"
SUCCESS = {"result": "success"}


def _answer(example: dict[str, Any]) -> dict[int | str, dict[str, Any]]:
    return {**ERRORS, 200: {"content": {"application/json": {"example": example}}}}


@graph_route(
    router,
    PATH,
    ["GET"],
    response_model=MessengerProfileOut,
    responses=_answer(GET_EXAMPLE),
    summary="Read the page's Messenger Profile properties",
    description="`?fields=get_started,greeting,...` (required): the properties asked for "
    "that are set, as one object in `data` (`data` is empty when none is). An unknown "
    f"property is `(#100)`. Properties: {', '.join(f'`{f}`' for f in FIELDS)}.",
    openapi_extra=documented_query(PROFILE_QUERY),
)
async def get_profile(request: Request, ctx: Context, version: str | None = None) -> dict[str, Any]:
    params, auth = await graph_call(request, ctx, version)
    names = PROFILE_QUERY.read(params)["fields"]
    found = await ctx.db.query(page_profile, page_id=auth.page_id, names=names)
    return {"data": [found] if found else []}


@graph_route(
    router,
    PATH,
    ["POST"],
    response_model=ResultOut,
    responses=_answer(SUCCESS),
    summary="Set Messenger Profile properties (Get Started, greeting, menu, ...)",
    description="Each property given replaces the page's; the others stay. Limits as "
    "Messenger's: greeting ≤ 160 characters per locale; a persistent menu of ≤ 20 items "
    "(nested submenus ≤ 5 items, 3 levels), titles ≤ 30, payloads ≤ 1000, and only once a "
    "Get Started button is set (`(#100)` subcode 2018145); ≤ 4 ice breakers per locale, "
    "questions ≤ 80; ≤ 50 whitelisted https domains. Per-locale lists need a `default` "
    "entry; the person sees their language's entry (`vi_VN` for vi), else `default`. "
    "`account_linking_url` is the page's account-link URL (https in production), the one "
    "`account_link` buttons must point at.",
    openapi_extra=documented_schemas(json_schemas(PROFILE), PROFILE_EXAMPLES),
)
async def set_profile(request: Request, ctx: Context, version: str | None = None) -> dict[str, Any]:
    params, auth = await graph_call(request, ctx, version)
    decode_json_fields(params, FIELDS)
    values = normalize_profile(params)
    if "account_linking_url" in values:
        try:
            check_url(
                values["account_linking_url"], allow_insecure=ctx.allow_insecure_urls, resolve=False
            )
        except UrlNotAllowed as exc:
            raise InvalidParameter(f"param account_linking_url is not allowed: {exc}") from None
    await ctx.db.write(
        do_set_page_profile,
        page_id=auth.page_id,
        values=values,
        now=to_ms(ctx.clock.now()),
        partition=auth.page_id,
    )
    return SUCCESS


@graph_route(
    router,
    PATH,
    ["DELETE"],
    response_model=ResultOut,
    responses=_answer(SUCCESS),
    summary="Delete Messenger Profile properties",
    description='`{"fields": ["persistent_menu", ...]}` (or `?fields=a,b`). Deleting a '
    "property that is not set succeeds; the Get Started button cannot go while a "
    "persistent menu needs it (delete both together).",
    openapi_extra=documented_schemas(json_schemas(PROFILE_FIELDS), DELETE_EXAMPLES),
)
async def delete_profile(
    request: Request, ctx: Context, version: str | None = None
) -> dict[str, Any]:
    params, auth = await graph_call(request, ctx, version)
    decode_json_fields(params, ("fields",))
    names = field_names(params.get("fields"))
    await ctx.db.write(
        do_delete_page_profile,
        page_id=auth.page_id,
        names=names,
        now=to_ms(ctx.clock.now()),
        partition=auth.page_id,
    )
    return SUCCESS


USER_PATH = "/me/custom_user_settings"


@graph_route(
    router,
    USER_PATH,
    ["GET"],
    responses=_answer(
        {"data": [{"user_level_persistent_menu": [], "page_level_persistent_menu": []}]}
    ),
    summary="A person's own persistent menu, and the page's",
    description='`?psid=` (required): `{"data": [{"user_level_persistent_menu", '
    '"page_level_persistent_menu"}]}`, each when set.',
    openapi_extra=documented_query(PERSON_MENU_QUERY),
)
async def get_person_menu(
    request: Request, ctx: Context, version: str | None = None
) -> dict[str, Any]:
    params, auth = await graph_call(request, ctx, version)
    psid = PERSON_MENU_QUERY.read(params)["psid"]
    found = await ctx.db.query(person_menus, page_id=auth.page_id, psid=psid)
    return {"data": [found] if found else []}


@graph_route(
    router,
    USER_PATH,
    ["POST"],
    response_model=ResultOut,
    responses=_answer(SUCCESS),
    summary="Set a persistent menu for one person (instead of the page's)",
    description='`{"psid", "persistent_menu": [...]}` — the same rules as the page\'s '
    "menu; the person sees it in place of the page's. Another page's PSID: `(#100)` "
    "subcode 2018001.",
    openapi_extra=documented_schemas(json_schemas(PERSON_MENU), PERSON_MENU_EXAMPLES),
)
async def set_person_menu(
    request: Request, ctx: Context, version: str | None = None
) -> dict[str, Any]:
    params, auth = await graph_call(request, ctx, version)
    decode_json_fields(params, ("persistent_menu",))
    body = PERSON_MENU.read(params)
    await ctx.db.write(
        do_set_person_menu,
        page_id=auth.page_id,
        psid=body["psid"],
        menu=body["persistent_menu"],
        now=to_ms(ctx.clock.now()),
        partition=auth.page_id,
    )
    return SUCCESS


@graph_route(
    router,
    USER_PATH,
    ["DELETE"],
    response_model=ResultOut,
    responses=_answer(SUCCESS),
    summary="Delete a person's own persistent menu (the page's applies again)",
    description='`?psid=…&params=["persistent_menu"]`.',
    openapi_extra=documented_query(DELETE_PERSON_MENU),
)
async def delete_person_menu(
    request: Request, ctx: Context, version: str | None = None
) -> dict[str, Any]:
    params, auth = await graph_call(request, ctx, version)
    decode_json_fields(params, ("params",))
    query = DELETE_PERSON_MENU.read(params)
    await ctx.db.write(
        do_delete_person_menu,
        page_id=auth.page_id,
        psid=query["psid"],
        now=to_ms(ctx.clock.now()),
        partition=auth.page_id,
    )
    return SUCCESS
