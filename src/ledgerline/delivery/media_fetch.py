"""Fetch a file a business named by URL (``attachment.payload.url``), as Messenger does
before re-hosting it: through the SSRF-guarded transport (``delivery.egress``), no
redirects, at most ``max_bytes`` read (the rest is never downloaded), 20 s in all."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

import httpx

from ledgerline.delivery.urls import UrlNotAllowed, check_url
from ledgerline.domain.errors import InvalidParameter

FETCH_TIMEOUT = httpx.Timeout(20.0, connect=10.0)


@dataclass(frozen=True, slots=True)
class Fetched:
    data: bytes
    content_type: str | None
    filename: str | None


def _refused(param: str, why: str) -> InvalidParameter:
    return InvalidParameter(f"param {param} could not be fetched: {why}")


async def fetch_media(
    url: str,
    *,
    transport: httpx.AsyncBaseTransport,
    allow_insecure: bool,
    max_bytes: int,
    param: str,
) -> Fetched:
    try:
        check_url(url, allow_insecure=allow_insecure, resolve=False)  # the transport resolves
    except UrlNotAllowed as exc:
        raise _refused(param, str(exc)) from None
    chunks: list[bytes] = []
    received = 0
    try:
        async with (
            httpx.AsyncClient(
                transport=transport, timeout=FETCH_TIMEOUT, follow_redirects=False
            ) as client,
            client.stream("GET", url, headers={"accept": "*/*"}) as response,
        ):
            if response.status_code != 200:
                raise _refused(param, f"the server answered HTTP {response.status_code}")
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise _refused(param, f"larger than {max_bytes // (1024 * 1024)} MB")
            async for chunk in response.aiter_bytes():
                received += len(chunk)
                if received > max_bytes:
                    raise _refused(param, f"larger than {max_bytes // (1024 * 1024)} MB")
                chunks.append(chunk)
            content_type = response.headers.get("content-type")
    except UrlNotAllowed as exc:
        raise _refused(param, str(exc)) from None
    except httpx.HTTPError as exc:
        raise _refused(param, type(exc).__name__) from None
    name = unquote(urlsplit(url).path.rsplit("/", 1)[-1]) or None
    return Fetched(b"".join(chunks), content_type, name)
