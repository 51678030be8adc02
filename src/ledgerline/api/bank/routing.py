"""Graph-style paths: every bank endpoint answers with and without a ``/vN.M`` prefix."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter

from ledgerline.domain.errors import NotFound

_VERSION = re.compile(r"v\d{1,3}(\.\d{1,3})?")


def check_version(version: str | None) -> None:
    if version is not None and not _VERSION.fullmatch(version):
        raise NotFound(f"Unknown path component: {version[:40]}")


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
