"""The User Profile API: ``GET /{PSID}?fields=first_name,last_name,…`` (any version prefix).

``/{PSID}`` is a catch-all shape, so its route matches only what a Graph node id can be —
digits (Starlette's ``int`` convertor; PSIDs and page ids never start with 0) — and never
shadows a named path (``/me``, ``/privacy``, ``/healthz``, …) whatever order the routes are
added in. The page's own
id answers the page (``{"id","name"}``), as Graph does.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request

from ledgerline.api.bank.routing import graph_call, graph_route
from ledgerline.api.deps import Context
from ledgerline.api.openapi import documented_query
from ledgerline.api.schemas import ERRORS
from ledgerline.chat.personas import find_persona, persona_wire
from ledgerline.chat.user_profile import person_for_page
from ledgerline.domain.clock import to_ms
from ledgerline.domain.errors import NotFound
from ledgerline.domain.user_profile import AVATAR_PATH, PROFILE_QUERY, user_profile
from ledgerline.storage.stores import businesses as business_store

router = APIRouter(tags=["User Profile"])

EXAMPLE = {
    "first_name": "An",
    "last_name": "Nguyễn",
    "profile_pic": "https://ledgerline.example/static/avatar.svg",
    "locale": "vi_VN",
    "id": "12345678901234567890",
}


@graph_route(
    router,
    "/{psid:int}",
    ["GET"],
    responses={**ERRORS, 200: {"content": {"application/json": {"example": EXAMPLE}}}},
    summary="A person's profile, as far as the page may know (User Profile API)",
    description="`?fields=` (default `first_name,last_name,profile_pic`). The id of one of the "
    "page's personas "
    "answers that persona (`name`, `profile_picture_url`, `id`), as Messenger's Personas API "
    "does. What each field reveals is in "
    "`docs/privacy.md`: names and locale to a page the person wrote to; `profile_pic` is "
    "one neutral avatar; `timezone` (hours from UTC) only while the person's account is "
    "linked with the page; `gender` is never answered. Another page's PSID, an unknown "
    "one, or a person who blocked the page: `(#100)` subcode 33, as Graph answers for an "
    "object it will not show. An unknown field: `(#100) Tried accessing nonexisting field`.",
    openapi_extra=documented_query(PROFILE_QUERY),
)
async def get_user_profile(
    request: Request,
    ctx: Context,
    node: Annotated[int, Path(alias="psid", description="The person's PSID (or the page's id)")],
    version: str | None = None,
) -> dict[str, Any]:
    params, auth = await graph_call(request, ctx, version)
    psid = str(node)
    if psid == auth.page_id:
        business = await ctx.db.read(business_store.get_business, auth.page_id)
        if business is None:  # pragma: no cover - token rows reference businesses
            raise NotFound()
        return {"name": business.name, "id": auth.page_id}
    persona = await ctx.db.query(find_persona, auth.page_id, psid)
    if persona is not None:  # GET /{PERSONA_ID} (Messenger's Personas API)
        return persona_wire(persona)
    fields = PROFILE_QUERY.read(params)["fields"]
    now = ctx.clock.now()
    seen = await ctx.db.query(person_for_page, page_id=auth.page_id, psid=psid, now=to_ms(now))
    return user_profile(
        fields,
        psid=psid,
        names=seen.names,
        locale=seen.locale,
        timezone=seen.timezone,
        linked=seen.linked,
        now=now,
        avatar_url=ctx.public_url.rstrip("/") + AVATAR_PATH,
    )
