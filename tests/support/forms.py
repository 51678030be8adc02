"""The web app's forms over plain HTTP: the CSRF token of a page, the bank console sign-in."""

from __future__ import annotations

import re

import httpx

CSRF_FIELD = re.compile(r'name="csrf" value="([^"]+)"')


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
