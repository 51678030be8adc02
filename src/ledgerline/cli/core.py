"""``ledgerline serve``: the platform until SIGINT/SIGTERM."""

from __future__ import annotations

from typing import Annotated

import typer

from ledgerline.cli.options import DatabaseUrl, DataDir, JsonFlag, fail


def register(app: typer.Typer) -> None:
    @app.command()
    def serve(
        host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
        port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
        public_url: Annotated[
            str | None, typer.Option("--public-url", help="URL people and banks reach us at.")
        ] = None,
        workers: Annotated[
            bool,
            typer.Option(
                "--workers/--no-workers",
                help="Run the background workers (webhooks out, consent expiry, retention, "
                "held-back updates) in this process; --no-workers when `ledgerline work` "
                "runs them.",
            ),
        ] = True,
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
            workers=workers,
        )

    @app.command()
    def work(
        metrics_port: Annotated[
            int | None,
            typer.Option(
                "--metrics-port",
                min=1,
                max=65535,
                help="Serve Prometheus metrics on this port (on --metrics-host).",
            ),
        ] = None,
        metrics_host: Annotated[
            str, typer.Option("--metrics-host", help="Interface of the metrics port.")
        ] = "127.0.0.1",
        database_url: DatabaseUrl = None,
        data_dir: DataDir = None,
    ) -> None:
        """Run only the background workers (webhooks out, consent expiry, retention,
        held-back updates) until SIGINT/SIGTERM: beside `serve --no-workers` processes.
        Live frames reach people's sockets in other processes through the broker
        (LEDGERLINE_BROKER_URL)."""
        from ledgerline.cli.server import run_workers

        run_workers(
            database_url=database_url,
            data_dir=data_dir,
            metrics_address=None if metrics_port is None else (metrics_host, metrics_port),
        )

    @app.command()
    def demo(
        host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
        port: Annotated[int, typer.Option(help="TCP port of the platform.")] = 8000,
        public_url: Annotated[
            str | None, typer.Option("--public-url", help="URL people reach the platform at.")
        ] = None,
        bank_port: Annotated[
            int | None, typer.Option("--bank-port", help="TCP port of the demo bank (port+1).")
        ] = None,
        bank_public_url: Annotated[
            str | None, typer.Option("--bank-public-url", help="URL people reach the bank at.")
        ] = None,
        interval: Annotated[
            float,
            typer.Option(
                "--interval",
                min=0,
                help="Seconds between rounds of simulated card activity (0: off).",
            ),
        ] = 20.0,
        assistant: Annotated[
            bool | None,
            typer.Option(
                "--assistant/--no-assistant",
                help="Turn Demo Bank's built-in assistant on or off (default: as it was "
                "left, off on a first run; the bank's back office switches it too).",
            ),
        ] = None,
        database_url: DatabaseUrl = None,
        data_dir: DataDir = None,
        as_json: JsonFlag = False,
    ) -> None:
        """The platform plus the demo bank and demo people (development mode); prints the
        URLs and sign-ins, runs until SIGINT/SIGTERM."""
        from ledgerline.cli.demo import DemoStartError, run_demo

        try:
            run_demo(
                host=host,
                port=port,
                public_url=public_url,
                bank_port=bank_port,
                bank_public_url=bank_public_url,
                interval=interval,
                assistant=assistant,
                database_url=database_url,
                data_dir=data_dir,
                as_json=as_json,
            )
        except DemoStartError as exc:
            fail(str(exc))
