"""``ledgerline agent create``: a business's agents for the inbox (CONTRACTS §1 style), in-process."""

from __future__ import annotations

import json
from pathlib import Path

import sqlalchemy as sa

from ledgerline.storage.engine import normalize_url
from tests.support.cli import InProcessCli


def test_agent_create_prints_json_and_stores_only_a_hash(
    database_url: str, tmp_path: Path, ledgerline_cli: InProcessCli
) -> None:
    _run = ledgerline_cli
    common = ["--database-url", database_url, "--data-dir", str(tmp_path), "--json"]
    business = _run("business", "create", "--name", "Ngân hàng Demo", *common)
    assert business.returncode == 0, business.stderr
    page_id = json.loads(business.stdout)["page_id"]

    made = _run("agent", "create", "--page-id", page_id, "--login", "Lan", "--name", "Lan", *common)
    assert made.returncode == 0, made.stderr
    agent = json.loads(made.stdout)
    assert agent["login"] == "lan"
    assert agent["role"] == "agent"
    assert len(agent["password"]) >= 12

    boss = _run(
        "agent",
        "create",
        "--page-id",
        page_id,
        "--login",
        "hoa",
        "--name",
        "Hoa",
        "--role",
        "supervisor",
        "--password-stdin",
        *common,
        stdin="a supervisor's password\n",
    )
    assert boss.returncode == 0, boss.stderr
    assert "password" not in json.loads(boss.stdout)

    engine = sa.create_engine(normalize_url(database_url))
    with engine.connect() as conn:
        hashes = conn.execute(sa.text("SELECT password_hash FROM agents")).scalars().all()
    engine.dispose()
    assert len(hashes) == 2
    assert all(h.startswith("$argon2id$") for h in hashes)
    assert agent["password"] not in hashes

    for args, message in [
        (["--page-id", page_id, "--login", "lan", "--name", "Lan 2"], "already taken"),
        (["--page-id", "999", "--login", "x1y", "--name", "X"], "No business"),
        (["--page-id", page_id, "--login", "tuan", "--name", "Tú", "--role", "boss"], "role"),
    ]:
        refused = _run("agent", "create", *args, *common)
        assert refused.returncode != 0
        assert message in refused.stderr, refused.stderr
