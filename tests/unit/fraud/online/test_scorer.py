"""The online engine: same features as offline, serialisable state, scoring and verdicts."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from ledgerline.fraud.errors import FraudInputError
from ledgerline.fraud.offline.dataset import normalize
from ledgerline.fraud.offline.features import compute_features
from ledgerline.fraud.offline.simulate import SimulationConfig, simulate
from ledgerline.fraud.offline.training import train_model
from ledgerline.fraud.online._codec import put_varints
from ledgerline.fraud.online.budget import AlertBudget, FixedThreshold
from ledgerline.fraud.online.features import ALL_FEATURES, KNOWN_FEATURES
from ledgerline.fraud.online.model import FraudModel
from ledgerline.fraud.online.scorer import (
    MAX_AMOUNT,
    InMemoryStateStore,
    OnlineScorer,
    Transaction,
    TransactionRef,
    epoch_seconds,
    update_features,
)
from ledgerline.fraud.online.state import CardState, TerminalState

# One test process runs these tests (pytest-xdist --dist loadgroup): the module's
# simulated stream and trained model built once, not in every process that draws one of them.
pytestmark = pytest.mark.xdist_group("unit.fraud.online.test_scorer")


@pytest.fixture(scope="module")
def stream() -> pd.DataFrame:
    frame, _ = simulate(SimulationConfig(customers=120, terminals=250, days=45, seed=11))
    return normalize(frame)


@pytest.fixture(scope="module")
def model(stream: pd.DataFrame) -> FraudModel:
    return train_model(stream, dt.date(2018, 5, 1))


def transactions(frame: pd.DataFrame) -> list[tuple[Transaction, bool]]:
    """The rows of ``frame`` as engine transactions, with their labels."""
    whens = [pd.Timestamp(v).to_pydatetime() for v in frame["TX_DATETIME"].to_numpy()]
    return [
        (Transaction(str(i), str(c), str(t), float(a), w), bool(y))
        for i, c, t, a, w, y in zip(
            frame["TRANSACTION_ID"].tolist(),
            frame["CUSTOMER_ID"].tolist(),
            frame["TERMINAL_ID"].tolist(),
            frame["TX_AMOUNT"].tolist(),
            whens,
            frame["TX_FRAUD"].tolist(),
            strict=True,
        )
    ]


# Not measured by coverage: under its tracer this replay of ~10,000 transactions took about
# four times its CPU, and the other tests here reach every line and branch of
# ledgerline.fraud that it runs (checked: the same report with and without it).
@pytest.mark.no_cover
def test_online_features_equal_offline_features(stream: pd.DataFrame, model: FraudModel) -> None:
    store = InMemoryStateStore()
    scorer = OnlineScorer(model, store)
    online = []
    for tx, fraud in transactions(stream):
        out, ref, _, _ = scorer.features(tx)
        online.append([out[name] for name in ALL_FEATURES])
        scorer.record_verdict(ref, fraud)
    offline = compute_features(stream)
    np.testing.assert_array_equal(np.array(online), offline.to_numpy())
    assert len(store.labels) == len(stream)
    # The online state stays small: under 1 KB for every card (sealing adds 28 bytes on the
    # platform) and every terminal of the simulation.
    assert max(len(v) for v in store.cards.values()) + 28 < 1024
    assert max(len(v) for v in store.terminals.values()) < 1024


def test_online_scores_equal_batch_scores(stream: pd.DataFrame, model: FraudModel) -> None:
    part = stream[stream["TX_DATETIME"] < "2018-04-20"]
    scorer = OnlineScorer(model, InMemoryStateStore())
    scores = []
    for tx, fraud in transactions(part):
        result = scorer.score(tx)
        scorer.record_verdict(result.ref, fraud)
        scores.append(result.score)
    batch = model.predict_frame(compute_features(part))
    np.testing.assert_allclose(scores, batch, rtol=1e-9, atol=1e-12)
    assert all(0.0 <= s <= 1.0 for s in scores)


def test_a_batch_scores_like_one_by_one(stream: pd.DataFrame, model: FraudModel) -> None:
    part = transactions(stream[stream["TX_DATETIME"] < "2018-04-12"])
    one_store, batch_store = InMemoryStateStore(), InMemoryStateStore()
    one = OnlineScorer(model, one_store)
    singles = [one.score(tx, threshold=0.5) for tx, _ in part]
    batched = OnlineScorer(model, batch_store).score_batch([tx for tx, _ in part], 0.5)
    np.testing.assert_allclose([r.score for r in batched], [r.score for r in singles], atol=1e-12)
    assert [(r.ref, r.alert, r.new_card, r.new_terminal) for r in batched] == [
        (r.ref, r.alert, r.new_card, r.new_terminal) for r in singles
    ]
    assert batched[0].features.keys() == set(KNOWN_FEATURES)
    assert batch_store.cards == one_store.cards
    assert batch_store.terminals == one_store.terminals


def test_state_survives_a_restart_mid_stream(stream: pd.DataFrame) -> None:
    card, terminal = CardState(), TerminalState()
    restored_card, restored_terminal = CardState(), TerminalState()
    rows = stream[(stream["CUSTOMER_ID"] == stream["CUSTOMER_ID"].iloc[0])]
    for i, (tx, fraud) in enumerate(transactions(rows)):
        t = epoch_seconds(tx.when)
        a: dict[str, float] = {}
        b: dict[str, float] = {}
        seq = terminal.update(t, a)
        card.update(t, tx.amount, a)
        restored_terminal = TerminalState.from_bytes(restored_terminal.to_bytes())
        restored_card = CardState.from_bytes(restored_card.to_bytes())
        seq_b = restored_terminal.update(t, b)
        restored_card.update(t, tx.amount, b)
        assert a == b, f"row {i}"
        assert seq == seq_b
        terminal.set_label(seq, fraud)
        restored_terminal.set_label(seq_b, fraud)


def test_every_card_layout_round_trips() -> None:
    out: dict[str, float] = {}
    for amounts in ([], [12.5, 80.0, 3.1], [12.5, 250_000.0], [0.01, 9_000_000.0]):
        card = CardState()
        for i, amount in enumerate(amounts):
            card.update(1_700_000_000 + 3600 * i, amount, out)
        data = card.to_bytes()
        again = CardState.from_bytes(data)
        assert again.to_bytes() == data
        assert again.days.columns == card.days.columns
        assert again.hours.columns == card.hours.columns
        assert again.last_t == card.last_t
    with pytest.raises(FraudInputError, match="corrupt card state"):
        CardState.from_bytes(data[:-3])


def test_corrupt_state_is_a_clear_error() -> None:
    with pytest.raises(FraudInputError, match="corrupt card state"):
        CardState.from_bytes(b"\x01\x02")
    with pytest.raises(FraudInputError, match="corrupt card state"):
        CardState.from_bytes(b"\x09\x00\x00")
    with pytest.raises(FraudInputError, match="corrupt terminal state"):
        TerminalState.from_bytes(b"")
    with pytest.raises(FraudInputError, match="corrupt terminal state"):
        TerminalState.from_bytes(b"\x02\x05\x00\x00\x01\x00\x00\x01\x00\x07")
    # Damaged sizes are refused before anything is allocated for them.
    huge = bytearray()
    put_varints(huge, (2, 5, 0, 0, 3, 1, 3, 2**40, 1))  # 2**40 empty hours, sparse
    with pytest.raises(FraudInputError, match="corrupt terminal state"):
        TerminalState.from_bytes(bytes(huge))
    runs = bytearray()
    put_varints(runs, (2, 5, 0, 0, 1, 0, 1, 1, 0, 2**40))  # one transaction, 2**40 frauds
    with pytest.raises(FraudInputError, match="corrupt terminal state"):
        TerminalState.from_bytes(bytes(runs))
    wide = bytearray()
    put_varints(wide, (2, 1, 5, 0, 100, 7))  # a 100-bit field (second format)
    with pytest.raises(FraudInputError, match="corrupt card state"):
        CardState.from_bytes(bytes(wide) + bytes(40))
    for fields in (
        (3, 5, 1, 2**40, 1, 1, 1),  # a 2**40-bit count
        (3, 5, 0, 2**40, 1, 1, 1, 0, 1, 1),  # no day, a 2**40-bit width anyway
        (3, 5, 2**31, 1, 1, 1, 1),  # a day outside the 31 kept
        (3, 5, 1, 1, 1, 1, 1),  # a day without transactions (its count is 0)
    ):
        damaged = bytearray()
        put_varints(damaged, fields)
        with pytest.raises(FraudInputError, match="corrupt card state"):
            CardState.from_bytes(bytes(damaged) + bytes(2))


def busy_stream(per_day: int, days: int, seed: int) -> list[int]:
    rng = np.random.default_rng(seed)
    start = epoch_seconds(dt.datetime(2018, 6, 1))  # noqa: DTZ001 (naive = UTC)
    return sorted(int(t) for t in start + rng.integers(0, days * 86_400, per_day * days))


def test_a_busy_terminal_stays_under_a_kilobyte() -> None:
    out: dict[str, float] = {}
    terminal = TerminalState()
    rng = np.random.default_rng(0)
    times = busy_stream(50, 45, seed=1)
    compromised = (times[0] + 20 * 86_400, times[0] + 34 * 86_400)
    for t in times:
        seq = terminal.update(t, out)
        # a 14-day compromise (every payment fraud) and scattered frauds besides
        terminal.set_label(seq, compromised[0] <= t < compromised[1] or rng.random() < 0.01)
        terminal = TerminalState.from_bytes(terminal.to_bytes())
    assert out["TERMINAL_ID_RISK_30DAY_WINDOW"] > 0.3  # the compromise is in its windows
    assert len(terminal.to_bytes()) <= 1024


@pytest.mark.parametrize("per_day", [6, 50, 1000])
@pytest.mark.parametrize("capped", [False, True])
def test_a_busy_card_stays_under_a_kilobyte_sealed(per_day: int, capped: bool) -> None:
    """45 days of payments, sealed on the platform (+28 bytes): $1–200, or $1–200 for 15
    days and then every payment at the platform's cap (the widest sums, and a month of
    high-ratio payments in the days' counts)."""
    rng = np.random.default_rng(per_day)
    times = busy_stream(per_day, 45, seed=2)
    amounts = np.round(rng.uniform(1, 200, len(times)), 2)
    if capped:
        amounts[np.array(times) >= times[0] + 15 * 86_400] = MAX_AMOUNT
    card = CardState()
    out: dict[str, float] = {}
    for t, amount in zip(times, amounts.tolist(), strict=True):
        card.update(t, amount, out)
    assert out["CUSTOMER_ID_NB_TX_30DAY_WINDOW"] > 30 * per_day * 0.9
    assert len(card) == out["CUSTOMER_ID_NB_TX_30DAY_WINDOW"]
    assert len(card.to_bytes()) + 28 <= 1024


