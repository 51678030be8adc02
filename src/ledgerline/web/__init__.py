"""The browser app: the person's messenger (``/``) and the bank console (``/console``).

Server-rendered pages (Jinja, autoescaped) for sign-in, sign-up and the console; the
messenger itself is vanilla JavaScript (``static/app.js``) over the person API and the
WebSocket, authenticated by the HttpOnly session cookie plus a CSRF header. No Node build.
``bootstrap`` wires it: ``install_web(app, WebConfig(...))``.
"""

from ledgerline.web.setup import WebConfig, install_web

__all__ = ["WebConfig", "install_web"]
