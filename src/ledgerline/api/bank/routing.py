"""Graph-style paths: every bank endpoint answers with and without a ``/vN.M`` prefix."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request

from ledgerline.api.bank.body import read_params
from ledgerline.api.context import AppContext
from ledgerline.api.deps import PageAuth, authenticate_page
from ledgerline.domain.errors import NotFound, UnknownPathComponents

_VERSION = re.compile(r"v\d{1,3}(\.\d{1,3})?")

# Every Graph API version Meta has released (v2.0 in 2014 to v25.0): old ones still answer,
# as Meta serves an expired version's calls with its oldest available one, and clients pin
# them (pymessenger v2.6, fbmessenger v2.12, ampalibe v15.0).
GRAPH_VERSIONS = frozenset(
    [f"v2.{minor}" for minor in range(13)]
    + [f"v3.{minor}" for minor in range(4)]
    + [f"v{major}.0" for major in range(4, 26)]
)


def check_version(version: str | None) -> None:
    """A ``/vN.M`` prefix must be a released Graph version: anything else that looks like
    one gets Graph's ``(#2500) Unknown path components``, anything else ``(#803)``."""
    if version is None or version in GRAPH_VERSIONS:
        return
    if _VERSION.fullmatch(version):
        raise UnknownPathComponents(
            f"Unknown path components: /{version} is not a Graph API version"
        )
    raise NotFound(f"Unknown path component: {version[:40]}")


async def graph_call(
    request: Request, ctx: AppContext, version: str | None
) -> tuple[dict[str, Any], PageAuth]:
    """A Graph call's first steps: its version prefix checked, its parameters read (query and
    body, Messenger's encodings), then the page its access token belongs to."""
    check_version(version)
    params = await read_params(request)
    return params, await authenticate_page(ctx, request, params)


def version_number(version: str | None) -> tuple[int, int] | None:
    """``v3.2`` → ``(3, 2)``; ``None`` for an unversioned call."""
    if version is None:
        return None
    check_version(version)
    major, _, minor = version[1:].partition(".")
    return int(major), int(minor or 0)


def graph_route(
    router: APIRouter, path: str, methods: list[str], **kwargs: Any
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register ``path`` and ``/{version}{path}``; the handler takes ``version: str | None``."""

    def decorate(handler: Callable[..., Any]) -> Callable[..., Any]:
        router.add_api_route(path, handler, methods=methods, **kwargs)
        versioned = {**kwargs, "include_in_schema": False}
        router.add_api_route("/{version}" + path, handler, methods=methods, **versioned)
        return handler

    return decorate
