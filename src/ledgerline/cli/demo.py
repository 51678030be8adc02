"""``ledgerline demo``: the platform and the demo bank together, on the embedded default.

Both run in this process, each on its own port, on one event loop. The demo bank is a
separate application that reaches the platform only over HTTP, exactly as a bank would.
On SIGINT/SIGTERM the bank stops first (its stream ends, the events it is handling finish),
then the platform drains and closes its database: nothing accepted is lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import uvicorn

from ledgerline.bootstrap import build_app, build_services
from ledgerline.cli.demo_setup import (
    DEMO_PASSWORD,
    ensure_demo_agents,
    ensure_demo_assistant,
    ensure_demo_bank,
    ensure_demo_people,
)
from ledgerline.cli.options import settings_from
from ledgerline.logging import configure_logging


class DemoStartError(RuntimeError):
    """A server of the demo did not start (typically: its port is taken)."""


class _Server(uvicorn.Server):
    """A uvicorn server that leaves signals to the demo runner (two servers share them)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _loopback(host: str) -> str:
    return "127.0.0.1" if host in ("0.0.0.0", "", "::") else host  # noqa: S104 - mapping only


def _config(app: Any, host: str, port: int) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        http="httptools",
        ws="websockets-sansio",
        access_log=False,
        log_level="warning",
        lifespan="on",
        timeout_graceful_shutdown=30,
    )


def summary(
    *,
    web_url: str,
    bank_url: str,
    page_id: str,
    page_access_token: str,
    assistant: bool = False,
) -> dict[str, Any]:
    from demobank.customers import CUSTOMERS
    from ledgerline.cli.demo_setup import DEMO_AGENTS, DEMO_PEOPLE

    return {
        "web_url": web_url + "/",
        "console_url": web_url + "/console",
        "docs_url": web_url + "/docs",
        "inbox_url": web_url + "/inbox",
        "bank_url": bank_url + "/",
        "page_id": page_id,
        "page_access_token": page_access_token,
        "assistant": assistant,
        "people": [
            {"login": p.login, "password": DEMO_PASSWORD, "name": p.name, "locale": p.locale}
            for p in DEMO_PEOPLE
        ],
        "agents": [
            {"login": a.login, "password": DEMO_PASSWORD, "name": a.name, "role": a.role}
            for a in DEMO_AGENTS
        ],
        "bank_customers": [
            {"username": c.username, "password": c.password, "name": c.name} for c in CUSTOMERS
        ],
    }


def human_summary(info: dict[str, Any]) -> str:
    people = "\n".join(
        f"    {p['login']:<15} / {p['password']}   ({p['name']}, {p['locale']})"
        for p in info["people"]
    )
    customers = ", ".join(f"{c['username']} / {c['password']}" for c in info["bank_customers"])
    return "\n".join(
        [
            "Ledgerline demo is running.",
            "",
            f"  Messenger (web app)   {info['web_url']}",
            f"  Bank console          {info['console_url']}",
            f"  API docs              {info['docs_url']}",
            f"  Demo Bank back office {info['bank_url']}",
            "",
            "  Sign in to the web app as:",
            people,
            '  then search "Demo Bank", say hello, tap "Link account", choose what to share,',
            f"  and sign in at the bank as one of its customers: {customers}.",
            *(
                [
                    "  The built-in assistant is on and answers first: ask it "
                    '"số dư của tôi" to get the "Link account" button; once linked, ask '
                    '"khóa thẻ 1234", "cây ATM ở Hà Nội" … (back office: switch it off).'
                ]
                if info.get("assistant")
                else []
            ),
            f"  Console sign-in (page access token): {info['page_access_token']}",
            f"  Agent inbox           {info['inbox_url']}  (page id {info['page_id']}; "
            + ", ".join(f"{a['login']} / {a['password']} ({a['role']})" for a in info["agents"])
            + ")",
            "",
            "  Press Ctrl+C to stop.",
        ]
    )


async def _guarded(server: _Server) -> None:
    """uvicorn exits the process when it cannot bind; here that ends the demo instead."""
    try:
        await server.serve()
    except SystemExit as exc:
        raise DemoStartError(_why(None)) from exc


