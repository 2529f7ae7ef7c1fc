"""The change feed on every database: each change by anyone seen exactly once, late commits, lost
listeners, pruning, and the upgrade from revision 0001 that adds the triggers."""
from __future__ import annotations

import datetime as dt
import time

import pytest
from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import create_engine, insert, inspect, text

from services import migrate
from services.bookings import decisions
from services.cli import main as cli_main
from services.clock import utcnow
from services.db import Database
from services.models import Rule
from services.staff.actor import Actor
from services.sync.feed import GAP_TIMEOUT, LISTENER_NAME, ChangeFeed, prune
from tests import factories as f

CLERK = Actor(kind="staff", name="clerk1", role="clerk", display_name="挂号员")
WAIT = 20.0  # seconds a test waits for a change before it fails


def collect(feed: ChangeFeed, n: int, timeout: float = WAIT) -> list:
    """Poll until ``n`` changes arrived (waiting on the feed, no sleeps); then check nothing more is due."""
    got, deadline = [], time.monotonic() + timeout
    while len(got) < n:
        assert time.monotonic() < deadline, f"only {len(got)} of {n} changes arrived: {got}"
        if feed.wait(min(1.0, deadline - time.monotonic())):
            got += feed.poll()
    got += feed.poll()
    return got


def brief(changes) -> list[tuple]:
    return [(c.entity, c.entity_id, c.op, c.status) for c in changes]


def foreign_engine(db: Database):
    """The mini-program's own connections (not the console's pool)."""
    return create_engine(db.engine.url, isolation_level="READ COMMITTED" if db.dialect != "sqlite" else None)


def foreign_request(engine, slot_id: int, patient_id: int) -> int:
    with engine.begin() as c:
        c.execute(text("INSERT INTO bookings (slot_id, patient_id, status, source)"
                       " VALUES (:s, :p, 'pending', 'miniprogram')"), {"s": slot_id, "p": patient_id})
        return c.execute(text("SELECT max(id) FROM bookings WHERE patient_id = :p"), {"p": patient_id}).scalar_one()


def foreign_cancel(engine, booking_id: int) -> None:
    with engine.begin() as c:  # exactly the contract's statement: updated_at untouched
        n = c.execute(text("UPDATE bookings SET status = 'cancelled' WHERE id = :i"
                           " AND status IN ('pending', 'confirmed')"), {"i": booking_id}).rowcount
    assert n == 1


def test_each_change_by_anyone_is_seen_exactly_once(db):
    clinic = f.basic_clinic(db)
    p1, p2 = f.patient(db), f.patient(db)
    slot, session = clinic["slot_ids"][0], clinic["session_id"]
    mini = foreign_engine(db)
    feed = ChangeFeed(db)
    try:
        b1 = foreign_request(mini, slot, p1)
        got = collect(feed, 1)
        foreign_cancel(mini, b1)
        got += collect(feed, 1)
        b2 = foreign_request(mini, slot, p2)
        got += collect(feed, 1)
        assert decisions.approve(db, CLERK, b2).status == "confirmed"
        got += collect(feed, 1)
        with db.engine.begin() as c:  # a roster change
            c.execute(text("UPDATE clinic_sessions SET note = '改到三楼' WHERE id = :i"), {"i": session})
        got += collect(feed, 1)
        assert feed.poll() == []
    finally:
        feed.close()
        mini.dispose()
    assert brief(got) == [("booking", b1, "insert", "pending"), ("booking", b1, "update", "cancelled"),
                          ("booking", b2, "insert", "pending"), ("booking", b2, "update", "confirmed"),
                          ("session", session, "update", "published")]
    assert [c.who for c in got[:4]] == ["miniprogram", "miniprogram", "miniprogram", "clerk1"]
    assert {(c.slot_id, c.session_id) for c in got[:4]} == {(slot, session)}
    assert [c.patient_id for c in got[:4]] == [p1, p1, p2, p2]
    assert got[0].to_json()["booking_id"] == b1 and got[4].to_json()["booking_id"] is None
    assert all(isinstance(c.at, dt.datetime) for c in got)
    assert [c.id for c in got] == sorted({c.id for c in got})


def test_many_changes_in_one_poll_and_unlogged_updates(db):
    clinic = f.basic_clinic(db)
    patients = [f.patient(db) for _ in range(5)]
    feed = ChangeFeed(db)
    try:
        ids = [f.request(db, clinic["slot_ids"][1], p) for p in patients]
        with db.engine.begin() as c:  # neither status nor slot changes: nothing to tell the consoles
            c.execute(text("UPDATE bookings SET reason = 'x', updated_at = :t"), {"t": utcnow()})
            c.execute(insert(Rule).values(key="max_per_day", value="3"))
        got = collect(feed, 6)
    finally:
        feed.close()
    assert brief(got) == [("booking", i, "insert", "pending") for i in ids] + [("rule", "max_per_day", "insert", None)]


