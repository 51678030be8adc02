"""Which webhook and link URLs production accepts: public https only (SSRF)."""

from __future__ import annotations

import ipaddress

import pytest

from ledgerline.delivery.urls import UrlNotAllowed, check_url, forbidden_address

# Every one of these was accepted before (Python's is_private/is_reserved miss them).
SPECIAL = [
    "100.64.0.1",  # shared address space (carrier-grade NAT)
    "100.127.255.254",
    "192.0.0.9",  # IETF protocol assignments
    "192.88.99.1",  # 6to4 relay anycast
    "224.0.0.1",  # multicast
    "239.255.255.250",
    "2002:7f00:1::1",  # 6to4 of 127.0.0.1
    "2002:a9fe:a9fe::1",  # 6to4 of 169.254.169.254
    "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
    "64:ff9b:1::1",
    "fec0::1",  # site-local
    "ff02::1",  # multicast
    "3fff::1",  # documentation
    "5f00::1",  # SRv6
    "::ffff:8.8.8.8",  # IPv4-mapped (embeds another address)
]
CLASSIC = [
    "127.0.0.1",
    "10.1.2.3",
    "172.16.0.1",
    "192.168.1.1",
    "169.254.169.254",
    "0.0.0.0",  # noqa: S104 - an address under test, not a bind
    "255.255.255.255",
    "198.18.0.1",
    "203.0.113.5",
    "::1",
    "::",
    "fc00::1",
    "fe80::1",
    "::ffff:127.0.0.1",
    "2001:db8::1",
    "2001::1",  # Teredo
]
PUBLIC = ["8.8.8.8", "1.1.1.1", "93.184.216.34", "2606:4700:4700::1111", "2001:4860:4860::8888"]


@pytest.mark.parametrize("address", SPECIAL + CLASSIC)
def test_special_purpose_addresses_are_forbidden(address: str) -> None:
    assert forbidden_address(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", PUBLIC)
def test_public_unicast_addresses_are_allowed(address: str) -> None:
    assert not forbidden_address(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", SPECIAL + CLASSIC)
def test_a_literal_special_address_is_refused_as_a_webhook_host(address: str) -> None:
    host = f"[{address}]" if ":" in address else address
    with pytest.raises(UrlNotAllowed, match="internal or special-purpose"):
        check_url(f"https://{host}/hook", allow_insecure=False)


def test_names_are_refused_when_any_address_is_internal(monkeypatch: pytest.MonkeyPatch) -> None:
    answers = {"mixed.example": ["8.8.8.8", "100.64.1.1"], "public.example": ["8.8.4.4"]}
    monkeypatch.setattr("ledgerline.delivery.urls.resolve_host", lambda host, port: answers[host])
    with pytest.raises(UrlNotAllowed, match=r"mixed\.example resolves to an internal"):
        check_url("https://mixed.example/hook", allow_insecure=False)
    assert check_url("https://public.example/hook", allow_insecure=False)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://8.8.8.8/hook", "must use https"),
        ("ftp://8.8.8.8/x", "not an absolute http"),
        ("https://user:pw@8.8.8.8/", "credentials"),
        ("https://8.8.8.8:99999/", "not a valid port"),
        ("/relative", "not an absolute http"),
    ],
)
def test_malformed_or_insecure_urls_are_refused(url: str, reason: str) -> None:
    with pytest.raises(UrlNotAllowed, match=reason):
        check_url(url, allow_insecure=False, resolve=False)


def test_development_allows_http_and_loopback() -> None:
    assert check_url("http://127.0.0.1:9/hook", allow_insecure=True)
