"""Outgoing requests connect only to the address that was checked (SSRF, DNS rebinding).

Nothing here connects anywhere: the network backend under the guard is a recorder that
answers every connection with one canned HTTP response, so the tests see exactly which
address a request would have reached (and that a refused one reached none).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import httpcore
import httpx
import pytest

from ledgerline.delivery.egress import (
    GuardedBackend,
    GuardedSyncBackend,
    guarded_async_transport,
    guarded_transport,
)
from ledgerline.delivery.urls import UrlNotAllowed
from tests.support.aio import run_async

OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"


class Recorder(httpcore.AsyncMockBackend):
    """Records the addresses it is asked to connect to; every connection answers 200."""

    def __init__(self) -> None:
        super().__init__([OK] * 8)
        self.connected: list[tuple[str, int]] = []

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        self.connected.append((host, port))
        return await super().connect_tcp(host, port, timeout, local_address, socket_options)


class SyncRecorder(httpcore.MockBackend):
    def __init__(self) -> None:
        super().__init__([OK] * 8)
        self.connected: list[tuple[str, int]] = []

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        self.connected.append((host, port))
        return super().connect_tcp(host, port, timeout, local_address, socket_options)


class Rebinding:
    """A DNS answer that changes between lookups: public first, then loopback."""

    def __init__(self, *answers: list[str]) -> None:
        self.answers = list(answers)
        self.lookups: list[str] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.lookups.append(host)
        return self.answers[min(len(self.lookups), len(self.answers)) - 1]


def _post(backend: GuardedBackend, url: str) -> httpx.Response:
    async def go() -> httpx.Response:
        transport = guarded_async_transport(allow_internal=False, backend=backend)
        async with httpx.AsyncClient(transport=transport) as client:
            return await client.post(url, content=b"{}")

    return run_async(go)


def test_connects_to_the_address_it_checked_and_resolves_once() -> None:
    recorder = Recorder()
    dns = Rebinding(["93.184.216.34"], ["127.0.0.1"])
    answer = _post(GuardedBackend(resolve=dns, inner=recorder), "http://bank.example:8443/hook")
    assert answer.status_code == 200
    assert dns.lookups == ["bank.example"]  # one lookup: nothing left to rebind
    assert recorder.connected == [("93.184.216.34", 8443)]


def test_a_name_that_resolves_to_an_internal_address_is_never_connected() -> None:
    for internal in (["127.0.0.1"], ["100.64.0.7"], ["8.8.8.8", "10.0.0.1"], ["2002:7f00:1::1"]):
        recorder = Recorder()
        with pytest.raises(UrlNotAllowed, match=r"bank\.example resolves to an internal"):
            _post(
                GuardedBackend(resolve=Rebinding(internal), inner=recorder), "https://bank.example/"
            )
        assert recorder.connected == []


def test_a_rebound_name_is_refused_on_the_next_connection() -> None:
    recorder = Recorder()
    dns = Rebinding(["93.184.216.34"], ["127.0.0.1"])
    backend = GuardedBackend(resolve=dns, inner=recorder)
    assert _post(backend, "http://bank.example/hook").status_code == 200  # "Connection: close"
    with pytest.raises(UrlNotAllowed):
        _post(backend, "http://bank.example/hook")
    assert recorder.connected == [("93.184.216.34", 80)]


def test_literal_internal_addresses_are_refused() -> None:
    recorder = Recorder()
    for url in (
        "http://169.254.169.254/latest/meta-data",
        "http://[::ffff:7f00:1]/",
        "http://0x7f000001/",
    ):
        with pytest.raises((UrlNotAllowed, httpx.ConnectError)):
            _post(GuardedBackend(inner=recorder), url)
    assert recorder.connected == []


def test_the_synchronous_guard_does_the_same() -> None:
    recorder = SyncRecorder()
    backend = GuardedSyncBackend(resolve=lambda host, port: ["100.64.0.1"], inner=recorder)
    with (
        httpx.Client(transport=guarded_transport(allow_internal=False, backend=backend)) as client,
        pytest.raises(UrlNotAllowed),
    ):
        client.get("https://bank.example/hook")
    assert recorder.connected == []
    backend = GuardedSyncBackend(resolve=lambda host, port: ["8.8.8.8"], inner=recorder)
    with httpx.Client(transport=guarded_transport(allow_internal=False, backend=backend)) as client:
        assert client.get("http://bank.example/hook").status_code == 200
    assert recorder.connected == [("8.8.8.8", 80)]
