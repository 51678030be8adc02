"""The privacy centre (``/privacy``): the person's links with their scopes (toggles),
grant and expiry, renewal, unlinking with a confirmation step, the data export download
and the access log in plain words.

Server-rendered forms (no JavaScript needed), each with the session's CSRF token; every
read and change takes the person from the session, never from the request, so a person
only ever sees and changes their own links. Changes answer with a redirect back to the
page (no resubmission on reload); a change that can no longer apply (the link was ended in
another tab, by the bank, or by expiry) gets a clear "already unlinked" answer and changes
nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from babel.dates import format_time
from fastapi import APIRouter, Request
from starlette.responses import Response

from ledgerline.domain.clock import to_ms
from ledgerline.domain.errors import NotFound
from ledgerline.domain.scopes import DEFAULT_CONSENT_DAYS, Scope
from ledgerline.identity.errors import CsrfRejected
from ledgerline.identity.sessions import PERSON
from ledgerline.language.counts import held_list
from ledgerline.language.formatter import long_date, long_date_at, person_zone
from ledgerline.linking.queries import LinkView, get_link, list_links
from ledgerline.linking.texts import SCOPE_ORDER, catalogue
from ledgerline.privacy.access_log import WHO, AccessLogPage, GroupLine, LogQuery
from ledgerline.privacy.centre import PrivacyCentre
from ledgerline.web.config import web_config
from ledgerline.web.pages import Person, signed_in_person, to_sign_in
from ledgerline.web.render import redirect, render
from ledgerline.web.security import check_session_form
from ledgerline.web.texts import translate

router = APIRouter(prefix="/privacy", include_in_schema=False)

HOME = "/privacy"
LOG_PAGE = 200  # audit entries per page of the access log (grouped by who and why)
NOTICES = ("scopes_saved", "renewed", "unlinked", "unchanged")
PAGE_ID_LIMIT = 40


@dataclass(frozen=True, slots=True)
class ScopeToggle:
    value: str
    name: str
    purposes: list[str]
    on: bool


@dataclass(frozen=True, slots=True)
class LinkCard:
    page_id: str
    name: str
    status: str  # linked | expired | unlinked
    scopes: list[ScopeToggle]
    shared: str  # the scopes in force, named
    granted: str
    expires: str
    ended: str | None


def _date(ms: int | None, person: Person) -> str:
    return "—" if ms is None else long_date_at(ms, person.locale, person.timezone)


def _card(link: LinkView, person: Person) -> LinkCard:
    texts = catalogue(person.locale)
    on = set(link.scopes)
    return LinkCard(
        page_id=link.page_id,
        name=link.page_name,
        status=link.status,
        scopes=[
            ScopeToggle(
                value=s.value,
                name=texts.scope_name(s),
                purposes=texts.scope_purposes(s, business=link.page_name),
                on=s in on,
            )
            for s in SCOPE_ORDER
        ],
        shared=texts.scope_list(link.scopes),
        granted=_date(link.granted_at, person),
        expires=_date(link.expires_at, person),
        ended=None if link.ended_at is None else _date(link.ended_at, person),
    )


def centre_of(request: Request) -> PrivacyCentre:
    centre = web_config(request).privacy
    if centre is None:  # pragma: no cover - bootstrap always provides it
        raise RuntimeError("the privacy centre is not configured")
    return centre


def _before(request: Request) -> int | None:
    raw = request.query_params.get("before", "")
    return int(raw) if raw.isdigit() and len(raw) < 19 else None


def _log_query(request: Request, links: list[LinkView]) -> LogQuery:
    """The access log's filters from the query string; unknown values mean "all"."""
    who = request.query_params.get("who", "all")
    bank = request.query_params.get("bank", "")
    return LogQuery(
        who=who if who in WHO else "all",
        page_id=bank if bank in {link.page_id for link in links} else None,
        before=_before(request),
        limit=LOG_PAGE,
    )


@dataclass(slots=True)
class LogDay:
    """The access log's groups of one day, in the person's time zone."""

    title: str
    groups: list[dict[str, Any]] = field(default_factory=list)


def _day_title(day: date, today: date, locale: str) -> str:
    if day == today:
        return translate(locale, "privacy_log_today")
    if day == today - timedelta(days=1):
        return translate(locale, "privacy_log_yesterday")
    return long_date(day, locale)