def test_late_commit_is_not_skipped(db):
    clinic = f.basic_clinic(db)
    early, late = f.patient(db), f.patient(db)
    feed = ChangeFeed(db)
    a = db.engine.connect()
    try:
        tx = a.begin()  # transaction A takes its ids first ...
        a.execute(text("INSERT INTO bookings (slot_id, patient_id, status, source)"
                       " VALUES (:s, :p, 'pending', 'miniprogram')"), {"s": clinic["slot_ids"][0], "p": early})
        if db.dialect == "sqlite":  # one writer at a time: B can only come after A
            assert feed.poll() == []
            tx.commit()
            first = collect(feed, 1)
            second_id = f.request(db, clinic["slot_ids"][0], late)
            second = collect(feed, 1)
            got = first + second
        else:  # ... B commits a later id first; A commits afterwards
            b = f.request(db, clinic["slot_ids"][0], late)
            first = collect(feed, 1)
            assert brief(first) == [("booking", b, "insert", "pending")]
            assert feed.cursor < first[0].id  # the reader still waits for A's id
            tx.commit()
            got = first + collect(feed, 1)
            second_id = b
        assert feed.poll() == []
    finally:
        a.close()
        feed.close()
    assert sorted(c.patient_id for c in got) == sorted([early, late])
    assert len({c.id for c in got}) == 2 and second_id in {c.entity_id for c in got}
    assert feed.cursor == max(c.id for c in got)  # nothing left to wait for


def test_rolled_back_change_does_not_hold_the_cursor(db):
    clinic = f.basic_clinic(db)
    p = f.patient(db)
    now = [0.0]
    feed = ChangeFeed(db, clock=lambda: now[0])
    try:
        with db.engine.connect() as a:
            tx = a.begin()
            a.execute(text("INSERT INTO bookings (slot_id, patient_id, status, source)"
                           " VALUES (:s, :p, 'pending', 'miniprogram')"), {"s": clinic["slot_ids"][0], "p": p})
            tx.rollback()
        b = f.request(db, clinic["slot_ids"][0], p)
        got = collect(feed, 1)
        assert brief(got) == [("booking", b, "insert", "pending")]
        if db.dialect in ("mysql", "mariadb"):  # no view of running transactions: the gap times out
            assert feed.cursor < got[0].id
            now[0] += GAP_TIMEOUT + 1
            assert feed.poll() == []
        deadline = time.monotonic() + WAIT  # PostgreSQL: settled once the snapshots have moved on
        while feed.cursor != got[0].id and time.monotonic() < deadline:
            feed.wait(0.05)
            assert feed.poll() == []
    finally:
        feed.close()
    assert feed.cursor == got[0].id


def test_killed_listener_reconnects_and_loses_nothing(db):
    if db.dialect != "postgresql":
        pytest.skip("only PostgreSQL has a LISTEN connection (see test_cut_connections_... for MariaDB)")
    clinic = f.basic_clinic(db)
    p = f.patient(db)
    feed = ChangeFeed(db)
    states = []
    feed.on_state = states.append
    admin = create_engine(db.engine.url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as c:
            pids = c.execute(text("SELECT pid FROM pg_stat_activity WHERE application_name = :n"
                                  " AND datname = current_database()"), {"n": LISTENER_NAME}).scalars().all()
            assert len(pids) == 1
            c.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pids[0]})
            deadline = time.monotonic() + WAIT  # wait until it is really gone, so no NOTIFY reaches it
            while c.execute(text("SELECT count(*) FROM pg_stat_activity WHERE pid = :p"), {"p": pids[0]}).scalar():
                assert time.monotonic() < deadline
        b1 = f.request(db, clinic["slot_ids"][0], p)  # made while nobody listens
        got = collect(feed, 1)
        assert states == ["offline", "catching_up", "live"]
        b2 = f.request(db, clinic["slot_ids"][1], p)  # and the new listener hears the next one
        got += collect(feed, 1)
    finally:
        feed.close()
        admin.dispose()
    assert brief(got) == [("booking", b1, "insert", "pending"), ("booking", b2, "insert", "pending")]


def test_pruning_makes_lagging_readers_reload(db):
    clinic = f.basic_clinic(db)
    p = f.patient(db)
    assert prune(db) == 0  # nothing is two days old
    behind, current = ChangeFeed(db), ChangeFeed(db)
    fresh = None
    try:
        ids = [f.request(db, clinic["slot_ids"][2], p) for _ in range(3)]
        assert len(collect(current, 3)) == 3
        assert prune(db, keep_rows=1) >= 2
        kept = behind.poll()
        assert behind.needs_reload
        assert brief(kept) == [("booking", ids[-1], "insert", "pending")]
        assert behind.poll() == [] and not behind.needs_reload
        assert current.poll() == [] and not current.needs_reload  # it had read everything already
        fresh = ChangeFeed(db)
        assert fresh.poll() == [] and not fresh.needs_reload
        again = f.request(db, clinic["slot_ids"][3], p)  # ids go on after the pruned part
        assert brief(collect(fresh, 1)) == [("booking", again, "insert", "pending")]
        assert brief(collect(behind, 1)) == [("booking", again, "insert", "pending")]
    finally:
        for feed in (behind, current, fresh):
            if feed is not None:
                feed.close()


