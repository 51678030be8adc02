"""Account linking, person side (``/api/v1``): start a link, see, change and end links."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from ledgerline.api.deps import Context, UserId
from ledgerline.api.linking_schemas import (
    ACCOUNT_LINK_EXAMPLES,
    LINK_PATCH_EXAMPLES,
    AccountLinkIn,
    AccountLinkOut,
    ConsentTextOut,
    ConsentUrlIn,
    ConsentUrlOut,
    LinkList,
    LinkOut,
    LinkPatchIn,
    SuccessOut,
)
from ledgerline.api.openapi import documented_body
from ledgerline.api.schemas import ERRORS
from ledgerline.chat.wire import iso_time
from ledgerline.domain.clock import to_ms
from ledgerline.domain.errors import InvalidParameter, NotFound
from ledgerline.domain.scopes import DEFAULT_CONSENT_DAYS, Scope, parse_scopes
from ledgerline.linking.actions import (
    check_link_target,
    do_change_scopes,
    do_person_unlink,
    do_start_link,
)
from ledgerline.linking.queries import LinkView, get_link, list_links
from ledgerline.linking.texts import SCOPE_ORDER, catalogue, pick_locale
from ledgerline.linking.tokens import append_query, entry_ticket
from ledgerline.storage.stores import businesses as business_store, people as people_store

router = APIRouter(prefix="/api/v1", tags=["People: account linking"])


def _scopes(values: list[str]) -> frozenset[Scope]:
    try:
        return parse_scopes(values)
    except ValueError as exc:
        raise InvalidParameter(f"param scopes: {exc}") from None


def _link_out(link: LinkView) -> dict[str, Any]:
    return {
        "page_id": link.page_id,
        "page_name": link.page_name,
        "status": link.status,
        "scopes": [s.value for s in link.scopes],
        "consent_version": link.consent_version,
        "granted_time": None if link.granted_at is None else iso_time(link.granted_at),
        "expires_time": iso_time(link.expires_at),
        "ended_time": None if link.ended_at is None else iso_time(link.ended_at),
    }


@router.post(
    "/threads/{page_id}/account_link",
    response_model=AccountLinkOut,
    responses=ERRORS,
    summary="Consent to link an account, and get the bank URL to open",
    description="The person tapped an `account_link` button and agreed (in the app's own "
    "consent screen) to share `scopes`. Records that consent (pending until the bank "
    "confirms) and answers the bank's URL with `account_linking_token` (single-use, "
    "5 minutes) and `redirect_uri`. The URL must match the business's registered "
    "account-link URL.",
    openapi_extra=documented_body(AccountLinkIn, ACCOUNT_LINK_EXAMPLES),
)
async def start_account_link(
    ctx: Context, user_id: UserId, page_id: str, body: AccountLinkIn
) -> dict[str, Any]:
    started = await ctx.db.write(
        do_start_link,
        user_id=user_id,
        page_id=page_id,
        url=body.url,
        scopes=_scopes(body.scopes),
        text_version=body.consent_version,
        public_url=ctx.public_url,
        now=to_ms(ctx.clock.now()),
        partition=page_id,
    )
    return {
        "redirect_url": started.redirect_url,
        "expires_time": iso_time(started.expires_at),
        "consent_version": started.text_version,
        "scopes": [s.value for s in SCOPE_ORDER if s in started.scopes],
    }


@router.post(
    "/threads/{page_id}/account_link/consent_url",
    response_model=ConsentUrlOut,
    responses=ERRORS,
    summary="A consent-screen URL to open in a browser (no session needed)",
    description="For apps that show the platform's own consent screen: returns a URL "
    "carrying a signed ticket (10 minutes) bound to this person, business and bank URL. "
    "The page names the person; a browser signed in as someone else is refused. The bank's "
    "redirect back (the callback) links only with this person's credentials: open the URL "
    "in a browser signed in to Ledgerline, or follow the redirect from the app with its "
    "`Authorization: Bearer` token.",
    openapi_extra=documented_body(
        ConsentUrlIn, {"link": {"url": ACCOUNT_LINK_EXAMPLES["link"]["url"]}}
    ),
)
async def consent_url(
    ctx: Context, user_id: UserId, page_id: str, body: ConsentUrlIn
) -> dict[str, Any]:
    business = await ctx.db.read(business_store.get_business, page_id)
    check_link_target(business, body.url)
    ticket = entry_ticket(
        ctx.secret_key,
        user_id=user_id,
        page_id=page_id,
        url=body.url,
        now=to_ms(ctx.clock.now()),
    )
    url = append_query(ctx.public_url.rstrip("/") + "/account_linking/consent", {"ticket": ticket})
    return {"consent_url": url}


@router.post(
    "/threads/{page_id}/account_unlink",
    response_model=SuccessOut,
    responses={**ERRORS, 404: ERRORS[400]},
    summary="The person tapped an account_unlink (Log Out) button",
    description="Same as `DELETE /api/v1/links/{page_id}`.",
)
async def account_unlink(ctx: Context, user_id: UserId, page_id: str) -> dict[str, Any]:
    return await _unlink(ctx, user_id, page_id)


async def _unlink(ctx: Context, user_id: str, page_id: str) -> dict[str, Any]:
    await ctx.db.write(
        do_person_unlink,
        page_id=page_id,
        user_id=user_id,
        now=to_ms(ctx.clock.now()),
        hooks=ctx.linking_hooks,
        partition=page_id,
    )
    return {"success": True}


@router.get(
    "/links",
    response_model=LinkList,
    responses=ERRORS,
    summary="Every account the person linked, with scopes, granted and expiry times",
)
async def links(ctx: Context, user_id: UserId) -> dict[str, Any]:
    views = await ctx.db.query(list_links, user_id, to_ms(ctx.clock.now()))
    return {"data": [_link_out(v) for v in views]}


@router.patch(
    "/links/{page_id}",
    response_model=LinkOut,
    responses={**ERRORS, 404: ERRORS[400]},
    summary="Narrow or widen a link's scopes (or renew it) without relinking",
    openapi_extra=documented_body(LinkPatchIn, LINK_PATCH_EXAMPLES),
)
async def change_link(
    ctx: Context, user_id: UserId, page_id: str, body: LinkPatchIn
) -> dict[str, Any]:
    if body.scopes is None and not body.renew:
        raise InvalidParameter("Give scopes, renew, or both")
    now = to_ms(ctx.clock.now())
    await ctx.db.write(
        do_change_scopes,
        page_id=page_id,
        user_id=user_id,
        scopes=None if body.scopes is None else _scopes(body.scopes),
        renew=body.renew,
        now=now,
        hooks=ctx.linking_hooks,
        partition=page_id,
    )
    view = await ctx.db.query(get_link, user_id, page_id, now)
    if view is None:  # pragma: no cover - just written
        raise NotFound("No link with this business")
    return _link_out(view)


@router.delete(
    "/links/{page_id}",
    response_model=SuccessOut,
    responses={**ERRORS, 404: ERRORS[400]},
    summary="Unlink: the bank is told (webhook unlinked) and its data erased",
)
async def unlink(ctx: Context, user_id: UserId, page_id: str) -> dict[str, Any]:
    return await _unlink(ctx, user_id, page_id)


@router.get(
    "/consent_text",
    response_model=ConsentTextOut,
    responses=ERRORS,
    summary="The consent text (scopes and purposes) an app shows before linking",
)
async def consent_text(
    ctx: Context,
    user_id: UserId,
    page_id: Annotated[str | None, Query(max_length=40)] = None,
    locale: Annotated[str | None, Query(max_length=10)] = None,
) -> dict[str, Any]:
    user = await ctx.db.read(people_store.get_user, user_id)
    texts = catalogue(pick_locale(locale, None if user is None else user.locale))
    name = "…"
    if page_id is not None:
        business = await ctx.db.read(business_store.get_business, page_id)
        if business is None:
            raise NotFound("No business with this page id")
        name = business.name
    return {
        "locale": texts.locale,
        "consent_version": texts.version,
        "days": DEFAULT_CONSENT_DAYS,
        "scopes": [
            {
                "scope": s.value,
                "name": texts.scope_name(s),
                "purposes": texts.scope_purposes(s, business=name),
            }
            for s in SCOPE_ORDER
        ],
    }
