"""Account linking in the browser: the consent screen, its form, and the bank's callback.

Protection, in order of the flow:

* Who: the consent screen is shown to the web app's signed-in person (``session_user``), to
  an API client sending ``Authorization: Bearer USER_TOKEN``, or to a browser holding an
  *entry ticket* (``?ticket=`` from ``POST /api/v1/threads/{page_id}/account_link/consent_url``:
  signed, 10 minutes, bound to person + business + bank URL; the page names the person).
* CSRF: the form carries a signed *form ticket* bound to an HttpOnly ``SameSite=Lax``
  cookie set with the page, spent once; a cross-site ``Origin`` is refused.
* Link-phishing: the callback links only for the person who started the flow, proven by
  their credentials on the callback itself — the web session cookie, or an
  ``Authorization: Bearer`` access token (a native client following the redirect) — and,
  for a flow started on the consent screen, only in the browser that submitted it (a
  binding cookie whose hash is stored with the linking token). Anything else is refused
  (403) and nothing is linked: an attacker's flow completed by a victim links nobody.
* Clickjacking: the pages refuse framing; nothing here is cached; no referrer is sent.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ledgerline.api.deps import Context, authenticate_user, session_user
from ledgerline.domain.clock import to_ms
from ledgerline.domain.errors import Conflict, LedgerlineError
from ledgerline.domain.scopes import Scope
from ledgerline.linking.actions import (
    CONSENT_LIFETIME_MS,
    Outcome,
    check_link_target,
    do_complete_link,
    do_start_link,
)
from ledgerline.linking.pages import render_consent, render_result
from ledgerline.linking.queries import callback_partition, requested_scopes
from ledgerline.linking.texts import catalogue, pick_locale
from ledgerline.linking.tokens import (
    TICKET_LIFETIME_MS,
    TOKEN_LIFETIME_MS,
    digest,
    form_ticket,
    new_secret,
    read_entry_ticket,
    read_form_ticket,
)
from ledgerline.storage.stores import businesses as business_store, people as people_store

router = APIRouter(prefix="/account_linking", tags=["Account linking (browser)"])

CONSENT_COOKIE = "ll_consent"
BINDING_COOKIE = "ll_link"
COOKIE_PATH = "/account_linking"
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    # same-origin, not no-referrer: with no-referrer the browser posts the consent form
    # with "Origin: null", which the same-origin check must refuse. The bank still gets no
    # Referer (it is another origin).
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "form-action 'self' https: http:; frame-ancestors 'none'; base-uri 'none'",
}
HTML_DOC = {"content": {"text/html": {"example": "<!doctype html>…"}}}

_SCOPE_VALUES = frozenset(s.value for s in Scope)

OUTCOME_STATUS = {
    Outcome.LINKED: 200,
    Outcome.CANCELLED: 200,
    Outcome.EXPIRED: 400,
    Outcome.USED: 409,
    Outcome.INVALID: 400,
    Outcome.REFUSED: 403,
}


def _page(html: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)


def _browser_locale(request: Request, *preferred: str | None) -> str:
    return pick_locale(*preferred, request.headers.get("accept-language"))


def _result(locale: str, outcome: str, status: int, business: str | None = None,
            body: str | None = None, page_id: str | None = None) -> HTMLResponse:  # fmt: skip
    """A result page; with ``page_id``, its link leads back to that business's thread."""
    html = render_result(
        locale=locale, outcome=outcome, business=business, body=body, page_id=page_id
    )
    return _page(html, status)


def _secure(ctx: Context) -> bool:
    return ctx.public_url.lower().startswith("https://")


