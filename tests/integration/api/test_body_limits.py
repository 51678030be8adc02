"""Bodies are capped before they are read (issue 17, part 2), with no token at all.

A raw socket plays the client, so the test sees when the server answers: a declared
``Content-Length`` over the limit is refused before a byte of the body is sent; a chunked
body is cut off once it passes the limit, long before the client would have finished."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from ledgerline.api.gate import BANK_BODY_BYTES, OTHER_BODY_BYTES
from tests.support.server import RunningPlatform, running_platform

# One test process runs these tests (pytest-xdist --dist loadgroup): the module's
# running platform built once, not in every process that draws one of them.
pytestmark = pytest.mark.xdist_group("integration.api.test_body_limits")


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningPlatform]:
    tmp: Path = tmp_path_factory.mktemp("limits")
    with running_platform(f"sqlite:///{tmp / 'l.db'}", tmp) as running:
        yield running


def _connect(live: RunningPlatform) -> socket.socket:
    parts = urlsplit(live.url)
    sock = socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 80), timeout=20)
    return sock


def _read_response(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return int(lines[0].split()[1]), headers, body


PATHS = [
    ("/v2.6/me/messages", BANK_BODY_BYTES),  # the hot path, ahead of the router
    ("/v19.0/me/unlink_accounts", BANK_BODY_BYTES),  # a bank route of the router
    ("/api/v1/threads/1/messages", OTHER_BODY_BYTES),  # the person API
    ("/signin", OTHER_BODY_BYTES),  # a web form
]


@pytest.mark.parametrize(("path", "limit"), PATHS)
def test_a_declared_200_mb_body_is_refused_before_it_is_sent(
    live: RunningPlatform, path: str, limit: int
) -> None:
    with _connect(live) as sock:
        sock.sendall(
            f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Content-Length: {200 * 1024 * 1024}\r\n\r\n".encode()
        )
        status, _, body = _read_response(sock)  # answered with no body sent at all
    assert status == 413
    error = json.loads(body)["error"]
    assert error["code"] == 100
    assert f"larger than {limit:,} bytes" in error["message"]


@pytest.mark.parametrize(("path", "limit"), PATHS)
def test_a_chunked_body_is_cut_off_once_past_the_limit(
    live: RunningPlatform, path: str, limit: int
) -> None:
    chunk = b"x" * 16384
    sent = 0
    with _connect(live) as sock:
        sock.sendall(
            f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            "Transfer-Encoding: chunked\r\n\r\n".encode()
        )
        sock.settimeout(0.05)
        answered = b""
        while sent < 64 * 1024 * 1024:  # a client that would send 64 MB
            try:
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += len(chunk)
            try:
                answered = sock.recv(65536)
            except TimeoutError:
                continue
            break
        sock.settimeout(20)
        if not answered:
            answered = sock.recv(65536)
    assert answered.startswith(b"HTTP/1.1 413"), answered[:200]
    # The server stopped reading soon after the limit (socket buffers hold a little more).
    assert sent < limit + 8 * 1024 * 1024


def test_bodies_within_the_limit_still_reach_the_handlers(live: RunningPlatform) -> None:
    with live.client() as http:
        answer = http.post("/v2.6/me/messages", content=b"{" + b" " * (BANK_BODY_BYTES - 10) + b"}")
        person = http.post("/api/v1/threads/1/messages", json={"text": "x" * 30000})
    assert answer.status_code == 400  # no token: (#190), after reading the whole body
    assert answer.json()["error"]["code"] == 190
    assert person.status_code == 401
