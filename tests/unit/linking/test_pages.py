from __future__ import annotations

from ledgerline.domain.scopes import Scope
from ledgerline.linking.pages import render_consent, render_result
from ledgerline.linking.texts import catalogue


def test_consent_page_escapes_names_and_shows_version_and_choices() -> None:
    html = render_consent(
        locale="en",
        business="<script>alert(1)</script> Bank",
        person='Ann "the" <b>',
        ticket="t.x",
        action="/account_linking/consent",
        until=1_796_083_200_000,
        timezone="UTC",
        checked=frozenset({Scope.BALANCES}),
    )
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;" in html
    assert "<b>" not in html
    assert catalogue("en").version in html
    assert html.count(" checked>") == 1
    assert 'value="balances" checked' in html
    assert "December 1, 2026" in html


def _screen(checked: frozenset[Scope], requested: frozenset[Scope]) -> str:
    return render_consent(
        locale="en",
        business="Demo Bank",
        person=None,
        ticket="t.x",
        action="/account_linking/consent",
        until=1_796_083_200_000,
        timezone="UTC",
        checked=checked,
        requested=requested,
    )


def test_nothing_starts_ticked_unless_asked_for_and_asked_scopes_are_labelled() -> None:
    assert " checked>" not in _screen(frozenset(), frozenset())
    asked = frozenset({Scope.TRANSACTIONS, Scope.FRAUD_ALERTS})
    html = _screen(asked, asked)
    assert html.count(" checked>") == 2
    assert 'value="customer_service">' in html
    assert html.count("asked for by Demo Bank") == 2


def test_result_pages_exist_for_every_outcome_in_both_locales() -> None:
    for locale in ("vi", "en"):
        for outcome in ("linked", "cancelled", "expired", "used", "invalid", "refused", "signin"):
            html = render_result(locale=locale, outcome=outcome, business="B")
            assert f'data-outcome="{outcome}"' in html
            assert f'lang="{locale}"' in html


def test_result_pages_lead_back_to_the_chat() -> None:
    linked = render_result(locale="en", outcome="linked", business="Demo Bank", page_id="p 1")
    assert '<a class="button primary" href="/?thread=p+1"' in linked
    assert "Back to the chat with Demo Bank" in linked
    vi = render_result(locale="vi", outcome="linked", business="Demo Bank", page_id="p1")
    assert "Quay lại cuộc trò chuyện với Demo Bank" in vi
    unknown = render_result(locale="en", outcome="invalid", business=None)
    assert 'href="/"' in unknown
    assert "Back to Ledgerline" in unknown


def test_each_scope_is_explained_in_one_line_and_fraud_alerts_are_recommended() -> None:
    for locale in ("en", "vi"):
        texts = catalogue(locale)
        for scope in Scope:
            line = texts.scope_line(scope, business="Demo Bank")
            assert line
            assert "\n" not in line
    html = _screen(frozenset(), frozenset())
    assert html.count('class="line"') == len(Scope)
    assert "A warning when a payment looks suspicious" in html
    assert html.count("data-recommended=") == 1
    assert 'data-recommended="fraud_alerts"' in html
    # Recommended is not ticked: the person still chooses (unticked unless the bank asked).
    assert 'value="fraud_alerts">' in html
    asked = _screen(frozenset({Scope.FRAUD_ALERTS}), frozenset({Scope.FRAUD_ALERTS}))
    assert 'value="fraud_alerts" checked>' in asked
    vi = render_consent(
        locale="vi",
        business="Demo Bank",
        person=None,
        ticket="t.x",
        action="/a",
        until=1_796_083_200_000,
        timezone="UTC",
    )
    assert ">Nên bật<" in vi