def _log_days(page: AccessLogPage, person: Person, now: datetime) -> list[LogDay]:
    zone = person_zone(person.timezone)
    today = now.astimezone(zone).date()
    days: list[LogDay] = []
    current: date | None = None
    for group in page.groups:
        newest = datetime.fromtimestamp(group.newest / 1000, tz=zone)
        if newest.date() != current:
            current = newest.date()
            days.append(LogDay(_day_title(current, today, person.locale)))
        days[-1].groups.append(_group_view(group, person))
    return days


def _group_view(group: GroupLine, person: Person) -> dict[str, Any]:
    zone = person_zone(person.timezone)
    newest = datetime.fromtimestamp(group.newest / 1000, tz=zone)
    oldest = datetime.fromtimestamp(group.oldest / 1000, tz=zone)
    when = str(format_time(newest, "short", locale=person.locale))
    if oldest.strftime("%H%M") != newest.strftime("%H%M"):
        when = f"{format_time(oldest, 'short', locale=person.locale)}–{when}"
    return {
        "id": group.id,
        "text": group.text,
        "shown": group.values,
        "when": when,
        "time": newest.isoformat(),
        "outcome": group.outcome,
    }


def _log_link(query: LogQuery, **changes: object) -> str:
    params = {"who": query.who, "bank": query.page_id or "", "before": query.before or ""}
    params.update({key: "" if value is None else str(value) for key, value in changes.items()})
    kept = {key: value for key, value in params.items() if value and value != "all"}
    return f"{HOME}?{urlencode(kept)}#log-heading" if kept else f"{HOME}#log-heading"


async def _page(
    request: Request,
    person: Person,
    *,
    status: int = 200,
    notice: str | None = None,
    error: str | None = None,
) -> Response:
    config = web_config(request)
    now = config.clock.now()
    links = await config.db.query(list_links, person.user_id, to_ms(now))
    query = _log_query(request, links)
    zone = person_zone(person.timezone)
    log = await config.db.write(
        centre_of(request).access_log,
        user_id=person.user_id,
        locale=person.locale,
        day_of=lambda ms: datetime.fromtimestamp(ms / 1000, tz=zone).date(),
        query=query,
        partition=f"privacy:{person.user_id}",
    )
    cards = [_card(link, person) for link in links]
    banks = sorted({(link.page_id, link.page_name) for link in links}, key=lambda b: b[1])
    return render(
        request,
        "privacy.html",
        person.locale,
        status=status,
        csrf=person.csrf,
        user_name=person.name,
        active=[c for c in cards if c.status == "linked"],
        ended=[c for c in cards if c.status != "linked"],
        log_days=_log_days(log, person, now),
        own_reads=log.own_reads,
        own_reads_link=_log_link(query, who="you", before=None),
        who=query.who,
        who_choices=list(WHO),
        bank=query.page_id or "",
        banks=banks,
        older=None if log.older is None else _log_link(query, before=log.older),
        newest=_log_link(query, before=None) if query.before is not None else None,
        days=DEFAULT_CONSENT_DAYS,
        notice=notice,
        error=error,
    )


async def _business_name(request: Request, person: Person, page_id: str) -> str:
    now = to_ms(web_config(request).clock.now())
    link = await web_config(request).db.query(
        get_link, person.user_id, page_id[:PAGE_ID_LIMIT], now
    )
    return link.page_name if link is not None else "…"


@router.get("")
async def privacy_centre(request: Request) -> Response:
    person = await signed_in_person(request)
    if person is None:
        return to_sign_in(request, HOME)
    done = request.query_params.get("done")
    notice = None
    if done in NOTICES:
        name = await _business_name(request, person, request.query_params.get("page", ""))
        notice = translate(person.locale, f"privacy_{done}", business=name)
    return await _page(request, person, notice=notice)


def refused_page(request: Request, person: Person) -> Response:
    """A forged or stale CSRF token: a clear page, nothing changed."""
    return render(
        request,
        "privacy_refused.html",
        person.locale,
        status=403,
        title=translate(person.locale, "privacy_refused_title"),
        body=translate(person.locale, "error_csrf"),
    )


