"""Which URLs the platform may call (webhooks) or send people to (account linking).

In production a URL must be https and must not resolve to loopback, private, link-local or
otherwise internal addresses (no SSRF through a webhook URL). Development allows http and
loopback, for local banks and tests.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit


class UrlNotAllowed(ValueError):
    pass


def _internal(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    return (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


def check_url(url: str, *, allow_insecure: bool, resolve: bool = True) -> str:
    """Return ``url`` when allowed; raise ``UrlNotAllowed`` with a readable reason."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise UrlNotAllowed(f"not an absolute http(s) URL: {url!r}")
    if parts.username or parts.password:
        raise UrlNotAllowed("URLs with credentials are not allowed")
    if allow_insecure:
        return url
    if parts.scheme != "https":
        raise UrlNotAllowed("URL must use https (set LEDGERLINE_ENV=development for http)")
    host = parts.hostname
    try:
        literal = _internal(host)
    except ValueError:
        literal = None
    if literal:
        raise UrlNotAllowed(f"{host} is an internal address")
    if literal is None and resolve:
        try:
            infos = socket.getaddrinfo(host, parts.port or 443, proto=socket.IPPROTO_TCP)
        except OSError as exc:
            raise UrlNotAllowed(f"cannot resolve {host}: {exc}") from exc
        if any(_internal(str(info[4][0])) for info in infos):
            raise UrlNotAllowed(f"{host} resolves to an internal address")
    return url
