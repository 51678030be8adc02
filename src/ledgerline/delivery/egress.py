"""Outgoing HTTP that connects only to the addresses it checked (no SSRF, no DNS rebinding).

httpx opens connections through httpcore's network backend. :class:`GuardedBackend` (async)
and :class:`GuardedSyncBackend` stand in front of it: for each new connection they resolve
the host once, refuse the connection (``UrlNotAllowed``) when any address it resolves to is
forbidden (``delivery.urls.forbidden_address``), and open the socket to an address they
checked. TLS still verifies the certificate against the host name (httpcore hands the URL's
host to the TLS handshake as SNI), so pinning the address changes nothing else.

Use :func:`guarded_async_transport` / :func:`guarded_transport` for every request to a URL a
business or a person gave (webhooks, the subscription handshake, fetched attachments), and
keep redirects off. In development (``allow_internal``) plain transports are returned.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import httpcore
import httpx

from ledgerline.delivery.urls import check_address, resolve_host

AsyncResolver = Callable[[str, int], Awaitable[list[str]]]
SyncResolver = Callable[[str, int], list[str]]

DEFAULT_LIMITS = httpx.Limits(max_connections=200, max_keepalive_connections=50)


async def resolve_async(host: str, port: int) -> list[str]:
    """Every address of ``host`` (the event loop's resolver, off the loop's thread)."""
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        raise httpcore.ConnectError(f"cannot resolve {host}")
    return addresses


def _checked(host: str, addresses: Iterable[str]) -> list[str]:
    """All of ``addresses`` when every one is allowed; ``UrlNotAllowed`` otherwise."""
    return [str(check_address(host, address)) for address in addresses]


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """Resolve once, check every address, connect to a checked one."""

    def __init__(
        self,
        *,
        resolve: AsyncResolver | None = None,
        inner: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        self._resolve = resolve
        self._inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        resolve = self._resolve or resolve_async
        addresses = _checked(host, await resolve(host, port))
        error: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    address,
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
        assert error is not None  # noqa: S101 - _checked never returns an empty list
        raise error

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("unix sockets are not reachable through a URL")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class GuardedSyncBackend(httpcore.NetworkBackend):
    """:class:`GuardedBackend` for synchronous clients (the subscription handshake)."""

    def __init__(
        self, *, resolve: SyncResolver | None = None, inner: httpcore.NetworkBackend | None = None
    ) -> None:
        self._resolve = resolve
        self._inner = inner or httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        resolve = self._resolve or resolve_host
        addresses = _checked(host, resolve(host, port))
        error: Exception | None = None
        for address in addresses:
            try:
                return self._inner.connect_tcp(
                    address,
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
        assert error is not None  # noqa: S101 - _checked never returns an empty list
        raise error

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("unix sockets are not reachable through a URL")


def guarded_async_transport(
    *,
    allow_internal: bool,
    limits: httpx.Limits = DEFAULT_LIMITS,
    backend: httpcore.AsyncNetworkBackend | None = None,
) -> httpx.AsyncBaseTransport:
    """An httpx transport whose connections go only to allowed addresses (see module doc)."""
    transport = httpx.AsyncHTTPTransport(limits=limits, trust_env=False)
    if allow_internal and backend is None:
        return transport
    # httpx builds its httpcore pool without a way to pass a network backend: build it here
    # with the same settings httpx would use (verified TLS, HTTP/1.1, these limits).
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=httpx.create_ssl_context(trust_env=False),
        max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections,
        keepalive_expiry=limits.keepalive_expiry,
        network_backend=backend or GuardedBackend(),
    )
    return transport


def guarded_transport(
    *, allow_internal: bool, backend: httpcore.NetworkBackend | None = None
) -> httpx.BaseTransport:
    """The synchronous :func:`guarded_async_transport`."""
    transport = httpx.HTTPTransport(trust_env=False)
    if allow_internal and backend is None:
        return transport
    transport._pool = httpcore.ConnectionPool(
        ssl_context=httpx.create_ssl_context(trust_env=False),
        network_backend=backend or GuardedSyncBackend(),
    )
    return transport
