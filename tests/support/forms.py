"""The web app's forms over plain HTTP: the CSRF token of a page, the bank console sign-in."""

from __future__ import annotations

import re

import httpx

CSRF_FIELD = re.compile(r'name="csrf" value="([^"]+)"')
CSRF_META = re.compile(r'name="csrf-token" content="([^"]+)"')


def form_token(page: httpx.Response) -> str:
    match = CSRF_FIELD.search(page.text)
    assert match, page.text[:500]
    return match.group(1)


def console_sign_in(http: httpx.Client, token: str) -> str:
    """Sign in to ``/console`` with a page access token; the session's CSRF token."""
    form = http.get("/console?lang=en")
    response = http.post(
        "/console/signin", data={"csrf": form_token(form), "page_access_token": token}
    )
    assert response.status_code == 303, response.text
    return form_token(http.get("/console?lang=en"))


def person_sign_up(
    http: httpx.Client,
    login: str = "an.nguyen",
    password: str = "correct horse",  # noqa: S107
    *,
    name: str = "Nguyễn An",
    locale: str = "vi",
) -> str:
    """Create an account with the sign-up form; the messenger's CSRF token (for the API)."""
    response = http.post(
        "/signup",
        data={
            "csrf": form_token(http.get("/signup")),
            "name": name,
            "login": login,
            "password": password,
            "locale": locale,
            "timezone": "Asia/Ho_Chi_Minh",
        },
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/"
    page = http.get("/")
    assert page.status_code == 200
    match = CSRF_META.search(page.text)
    assert match
    return match.group(1)
