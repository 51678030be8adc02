"""The browser pages of account linking (consent screen, results), rendered with Jinja2.

Only presentation lives here: the words come from ``texts`` (per-locale catalogues), the
decisions from ``actions``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from urllib.parse import urlencode

from jinja2 import Environment, PackageLoader, select_autoescape

from ledgerline.domain.scopes import DEFAULT_CONSENT_DAYS, Scope
from ledgerline.linking.texts import SCOPE_ORDER, catalogue


@cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("ledgerline.linking", "templates"),
        autoescape=select_autoescape(["html"]),
        auto_reload=False,
    )


# Scopes the consent screen recommends (still unticked unless the business asked, and
# always free to untick): fraud alerts protect the person's money.
RECOMMENDED: frozenset[Scope] = frozenset({Scope.FRAUD_ALERTS})


@dataclass(frozen=True, slots=True)
class ScopeChoice:
    value: str
    name: str
    line: str  # what sharing it does, in one line
    purposes: list[str]
    checked: bool
    requested: bool  # the business asked for it (its account_link button's ``scopes``)
    recommended: bool


def render_consent(
    *,
    locale: str,
    business: str,
    person: str | None,
    ticket: str,
    action: str,
    until: int,
    timezone: str | None,
    checked: frozenset[Scope] = frozenset(),
    requested: frozenset[Scope] = frozenset(),
    error: str | None = None,
) -> str:
    """The consent form. Consent is an affirmative, specific act: a box starts ticked only
    when it is in ``checked``, which the caller keeps within what the business asked for
    (``requested``, labelled as such); everything else starts unticked."""
    texts = catalogue(locale)
    scopes = [
        ScopeChoice(
            value=scope.value,
            name=texts.scope_name(scope),
            line=texts.scope_line(scope, business=business),
            purposes=texts.scope_purposes(scope, business=business),
            checked=scope in checked,
            requested=scope in requested,
            recommended=scope in RECOMMENDED,
        )
        for scope in SCOPE_ORDER
    ]
    return (
        _environment()
        .get_template("consent.html")
        .render(
            lang=texts.locale,
            title=texts.text("consent", "page_title", business=business),
            t=texts.data,
            business=business,
            person=person,
            ticket=ticket,
            action=action,
            scopes=scopes,
            days=DEFAULT_CONSENT_DAYS,
            until=texts.date(until, timezone),
            version=texts.version,
            error=error,
        )
    )


def render_result(
    *,
    locale: str,
    outcome: str,
    business: str | None,
    body: str | None = None,
    page_id: str | None = None,
) -> str:
    """A result page (linked, cancelled, expired…), with a link back to the chat: to the
    business's thread when ``page_id`` is known, else to the messenger."""
    texts = catalogue(locale)
    name = business or "Ledgerline"
    back_url = "/" if page_id is None else "/?" + urlencode({"thread": page_id})
    back = (
        texts.text("result", "back_to_chat", business=business)
        if page_id is not None and business
        else texts.text("result", "back")
    )
    return (
        _environment()
        .get_template("result.html")
        .render(
            lang=texts.locale,
            outcome=outcome,
            title=texts.text("result", f"{outcome}_title"),
            body=body
            if body is not None
            else texts.text("result", f"{outcome}_body", business=name),
            back_url=back_url,
            back=back,
        )
    )