def test_who_is_not_taken_from_another_transactions_audit_row(db):
    clinic = f.basic_clinic(db)
    p = f.patient(db)
    mini = foreign_engine(db)
    feed = ChangeFeed(db)
    try:
        b = foreign_request(mini, clinic["slot_ids"][0], p)
        with db.engine.begin() as c:  # a later audit row about the booking, with no change of its own
            c.execute(text("INSERT INTO audit_log (at, actor_kind, actor, action, entity, entity_id)"
                           " VALUES (:at, 'staff', 'clerk1', 'print', 'booking', :i)"),
                      {"at": utcnow() + dt.timedelta(seconds=10), "i": str(b)})
        got = collect(feed, 1)
    finally:
        feed.close()
        mini.dispose()
    assert [(c.entity_id, c.who) for c in got] == [(b, "miniprogram")]


def _alembic(conn) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(migrate.MIGRATIONS))
    cfg.attributes["connection"] = conn
    return cfg


def test_upgrade_from_0001_keeps_rows_and_adds_the_feed(db_url):
    db = Database(db_url)
    try:
        with db.engine.begin() as conn:
            command.upgrade(_alembic(conn), "0001")
        clinic = f.basic_clinic(db)
        p = f.patient(db)
        old = [f.request(db, clinic["slot_ids"][0], p) for _ in range(3)]
        assert cli_main(["--db", db_url, "db", "upgrade"]) == 0
        assert migrate.current_revision(db) == migrate.head_revision()
        with db.read() as c:
            assert c.execute(text("SELECT count(*) FROM bookings")).scalar() == 3
        assert {"slot_id", "session_id", "patient_id", "actor", "tx"} <= {
            col["name"] for col in inspect(db.engine).get_columns("change_log")}
        feed = ChangeFeed(db)
        try:
            foreign_cancel(db.engine, old[1])  # a row from before the upgrade, changed after it
            assert brief(collect(feed, 1)) == [("booking", old[1], "update", "cancelled")]
        finally:
            feed.close()
        with db.engine.begin() as conn:  # down and up again: the triggers go and come back
            command.downgrade(_alembic(conn), "0001")
        with db.engine.begin() as c:
            c.execute(text("DELETE FROM change_log"))
        foreign_cancel(db.engine, old[2])
        with db.read() as c:
            assert c.execute(text("SELECT count(*) FROM change_log")).scalar() == 0
        migrate.upgrade(db)
        feed = ChangeFeed(db)
        try:
            f.request(db, clinic["slot_ids"][0], p)
            assert [c.op for c in collect(feed, 1)] == ["insert"]
        finally:
            feed.close()
    finally:
        db.dispose()


def _kill_all_connections(db: Database) -> None:
    """What a server restart does to the feed: every connection to this database is cut."""
    admin = create_engine(db.engine.url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as c:
            if db.dialect == "postgresql":
                mine = "datname = current_database() AND pid <> pg_backend_pid()"
                c.execute(text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE {mine}"))
                alive = f"SELECT count(*) FROM pg_stat_activity WHERE {mine} AND backend_type = 'client backend'"
            else:
                mine = "db = database() AND id <> connection_id()"
                for pid in c.execute(text(f"SELECT id FROM information_schema.processlist WHERE {mine}")).scalars():
                    c.execute(text(f"KILL CONNECTION {int(pid)}"))
                alive = f"SELECT count(*) FROM information_schema.processlist WHERE {mine}"
            deadline = time.monotonic() + WAIT
            while c.execute(text(alive)).scalar():
                assert time.monotonic() < deadline, "connections survived the kill"
    finally:
        admin.dispose()


def test_cut_connections_reconnect_and_lose_nothing(db):
    if db.dialect == "sqlite":
        pytest.skip("an SQLite file has no connections to cut")
    clinic = f.basic_clinic(db)
    p = f.patient(db)
    feed = ChangeFeed(db)
    states = []
    feed.on_state = states.append
    try:
        _kill_all_connections(db)
        mini = foreign_engine(db)
        b1 = foreign_request(mini, clinic["slot_ids"][0], p)  # while the feed is cut off
        got = collect(feed, 1)
        assert states[0] == "offline" and states[-1] == "live" and "catching_up" in states
        b2 = foreign_request(mini, clinic["slot_ids"][1], p)
        got += collect(feed, 1)
        mini.dispose()
    finally:
        feed.close()
    assert brief(got) == [("booking", b1, "insert", "pending"), ("booking", b2, "insert", "pending")]
