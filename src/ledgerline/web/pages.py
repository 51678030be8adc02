"""The person's pages: sign-up, sign-in, sign-out and the messenger shell at ``/``."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from starlette.datastructures import FormData
from starlette.responses import Response

from ledgerline.identity.errors import (
    CsrfRejected,
    LoginTaken,
    SignUpInvalid,
    TooManyAttempts,
    WrongCredentials,
)
from ledgerline.identity.service import NewSession
from ledgerline.identity.sessions import PERSON, csrf_token
from ledgerline.storage.stores import identity as web_store
from ledgerline.web.config import web_config
from ledgerline.web.render import redirect, render
from ledgerline.web.security import (
    PERSON_COOKIE,
    PRE_COOKIE,
    check_pre_session_form,
    check_session_form,
    clear_cookie,
    client_address,
    pre_session,
    set_cookie,
)
from ledgerline.web.texts import LOCALES, pick_locale, translate

router = APIRouter(include_in_schema=False)

TIMEZONES = (
    "Asia/Ho_Chi_Minh",
    "Asia/Bangkok",
    "Asia/Jakarta",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Asia/Seoul",
    "Australia/Sydney",
    "Europe/London",
    "Europe/Paris",
    "Europe/Berlin",
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "UTC",
)


def field(form: FormData, name: str, limit: int = 2000) -> str:
    value = form.get(name)
    return value[:limit] if isinstance(value, str) else ""


def public_page(
    request: Request, template: str, locale: str, *, status: int = 200, **values: Any
) -> Response:
    """A page shown before sign-in: its forms carry the pre-session CSRF token."""
    token, fresh = pre_session(request)
    response = render(request, template, locale, status=status, csrf=token, **values)
    if fresh is not None:
        set_cookie(request, response, PRE_COOKIE, fresh, None)
    return response


def safe_next(value: str | None) -> str:
    """Where to go after signing in: a path on this site only (never another host)."""
    if (
        not value
        or len(value) > 500
        or not value.startswith("/")
        or value.startswith(("//", "/\\"))
        or any(ord(c) < 32 or c == "\\" for c in value)
    ):
        return "/"
    return value


def _signed_in(request: Request, session: NewSession, next_path: str = "/") -> Response:
    response = redirect(safe_next(next_path))
    set_cookie(request, response, PERSON_COOKIE, session.session_id, session.max_age)
    return response


@dataclass(frozen=True, slots=True)
class Person:
    """The person signed in on this browser, for a page that needs one."""

    session_id: str
    user_id: str
    name: str
    locale: str  # the page's language (?lang=, else theirs)
    timezone: str
    csrf: str


async def signed_in_person(request: Request) -> Person | None:
    config = web_config(request)
    session_id = request.cookies.get(PERSON_COOKIE)
    row = await config.identity.resolve(PERSON, session_id)
    if row is None or session_id is None:
        return None
    person = await config.db.read(web_store.user_display, row.subject_id)
    name, user_locale, timezone = person if person else ("", None, "UTC")
    return Person(
        session_id=session_id,
        user_id=row.subject_id,
        name=name,
        locale=pick_locale(request, user_locale),
        timezone=timezone,
        csrf=csrf_token(config.secret_key, PERSON, session_id),
    )


def to_sign_in(request: Request, next_path: str = "/") -> Response:
    """No live session: to the sign-in page, which comes back to ``next_path`` after.
    A session that ended (expired, signed out elsewhere) says so."""
    stale = bool(request.cookies.get(PERSON_COOKIE))
    query = "expired=1&" if stale else ""
    next_path = safe_next(next_path)
    url = "/signin" + (f"?{query}next={quote(next_path)}" if next_path != "/" else f"?{query}")
    response = redirect(url.rstrip("?&"))
    if stale:
        clear_cookie(request, response, PERSON_COOKIE)
    return response


@router.get("/")
async def messenger(request: Request) -> Response:
    person = await signed_in_person(request)
    if person is None:
        # A reload inside a chat whose session ended comes back to that chat.
        thread = request.query_params.get("thread", "")[:64]
        return to_sign_in(request, f"/?{urlencode({'thread': thread})}" if thread else "/")
    return render(
        request,
        "messenger.html",
        person.locale,
        csrf=person.csrf,
        user_name=person.name,
        outbox_key=outbox_key(person.user_id),
    )


def outbox_key(user_id: str) -> str:
    """Names the person's outbox in the browser's storage (messages not yet accepted): one
    per person on a shared device, without putting their id in the page."""
    return hashlib.sha256(b"ledgerline-outbox:" + user_id.encode()).hexdigest()[:20]


@router.get("/signin")
async def signin_form(request: Request) -> Response:
    locale = pick_locale(request)
    notice = None
    if request.query_params.get("expired"):
        notice = translate(locale, "error_expired")
    elif request.query_params.get("signed_out"):
        notice = translate(locale, "signed_out")
    next_path = safe_next(request.query_params.get("next"))
    return public_page(
        request, "signin.html", locale, notice=notice, error=None, login="", next=next_path
    )


@router.post("/signin")
async def signin(request: Request) -> Response:
    form = await request.form()
    locale = field(form, "lang") if field(form, "lang") in LOCALES else pick_locale(request)
    login = field(form, "login", 200)
    next_path = safe_next(field(form, "next", 500))
    try:
        check_pre_session_form(request, field(form, "csrf"))
        session = await web_config(request).identity.sign_in(
            login=login, password=field(form, "password", 1024), source=client_address(request)
        )
    except CsrfRejected:
        return public_page(
            request,
            "signin.html",
            locale,
            status=403,
            error=translate(locale, "error_csrf"),
            login=login,
            next=next_path,
        )
    except TooManyAttempts as exc:
        response = public_page(
            request,
            "signin.html",
            locale,
            status=429,
            error=translate(locale, "error_throttled", seconds=exc.retry_after),
            login=login,
            next=next_path,
        )
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    except WrongCredentials:
        return public_page(
            request,
            "signin.html",
            locale,
            status=401,
            error=translate(locale, "error_wrong_password"),
            login=login,
            next=next_path,
        )
    return _signed_in(request, session, next_path)


def _signup_values(form: FormData | None, locale: str) -> dict[str, str]:
    if form is None:
        return {"name": "", "login": "", "locale": locale, "timezone": TIMEZONES[0]}
    return {
        "name": field(form, "name", 100),
        "login": field(form, "login", 200),
        "locale": field(form, "locale", 8) or locale,
        "timezone": field(form, "timezone", 64) or TIMEZONES[0],
    }


@router.get("/signup")
async def signup_form(request: Request) -> Response:
    locale = pick_locale(request)
    return public_page(
        request,
        "signup.html",
        locale,
        error=None,
        form=_signup_values(None, locale),
        timezones=TIMEZONES,
    )


@router.post("/signup")
async def signup(request: Request) -> Response:
    form = await request.form()
    values = _signup_values(form, pick_locale(request))
    locale = values["locale"] if values["locale"] in LOCALES else pick_locale(request)
    zones = TIMEZONES if values["timezone"] in TIMEZONES else (values["timezone"], *TIMEZONES)
    try:
        check_pre_session_form(request, field(form, "csrf"))
        session = await web_config(request).identity.sign_up(
            name=values["name"],
            login=values["login"],
            password=field(form, "password", 1025),
            locale=values["locale"],
            timezone=values["timezone"],
            source=client_address(request),
        )
    except CsrfRejected:
        error, status = translate(locale, "error_csrf"), 403
    except TooManyAttempts as exc:
        response = public_page(
            request,
            "signup.html",
            locale,
            status=429,
            error=translate(locale, "error_throttled", seconds=exc.retry_after),
            form=values,
            timezones=zones,
        )
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    except SignUpInvalid as exc:
        error, status = translate(locale, exc.key), 400
    except LoginTaken:
        error, status = translate(locale, "error_login_taken"), 409
    else:
        return _signed_in(request, session)
    return public_page(
        request, "signup.html", locale, status=status, error=error, form=values, timezones=zones
    )


@router.post("/signout")
async def signout(request: Request) -> Response:
    form = await request.form()
    session_id = request.cookies.get(PERSON_COOKIE)
    locale = pick_locale(request)
    if session_id:
        try:
            check_session_form(request, PERSON, session_id, field(form, "csrf"))
        except CsrfRejected:
            return public_page(
                request,
                "signin.html",
                locale,
                status=403,
                error=translate(locale, "error_csrf"),
                notice=None,
                login="",
                next="/",
            )
        await web_config(request).identity.sign_out(session_id)
    response = redirect("/signin?signed_out=1")
    clear_cookie(request, response, PERSON_COOKIE)
    return response
