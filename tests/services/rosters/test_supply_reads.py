"""What the console reads of the supply rules (号源池, 候补, 加号) on every database: the week grid's desk share and
waitlist per session, the departments' shares, the day list's places left for a walk-in, who may add places."""
from __future__ import annotations

import datetime as dt

from services.bookings import decisions, queries, rules
from services.clock import hospital_today
from services.rosters import extra_places, shares, week
from services.staff.actor import Actor
from tests import factories as f

ADMIN = Actor("staff", "admin", 1, "admin")
CLERK = Actor("staff", "clerk", 3, "clerk")


def test_week_grid_cells_carry_the_desk_share_and_the_waitlist(db):
    day = hospital_today() + dt.timedelta(days=2)
    c = f.basic_clinic(db, day=day, capacity=1, slots=2)
    other, _ = f.session(db, c["doctor_id"], day, "pm", dt.time(14), dt.time(16), slots=1, capacity=1)
    shares.set_share(db, ADMIN, 30, department_id=c["department_id"])
    shares.set_share(db, ADMIN, 50, session_id=other)
    rules.save(db, ADMIN, waitlist=True)
    first = c["slot_ids"][0]
    ids = [f.request(db, first, f.patient(db)) for _ in range(3)]  # one place: two wait
    assert rules.decide_pending(db).waiting == 2
    grid = week.week_grid(db, c["department_id"], day - dt.timedelta(days=day.weekday()))
    am = grid.cells[(c["doctor_id"], day, "am")].supply
    pm = grid.cells[(c["doctor_id"], day, "pm")].supply
    assert (am.pct, am.own, am.department_pct, am.open, am.waiting) == (30, False, 30, False, 2)
    assert (pm.pct, pm.own, pm.department_pct, pm.waiting) == (50, True, 30, 0)
    assert shares.supply_of(db, other) == pm
    shares.set_share(db, ADMIN, 0, session_id=other)  # nothing kept for this session, whatever its department keeps
    assert (shares.supply_of(db, other).pct, shares.supply_of(db, other).own) == (None, True)
    f.set_status(db, ids[1], "cancelled")
    assert shares.supply_of(db, c["session_id"]).waiting == 1


def test_department_shares_are_listed_by_code(db):
    nk = f.department(db, "NK", "内科")
    wk = f.department(db, "WK", "外科")
    shares.set_share(db, ADMIN, 30, department_id=wk)
    assert [(d.id, d.code, d.name, d.pct) for d in shares.department_shares(db)] == [
        (nk, "NK", "内科", None), (wk, "WK", "外科", 30)]


def test_day_list_rows_say_the_places_a_walk_in_may_take(db):
    today = hospital_today()
    c = f.basic_clinic(db, day=today + dt.timedelta(days=2), capacity=4, slots=1)
    slot = c["slot_ids"][0]
    shares.set_share(db, ADMIN, 50, department_id=c["department_id"])  # 2 of 4 kept for the desk
    f.request(db, slot, f.patient(db))
    rules.decide_pending(db)
    walk = decisions.walk_in(db, ADMIN, slot, f.patient(db))
    [row1, row2] = queries.day_list(db, c["day"])
    assert (row1.remaining, row1.desk_left, row2.desk_left) == (2, 1, 1)  # the desk share less the walk-in
    assert queries.booking_rows(db, [walk.id])[0].desk_left == 1
    # on the clinic day every free place is the desk's
    assert [r.desk_left for r in queries.day_list(db, c["day"], today=c["day"])] == [2, 2]
    # no share: every free place
    shares.set_share(db, ADMIN, None, department_id=c["department_id"])
    assert [r.desk_left for r in queries.day_list(db, c["day"])] == [2, 2]


def test_who_may_add_places(db):
    dep = f.department(db)
    head = Actor("staff", "head", 2, "head", frozenset({dep}))
    assert extra_places.right(db, head).allows(dep) and not extra_places.right(db, head).allows(dep + 1)
    assert extra_places.right(db, ADMIN).allows()
    assert not extra_places.right(db, CLERK).allows() and not extra_places.right(db, CLERK).allows(dep)
    rules.save(db, ADMIN, clerks_add_places=True)
    assert extra_places.right(db, CLERK).allows(dep)
