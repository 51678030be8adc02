from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from hypothesis import given, strategies as st

from ledgerline.linking.tokens import (
    TICKET_LIFETIME_MS,
    append_query,
    digest,
    entry_ticket,
    form_ticket,
    new_secret,
    read_entry_ticket,
    read_form_ticket,
)

KEY = b"k" * 32


def test_secrets_have_at_least_128_bits_and_differ() -> None:
    values = {new_secret() for _ in range(100)}
    assert len(values) == 100
    assert all(len(v) >= 43 for v in values)  # 32 bytes, URL-safe base64


def test_append_query_uses_an_ampersand_when_the_url_has_a_query() -> None:
    assert append_query("https://b.example/a", {"x": "1"}) == "https://b.example/a?x=1"
    assert append_query("https://b.example/a?l=vi", {"x": "1"}) == "https://b.example/a?l=vi&x=1"
    assert append_query("https://b.example/a#f", {"x": "1"}) == "https://b.example/a?x=1#f"


@given(st.text(min_size=1, max_size=50))
def test_append_query_round_trips_any_value(value: str) -> None:
    url = append_query("https://b.example/cb?state=s", {"redirect_uri": value})
    query = parse_qs(urlsplit(url).query, keep_blank_values=True)
    assert query["redirect_uri"] == [value]
    assert query["state"] == ["s"]


def test_entry_ticket_round_trip_expiry_and_tampering() -> None:
    ticket = entry_ticket(KEY, user_id="u_1", page_id="p", url="https://b.example/a", now=0)
    read = read_entry_ticket(KEY, ticket, now=1)
    assert read is not None
    assert (read.user_id, read.page_id, read.url) == ("u_1", "p", "https://b.example/a")
    assert read_entry_ticket(KEY, ticket, now=TICKET_LIFETIME_MS) is None
    assert read_entry_ticket(b"x" * 32, ticket, now=1) is None
    body, mac = ticket.split(".")
    assert read_entry_ticket(KEY, body[:-2] + "AA." + mac, now=1) is None
    assert read_entry_ticket(KEY, "garbage", now=1) is None
    # A form ticket is not an entry ticket, and vice versa.
    form = form_ticket(KEY, user_id="u", page_id="p", url="u", cookie="c", version="v", now=0)
    assert read_entry_ticket(KEY, form, now=1) is None
    assert read_form_ticket(KEY, ticket, now=1) is None
    parsed = read_form_ticket(KEY, form, now=1)
    assert parsed is not None
    assert parsed.cookie_hash == digest("c")
