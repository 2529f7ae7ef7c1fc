"""Booking supply (issue 14 part 2) on the 3-node Galera cluster: waitlist fillers on two nodes at once give
each freed place to exactly one waiting request, the oldest, with one message; deciders on two nodes never
take the desk share for online requests, nor the referral (转诊) or follow-up (复诊) shares for others."""
from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import select, text

from services.bookings import rules, waitlist
from services.db import Database
from services.models import Notification
from services.rosters import shares
from services.staff.actor import Actor
from tests import factories as f
from tests.services.bookings.test_race import _synced

pytestmark = pytest.mark.slow
ADMIN = Actor("staff", "admin", 1, "admin")


@pytest.fixture
def node_dbs(galera_urls):
    dbs = [Database(u) for u in galera_urls]
    yield dbs
    for d in dbs:
        d.dispose()


def _on_two_nodes(node_dbs, work) -> None:
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def run(d: Database) -> None:
        try:
            start.wait()
            work(d)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(node_dbs[i],)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not any(t.is_alive() for t in threads)
    assert not errors, errors


def test_waitlist_fillers_on_two_nodes_confirm_each_freed_place_once(galera_urls, node_dbs):
    db = node_dbs[0]
    rules.save(db, ADMIN, waitlist=True)
    c = f.basic_clinic(db, capacity=2, slots=4)
    queues = []
    for slot in c["slot_ids"]:
        ids = [f.request(db, slot, f.patient(db)) for _ in range(5)]
        queues.append(ids)
    rules.decide_pending(db)
    with node_dbs[2].engine.begin() as conn:  # the mini-program cancels one held place in every slot
        for ids in queues:
            conn.execute(text("UPDATE bookings SET status = 'cancelled' WHERE id = :b"), {"b": ids[0]})
    synced = _synced(galera_urls[1])
    try:
        with synced.read() as conn:  # node 2 has applied the cancels
            assert conn.execute(text("SELECT COUNT(*) FROM bookings WHERE status = 'cancelled'")).scalar_one() == 4
    finally:
        synced.dispose()
    _on_two_nodes(node_dbs, lambda d: [waitlist.fill(d) for _ in range(3)])
    synced = _synced(galera_urls[2])
    try:
        waitlist.fill(synced)
        for ids in queues:
            statuses = [f.status_of(synced, i) for i in ids]
            assert statuses == ["cancelled", "confirmed", "confirmed", "pending", "pending"], statuses
        with synced.read() as conn:
            kinds = conn.execute(select(Notification.booking_id).where(Notification.kind == "waitlisted")).scalars().all()
            counters = conn.execute(text("SELECT taken, capacity FROM slot_counters")).all()
    finally:
        synced.dispose()
    assert sorted(kinds) == sorted(ids[2] for ids in queues)  # one message each, to the oldest waiting
    assert all(tuple(row) == (2, 2) for row in counters), counters


def test_deciders_on_two_nodes_never_take_the_desk_share(galera_urls, node_dbs):
    db = node_dbs[0]
    c = f.basic_clinic(db, capacity=10, slots=3)
    shares.set_share(db, ADMIN, 30, department_id=c["department_id"])  # 3 of 10 kept
    for slot in c["slot_ids"]:
        for _ in range(12):
            f.request(db, slot, f.patient(db))
    held, pending = _decided_on_two_nodes(galera_urls, node_dbs, 36, lambda conn: conn.execute(text(
        "SELECT slot_id, COUNT(*) FROM bookings WHERE status = 'confirmed' GROUP BY slot_id")).all())
    assert sorted(n for _, n in held) == [7, 7, 7] and pending == 0, held


def _decided_on_two_nodes(galera_urls, node_dbs, requests: int, read):
    """Once node 1 has the ``requests`` pending requests: deciders on nodes 0 and 1 at once, then one on node 2
    for what is left; returns (``read(conn)`` on node 2, how many are still pending)."""
    synced = _synced(galera_urls[1])
    try:
        with synced.read() as conn:
            assert conn.execute(text("SELECT COUNT(*) FROM bookings WHERE status = 'pending'")).scalar_one() == requests
    finally:
        synced.dispose()
    _on_two_nodes(node_dbs, lambda d: [rules.decide_pending(d) for _ in range(2)])
    synced = _synced(galera_urls[2])
    try:
        rules.decide_pending(synced)
        with synced.read() as conn:
            return read(conn), conn.execute(text("SELECT COUNT(*) FROM bookings WHERE status = 'pending'")).scalar_one()
    finally:
        synced.dispose()


def test_deciders_on_two_nodes_keep_the_referral_and_follow_up_shares(galera_urls, node_dbs):
    db = node_dbs[0]
    c = f.basic_clinic(db, capacity=10, slots=3)
    for kind, pct in (("desk", 20), ("referral", 20), ("followup", 20)):  # 2 places each kept, 4 online
        shares.set_share(db, ADMIN, pct, department_id=c["department_id"], kind=kind)
    followers = []
    for n in range(6):  # patients seen in the department the day before yesterday: follow-ups (复诊)
        p = f.patient(db)
        _, seen = f.session(db, f.doctor(db, c["department_id"], f"医生{n}"), c["day"] - dt.timedelta(days=2),
                            period="pm", starts=dt.time(13, 0), ends=dt.time(17, 0), slots=1, capacity=1)
        f.set_status(db, f.request(db, seen[0], p), "checked_in")
        followers.append(p)
    for k, slot in enumerate(c["slot_ids"]):
        for _ in range(6):
            f.request(db, slot, f.patient(db))
        for n in range(3):
            f.referral(db, slot, f.patient(db), code=f"ZZ{k}{n}")
        for p in followers[2 * k:2 * k + 2]:
            f.request(db, slot, p)
    ids = dict(zip("abc", c["slot_ids"], strict=True))

    def read(conn):
        return (conn.execute(text("SELECT slot_id, COALESCE(share_kind, 'online'), COUNT(*) FROM bookings"
                                  " WHERE status = 'confirmed' AND slot_id IN (:a, :b, :c)"
                                  " GROUP BY slot_id, COALESCE(share_kind, 'online')"), ids).all(),
                conn.execute(text("SELECT online_remaining, referral_remaining, followup_remaining, remaining"
                                  " FROM slot_availability WHERE slot_id IN (:a, :b, :c)"), ids).all())
    (held, view), pending = _decided_on_two_nodes(galera_urls, node_dbs, 33, read)
    assert pending == 0
    by_slot: dict[int, dict[str, int]] = {}
    for slot, kind, n in held:
        by_slot.setdefault(slot, {})[kind] = n
    for slot, kinds in by_slot.items():  # the desk's 2 are left; the kept shares went to their own only
        assert sum(kinds.values()) == 8 and kinds.get("online", 0) <= 4, (slot, kinds)
        assert kinds.get("online", 0) + kinds.get("followup", 0) <= 6 and kinds.get("followup") == 2, (slot, kinds)
        assert kinds.get("online", 0) + kinds.get("referral", 0) <= 6, (slot, kinds)
    assert sorted(by_slot) == sorted(c["slot_ids"])
    assert all(tuple(v) == (0, 0, 0, 2) for v in view), view