# Written by the first state format (ledgerline before 2026-11-29): 40 transactions 7 hours
# apart from 2018-06-01 12:00 UTC on one card and one terminal, 4 of them labelled fraud.
V1_CARD = bytes.fromhex(
    "01024335205b000000004035115b00000000280000009c4a00000000000065f8010000000000400d0300"
    "0000000000000000000000009854044b00000000240000000f0000000000000000000000000000000000"
    "0000000000000000000000000000000000000000009562002ac500bf2701548a01e9ec017e4f0213b202"
    "a814033d7703d2d903673c04fc9e04910105266405bbc6055029068d890622ec06b74e074cb107e11308"
    "7676080bd908a03b09359e09ca000a5f630af4c50a89280b1e8b0bb3ed0b48500c85b00c1a130daf750d"
    "44d80dd93a0e6e9d0e03000f010400150900290e003d1300511800651d007922006504007909008d0e00"
    "a11300b51800c91d00dd2200c90400dd0900f10e000514001919002d1e004123002d0500410a00550f00"
    "6914007d1900911e00a52300910500a50a00b90f00cd1400e11900f51e00092400f50500090b001d1000"
    "311500451a000000000000"
)
V1_TERMINAL = bytes.fromhex(
    "014335205b000000004035115b00000000000000000000000028000000240000000f0000000f0000000c"
    "000000000000000100000002000000020000000000000000000000956200002ac50000bf270100548a01"
    "00e9ec01007e4f020013b20200a81403003d770300d2d90300673c0400fc9e04009101050026640500bb"
    "c60500502906008d89060022ec0600b74e07004cb10700e1130800767608000bd90800a03b0900359e09"
    "00ca000a005f630a00f4c50a0089280b001e8b0b00b3ed0b0048500c0085b00c001a130d00af750d0044"
    "d80d00d93a0e006e9d0e0003000f00000000000102000000000000000102000000000000000102000000"
    "00000000010200000000000000"
)


