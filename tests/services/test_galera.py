"""regdesk on a 3-node MariaDB Galera cluster (tests/galera.py, started once per session): capacity and
the one-a-day rule hold with writers and deciders on every node, and the change feed of one node sees
what is written on the others. The cluster's default character set is latin1, as on upstream MariaDB
before 11.6: every database here is created latin1 and `db upgrade` makes it utf8mb4.
"""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.exc import DBAPIError

from services.bookings import decisions
from services.db import Database
from services.models import SlotCounter
from services.staff.actor import Actor
from services.sync import feed
from tests import factories as f
from tests.services.bookings.test_race import _contract_retry, _synced, race

pytestmark = pytest.mark.slow
ROUNDS = 3
CLERK = Actor(kind="staff", name="clerk1", role="clerk")


@pytest.fixture
def node_dbs(galera_urls):
    dbs = [Database(u) for u in galera_urls]
    yield dbs
    for d in dbs:
        d.dispose()


def test_race_on_galera(galera_urls, node_dbs, capsys):
    """THE RACE with a mini-program, an autoapprove loop and a clerk on every node, several rounds: no
    slot over capacity, no patient twice in one department on one day, nothing pending, nothing lost."""
    for _ in range(ROUNDS):
        race(node_dbs[0], galera_urls, capsys, multi_primary=True)


def test_last_place_taken_on_two_nodes_at_once_goes_to_one(galera_urls, node_dbs):
    """Two nodes confirm the slot's last place in transactions open at the same time: Galera replicates
    writes, not locks, so both get as far as COMMIT; exactly one commits, the other fails (certification,
    1213, or the counter's CHECK), and the slot holds no more than its capacity."""
    c = f.basic_clinic(node_dbs[0], capacity=1, slots=1)
    slot = c["slot_ids"][0]
    ids = [f.request(node_dbs[0], slot, f.patient(node_dbs[0])) for _ in range(2)]
    for d in node_dbs[:2]:  # each node has the requests before the race starts
        with _synced(d.engine.url.render_as_string(hide_password=False)).read() as conn:
            assert conn.execute(select(SlotCounter.taken).where(SlotCounter.slot_id == slot)).scalar_one() == 0
    conns = [d.engine.connect() for d in node_dbs[:2]]
    txs = [cn.begin() for cn in conns]
    outcomes = []
    try:
        for cn, booking in zip(conns, ids, strict=True):
            cn.execute(text("UPDATE bookings SET status = 'confirmed' WHERE id = :b AND status = 'pending'"),
                       {"b": booking})
        for tx in txs:
            try:
                tx.commit()
                outcomes.append("committed")
            except DBAPIError as exc:
                outcomes.append(exc.orig.args[0])
    finally:
        for cn in conns:
            cn.close()
    assert outcomes[0] == "committed" and outcomes[1] in (1213, 4025), outcomes
    synced = _synced(galera_urls[2])
    try:
        with synced.read() as conn:
            taken = conn.execute(text("SELECT taken FROM slot_availability WHERE slot_id = :s"), {"s": slot}).scalar_one()
            counter = conn.execute(select(SlotCounter.taken).where(SlotCounter.slot_id == slot)).scalar_one()
    finally:
        synced.dispose()
    assert (taken, counter) == (1, 1)


def test_a_patients_day_counted_on_one_node_while_another_confirms_it_goes_to_one(galera_urls, node_dbs):
    """The one-a-day rule across nodes, at its narrowest: node 1 has counted a patient's bookings that day
    (none) and not yet confirmed, when node 2 confirms the patient's other request in that department and
    its write is applied on node 1. Node 1's confirmation must then fail (the cluster aborts it; regdesk
    retries and counts the other), never commit a second place that day. Reads are Galera's plain
    statements: nothing on node 1 waits for node 2 unless a written row says so."""
    c = f.basic_clinic(node_dbs[0], capacity=2, slots=2)
    patient = f.patient(node_dbs[0])
    first, second = (f.request(node_dbs[0], s, patient) for s in c["slot_ids"])
    for url in galera_urls[:2]:  # both requests are on both nodes before either decides
        synced = _synced(url)
        try:
            with synced.read() as conn:
                assert conn.execute(text("SELECT COUNT(*) FROM bookings WHERE patient_id = :p"),
                                    {"p": patient}).scalar_one() == 2
        finally:
            synced.dispose()
    conn = node_dbs[0].engine.connect()
    tx = conn.begin()
    outcome = "committed"
    try:
        row = decisions.load_context(conn, first)
        fresh = decisions.lock_and_count(conn, slot_id=row.slot_id, session_id=row.session_id, patient_id=patient,
                                         booking_id=first, day=row.day, department_id=row.department_id)
        assert fresh.duplicates == 0
        assert decisions.approve(node_dbs[1], CLERK, second).status == "confirmed"  # node 2, committed
        node1 = _synced(galera_urls[0])  # node 1 has applied node 2's confirmation
        try:
            with node1.read() as other:
                assert other.execute(text("SELECT status FROM bookings WHERE id = :b"), {"b": second}).scalar_one() == "confirmed"
        finally:
            node1.dispose()
        try:
            decisions.transition(conn, CLERK, first, "confirmed", action=decisions.DECISION_ACTION)
            tx.commit()
        except DBAPIError as exc:
            outcome = exc.orig.args[0]
    finally:
        conn.close()
    assert outcome == 1213, "node 1 confirmed a second place on the patient's day"
    synced = _synced(galera_urls[2])
    try:
        with synced.read() as conn:
            statuses = dict(conn.execute(text("SELECT id, status FROM bookings WHERE patient_id = :p"), {"p": patient}).all())
    finally:
        synced.dispose()
    assert statuses == {first: "pending", second: "confirmed"}


