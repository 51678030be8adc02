"""Operations: /metrics scraped and parsed, /healthz and /readyz (incl. a read-only database
and a schema behind), /metrics access in production."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from prometheus_client.parser import text_string_to_metric_families

from ledgerline.bootstrap import build_app, build_services
from ledgerline.config import Settings
from ledgerline.storage.engine import normalize_url
from tests.support.aio import run_async
from tests.support.linking import linked_world
from tests.support.messages import answer_button, is_alert, press
from tests.support.server import RunningPlatform, running_platform


def scrape(live: RunningPlatform, **headers: str) -> dict[str, list[tuple[dict[str, str], float]]]:
    """``/metrics`` parsed: sample name → [(labels, value)]."""
    with live.client() as http:
        response = http.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    samples: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples.setdefault(sample.name, []).append((dict(sample.labels), sample.value))
    return samples


def value(
    samples: dict[str, list[tuple[dict[str, str], float]]], name: str, **labels: str
) -> float:
    return sum(v for got, v in samples.get(name, []) if labels.items() <= got.items())


def test_metrics_count_what_the_platform_does(database_url: str, tmp_path: Path) -> None:
    with running_platform(database_url, tmp_path) as live, linked_world(live) as world:
        user = live.create_user()
        psid = world.link(user, ["transactions", "fraud_alerts"])
        page_id = world.business["page_id"]
        auth = {"Authorization": f"Bearer {user['access_token']}"}
        with live.client() as http:
            hello = http.post(
                f"/api/v1/threads/{page_id}/messages", headers=auth, json={"text": "hello"}
            )
            assert hello.status_code == 201, hello.text
            sent = http.post(
                "/v2.6/me/messages",
                params={"access_token": world.business["page_access_token"]},
                json={"recipient": {"id": psid}, "message": {"text": "Xin chào"}},
            )
            assert sent.status_code == 200, sent.text
            refused = http.post("/v2.6/me/messages", params={"access_token": "nope"}, json={})
            assert refused.status_code == 400
        tx = {
            "transaction_id": "tx-1",
            "card_last4": "1234",
            "amount": {"amount": "125000", "currency": "VND"},
            "credit_debit": "debit",
            "status": "booked",
            "booked_at": "2026-11-29T08:15:00+07:00",
            "merchant": {"name": "Highlands", "category_code": "5814", "country": "VN"},
        }
        assert (
            world.bank_post("transactions", {"psid": psid, "transactions": [tx]}).json()["accepted"]
            == 1
        )
        assert (
            world.bank_post("transactions", {"psid": psid, "transactions": [tx]}).json()[
                "duplicates"
            ]
            == 1
        )
        alert = world.bank_post(
            "fraud_alerts", {"psid": psid, "transaction_id": "tx-1", "reason": "odd"}
        )
        assert alert.status_code == 200, alert.text
        with live.client() as http:
            messages = http.get(f"/api/v1/threads/{page_id}/messages", headers=auth).json()["data"]
            yes = answer_button(next(m for m in messages if is_alert(m)), "genuine")
            answered = http.post(
                f"/api/v1/threads/{page_id}/messages", headers=auth, json=press(yes)
            )
            assert answered.status_code == 201, answered.text
        world.bank.bank.receiver.wait_for_events(3, timeout=30)

        samples = scrape(live)
        assert (
            value(
                samples,
                "ledgerline_http_requests_total",
                method="POST",
                route="/{node}/messages",
                status="200",
            )
            == 1
        )
        assert (
            value(samples, "ledgerline_http_requests_total", route="/{node}/messages", status="400")
            == 1
        )
        assert (
            value(
                samples, "ledgerline_http_request_duration_seconds_count", route="/me/transactions"
            )
            == 2
        )
        assert value(samples, "ledgerline_send_api_calls_total", kind="message") == 1
        assert value(samples, "ledgerline_ingested_records_total", kind="transaction") == 1
        assert value(samples, "ledgerline_ingested_duplicates_total", kind="transaction") == 1
        assert value(samples, "ledgerline_fraud_alerts_raised_total", source="bank") == 1
        assert value(samples, "ledgerline_fraud_alerts_answered_total", verdict="genuine") == 1
        assert value(samples, "ledgerline_fraud_scoring_duration_seconds_count") >= 1
        assert (
            value(
                samples,
                "ledgerline_webhook_delivery_attempts_total",
                page_id=page_id,
                outcome="delivered",
            )
            >= 3
        )
        assert value(samples, "ledgerline_webhook_delivery_duration_seconds_count") >= 3
        assert value(samples, "ledgerline_db_writer_batch_size_count") > 0
        assert value(samples, "ledgerline_db_writer_batch_duration_seconds_sum") > 0
        assert value(samples, "ledgerline_db_pool_connections", state="size") > 0
        assert value(samples, "process_resident_memory_bytes") > 0


def test_outbox_backlog_and_live_sockets_are_gauges(database_url: str, tmp_path: Path) -> None:
    import websockets.sync.client

    with running_platform(database_url, tmp_path) as live:
        # A webhook URL that refuses connections: events stay pending.
        bank = live.create_business(webhook_url="http://127.0.0.1:9/webhook")
        user = live.create_user()
        address = live.url.replace("http", "ws") + "/api/v1/stream"
        with websockets.sync.client.connect(
            f"{address}?access_token={user['access_token']}"
        ) as stream:
            with live.client() as http:
                for text in ("one", "two"):
                    said = http.post(
                        f"/api/v1/threads/{bank['page_id']}/messages",
                        headers={"Authorization": f"Bearer {user['access_token']}"},
                        json={"text": text},
                    )
                    assert said.status_code == 201
            stream.recv(timeout=10)
            samples = scrape(live)
        assert value(samples, "ledgerline_live_connections") == 1
        assert value(samples, "ledgerline_live_frames_sent_total") >= 1
        assert value(samples, "ledgerline_webhook_outbox_pending", page_id=bank["page_id"]) == 2
        age = value(
            samples, "ledgerline_webhook_outbox_oldest_age_seconds", page_id=bank["page_id"]
        )
        assert 0 <= age < 60


def _production_app(tmp_path: Path, **settings: Any) -> Any:
    config = Settings(
        env="production",
        data_dir=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'l.db'}",
        **settings,
    )
    services = build_services(config)
    return services, build_app(services)


def _get(app: Any, path: str, client: str, **headers: str) -> httpx.Response:
    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, client=(client, 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://ll") as http:
            return await http.get(path, headers=headers)

    return run_async(call)


def test_metrics_in_production_need_the_token_or_loopback(tmp_path: Path) -> None:
    services, app = _production_app(tmp_path / "a")
    try:
        assert _get(app, "/metrics", "127.0.0.1").status_code == 200
        refused = _get(app, "/metrics", "203.0.113.7")
        assert refused.status_code == 403
        assert "LEDGERLINE_METRICS_TOKEN" in refused.json()["error"]["message"]
    finally:
        services.close()
    services, app = _production_app(tmp_path / "b", metrics_token="s3cret-scrape")
    try:
        assert _get(app, "/metrics", "203.0.113.7").status_code == 401
        assert _get(app, "/metrics", "127.0.0.1").status_code == 401
        wrong = _get(app, "/metrics", "203.0.113.7", authorization="Bearer nope")
        assert wrong.status_code == 401
        ok = _get(app, "/metrics", "203.0.113.7", authorization="Bearer s3cret-scrape")
        assert ok.status_code == 200
        assert "ledgerline_http_requests_total" in ok.text
    finally:
        services.close()


def test_health_and_readiness(database_url: str, tmp_path: Path) -> None:
    with running_platform(database_url, tmp_path) as live, live.client() as http:
        assert http.get("/healthz").json() == {"status": "ok"}
        ready = http.get("/readyz")
        assert ready.status_code == 200, ready.text
        assert ready.json() == {
            "status": "ready",
            "checks": {"database": {"ok": True}, "workers": {"ok": True}},
        }


def test_ready_without_workers_and_not_before_start(tmp_path: Path) -> None:
    config = Settings(
        env="development", data_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'l.db'}"
    )
    services = build_services(config)
    try:
        app = build_app(services, run_workers=False)
        # Not started (no lifespan): the receipts worker does not run yet.
        not_started = _get(app, "/readyz", "127.0.0.1")
        assert not_started.status_code == 503
        assert not_started.json()["checks"]["workers"]["ok"] is False

        async def started() -> httpx.Response:
            runtime = app.state.ctx.lifecycle
            await runtime.start()
            try:
                transport = httpx.ASGITransport(app=app)
                async with httpx.AsyncClient(transport=transport, base_url="http://ll") as http:
                    return await http.get("/readyz")
            finally:
                await runtime.stop()

        answer = run_async(started)
        assert answer.status_code == 200, answer.text
        # Only what belongs to this process: its streams' receipts, its commits' pushes.
        assert app.state.ctx.lifecycle.runner.names == ["receipts", "push"]
    finally:
        services.close()


def _alembic_version(url: str, revision: str | None = None) -> str:
    engine = sa.create_engine(normalize_url(url))
    try:
        with engine.begin() as conn:
            if revision is not None:
                conn.execute(
                    sa.text("UPDATE alembic_version SET version_num = :r"), {"r": revision}
                )
            return str(conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar())
    finally:
        engine.dispose()


def test_not_ready_when_the_schema_is_behind(database_url: str, tmp_path: Path) -> None:
    with running_platform(database_url, tmp_path) as live, live.client() as http:
        head = _alembic_version(database_url)
        _alembic_version(database_url, "0010")
        try:
            answer = http.get("/readyz")
        finally:
            _alembic_version(database_url, head)
        assert answer.status_code == 503
        assert answer.json()["status"] == "not_ready"
        error = answer.json()["checks"]["database"]["error"]
        assert "schema at 0010" in error
        assert head in error
        assert http.get("/readyz").status_code == 200


@pytest.fixture
def immutable() -> Iterator[list[Path]]:
    """Files made immutable (``chattr +i``: read-only even for root) for a test."""
    if shutil.which("chattr") is None:
        pytest.skip("chattr is not available")
    paths: list[Path] = []
    yield paths
    for path in paths:
        subprocess.run(["chattr", "-i", str(path)], check=False)


def test_not_ready_when_the_sqlite_file_is_read_only(tmp_path: Path, immutable: list[Path]) -> None:
    url = f"sqlite:///{tmp_path / 'ledgerline.db'}"
    with running_platform(url, tmp_path) as live, live.client() as http:
        assert http.get("/readyz").status_code == 200
        # The database file and its write-ahead log: what a read-only disk looks like.
        files = [tmp_path / "ledgerline.db", tmp_path / "ledgerline.db-wal"]
        for path in files:
            made = subprocess.run(["chattr", "+i", str(path)], capture_output=True, check=False)
            if made.returncode != 0:
                pytest.skip(f"chattr +i refused here: {made.stderr!r}")
            immutable.append(path)
        answer = http.get("/readyz")
        assert answer.status_code == 503, answer.text
        assert answer.json()["status"] == "not_ready"
        assert "not writable" in answer.json()["checks"]["database"]["error"]
        for path in files:
            subprocess.run(["chattr", "-i", str(path)], check=True)
        assert http.get("/readyz").status_code == 200


@pytest.mark.postgres
def test_not_ready_when_postgres_turns_read_only(postgres_url: str, tmp_path: Path) -> None:
    """A database of its own, switched to ``default_transaction_read_only`` (what a failover to
    a standby looks like to new connections)."""
    admin = sa.create_engine(normalize_url(postgres_url), isolation_level="AUTOCOMMIT")
    name = f"ll_ro_{tmp_path.name[-8:].lower().replace('-', '_')}"
    url = normalize_url(postgres_url).set(database=name, query={})
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    plain = url.render_as_string(hide_password=False).replace("+psycopg", "")
    try:
        with running_platform(plain, tmp_path) as live, live.client() as http:
            assert http.get("/readyz").status_code == 200
            with admin.connect() as conn:
                conn.execute(
                    sa.text(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on')
                )
            answer = http.get("/readyz")
            assert answer.status_code == 503, answer.text
            assert "read-only" in answer.json()["checks"]["database"]["error"]
            with admin.connect() as conn:
                conn.execute(
                    sa.text(f'ALTER DATABASE "{name}" SET default_transaction_read_only = off')
                )
            assert http.get("/readyz").status_code == 200
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_metrics_body_is_prometheus_text(tmp_path: Path) -> None:
    services, app = _production_app(tmp_path)
    try:
        body = _get(app, "/metrics", "127.0.0.1").text
        families = {family.name for family in text_string_to_metric_families(body)}
        assert {"ledgerline_http_requests", "ledgerline_db_writer_batch_size"} <= families
        assert json.dumps(sorted(families))  # names only, all parsed
    finally:
        services.close()


def test_the_workers_process_serves_its_metrics_on_a_port(tmp_path: Path) -> None:
    from ledgerline.bootstrap import build_runtime
    from ledgerline.chat.accounts import do_create_business, do_create_user
    from ledgerline.chat.actions import do_user_message
    from ledgerline.chat.routing import Inbound
    from ledgerline.cli.server import serve_worker_metrics
    from ledgerline.domain.clock import to_ms

    services = build_services(
        Settings(
            env="development", data_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'l.db'}"
        )
    )
    try:
        now = to_ms(services.clock.now())
        bank = services.db.write_sync(
            do_create_business,
            secret_key=services.secret_key,
            name="Bank",
            webhook_url="http://127.0.0.1:9/hook",
            verify_token="v",
            account_link_url=None,
            now=now,
        )
        person = services.db.write_sync(
            do_create_user, name="An", locale="vi", timezone="Asia/Ho_Chi_Minh", now=now
        )
        services.db.write_sync(
            do_user_message,
            user_id=person.user_id,
            page_id=bank.page_id,
            body={"text": "hi"},
            now=now,
            inbound=Inbound(),
        )
        server, thread = serve_worker_metrics(services, build_runtime(services), ("127.0.0.1", 0))
        try:
            body = httpx.get(f"http://127.0.0.1:{server.server_port}/metrics", timeout=10).text
        finally:
            server.shutdown()
            server.server_close()
            thread.join(timeout=10)
        samples = {
            (sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(body)
            for sample in family.samples
        }
        assert samples[("ledgerline_webhook_outbox_pending", (("page_id", bank.page_id),))] == 1
        assert ("ledgerline_webhook_delivery_duration_seconds_count", ()) in samples
    finally:
        services.close()
