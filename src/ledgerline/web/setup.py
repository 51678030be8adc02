"""Wiring the web app into the ASGI app (called by ``bootstrap``)."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from ledgerline.web import console, inbox, links, pages, privacy, privacy_export, pwa
from ledgerline.web.config import WebConfig
from ledgerline.web.security import person_session_user


def install_web(app: FastAPI, config: WebConfig) -> None:
    """Pages, static assets at ``/static``, and the session port the person API reads."""
    app.state.web = config
    app.state.session_resolver = person_session_user
    app.include_router(pages.router)
    app.include_router(privacy.router)
    app.include_router(privacy_export.router)
    app.include_router(console.router)
    app.include_router(inbox.router)
    app.include_router(pwa.router)
    static = StaticFiles(packages=[("ledgerline.web", "static")])
    # First, so no API route with a path parameter ever shadows an asset, nor an m.me-style
    # link (``/{version}/{PSID}`` would take ``/m/{PAGE_ID}``).
    app.router.routes[0:0] = [Mount("/static", app=static, name="static"), *links.router.routes]


__all__ = ["WebConfig", "install_web"]
