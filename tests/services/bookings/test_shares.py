"""Shares of a slot's places (号源池) on every database: online requests take only the online share, walk-ins
the desk share first, a session overrides its department, the share opens at the cut-off (and the waitlist
fills from it), slot_availability.online_remaining says what the mini-program may book; under racing
mini-program writers, deciders and walk-ins the desk share is never taken online and no slot goes over."""
from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import select, text

from services.bookings import decisions, rules, waitlist
from services.clock import hospital_today
from services.errors import PermissionDenied, ValidationError
from services.models import Booking
from services.rosters import shares
from services.staff.actor import Actor
from tests import factories as f
from tests.snapshot import snapshot

ADMIN = Actor("staff", "admin", 1, "admin")
CLERK = Actor("staff", "clerk", 3, "clerk")


def _view(db, slot_id):
    with db.read() as c:
        return c.execute(text("SELECT remaining, online_remaining FROM slot_availability WHERE slot_id = :s"),
                         {"s": slot_id}).one()


def _held(db, slot_id):
    """source -> places held in the slot."""
    with db.read() as c:
        return dict(c.execute(text("SELECT source, COUNT(*) FROM bookings WHERE slot_id = :s"
                                   " AND status IN ('confirmed', 'checked_in', 'no_show') GROUP BY source"),
                              {"s": slot_id}).all())


def _clinic(db, capacity=4, pct=50, day=None):
    c = f.basic_clinic(db, capacity=capacity, slots=1, day=day)
    shares.set_share(db, ADMIN, pct, department_id=c["department_id"])
    return c


def test_online_requests_take_only_the_online_share_and_walk_ins_the_desk_share(db):
    c = _clinic(db)  # 4 places, 2 kept for the desk
    slot = c["slot_ids"][0]
    assert tuple(_view(db, slot)) == (4, 2)
    ids = [f.request(db, slot, f.patient(db)) for _ in range(3)]
    s = rules.decide_pending(db)
    assert (s.confirmed, s.full) == (2, 1)
    assert [f.status_of(db, i) for i in ids] == ["confirmed", "confirmed", "full"]
    assert tuple(_view(db, slot)) == (2, 0)
    for _ in range(2):  # the desk share, before the clinic day
        decisions.walk_in(db, ADMIN, slot, f.patient(db))
    assert _held(db, slot) == {"miniprogram": 2, "desk": 2}
    assert tuple(_view(db, slot)) == (0, 0)


def test_before_the_day_a_walk_in_takes_only_the_desk_share(db):
    c = _clinic(db)
    slot = c["slot_ids"][0]
    for _ in range(2):
        decisions.walk_in(db, ADMIN, slot, f.patient(db))
    third = f.patient(db)
    before = snapshot(db)
    with pytest.raises(ValidationError, match="现场号已用完"):
        decisions.walk_in(db, ADMIN, slot, third)
    assert snapshot(db) == before
    assert shares.desk_left(db, [slot]) == {slot: 0}
    assert tuple(_view(db, slot)) == (2, 2)  # the online share is untouched


def test_on_the_day_the_unused_online_share_is_the_desks(db):
    dep = f.department(db)
    sid, slots = f.session(db, f.doctor(db, dep), hospital_today(), starts=dt.time(0, 0), ends=dt.time(23, 59),
                           slots=1, capacity=4)
    shares.set_share(db, ADMIN, 50, department_id=dep)
    for _ in range(4):
        decisions.walk_in(db, ADMIN, slots[0], f.patient(db))
    assert _held(db, slots[0]) == {"desk": 4}


def test_a_session_overrides_its_department_and_who_may_set_shares(db):
    c = _clinic(db)
    slot = c["slot_ids"][0]
    shares.set_share(db, ADMIN, 0, session_id=c["session_id"])
    assert tuple(_view(db, slot)) == (4, 4)
    with pytest.raises(PermissionDenied):
        shares.set_share(db, CLERK, 30, department_id=c["department_id"])
    before = snapshot(db)
    with pytest.raises(ValidationError):
        shares.set_share(db, ADMIN, 101, department_id=c["department_id"])
    assert snapshot(db) == before
    shares.set_share(db, ADMIN, None, session_id=c["session_id"])  # the department's again
    assert tuple(_view(db, slot)) == (4, 2)


