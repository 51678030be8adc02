"""``ledgerline agent create``: a business's customer-service agents (the agent inbox)."""

from __future__ import annotations

import secrets
import sys
from typing import Annotated

import typer

from ledgerline.bootstrap import build_services
from ledgerline.cli.options import DatabaseUrl, DataDir, JsonFlag, emit, fail, settings_from
from ledgerline.customer_service.agents import AgentAccounts
from ledgerline.domain.errors import LedgerlineError

app = typer.Typer(help="Create agents for a business's agent inbox.", no_args_is_help=True)


@app.command("create")
def create(
    page_id: Annotated[str, typer.Option("--page-id", help="The business's page id.")],
    login: Annotated[str, typer.Option("--login", help="The agent's sign-in name.")],
    name: Annotated[str, typer.Option("--name", help="Shown to people: use a first name.")],
    role: Annotated[str, typer.Option("--role", help="agent or supervisor.")] = "agent",
    password_stdin: Annotated[
        bool,
        typer.Option("--password-stdin", help="Read the password from stdin (else one is made)."),
    ] = False,
    database_url: DatabaseUrl = None,
    data_dir: DataDir = None,
    as_json: JsonFlag = False,
) -> None:
    """Create an agent; prints agent_id and, when generated, the password (shown once)."""
    password = sys.stdin.readline().rstrip("\n") if password_stdin else secrets.token_urlsafe(12)
    platform = build_services(settings_from(database_url, data_dir))
    try:
        agent = AgentAccounts(platform.db, platform.clock).create_sync(
            page_id=page_id.strip(), login=login, name=name, role=role, password=password
        )
    except LedgerlineError as exc:
        fail(exc.message)
    finally:
        platform.close()
    result = {
        "agent_id": agent.agent_id,
        "page_id": agent.page_id,
        "login": agent.login,
        "role": agent.role,
    }
    if not password_stdin:
        result["password"] = password
    emit(
        result,
        as_json=as_json,
        human=f"Agent {agent.name!r} ({agent.role}) created for page {agent.page_id}.\n"
        f"  login: {agent.login}\n"
        + ("" if password_stdin else f"  password: {password}  (shown only now)\n")
        + "Sign in at /inbox.",
    )