async def _serve(platform_server: _Server, bank_server: _Server, ready: Any) -> None:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    platform_task = asyncio.create_task(_guarded(platform_server))
    bank_task = asyncio.create_task(_guarded(bank_server))
    while not (platform_server.started and bank_server.started):
        if platform_task.done() or bank_task.done():
            break
        await asyncio.sleep(0.05)
    else:
        ready()
    stopped = asyncio.create_task(stop.wait())
    await asyncio.wait({platform_task, bank_task, stopped}, return_when=asyncio.FIRST_COMPLETED)
    stopped.cancel()
    # The bank first (it still talks to the platform while it winds down), then the platform.
    bank_server.should_exit = True
    bank_failed = await asyncio.gather(bank_task, return_exceptions=True)
    platform_server.should_exit = True
    platform_failed = await asyncio.gather(platform_task, return_exceptions=True)
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.remove_signal_handler(sig)
    for failure in (*bank_failed, *platform_failed):
        if isinstance(failure, DemoStartError):
            raise failure
        if isinstance(failure, BaseException):
            raise DemoStartError(_why(failure)) from failure
    if not (platform_server.started and bank_server.started):
        raise DemoStartError(_why(None))


def _why(failure: BaseException | None) -> str:
    detail = (
        f" ({failure!r})" if failure is not None and not isinstance(failure, SystemExit) else ""
    )
    return f"the demo could not start: is one of its ports already in use?{detail}"


def run_demo(
    *,
    host: str,
    port: int,
    public_url: str | None,
    bank_port: int | None,
    bank_public_url: str | None,
    interval: float,
    database_url: str | None,
    data_dir: Path | None,
    as_json: bool,
    assistant: bool | None = None,
) -> None:
    from demobank.app import create_app as create_bank_app
    from demobank.bank import BankConfig

    env = os.environ.get("LEDGERLINE_ENV") or "development"
    settings = settings_from(
        database_url,
        data_dir,
        env=env,
        host=host,
        port=port,
        **({"public_url": public_url} if public_url else {}),
        # The demo bank calls the API all the time: no access lines unless asked for.
        **({} if "LEDGERLINE_ACCESS_LOG" in os.environ else {"access_log": False}),
    )
    # Logs on stdout, as ``serve``'s, unless stdout carries the one JSON object (--json).
    configure_logging(
        settings.log_level,
        stream=sys.stderr if as_json else sys.stdout,
        log_format=settings.log_format,
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)  # the bank's every API call otherwise
    bank_port = bank_port or port + 1
    bank_url = (bank_public_url or f"http://{_loopback(host)}:{bank_port}").rstrip("/")
    platform_url = f"http://{_loopback(host)}:{port}"
    platform = build_services(settings)
    try:
        credentials = ensure_demo_bank(
            platform, webhook_url=bank_url + "/webhook", account_link_url=bank_url + "/link"
        )
        ensure_demo_people(platform)
        ensure_demo_agents(platform, credentials.page_id)
        assistant_on = ensure_demo_assistant(platform, credentials.page_id, assistant)
        bank_app = create_bank_app(
            BankConfig(
                platform_url=platform_url,
                platform_public_url=settings.resolved_public_url(),
                public_url=bank_url,
                page_id=credentials.page_id,
                page_access_token=credentials.page_access_token,
                app_secret=credentials.app_secret,
                verify_token=credentials.verify_token,
                interval_seconds=interval,
                state_path=settings.data_dir / "demobank-state.json",
                assistant_on=assistant_on,
            )
        )
        info = summary(
            web_url=settings.resolved_public_url(),
            bank_url=bank_url,
            page_id=credentials.page_id,
            page_access_token=credentials.page_access_token,
            assistant=assistant_on,
        )

        def ready() -> None:
            text = json.dumps(info, ensure_ascii=False) if as_json else human_summary(info)
            sys.stdout.write(text + "\n")
            sys.stdout.flush()

        platform_server = _Server(_config(build_app(platform), host, port))
        bank_server = _Server(_config(bank_app, host, bank_port))
        asyncio.run(_serve(platform_server, bank_server, ready))
    finally:
        platform.close()
