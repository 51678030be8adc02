"""The admin commands (CONTRACTS §1, issue 18 part 5): business and user management, db
migrate/check, backup → restore → the same data, JSON errors and exit codes. In-process
(``main()`` with its argv), one database per test."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from ledgerline.cli.main import main
from ledgerline.domain.ids import token_hash
from ledgerline.storage.engine import normalize_url
from tests.support.receiver import RunningReceiver, WebhookReceiver


class Cli:
    def __init__(
        self,
        database_url: str,
        data_dir: Path,
        monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        self.database_url = database_url
        self.data_dir = data_dir
        self.monkeypatch = monkeypatch
        self.capsys = capsys
        monkeypatch.setenv("LEDGERLINE_ENV", "development")
        for name in ("LEDGERLINE_DATABASE_URL", "LEDGERLINE_DATA_DIR", "LEDGERLINE_MASTER_KEY"):
            monkeypatch.delenv(name, raising=False)

    def run(self, *args: str, storage: bool = True) -> tuple[int, str, str]:
        where = ["--database-url", self.database_url, "--data-dir", str(self.data_dir)]
        self.monkeypatch.setattr(sys, "argv", ["ledgerline", *args, *(where if storage else [])])
        self.capsys.readouterr()
        with pytest.raises(SystemExit) as exited:
            main()
        out, err = self.capsys.readouterr()
        code = exited.value.code
        return (code if isinstance(code, int) else 0), out, err

    def json(self, *args: str) -> Any:
        code, out, err = self.run(*args, "--json")
        assert code == 0, err
        return json.loads(out)


@pytest.fixture
def cli(
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Cli:
    return Cli(database_url, tmp_path / "data", monkeypatch, capsys)


def _sql(url: str, statement: str, **params: Any) -> list[Any]:
    engine = sa.create_engine(normalize_url(url))
    try:
        with engine.begin() as conn:
            result = conn.execute(sa.text(statement), params)
            return list(result.all()) if result.returns_rows else []
    finally:
        engine.dispose()


def test_business_list_show_rotate_and_set_webhook(cli: Cli) -> None:
    created = cli.json("business", "create", "--name", "Ngân hàng A")
    page_id = created["page_id"]
    listed = cli.json("business", "list")
    assert listed == {
        "data": [
            {
                "page_id": page_id,
                "name": "Ngân hàng A",
                "webhook_url": None,
                "subscribed_fields": [
                    "messages",
                    "messaging_postbacks",
                    "message_deliveries",
                    "message_reads",
                    "messaging_account_linking",
                    "fraud_alert_responses",
                    "fraud_reports",
                ],
            }
        ]
    }
    # The real subscription (``/me/subscribed_apps`` and the console change it).
    _sql(
        cli.database_url,
        "UPDATE businesses SET subscribed_fields = 'messages,standby' WHERE page_id = :p",
        p=page_id,
    )
    assert cli.json("business", "show", page_id)["subscribed_fields"] == ["messages", "standby"]
    assert "fields: messages,standby" in cli.run("business", "list")[1]
    _sql(cli.database_url, "UPDATE businesses SET subscribed_fields = NULL")  # unsubscribed
    assert cli.json("business", "list")["data"][0]["subscribed_fields"] == []
    assert "fields: -" in cli.run("business", "list")[1]
    shown = cli.json("business", "show", page_id)
    assert shown["app_id"] == created["app_id"]
    assert shown["pending_webhooks"] == 0
    assert created["app_secret"] not in json.dumps(shown)
    assert created["page_access_token"] not in json.dumps(shown)

    with RunningReceiver(WebhookReceiver(verify_token="v-tok")) as receiver:
        changed = cli.json(
            "business", "set-webhook", page_id, "--url", receiver.url, "--verify-token", "v-tok"
        )
        assert changed == {"page_id": page_id, "webhook_url": receiver.url}
        refused = cli.run(
            "business",
            "set-webhook",
            page_id,
            "--url",
            receiver.url,
            "--verify-token",
            "wrong",
            "--json",
        )
        assert refused[0] == 1
        assert "handshake" in json.loads(refused[2])["error"]["message"].lower()
    (entry,) = cli.json("business", "list")["data"]
    assert entry["webhook_url"] == receiver.url
    assert cli.json("business", "set-webhook", page_id, "--remove")["webhook_url"] is None

    rotated = cli.json("business", "rotate-token", page_id)
    new_token = rotated["page_access_token"]
    assert new_token != created["page_access_token"]
    live = _sql(
        cli.database_url,
        "SELECT token_hash FROM page_tokens WHERE page_id = :p AND revoked_at IS NULL",
        p=page_id,
    )
    assert [row[0] for row in live] == [token_hash(new_token)]
    secret = cli.json("business", "rotate-secret", page_id)
    assert secret["app_secret"] != created["app_secret"]
    assert cli.json("business", "show", page_id)["secret_version"] == 2
    actions = [
        row[0]
        for row in _sql(
            cli.database_url, "SELECT action FROM audit_log WHERE page_id = :p", p=page_id
        )
    ]
    assert {"rotate_page_token", "rotate_app_secret", "set_webhook"} <= set(actions)
    assert cli.json("audit", "verify")["ok"] is True


def test_not_found_and_usage_errors_have_exit_codes_and_json(cli: Cli) -> None:
    code, out, err = cli.run("business", "show", "123", "--json")
    assert (code, out) == (3, "")
    assert json.loads(err) == {
        "error": {"message": "no business with page id '123'", "exit_code": 3}
    }
    code, _, err = cli.run("business", "show", "123")
    assert code == 3
    assert err == "error: no business with page id '123'\n"
    code, _, err = cli.run("user", "show", "u_nobody", "--json")
    assert code == 3
    assert json.loads(err)["error"]["exit_code"] == 3
    code, out, err = cli.run("business", "frobnicate", "--json", storage=False)
    assert (code, out) == (2, "")
    assert "frobnicate" in json.loads(err)["error"]["message"]
    code, _, err = cli.run("business", "set-webhook", "1", "--json")
    assert code == 1
    assert json.loads(err)["error"]["message"] == "give either --url URL or --remove"


def test_user_list_show_and_delete(cli: Cli) -> None:
    an = cli.json("user", "create", "--name", "An", "--locale", "vi")
    bich = cli.json("user", "create", "--name", "Bích", "--locale", "en")
    listed = cli.json("user", "list")["data"]
    assert sorted(p["user_id"] for p in listed) == sorted([an["user_id"], bich["user_id"]])
    first = min(p["user_id"] for p in listed)
    assert [p["user_id"] for p in cli.json("user", "list", "--after", first)["data"]] == [
        max(p["user_id"] for p in listed)
    ]
    shown = cli.json("user", "show", an["user_id"])
    assert shown == {
        "user_id": an["user_id"],
        "name": "An",
        "locale": "vi",
        "timezone": "Asia/Ho_Chi_Minh",
        "created_at": shown["created_at"],
        "deleted": False,
        "links": [],
    }
    code, _, err = cli.run("user", "delete", an["user_id"], "--json")
    assert code == 1
    assert "--yes" in json.loads(err)["error"]["message"]
    assert cli.json("user", "delete", an["user_id"], "--yes") == {
        "user_id": an["user_id"],
        "deleted": True,
        "already_deleted": False,
    }
    gone = cli.json("user", "show", an["user_id"])
    assert gone["deleted"] is True
    assert gone["name"] == ""
    tokens = _sql(
        cli.database_url, "SELECT revoked_at FROM user_tokens WHERE user_id = :u", u=an["user_id"]
    )
    assert all(row[0] is not None for row in tokens)
    assert cli.json("user", "show", bich["user_id"])["deleted"] is False


def test_db_check_and_migrate(tmp_path: Path, cli: Cli) -> None:
    cli.database_url = f"sqlite:///{tmp_path / 'fresh.db'}"
    code, out, err = cli.run("db", "check", "--json")
    assert code == 1
    result = json.loads(out)
    assert result["ok"] is False
    assert result["revision"] is None
    assert "ledgerline db migrate" in json.loads(err)["error"]["message"]
    migrated = cli.json("db", "migrate")
    assert migrated["from"] is None
    assert migrated["to"] == migrated["head"]
    checked = cli.json("db", "check")
    assert checked == {
        "ok": True,
        "reachable": True,
        "writable": True,
        "revision": migrated["head"],
        "head": migrated["head"],
    }


def _snapshot(cli: Cli) -> dict[str, Any]:
    return {
        "businesses": cli.json("business", "list")["data"],
        "people": cli.json("user", "list")["data"],
        "messages": _sql(cli.database_url, "SELECT mid, sender FROM messages ORDER BY mid"),
        "audit": cli.json("audit", "verify")["entries"],
    }


def test_backup_then_restore_gives_back_the_same_data(cli: Cli, tmp_path: Path) -> None:
    if not cli.database_url.startswith("sqlite") and shutil.which("pg_dump") is None:
        pytest.skip("the PostgreSQL client tools are not installed")
    bank = cli.json("business", "create", "--name", "Bank")
    person = cli.json("user", "create", "--name", "An")
    from ledgerline.bootstrap import build_services
    from ledgerline.chat.actions import do_user_message
    from ledgerline.chat.routing import Inbound
    from ledgerline.config import Settings

    services = build_services(
        Settings(env="development", data_dir=cli.data_dir, database_url=cli.database_url)
    )
    try:
        for text in ("một", "hai"):
            services.db.write_sync(
                do_user_message,
                user_id=person["user_id"],
                page_id=bank["page_id"],
                body={"text": text},
                now=1_800_000_000_000,
                inbound=Inbound(),
            )
    finally:
        services.close()
    cli.json("business", "rotate-token", bank["page_id"])  # an audited change
    before = _snapshot(cli)
    assert len(before["messages"]) == 2

    out = tmp_path / "backups" / "ledgerline.backup"
    made = cli.json("backup", "--out", str(out))
    assert made["ok"] is True
    assert made["bytes"] == out.stat().st_size > 0
    assert out.stat().st_mode & 0o077 == 0
    code, _, err = cli.run("backup", "--out", str(out), "--json")
    assert code == 1
    assert "already exists" in json.loads(err)["error"]["message"]

    # Life goes on after the backup...
    cli.json("business", "create", "--name", "Later Bank")
    cli.json("user", "delete", person["user_id"], "--yes")
    assert _snapshot(cli) != before
    code, _, err = cli.run("restore", "--from", str(out), "--json")
    assert code == 1
    assert "--yes" in json.loads(err)["error"]["message"]

    restored = cli.json("restore", "--from", str(out), "--yes")
    assert restored["revision"] == restored["head"]
    assert _snapshot(cli) == before


def test_restore_refuses_what_is_not_a_backup(tmp_path: Path, cli: Cli) -> None:
    cli.database_url = f"sqlite:///{tmp_path / 'target.db'}"
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)
    code, _, err = cli.run("restore", "--from", str(junk), "--json")
    assert code == 1
    assert "not a SQLite backup" in json.loads(err)["error"]["message"]
    code, _, err = cli.run("restore", "--from", str(tmp_path / "missing.db"), "--json")
    assert code == 1
    assert "no backup at" in json.loads(err)["error"]["message"]