def written_stream(count: int) -> list[int]:
    """The times the stored states below were written from: 7 hours apart from 2018-06-01
    12:00 UTC, a few minutes off."""
    start = epoch_seconds(dt.datetime(2018, 6, 1, 12))  # noqa: DTZ001 (naive = UTC)
    return [start + i * 7 * 3600 + (i * 37) % 600 for i in range(count)]


def test_states_of_the_first_format_are_read() -> None:
    card, terminal = CardState(), TerminalState()
    out: dict[str, float] = {}
    for i, t in enumerate(written_stream(40)):
        card.update(t, 10.0 + (i * 13) % 90 + 0.25, out)
        seq = terminal.update(t, out)
        if i % 9 in (4, 5):
            terminal.set_label(seq, i % 9 == 4)
    old_card, old_terminal = CardState.from_bytes(V1_CARD), TerminalState.from_bytes(V1_TERMINAL)
    assert old_terminal.fraud_seqs == terminal.fraud_seqs
    later = written_stream(42)[-1]
    expected: dict[str, float] = {}
    got: dict[str, float] = {}
    update_features(card, terminal, 55.5, later, expected)
    update_features(old_card, old_terminal, 55.5, later, got)
    assert got == expected
    assert old_card.to_bytes() == card.to_bytes()
    assert old_terminal.to_bytes() == terminal.to_bytes()