async def _api_user(ctx: Context, request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("bearer "):
        return None
    return await authenticate_user(ctx, header[7:].strip() or None)


@router.get(
    "/consent",
    response_class=HTMLResponse,
    responses={200: HTML_DOC, 400: HTML_DOC, 401: HTML_DOC, 403: HTML_DOC},
    summary="The consent screen (HTML, vi/en) shown before the bank's sign-in",
    description="For the signed-in person (web app session), an API client "
    "(`Authorization: Bearer USER_TOKEN`) with `page_id` and `url`, or any browser with an "
    "entry `ticket`. The form posts back here and is redirected (303) to the bank.",
)
async def consent_page(
    request: Request,
    ctx: Context,
    page_id: Annotated[str | None, Query(max_length=40)] = None,
    url: Annotated[str | None, Query(max_length=2000)] = None,
    ticket: Annotated[str | None, Query(max_length=4000)] = None,
    scopes: Annotated[
        str | None,
        Query(
            max_length=200,
            description="Comma-separated: narrows what starts ticked, never widens it. Only "
            "the scopes the business asked for (the `scopes` of its `account_link` button in "
            "the thread) start ticked; everything else starts unticked.",
        ),
    ] = None,
    lang: Annotated[str | None, Query(max_length=10)] = None,
) -> Response:
    now = to_ms(ctx.clock.now())
    signed_in = await session_user(request)
    locale = _browser_locale(request, lang)
    user_id: str | None
    if ticket is not None:
        entry = read_entry_ticket(ctx.secret_key, ticket, now=now)
        if entry is None:
            return _result(locale, "expired", 400)
        if signed_in is not None and signed_in != entry.user_id:
            return _result(locale, "refused", 403)
        user_id, page_id, url = entry.user_id, entry.page_id, entry.url
    else:
        try:
            user_id = signed_in or await _api_user(ctx, request)
        except LedgerlineError:
            user_id = None
        if user_id is None:
            return _result(locale, "signin", 401)
    if page_id is None or url is None:
        return _result(locale, "bad_request", 400, body="page_id and url are required")
    business = await ctx.db.read(business_store.get_business, page_id)
    try:
        check_link_target(business, url)
    except LedgerlineError as exc:
        return _result(locale, "bad_request", 400, body=str(exc))
    assert business is not None  # noqa: S101 - checked above
    user = await ctx.db.read(people_store.get_user, user_id)
    if user is None:
        return _result(locale, "signin", 401)
    locale = pick_locale(lang, user.locale)
    requested = await ctx.db.query(requested_scopes, page_id=page_id, user_id=user_id, url=url)
    checked = requested
    if scopes:
        checked = frozenset(s for s in requested if s.value in scopes.split(","))
    cookie = new_secret()
    form = form_ticket(
        ctx.secret_key,
        user_id=user_id,
        page_id=page_id,
        url=url,
        cookie=cookie,
        version=catalogue(locale).version,
        now=now,
    )
    html = render_consent(
        locale=locale,
        business=business.name,
        person=user.name,
        ticket=form,
        action=f"{COOKIE_PATH}/consent",
        until=now + CONSENT_LIFETIME_MS,
        timezone=user.timezone,
        checked=checked,
        requested=requested,
    )
    response = _page(html)
    response.set_cookie(
        CONSENT_COOKIE,
        cookie,
        max_age=TICKET_LIFETIME_MS // 1000,
        path=COOKIE_PATH,
        httponly=True,
        samesite="lax",
        secure=_secure(ctx),
    )
    return response


def _same_origin(request: Request, ctx: Context) -> bool:
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin is None
    allowed = {_origin(ctx.public_url), _origin(str(request.base_url))}
    return _origin(origin) in allowed


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


@router.post(
    "/consent",
    response_class=HTMLResponse,
    status_code=303,
    responses={303: {"description": "To the bank's URL with account_linking_token and "
                     "redirect_uri"}, 400: HTML_DOC, 403: HTML_DOC, 409: HTML_DOC},
    summary="Submit the consent form (form-encoded: ticket, scopes…, decision)",
    openapi_extra={"requestBody": {"required": True, "content": {
        "application/x-www-form-urlencoded": {
            "schema": {"type": "object", "required": ["ticket"], "properties": {
                "ticket": {"type": "string", "description": "The form ticket of the page"},
                "scopes": {"type": "array", "items": {"type": "string", "enum": [
                    s.value for s in Scope]}},
                "decision": {"type": "string", "enum": ["accept", "decline"]}}},
            "example": {"ticket": "eyJr…", "scopes": ["balances", "transactions"],
                        "decision": "accept"}}}}},
)  # fmt: skip
async def submit_consent(request: Request, ctx: Context) -> Response:
    now = to_ms(ctx.clock.now())
    locale = _browser_locale(request)
    try:
        form = await request.form()
    except Exception:  # malformed body: the same answer as a bad ticket
        return _result(locale, "invalid", 400)
    raw_ticket = form.get("ticket")
    ticket = (
        read_form_ticket(ctx.secret_key, raw_ticket, now=now)
        if isinstance(raw_ticket, str)
        else None
    )
    if ticket is None:
        return _result(locale, "expired", 400)
    locale = catalogue(ticket.version.split("-")[0]).locale
    cookie = request.cookies.get(CONSENT_COOKIE)
    signed_in = await session_user(request)
    if (
        cookie is None
        or digest(cookie) != ticket.cookie_hash
        or not _same_origin(request, ctx)
        or (signed_in is not None and signed_in != ticket.user_id)
    ):
        return _result(locale, "refused", 403)
    business = await ctx.db.read(business_store.get_business, ticket.page_id)
    name = None if business is None else business.name
    if form.get("decision") == "decline":
        return _result(locale, "cancelled", 200, name, page_id=ticket.page_id)
    chosen = frozenset(
        Scope(v) for v in form.getlist("scopes") if isinstance(v, str) and v in _SCOPE_VALUES
    )
    if not chosen:
        user = await ctx.db.read(people_store.get_user, ticket.user_id)
        requested = await ctx.db.query(
            requested_scopes, page_id=ticket.page_id, user_id=ticket.user_id, url=ticket.url
        )
        html = render_consent(
            locale=locale,
            business=name or "",
            person=None if user is None else user.name,
            ticket=raw_ticket,  # type: ignore[arg-type]  # a str: read above
            action=f"{COOKIE_PATH}/consent",
            until=now + CONSENT_LIFETIME_MS,
            timezone=None if user is None else user.timezone,
            requested=requested,
            error=catalogue(locale).text("consent", "none_selected"),
        )
        return _page(html, 400)
    binding = new_secret()
    try:
        started = await ctx.db.write(
            do_start_link,
            user_id=ticket.user_id,
            page_id=ticket.page_id,
            url=ticket.url,
            scopes=chosen,
            text_version=ticket.version,
            public_url=ctx.public_url,
            now=now,
            binding_hash=digest(binding),
            form_nonce_hash=digest(ticket.nonce),
            partition=ticket.page_id,
        )
    except Conflict:
        return _result(locale, "used", 409, name, page_id=ticket.page_id)
    except LedgerlineError as exc:
        return _result(locale, "bad_request", 400, body=str(exc))
    response = RedirectResponse(started.redirect_url, status_code=303, headers=SECURITY_HEADERS)
    response.delete_cookie(CONSENT_COOKIE, path=COOKIE_PATH)
    response.set_cookie(
        BINDING_COOKIE,
        binding,
        max_age=TOKEN_LIFETIME_MS // 1000 + 60,
        path=COOKIE_PATH,
        httponly=True,
        samesite="lax",
        secure=_secure(ctx),
    )
    return response


@router.get(
    "/callback",
    response_class=HTMLResponse,
    responses={200: HTML_DOC, 400: HTML_DOC, 403: HTML_DOC, 409: HTML_DOC},
    summary="Where the bank sends the browser back (redirect_uri)",
    description="`redirect_uri` + `&authorization_code=CODE` links the account (the bank "
    "receives the `account_linking` webhook `linked` with that code); without the code the "
    "person cancelled and nothing is linked. Single-use; expires with the token (5 min). "
    "Accepted only with the credentials of the person who started the flow: their web "
    "session cookie, or `Authorization: Bearer USER_ACCESS_TOKEN` (a native client "
    "following the redirect); otherwise 403 and nothing is linked.",
)
async def callback(
    request: Request,
    ctx: Context,
    state: Annotated[str | None, Query(max_length=200)] = None,
    authorization_code: Annotated[str | None, Query(max_length=2000)] = None,
) -> Response:
    locale = _browser_locale(request)
    if not state:
        return _result(locale, "invalid", 400)
    partition = await ctx.db.query(callback_partition, state)
    try:
        caller = await session_user(request) or await _api_user(ctx, request)
    except LedgerlineError:  # an invalid bearer token or a dead session: nobody
        caller = None
    result = await ctx.db.write(
        do_complete_link,
        state=state,
        code=authorization_code,
        caller=caller,
        binding=request.cookies.get(BINDING_COOKIE),
        now=to_ms(ctx.clock.now()),
        hooks=ctx.linking_hooks,
        partition=partition,
    )
    locale = pick_locale(result.locale, locale)
    response = _result(locale, result.outcome.value, OUTCOME_STATUS[result.outcome],
                       result.business_name, page_id=result.page_id)  # fmt: skip
    if result.outcome in (Outcome.LINKED, Outcome.CANCELLED, Outcome.REFUSED):
        response.delete_cookie(BINDING_COOKIE, path=COOKIE_PATH)
    return response
