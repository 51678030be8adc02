"""The messenger as an installable app: the web app manifest and the service worker, both
served from the site's root (a service worker controls only the paths under its own)."""

from __future__ import annotations

from importlib import resources

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse, Response

from ledgerline.web.texts import pick_locale, translate

router = APIRouter(include_in_schema=False)


@router.get("/manifest.webmanifest")
async def manifest(request: Request) -> Response:
    locale = pick_locale(request)
    body = {
        "name": translate(locale, "app_name"),
        "short_name": translate(locale, "app_name"),
        "description": translate(locale, "tagline"),
        "lang": locale,
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "background_color": "#f3f5f4",
        "theme_color": "#0b6e4f",
        "icons": [
            {"src": "/static/icon-192.png", "sizes": "192x192", "type": "image/png"},
            {"src": "/static/icon-512.png", "sizes": "512x512", "type": "image/png"},
            {
                "src": "/static/icon-512.png",
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            },
            {"src": "/static/icon.svg", "sizes": "any", "type": "image/svg+xml"},
        ],
    }
    return JSONResponse(body, media_type="application/manifest+json")


@router.get("/sw.js")
async def service_worker() -> Response:
    script = resources.files("ledgerline.web").joinpath("static/sw.js").read_text()
    return Response(
        script,
        media_type="text/javascript",
        headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": "/"},
    )