async def _form(request: Request) -> tuple[Person | None, Any, Response | None]:
    """The signed-in person and the posted form, or the response to give instead."""
    person = await signed_in_person(request)
    if person is None:
        return None, None, to_sign_in(request, HOME)
    form = await request.form()
    token = form.get("csrf")
    try:
        check_session_form(
            request, PERSON, person.session_id, token if isinstance(token, str) else None
        )
    except CsrfRejected:
        return person, form, refused_page(request, person)
    return person, form, None


async def _already_unlinked(request: Request, person: Person, page_id: str) -> Response:
    name = await _business_name(request, person, page_id)
    return await _page(
        request,
        person,
        status=409,
        error=translate(person.locale, "privacy_already_unlinked", business=name),
    )


def _done(key: str, page_id: str) -> Response:
    return redirect(f"{HOME}?done={key}&page={page_id}#link-{page_id}")


@router.post("/links/{page_id}/scopes")
async def save_scopes(request: Request, page_id: str) -> Response:
    person, form, refused = await _form(request)
    if refused is not None or person is None:
        return refused or to_sign_in(request, HOME)
    page_id = page_id[:PAGE_ID_LIMIT]
    asked = [v for v in form.getlist("scope") if isinstance(v, str)]
    scopes: set[Scope] = set()
    for value in asked:
        try:
            scopes.add(Scope(value))
        except ValueError:
            return await _page(
                request,
                person,
                status=400,
                error=translate(person.locale, "privacy_unknown_scope"),
            )
    if not scopes:
        name = await _business_name(request, person, page_id)
        return await _page(
            request,
            person,
            status=400,
            error=translate(person.locale, "privacy_no_scope", business=name),
        )
    config = web_config(request)
    try:
        before = await config.db.query(get_link, person.user_id, page_id, to_ms(config.clock.now()))
        await config.db.write(
            centre_of(request).change_scopes,
            page_id=page_id,
            user_id=person.user_id,
            scopes=frozenset(scopes),
            renew=False,
            now=to_ms(config.clock.now()),
            partition=page_id,
        )
    except NotFound:
        return await _already_unlinked(request, person, page_id)
    unchanged = before is not None and set(before.scopes) == scopes
    return _done("unchanged" if unchanged else "scopes_saved", page_id)


@router.post("/links/{page_id}/renew")
async def renew(request: Request, page_id: str) -> Response:
    person, _form_data, refused = await _form(request)
    if refused is not None or person is None:
        return refused or to_sign_in(request, HOME)
    page_id = page_id[:PAGE_ID_LIMIT]
    config = web_config(request)
    try:
        await config.db.write(
            centre_of(request).change_scopes,
            page_id=page_id,
            user_id=person.user_id,
            scopes=None,
            renew=True,
            now=to_ms(config.clock.now()),
            partition=page_id,
        )
    except NotFound:
        return await _already_unlinked(request, person, page_id)
    return _done("renewed", page_id)


@router.get("/links/{page_id}/unlink")
async def confirm_unlink(request: Request, page_id: str) -> Response:
    """The confirmation step: what unlinking does, and the button that does it."""
    person = await signed_in_person(request)
    if person is None:
        return to_sign_in(request, HOME)
    config = web_config(request)
    link = await config.db.query(
        get_link, person.user_id, page_id[:PAGE_ID_LIMIT], to_ms(config.clock.now())
    )
    if link is None or link.status != "linked":
        return await _already_unlinked(request, person, page_id)
    held = await config.db.query(
        centre_of(request).held_kinds, page_id=link.page_id, user_id=person.user_id
    )
    return render(
        request,
        "privacy_unlink.html",
        person.locale,
        csrf=person.csrf,
        card=_card(link, person),
        held=held_list(held, person.locale),
    )


@router.post("/links/{page_id}/unlink")
async def unlink(request: Request, page_id: str) -> Response:
    person, _form_data, refused = await _form(request)
    if refused is not None or person is None:
        return refused or to_sign_in(request, HOME)
    page_id = page_id[:PAGE_ID_LIMIT]
    config = web_config(request)
    try:
        await config.db.write(
            centre_of(request).unlink,
            page_id=page_id,
            user_id=person.user_id,
            now=to_ms(config.clock.now()),
            partition=page_id,
        )
    except NotFound:
        return await _already_unlinked(request, person, page_id)
    return _done("unlinked", page_id)