def test_the_desk_share_opens_at_the_cut_off_and_the_waitlist_fills_from_it(db):
    rules.save(db, ADMIN, waitlist=True)
    c = _clinic(db)
    slot = c["slot_ids"][0]
    ids = [f.request(db, slot, f.patient(db)) for _ in range(4)]
    rules.decide_pending(db)
    assert [f.status_of(db, i) for i in ids] == ["confirmed", "confirmed", "pending", "pending"]
    assert waitlist.fill(db).confirmed == 0  # the desk's places are not the waitlist's
    cut = dt.datetime.combine(c["day"] - dt.timedelta(days=1), dt.time(18, 0))
    assert shares.open_due(db, cut - dt.timedelta(minutes=1)) == 0
    assert tuple(_view(db, slot)) == (2, 0)
    assert shares.open_due(db, cut) == 1
    assert tuple(_view(db, slot)) == (2, 2)
    assert waitlist.fill(db, now=cut - dt.timedelta(minutes=1)).confirmed == 2
    assert [f.status_of(db, i) for i in ids] == ["confirmed"] * 4


def race(db, writers: list, walk_ins: list) -> None:
    """Mini-program writers (each a callable writing its requests) and walk-ins (callables) at once, with two
    deciders running until the writers are done and deciding what is left; a walk-in refused (ValidationError:
    its share is used up) is expected, any other error fails the test."""
    errors: list[BaseException] = []
    done = threading.Event()

    def guarded(fn):
        def run():
            try:
                fn()
            except ValidationError:
                pass  # a walk-in refused: the desk share is used up
            except BaseException as exc:  # reported below
                errors.append(exc)
        return run

    def decider():
        while not done.is_set():
            rules.decide_pending(db)
        rules.decide_pending(db)

    writing = [threading.Thread(target=guarded(w)) for w in writers + walk_ins]
    deciders = [threading.Thread(target=guarded(decider)) for _ in range(2)]
    for t in writing + deciders:
        t.start()
    for t in writing:
        t.join(timeout=120)
        assert not t.is_alive(), "a racing writer did not finish"
    done.set()
    for t in deciders:
        t.join(timeout=120)
        assert not t.is_alive(), "a decider did not finish"
    assert not errors, errors


def test_racing_writers_deciders_and_walk_ins_never_take_the_desk_share_online(db):
    capacity, pct, online_requests, walk_ins = 10, 30, 14, 5  # 3 kept for the desk
    c = _clinic(db, capacity=capacity, pct=pct)
    slot = c["slot_ids"][0]
    patients = [f.patient(db) for _ in range(online_requests + walk_ins)]

    def writer(part):
        for p in part:
            f.request(db, slot, p)

    race(db, [lambda k=k: writer(patients[k:online_requests:4]) for k in range(4)],
         [lambda p=p: decisions.walk_in(db, ADMIN, slot, p) for p in patients[online_requests:]])
    held = _held(db, slot)
    assert held == {"miniprogram": capacity - 3, "desk": 3}, held
    with db.read() as conn:
        statuses = conn.execute(select(Booking.status).where(Booking.slot_id == slot,
                                                             Booking.source == "miniprogram")).scalars().all()
    assert sorted(set(statuses)) == ["confirmed", "full"] and len(statuses) == online_requests
    assert tuple(_view(db, slot)) == (0, 0)


def _shares_state(db):
    with db.read() as c:
        return (c.execute(text("SELECT id, desk_share_pct FROM departments ORDER BY id")).all(),
                c.execute(text("SELECT id, desk_share_pct, desk_share_open FROM clinic_sessions ORDER BY id")).all(),
                c.execute(text("SELECT COUNT(*) FROM audit_log WHERE action = 'share'")).scalar_one())


def test_rules_share_command(db, db_url, capsys, monkeypatch):
    c = f.basic_clinic(db, capacity=4, slots=1)
    slot = c["slot_ids"][0]
    rc, out, err = f.run_cli(capsys, "rules", "share", "--department", str(c["department_id"]), "50", "--db", db_url)
    assert rc != 0 and out == "" and err.startswith("regdesk: ") and len(err.strip().splitlines()) == 1, err
    f.cli_login(db, monkeypatch)
    for bad in (["--department", str(c["department_id"]), "101"], ["--department", "x", "5"], ["50"],
                ["--department", "999999", "50"]):
        before = _shares_state(db)
        rc, out, err = f.run_cli(capsys, "rules", "share", *bad, "--db", db_url)
        assert rc != 0 and len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
        assert _shares_state(db) == before  # (a log-in may rehash the password: not compared)
    rc, out, err = f.run_cli(capsys, "rules", "share", "--department", str(c["department_id"]), "50", "--db", db_url)
    assert rc == 0 and "50%" in out, err
    assert tuple(_view(db, slot)) == (4, 2)
    rc, out, err = f.run_cli(capsys, "rules", "share", "--session", str(c["session_id"]), "25", "--db", db_url)
    assert rc == 0 and tuple(_view(db, slot)) == (4, 3)
    rc, out, err = f.run_cli(capsys, "rules", "share", "--session", str(c["session_id"]), "off", "--db", db_url)
    assert rc == 0 and "沿用科室设置" in out and tuple(_view(db, slot)) == (4, 2)
