"""Which URLs the platform may call (webhooks) or send people to (account linking).

In production a URL must be https and its host must be a public (globally routable) address
or a name that resolves only to such addresses: no loopback, private, link-local, shared
(CGNAT), multicast, documentation, benchmarking or other special-purpose address, and none
that embeds another address (IPv4-mapped, NAT64, 6to4, Teredo). Development allows http and
loopback, for local banks and tests.

The classification (:func:`forbidden_address`) is Python's ``ipaddress`` ``is_global`` plus
the ranges of IANA's IPv4 and IPv6 Special-Purpose Address Registries that the Python in use
may not (yet) count as non-global, listed explicitly in :data:`SPECIAL_RANGES`.

:func:`check_url` resolves the name once to decide. A later connection must not resolve it
again (DNS rebinding: the answer may change in between): the platform's outgoing HTTP goes
through ``delivery.egress``, which resolves once per connection, checks every address with
:func:`forbidden_address` and connects to the address it checked.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# IANA special-purpose registries (iana.org/assignments/iana-ipv4-special-registry and
# iana-ipv6-special-registry), plus multicast and the ranges that embed an IPv4 address.
SPECIAL_RANGES: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = tuple(
    ipaddress.ip_network(net)
    for net in (
        # IPv4
        "0.0.0.0/8",  # "this network"
        "10.0.0.0/8",  # private
        "100.64.0.0/10",  # shared address space (carrier-grade NAT)
        "127.0.0.0/8",  # loopback
        "169.254.0.0/16",  # link-local (cloud metadata: 169.254.169.254)
        "172.16.0.0/12",  # private
        "192.0.0.0/24",  # IETF protocol assignments
        "192.0.2.0/24",  # documentation (TEST-NET-1)
        "192.31.196.0/24",  # AS112-v4
        "192.52.193.0/24",  # AMT
        "192.88.99.0/24",  # 6to4 relay anycast (deprecated)
        "192.168.0.0/16",  # private
        "192.175.48.0/24",  # direct delegation AS112
        "198.18.0.0/15",  # benchmarking
        "198.51.100.0/24",  # documentation (TEST-NET-2)
        "203.0.113.0/24",  # documentation (TEST-NET-3)
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, and the limited broadcast 255.255.255.255
        # IPv6
        "::/128",  # unspecified
        "::1/128",  # loopback
        "::/96",  # IPv4-compatible (deprecated): embeds an IPv4 address
        "::ffff:0:0/96",  # IPv4-mapped: embeds an IPv4 address
        "64:ff9b::/96",  # NAT64: embeds an IPv4 address
        "64:ff9b:1::/48",  # local-use NAT64
        "100::/64",  # discard-only
        "2001::/23",  # IETF protocol assignments (incl. Teredo 2001::/32)
        "2001:db8::/32",  # documentation
        "2002::/16",  # 6to4: embeds an IPv4 address
        "3fff::/20",  # documentation
        "5f00::/16",  # segment routing (SRv6) SIDs
        "fc00::/7",  # unique local
        "fe80::/10",  # link-local
        "fec0::/10",  # site-local (deprecated)
        "ff00::/8",  # multicast
    )
)


class UrlNotAllowed(ValueError):
    pass


def parse_address(text: str) -> IPAddress | None:
    """An IP address literal (IPv6 zone ids dropped), or None for a name."""
    try:
        return ipaddress.ip_address(text.split("%")[0])
    except ValueError:
        return None


def forbidden_address(address: IPAddress) -> bool:
    """True unless ``address`` is a public unicast address the platform may connect to."""
    if not address.is_global or address.is_multicast:
        return True
    return any(address.version == net.version and address in net for net in SPECIAL_RANGES)


def check_address(host: str, address: str) -> IPAddress:
    """The address ``host`` resolved to, when the platform may connect to it; raises
    ``UrlNotAllowed`` naming the host otherwise."""
    parsed = parse_address(address)
    if parsed is None:
        raise UrlNotAllowed(f"{host} resolved to something that is not an address")
    if forbidden_address(parsed):
        what = "is" if parse_address(host) is not None else "resolves to"
        raise UrlNotAllowed(f"{host} {what} an internal or special-purpose address")
    return parsed


def check_url(url: str, *, allow_insecure: bool, resolve: bool = True) -> str:
    """Return ``url`` when allowed; raise ``UrlNotAllowed`` with a readable reason.

    ``resolve`` looks the name up (every address it has must be allowed); it decides
    whether to accept a URL, never where to connect later (see ``delivery.egress``).
    """
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        raise UrlNotAllowed(f"not a valid port in {url!r}") from None
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise UrlNotAllowed(f"not an absolute http(s) URL: {url!r}")
    if parts.username or parts.password:
        raise UrlNotAllowed("URLs with credentials are not allowed")
    if allow_insecure:
        return url
    if parts.scheme != "https":
        raise UrlNotAllowed("URL must use https (set LEDGERLINE_ENV=development for http)")
    host = parts.hostname
    literal = parse_address(host)
    if literal is not None:
        check_address(host, str(literal))
        return url
    if resolve:
        for address in resolve_host(host, port or 443):
            check_address(host, address)
    return url


def resolve_host(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (blocking); raises ``UrlNotAllowed`` when none."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise UrlNotAllowed(f"cannot resolve {host}: {exc}") from exc
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        raise UrlNotAllowed(f"cannot resolve {host}")
    return addresses