# Written by the second card state format (one entry per transaction, until the card windows
# became whole hours and days): 80 transactions of $20–29 on the times above, but $500 for
# transactions 60, 70 and 75 (flagged high-ratio: above 2.5 times the lagged mean).
V2_CARD = bytes.fromhex(
    "0250b7dffcb20b9bc5790f100080f40395e2520595e2bc0495e2260495e2840595e2ee0495e2580495e2"
    "b60595e2200595e28a0495e2f40395e2520595e2bc0495e2260495e2840595e2ee0495e258043de0b605"
    "95e2200595e28a0495e2f40395e2520595e2bc0495e2260495e2840595e2ee0495e2580495e2b60595e2"
    "200595e28a0495e2f40395e2520595e2bc043de0260495e2840595e2ee0495e2580495e2b60595e22005"
    "95e28a0495e2f40395e2520595e2bc0495e2260495e2840595e2ee0495e2580495e2b60595e220053de0"
    "8a0495e2f40395e2520595e2bc0495e2260495e2840595e2ee0495e2580495e2b60595e2200595e28a04"
    "9562a8e195e2520595e2bc0495e2260495e284053de0ee0495e2580495e2b60595e2200595e28a049562"
    "a8e195e2520595e2bc0495e2260495e284059562a8e195e2580495e2b60595e2200595e28a04"
)


def test_card_states_of_the_second_format_are_read() -> None:
    """Converted to hour and day totals with the transactions and flags the state kept: here
    (23 days, flags both lagged windows agree on) exactly the state the stream gives now."""
    card = CardState()
    out: dict[str, float] = {}
    for i, t in enumerate(written_stream(80)):
        card.update(t, 500.0 if i in (60, 70, 75) else 20.0 + (i * 7) % 10 + 0.25, out)
    assert out["CUSTOMER_NB_HIGH_RATIO_7DAY"] == 3  # 60 (on 06-19: day D - 5), 70 and 75
    old_card = CardState.from_bytes(V2_CARD)
    assert old_card.to_bytes() == card.to_bytes()
    later = written_stream(82)[-1]
    expected: dict[str, float] = {}
    got: dict[str, float] = {}
    card.update(later, 300.0, expected)
    old_card.update(later, 300.0, got)
    assert got == expected
    assert got["CUSTOMER_NB_HIGH_RATIO_7DAY"] == 4


def when(day: int, hour: int = 12) -> dt.datetime:
    return dt.datetime(2018, 6, 1, hour) + dt.timedelta(days=day)  # noqa: DTZ001 (naive = UTC)


def test_verdict_raises_terminal_risk_after_the_delay(model: FraudModel) -> None:
    store = InMemoryStateStore()
    scorer = OnlineScorer(model, store)
    first = scorer.score(Transaction("t1", "card-a", "term-x", 20.0, when(0)))
    assert first.new_card
    assert first.new_terminal
    assert scorer.record_verdict(first.ref, fraud=True)
    assert store.labels[-1]["fraud"] is True
    assert store.labels[-1]["transaction_id"] == "t1"
    early, _, _, _ = scorer.features(Transaction("t2", "card-b", "term-x", 20.0, when(3)))
    assert early["TERMINAL_ID_RISK_7DAY_WINDOW"] == 0.0
    # 7 days and 30 minutes old, but its hour ended less than 7 days ago: not yet.
    almost = when(7) + dt.timedelta(minutes=30)
    hour7, _, _, _ = scorer.features(Transaction("t3", "card-c", "term-x", 20.0, almost))
    assert hour7["TERMINAL_ID_RISK_7DAY_WINDOW"] == 0.0
    later, _, _, _ = scorer.features(Transaction("t4", "card-c", "term-x", 20.0, when(7, 13)))
    assert later["TERMINAL_ID_RISK_7DAY_WINDOW"] == 1.0
    # "genuine" after all: the risk drops again.
    assert scorer.record_verdict(first.ref, fraud=False)
    again, _, _, _ = scorer.features(Transaction("t5", "card-d", "term-x", 20.0, when(7, 14)))
    assert again["TERMINAL_ID_RISK_7DAY_WINDOW"] == 0.0


