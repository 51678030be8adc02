"""The ``ledgerline`` command as an operator uses it (CONTRACTS §1)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from ledgerline.domain.ids import token_hash
from ledgerline.storage.engine import normalize_url
from tests.support.cli import InProcessCli
from tests.support.receiver import RunningReceiver, WebhookReceiver


@pytest.fixture
def run(ledgerline_cli: InProcessCli) -> InProcessCli:
    """The command, in this process (tests/support/cli.py)."""
    return ledgerline_cli


@pytest.fixture
def receiver() -> Iterator[RunningReceiver]:
    with RunningReceiver(WebhookReceiver(verify_token="s3cret")) as running:
        yield running


def test_business_and_user_create_print_json_and_store_only_hashes(
    run: InProcessCli, database_url: str, tmp_path: Path, receiver: RunningReceiver
) -> None:
    env = {"LEDGERLINE_ENV": "development"}
    business = run(
        "business",
        "create",
        "--name",
        "Ngân hàng Demo",
        "--webhook-url",
        receiver.url,
        "--verify-token",
        "s3cret",
        "--account-link-url",
        "http://127.0.0.1:9/authorize",
        "--json",
        "--database-url",
        database_url,
        "--data-dir",
        str(tmp_path),
        env=env,
    )
    assert business.returncode == 0, business.stderr
    created = json.loads(business.stdout)
    assert set(created) == {"page_id", "app_id", "app_secret", "page_access_token"}
    user = run(
        "user",
        "create",
        "--name",
        "An",
        "--locale",
        "vi",
        "--timezone",
        "Asia/Ho_Chi_Minh",
        "--json",
        "--database-url",
        database_url,
        "--data-dir",
        str(tmp_path),
        env=env,
    )
    assert user.returncode == 0, user.stderr
    person = json.loads(user.stdout)
    assert set(person) == {"user_id", "access_token"}

    engine = sa.create_engine(normalize_url(database_url))
    with engine.connect() as conn:
        dump = "\n".join(
            repr(row)
            for table in ("businesses", "page_tokens", "users", "user_tokens")
            for row in conn.execute(sa.text(f"SELECT * FROM {table}"))  # noqa: S608
        )
    engine.dispose()
    for secret in (created["app_secret"], created["page_access_token"], person["access_token"]):
        assert secret not in dump
    assert token_hash(created["page_access_token"]) in dump


def test_a_webhook_that_fails_the_handshake_is_refused(
    run: InProcessCli, database_url: str, tmp_path: Path, receiver: RunningReceiver
) -> None:
    result = run(
        "business",
        "create",
        "--name",
        "Bank",
        "--webhook-url",
        receiver.url,
        "--verify-token",
        "wrong",
        "--database-url",
        database_url,
        "--data-dir",
        str(tmp_path),
        env={"LEDGERLINE_ENV": "development"},
    )
    assert result.returncode != 0
    assert "handshake" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://bank.example/hook", "https"),
        ("https://127.0.0.1/hook", "internal"),
        ("https://10.1.2.3/hook", "internal"),
        ("https://localhost/hook", "internal"),
        ("ftp://bank.example/hook", "http"),
    ],
)
def test_production_refuses_insecure_or_internal_urls(
    run: InProcessCli, tmp_path: Path, url: str, reason: str
) -> None:
    result = run(
        "business",
        "create",
        "--name",
        "Bank",
        "--webhook-url",
        url,
        "--data-dir",
        str(tmp_path),
        env={"LEDGERLINE_ENV": "production"},
    )
    assert result.returncode != 0
    assert reason in result.stderr
    assert not (tmp_path / "ledgerline.db").exists()


def test_defaults_and_human_output(run: InProcessCli, tmp_path: Path) -> None:
    result = run("user", "create", "--name", "Bình", "--locale", "en", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "access_token" in result.stdout
    assert (tmp_path / ".ledgerline" / "ledgerline.db").exists()
    key = tmp_path / ".ledgerline" / "secret.key"
    assert key.stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["user", "create", "--name", "X", "--locale", "fr"], "--locale"),
        (["user", "create", "--name", "X", "--timezone", "Mars/Base"], "--timezone"),
        (["user", "create", "--name", "  "], "--name"),
        (
            ["user", "create", "--name", "X", "--database-url", "mysql://x/y"],
            "unsupported database",
        ),
    ],
)
def test_bad_cli_input_gets_a_readable_error(
    run: InProcessCli, tmp_path: Path, args: list[str], message: str
) -> None:
    result = run(*args, "--data-dir", str(tmp_path))
    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr
