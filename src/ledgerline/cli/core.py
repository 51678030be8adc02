"""``ledgerline serve``: the platform until SIGINT/SIGTERM."""

from __future__ import annotations

from typing import Annotated

import typer

from ledgerline.cli.options import DatabaseUrl, DataDir


def register(app: typer.Typer) -> None:
    @app.command()
    def serve(
        host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
        port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
        public_url: Annotated[
            str | None, typer.Option("--public-url", help="URL people and banks reach us at.")
        ] = None,
        database_url: DatabaseUrl = None,
        data_dir: DataDir = None,
    ) -> None:
        """Run the platform: bank API, webhooks out, person API and web app."""
        from ledgerline.cli.server import run_server

        run_server(
            host=host,
            port=port,
            public_url=public_url,
            database_url=database_url,
            data_dir=data_dir,
            default_env="production",
        )