def test_a_clerk_on_each_node_approves_the_last_place(node_dbs):
    """The services themselves, on two nodes at once, over many slots of one place each: every slot ends
    with one confirmed booking and one full, never two confirmed (the loser of a conflict is retried
    and then reads the winner's decision)."""
    c = f.basic_clinic(node_dbs[0], capacity=1, slots=8)
    pairs = [[f.request(node_dbs[0], s, f.patient(node_dbs[0])) for _ in range(2)] for s in c["slot_ids"]]
    results: dict[int, str] = {}
    start = threading.Barrier(2)

    def clerk(d: Database, which: int) -> None:
        start.wait()
        for pair in pairs:
            booking = pair[which]
            for _ in range(50):  # the other node's request may not have reached this node yet
                try:
                    results[booking] = decisions.approve(d, CLERK, booking).status
                    break
                except Exception as exc:
                    results[booking] = type(exc).__name__
                    break

    threads = [threading.Thread(target=clerk, args=(node_dbs[i], i)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not any(t.is_alive() for t in threads)
    for a, b in pairs:
        assert sorted((results[a], results[b])) == ["confirmed", "full"], (results[a], results[b])


def test_feed_on_one_node_sees_every_write_on_the_others_once(galera_urls, node_dbs):
    """40 requests written by the mini-program's plain SQL, spread over the three nodes (each node hands
    out its own auto-increment ids: offsets, and gaps that never fill): a change feed on node 1 delivers
    each of them exactly once."""
    c = f.basic_clinic(node_dbs[0], capacity=50, slots=1)
    patient = f.patient(node_dbs[0])
    reader = feed.ChangeFeed(node_dbs[0])
    engines = [create_engine(u, isolation_level="AUTOCOMMIT") for u in galera_urls]
    written = []
    try:
        for i in range(40):
            with engines[i % 3].connect() as cn:
                written.append(_contract_retry(True, lambda cn=cn: cn.execute(text(
                    "INSERT INTO bookings (slot_id, patient_id, status, source)"
                    " VALUES (:s, :p, 'pending', 'miniprogram')"), {"s": c["slot_ids"][0], "p": patient}).lastrowid))
        seen: list[int] = []
        for _ in range(300):  # bounded: 300 waits of at most 0.2 s
            if reader.wait(0.2):
                seen += [ch.entity_id for ch in reader.poll() if ch.entity == "booking" and ch.op == "insert"]
            if set(written) <= set(seen):
                break
    finally:
        reader.close()
        for e in engines:
            e.dispose()
    assert sorted(seen) == sorted(written), "each write seen once"
    assert {w % 3 for w in written} == {0, 1, 2}, "the writes came from every node"


def test_simulated_miniprogram_retries_certification_failures(galera_urls, node_dbs):
    """services/demo/simulate.py plays the mini-program, which the contract obliges to retry a transaction
    aborted with 1213 on a multi-primary cluster: two of them on two nodes cancelling the same requests
    at once both finish without an error, and every request ends cancelled."""
    import random

    from services.demo import simulate
    c = f.basic_clinic(node_dbs[0], capacity=50, slots=1)
    ids = [f.request(node_dbs[0], c["slot_ids"][0], f.patient(node_dbs[0])) for _ in range(40)]
    mps = [simulate.MiniProgram(d.engine, random.Random(i)) for i, d in enumerate(node_dbs[:2])]
    assert all(mp.multi_primary for mp in mps)
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def cancel_all(mp) -> None:
        try:
            start.wait()
            for b in ids:
                for _ in range(100):  # the request may not have reached this node yet: bounded
                    if mp.cancel(b) or _status(mp.engine, b) == "cancelled":
                        break
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=cancel_all, args=(mp,)) for mp in mps]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    synced = _synced(galera_urls[2])
    try:
        with synced.read() as conn:
            statuses = set(conn.execute(text("SELECT DISTINCT status FROM bookings WHERE slot_id = :s"),
                                        {"s": c["slot_ids"][0]}).scalars())
    finally:
        synced.dispose()
    assert statuses == {"cancelled"}


def _status(engine, booking_id: int) -> str | None:
    with engine.connect() as conn:
        return conn.execute(text("SELECT status FROM bookings WHERE id = :b"), {"b": booking_id}).scalar()