def test_verdicts_for_unknown_or_expired_transactions_are_kept(model: FraudModel) -> None:
    store = InMemoryStateStore()
    scorer = OnlineScorer(model, store)
    ref = TransactionRef("x", "card", "nowhere", 0, 0, 1.0)
    assert not scorer.record_verdict(ref, fraud=True)
    old = scorer.score(Transaction("t1", "card", "term", 20.0, when(0)))
    for day in range(1, 60, 2):
        scorer.score(Transaction(f"t{day}", "card", "term", 20.0, when(day)))
    assert not scorer.record_verdict(old.ref, fraud=True)
    assert [label["transaction_id"] for label in store.labels] == ["x", "t1"]
    assert TransactionRef.from_json(old.ref.to_json()) == old.ref
    with pytest.raises(FraudInputError):
        TransactionRef.from_json({"transaction_id": "x"})


def test_threshold_and_alerts(model: FraudModel) -> None:
    scorer = OnlineScorer(model, InMemoryStateStore())
    assert scorer.threshold_for(FixedThreshold(0.5)) == 0.5
    budget = scorer.threshold_for(AlertBudget(per_thousand=5))
    assert 0.0 < budget <= 1.0
    big = scorer.score(Transaction("t1", "c", "t", 900.0, when(0)), threshold=0.5)
    assert big.alert
    assert big.score >= 0.5  # scenario 1: far above 220
    small = scorer.score(Transaction("t2", "c2", "t2", 12.0, when(0)), threshold=0.5)
    assert not small.alert
    assert not scorer.score(Transaction("t3", "c3", "t3", 12.0, when(0))).alert


@pytest.mark.parametrize(
    "tx",
    [
        Transaction("t", "c", "t", float("nan"), when(0)),
        Transaction("t", "c", "t", -1.0, when(0)),
        Transaction("t", "", "t", 1.0, when(0)),
        Transaction("t", "c", "", 1.0, when(0)),
    ],
)
def test_bad_transactions_are_refused(model: FraudModel, tx: Transaction) -> None:
    store = InMemoryStateStore()
    with pytest.raises(FraudInputError):
        OnlineScorer(model, store).score(tx)
    assert not store.cards
    assert not store.terminals


def test_out_of_order_and_aware_times_are_handled(model: FraudModel) -> None:
    scorer = OnlineScorer(model, InMemoryStateStore())
    scorer.score(Transaction("t1", "c", "t", 10.0, when(5)))
    out, ref, _, _ = scorer.features(Transaction("t2", "c", "t", 10.0, when(1)))
    assert out["CUSTOMER_SECONDS_SINCE_PREV"] == 0.0  # taken to happen at the newest time
    aware = dt.datetime(2018, 6, 1, 14, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert epoch_seconds(aware) == epoch_seconds(when(0))
    assert ref.terminal_seq == 1


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.integers(0, 60 * 24),  # hour of a 60-day span: many same-time ties
            st.integers(0, 3),
            st.integers(0, 2),
            st.integers(0, 50_000),  # cents
            st.booleans(),
        ),
        min_size=1,
        max_size=120,
    )
)
def test_online_equals_offline_on_random_streams(
    rows: list[tuple[int, int, int, int, bool]],
) -> None:
    frame = normalize(
        pd.DataFrame(
            {
                "TX_DATETIME": [
                    pd.Timestamp("2018-04-01") + pd.Timedelta(hours=h) for h, *_ in rows
                ],
                "CUSTOMER_ID": [r[1] for r in rows],
                "TERMINAL_ID": [r[2] for r in rows],
                "TX_AMOUNT": [r[3] / 100 for r in rows],
                "TX_FRAUD": [int(r[4]) for r in rows],
            }
        )
    )
    cards: dict[str, CardState] = {}
    terminals: dict[str, TerminalState] = {}
    online = []
    for tx, fraud in transactions(frame):
        card = cards.setdefault(tx.card_id, CardState())
        terminal = terminals.setdefault(tx.terminal_id, TerminalState())
        out: dict[str, float] = {}
        seq = update_features(card, terminal, tx.amount, epoch_seconds(tx.when), out)
        terminal.set_label(seq, fraud)
        online.append([out[name] for name in ALL_FEATURES])
        # A restart between any two transactions changes nothing.
        cards[tx.card_id] = CardState.from_bytes(card.to_bytes())
        terminals[tx.terminal_id] = TerminalState.from_bytes(terminal.to_bytes())
    np.testing.assert_array_equal(np.array(online), compute_features(frame).to_numpy())
