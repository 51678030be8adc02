"""Online fraud scoring through the public API: the bank's POST /me/transactions is scored
inside the ingestion; above the business's threshold the answer carries the alert and the
person gets "Was it you?"; consent, restarts, settings, verdicts as labels, state size."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from ledgerline.audit import Actor
from ledgerline.domain.scopes import Purpose
from ledgerline.fraud.online.model import FraudModel, default_model_path
from ledgerline.fraud.online.scorer import InMemoryStateStore, OnlineScorer
from ledgerline.fraud.online.state import CardState, TerminalState
from ledgerline.fraud.online.transactions import to_engine
from ledgerline.ingest.validation import transactions as validate_transactions
from ledgerline.storage.database import UnitOfWork
from ledgerline.storage.stores import fraud as fraud_store
from ledgerline.storage.tables import (
    audit_log,
    fraud_card_state,
    fraud_scores,
    fraud_terminal_state,
)
from ledgerline.vault import PurposeNotAllowed
from tests.support.cli import InProcessCli
from tests.support.forms import console_sign_in
from tests.support.fraud import START, Person, history, person, tx
from tests.support.inprocess import in_process_server
from tests.support.linking import LinkedWorld, linked_world
from tests.support.messages import answer_button, buttons_of, is_alert, press, text_of
from tests.support.server import RunningPlatform


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> Iterator[LinkedWorld]:
    with in_process_server(database_url, tmp_path) as live, linked_world(live) as linked:
        yield linked


def set_policy(live: RunningPlatform, page_id: str, policy: str, value: float) -> None:
    def put(uow: UnitOfWork) -> None:
        fraud_store.put_policy(uow.conn, page_id, policy, value, 0)

    live.platform.db.write_sync(put)


def count(live: RunningPlatform, table: sa.Table) -> int:
    def rows(conn: sa.Connection) -> int:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar() or 0)

    return live.platform.db.read_sync(rows)


def test_a_fraudulent_looking_transaction_gets_an_alert_and_a_message(
    world: LinkedWorld,
) -> None:
    p = person(world)
    ordinary = p.send(history(10))
    assert ordinary["accepted"] == 10
    assert ordinary["alerts"] == []
    big = p.send([tx("big-1", "60000000", START + dt.timedelta(days=10, hours=3))])
    assert big["accepted"] == 1
    (alert,) = big["alerts"]
    assert alert["transaction_id"] == "big-1"
    assert alert["alert_id"].startswith("fa_")
    assert 0.5 < alert["score"] <= 1.0
    last = p.messages()[-1]
    assert text_of(last).startswith("Suspicious activity on your account.")
    assert "₫60,000,000" in text_of(last)
    payloads = [b["payload"] for b in buttons_of(last)]
    assert payloads == [
        f"LEDGERLINE_FRAUD_ALERT:{alert['alert_id']}:genuine",
        f"LEDGERLINE_FRAUD_ALERT:{alert['alert_id']}:fraud",
    ]
    # a repeated transaction is neither stored nor scored again
    again = p.send([tx("big-1", "60000000", START + dt.timedelta(days=10, hours=3))])
    assert again == {"accepted": 0, "duplicates": 1, "alerts": []}
    # the read was audited under its purpose, once for the whole batch
    log = p.api("GET", "/me/access-log").json()["data"]
    fraud_reads = [e for e in log if e["purpose"] == "fraud_detection"]
    assert len(fraud_reads) == 2  # the two batches that stored something


def test_a_person_without_fraud_alerts_is_not_scored(world: LinkedWorld) -> None:
    p = person(world, scopes=["transactions"])
    answer = p.send([tx("big-1", "60000000", START)])
    assert answer == {"accepted": 1, "duplicates": 0, "alerts": []}
    assert count(world.live, fraud_card_state) == 0
    assert count(world.live, fraud_terminal_state) == 0
    log = p.api("GET", "/me/access-log").json()["data"]
    assert not any(e["purpose"] == "fraud_detection" for e in log)
    platform = world.live.platform

    def fraud_read(uow: UnitOfWork) -> None:
        platform.vault.access(uow, page_id=p.page_id, user_id=p.user["user_id"]).reading(
            Purpose.FRAUD_DETECTION, actor=Actor.component("fraud")
        ).read()

    with pytest.raises(PurposeNotAllowed):
        platform.db.write_sync(fraud_read)
    assert not any("60,000,000" in text_of(m) and is_alert(m) for m in p.messages())


def test_the_threshold_follows_the_business_settings(world: LinkedWorld) -> None:
    p = person(world)
    page_id = world.business["page_id"]
    set_policy(world.live, page_id, "threshold", 1.0)  # only a certain fraud alerts
    assert p.send([tx("m1", "300000", START)])["alerts"] == []
    set_policy(world.live, page_id, "threshold", 0.0)  # everything alerts
    (alert,) = p.send([tx("m2", "300000", START + dt.timedelta(hours=5))])["alerts"]
    assert alert["transaction_id"] == "m2"
    set_policy(world.live, page_id, "per_thousand", 0.0)  # a budget of no alerts
    assert p.send([tx("m3", "90000000", START + dt.timedelta(hours=6))])["alerts"] == []
    set_policy(world.live, page_id, "precision", 0.5)
    assert [
        a["transaction_id"]
        for a in p.send([tx("m4", "90000000", START + dt.timedelta(hours=7))])["alerts"]
    ] == ["m4"]


def replayed_scores(items: list[dict[str, Any]]) -> list[float]:
    """The scores the engine gives ``items`` from an empty in-memory state."""
    scorer = OnlineScorer(FraudModel.load(default_model_path()), InMemoryStateStore())
    txs = [to_engine(item.payload) for item in validate_transactions({"transactions": items})]
    return [scorer.score(t).score for t in txs if t is not None]


def test_state_survives_a_platform_restart(database_url: str, tmp_path: Path) -> None:
    items = [*history(12), tx("late", "400000", START + dt.timedelta(days=12, hours=2))]
    with in_process_server(database_url, tmp_path) as live, linked_world(live) as world:
        p = person(world)
        set_policy(live, p.page_id, "threshold", 0.0)  # every score shows in the answer
        first = p.send(items[:6])
    with in_process_server(database_url, tmp_path) as live:
        p.live = live
        second = p.send(items[6:])
    scores = [a["score"] for a in first["alerts"] + second["alerts"]]
    expected = replayed_scores(items)
    assert scores == pytest.approx([round(s, 4) for s in expected], abs=1e-4)
    # and without the first half's state the last score would differ
    assert expected[-1] != pytest.approx(replayed_scores(items[6:])[-1], abs=1e-3)


def answer_last_alert(p: Person, verdict: str) -> None:
    button = answer_button(p.messages()[-1], verdict)
    answer = p.api("POST", f"/threads/{p.page_id}/messages", json=press(button))
    assert answer.status_code == 201, answer.text


def fraud_reads(p: Person) -> int:
    log = p.api("GET", "/me/access-log").json()["data"]
    return sum(1 for e in log if e["purpose"] == "fraud_detection")


def test_a_verdict_is_stored_as_a_label_and_used_by_fraud_train(
    world: LinkedWorld, database_url: str, tmp_path: Path, ledgerline_cli: InProcessCli
) -> None:
    p, q = person(world), person(world)
    for who, verdict in ((p, "fraud"), (q, "genuine")):
        who.send(history(5))
        (alert,) = who.send([tx("big-2", "80000000", START + dt.timedelta(days=5))])["alerts"]
        assert alert["transaction_id"] == "big-2"
        answer_last_alert(who, verdict)

    def labels(conn: sa.Connection) -> list[tuple[str, str | None]]:
        rows = conn.execute(
            sa.select(fraud_scores.c.user_id, fraud_scores.c.verdict).order_by(
                fraud_scores.c.verdict
            )
        )
        return [(str(r[0]), r[1]) for r in rows]

    assert world.live.platform.db.read_sync(labels) == [
        (p.user["user_id"], "fraud"),
        (q.user["user_id"], "genuine"),
    ]

    def terminal_frauds(conn: sa.Connection) -> tuple[list[int], list[int]]:
        state = conn.execute(sa.select(fraud_terminal_state.c.state)).scalar_one()
        said_fraud = conn.execute(
            sa.select(fraud_scores.c.terminal_seq).where(fraud_scores.c.verdict == "fraud")
        )
        return TerminalState.from_bytes(bytes(state)).fraud_seqs, [r[0] for r in said_fraud]

    # the fraud verdict is in the (shared) terminal's history, the genuine one counts as any
    # unlabelled transaction; it counts in the terminal's risk once it is 7 days old
    frauds, said_fraud = world.live.platform.db.read_sync(terminal_frauds)
    assert frauds == said_fraud
    assert len(frauds) == 1
    # q stops sharing fraud alerts: their verdict is no longer used
    narrowed = q.api("PATCH", f"/links/{q.page_id}", json={"scopes": ["transactions"]})
    assert narrowed.status_code == 200, narrowed.text
    before = fraud_reads(p), fraud_reads(q)
    sim = tmp_path / "sim"

    def run_cli(*args: str) -> str:
        done = ledgerline_cli(*args)
        assert done.returncode == 0, done.stderr
        return done.stdout

    run_cli(
        "fraud",
        "simulate",
        "--out",
        str(sim),
        "--customers",
        "120",
        "--terminals",
        "250",
        "--days",
        "35",
        "--seed",
        "3",
        "--json",
    )
    result = json.loads(
        run_cli(
            "fraud",
            "train",
            "--data",
            str(sim / "transactions.parquet"),
            "--out",
            str(tmp_path / "m.json"),
            "--with-verdicts",
            "--database-url",
            database_url,
            "--data-dir",
            str(tmp_path),
            "--json",
        )
    )
    assert result["training"]["verdict_labels"] == {"rows": 1, "fraud": 1}
    saved = json.loads((tmp_path / "m.json").read_text())
    assert saved["training"]["verdict_labels"] == {"rows": 1, "fraud": 1}
    # the use for training is in p's access log, as a fraud check; not in q's
    assert (fraud_reads(p), fraud_reads(q)) == (before[0] + 1, before[1])


def test_card_and_terminal_state_stay_under_a_kilobyte(world: LinkedWorld) -> None:
    """A month of a busy card (3 payments a day) at a busy terminal (the same one), stored."""
    p = person(world)
    items = [
        tx(f"b{i}", str(50_000 + 10_000 * (i % 7)), START + dt.timedelta(hours=8 * i))
        for i in range(3 * 45)
    ]
    p.send(items)
    sizes = world.live.platform.db.read_sync(fraud_store.state_sizes, p.page_id)
    assert 0 < sizes["card"] < 1024
    assert 0 < sizes["terminal"] < 1024

    def card_entries(conn: sa.Connection) -> int:
        cipher = world.live.platform.vault.access(
            UnitOfWork(conn), page_id=p.page_id, user_id=p.user["user_id"]
        ).derived_cipher()
        row = conn.execute(sa.select(fraud_card_state.c.card_key, fraud_card_state.c.state)).one()
        data = cipher.open(str(row.card_key), bytes(row.state))
        assert data is not None
        return len(CardState.from_bytes(data))

    # only the last 30 days and today are counted
    assert 90 <= world.live.platform.db.read_sync(card_entries) <= 3 * 31


def test_the_console_sets_the_policy_and_charts_alerts_and_verdicts(world: LinkedWorld) -> None:
    p = person(world)
    live = world.live
    with live.client(headers={"Origin": live.url}) as http:
        csrf = console_sign_in(http, world.business["page_access_token"])
        page = http.get("/console?lang=en").text
        assert "Default policy (you have not chosen one):" in page
        assert "alerts with a precision of at least 0.8" in page
        assert 'data-count="' not in page  # no alerts yet

        for bad, message in (
            ({"policy": "threshold", "value": "1.5"}, "A threshold must be between 0 and 1."),
            ({"policy": "per_thousand", "value": "-1"}, "An alert budget must be between 0"),
            ({"policy": "precision", "value": "zero"}, "The value must be a number."),
            ({"policy": "magic", "value": "1"}, "Choose a threshold, an alert budget"),
        ):
            refused = http.post("/console/fraud", data={"csrf": csrf, **bad})
            assert refused.status_code == 400
            assert message in refused.text
        forged = http.post(
            "/console/fraud", data={"csrf": "forged", "policy": "threshold", "value": "0"}
        )
        assert forged.status_code == 403

        saved = http.post(
            "/console/fraud",
            data={"csrf": csrf, "policy": "per_thousand", "value": "0"},
            follow_redirects=True,
        )
        assert "Fraud settings saved" in saved.text
        assert "at most 0 alerts per 1,000 transactions" in saved.text
        assert p.send([tx("c1", "90000000", START)])["alerts"] == []

        http.post("/console/fraud", data={"csrf": csrf, "policy": "threshold", "value": "0.5"})
        assert "alert when the score is at least 0.5" in http.get("/console?lang=en").text
        first, second = p.send(
            [
                tx("c2", "90000000", START + dt.timedelta(hours=1)),
                tx("c3", "95000000", START + dt.timedelta(hours=2)),
            ]
        )["alerts"]
        yes = answer_button(p.messages()[-1], "genuine")  # c3's alert: "Yes, it was me"
        p.api("POST", f"/threads/{p.page_id}/messages", json=press(yes))
        chart = http.get("/console?lang=en").text
    assert second["transaction_id"] == "c3"
    assert first["transaction_id"] == "c2"
    assert 'data-series="genuine" data-count="1"' in chart

    def policy_changes(conn: sa.Connection) -> list[tuple[str, str | None, str]]:
        rows = conn.execute(
            sa.select(audit_log.c.actor_kind, audit_log.c.page_id, audit_log.c.detail)
            .where(audit_log.c.action == "set_fraud_policy")
            .order_by(audit_log.c.seq)
        )
        return [(str(r[0]), r[1], str(r[2])) for r in rows]

    changes = live.platform.db.read_sync(policy_changes)
    assert [(kind, page) for kind, page, _ in changes] == [("business", p.page_id)] * 2
    assert '"per_thousand"' in changes[0][2]
    assert '"threshold"' in changes[1][2]
    assert 'data-series="unanswered" data-count="1"' in chart
    assert "0 payments reported “Not me”, 1 alerts genuine, 1 unanswered" in chart


def test_unlinking_forgets_the_persons_fraud_state(world: LinkedWorld) -> None:
    p = person(world)
    other = person(world)
    p.send([*history(3), tx("big-3", "90000000", START + dt.timedelta(days=3))])
    other.send(history(2, prefix="o"))
    assert count(world.live, fraud_scores) == 1
    assert count(world.live, fraud_card_state) == 2
    unlinked = p.api("DELETE", f"/links/{p.page_id}")
    assert unlinked.status_code in (200, 204), unlinked.text
    assert count(world.live, fraud_scores) == 0
    assert count(world.live, fraud_card_state) == 1  # the other person's card stays
    assert count(world.live, fraud_terminal_state) == 1  # terminals are the business's


def test_retention_forgets_cards_idle_for_a_month(world: LinkedWorld) -> None:
    from ledgerline.domain.clock import to_ms
    from ledgerline.privacy.retention import do_purge

    p = person(world)
    p.send(history(2))
    platform = world.live.platform
    now = to_ms(platform.clock.now())
    kept = platform.db.write_sync(do_purge, vault=platform.vault, now=now)
    assert kept.fraud_card_states_deleted == 0
    assert count(world.live, fraud_card_state) == 1
    later = platform.db.write_sync(do_purge, vault=platform.vault, now=now + 32 * 86_400_000)
    assert later.fraud_card_states_deleted == 1
    assert count(world.live, fraud_card_state) == 0
    assert count(world.live, fraud_terminal_state) == 1  # kept: verdicts refer to its positions


def test_a_scoring_failure_never_costs_the_bank_its_data(world: LinkedWorld) -> None:
    p = person(world)
    set_policy(world.live, p.page_id, "threshold", 0.0)  # every scored transaction alerts
    assert len(p.send(history(2))["alerts"]) == 2

    def damage(uow: UnitOfWork) -> None:
        uow.conn.execute(fraud_terminal_state.update().values(state=b"\x01"))

    world.live.platform.db.write_sync(damage)
    answer = p.send([tx("after-damage", "200000", START + dt.timedelta(days=3))])
    assert answer == {"accepted": 1, "duplicates": 0, "alerts": []}
    texts = [text_of(m) for m in p.messages()]
    assert "Card •••• 1234: payment of ₫200,000" in texts[-1]  # stored and notified
    assert not any("Suspicious" in t for t in texts[-1:])
    assert count(world.live, fraud_scores) == 2  # nothing of the failed scoring was kept


def test_a_batch_of_1000_is_scored_with_one_model_call_and_one_audited_read(
    world: LinkedWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    p = person(world)
    engine = world.live.app.state.ctx.ingestor.fraud
    calls: list[int] = []
    raw_scores = engine.model.raw_scores

    def counting(matrix: Any, num_threads: int = 0) -> Any:
        calls.append(len(matrix))
        return raw_scores(matrix, num_threads=num_threads)

    monkeypatch.setattr(engine.model, "raw_scores", counting)
    items = [
        tx(
            f"k{i}",
            str(50_000 + 1_000 * (i % 40)),
            START + dt.timedelta(minutes=37 * i),
            account_id=f"acc-{i % 3}",
            terminal_id=f"term-{i % 150}",
        )
        for i in range(999)
    ]
    items.append(tx("k-big", "90000000", START + dt.timedelta(days=26)))
    answer = p.send(items)
    assert answer["accepted"] == 1000
    assert calls == [1000]
    assert [a["transaction_id"] for a in answer["alerts"]] == ["k-big"]
    assert fraud_reads(p) == 1
    assert count(world.live, fraud_card_state) == 3  # acc-0, acc-1 (also k-big's), acc-2
    assert count(world.live, fraud_terminal_state) == 150
