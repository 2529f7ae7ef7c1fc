"""services.bookings.queries on every database: the queue's order, places left and history; the day list's
filters and order; rows by id for refreshing in place."""
from __future__ import annotations

import datetime as dt

from services.bookings import queries
from tests import factories as f

TODAY = dt.date.today()


def clinic(db, day: dt.date, capacity: int = 2) -> dict:
    return f.basic_clinic(db, day=day, capacity=capacity)


def test_pending_queue_oldest_first_with_places_left_and_history(db):
    day = TODAY + dt.timedelta(days=2)
    c = clinic(db, day)
    p1, p2 = f.patient(db, name="甲", phone="13812345678"), f.patient(db, name="乙", birth_date=None)
    b1 = f.request(db, c["slot_ids"][0], p1)
    b2 = f.request(db, c["slot_ids"][0], p2)
    taken = f.request(db, c["slot_ids"][0], f.patient(db))
    f.set_status(db, taken, "confirmed")
    # p1: another booking that day in another department, a recent no-show and an old one
    dep2 = f.department(db, code="WK", name="外科")
    _s2, slots2 = f.session(db, f.doctor(db, dep2, name="李医生"), day, period="pm",
                            starts=dt.time(13), ends=dt.time(17))
    other = f.request(db, slots2[1], p1)
    _s3, past = f.session(db, c["doctor_id"], TODAY - dt.timedelta(days=10), period="pm",
                          starts=dt.time(13), ends=dt.time(17))
    f.set_status(db, f.request(db, past[0], p1), "no_show")
    _s4, old = f.session(db, c["doctor_id"], TODAY - dt.timedelta(days=200))
    f.set_status(db, f.request(db, old[0], p1), "no_show")

    rows = queries.pending_queue(db)
    assert [r.booking_id for r in rows] == [b1, b2, other]
    r1 = rows[0]
    assert (r1.patient_name, r1.phone, r1.department_name, r1.doctor_name, r1.day) == \
        ("甲", "138****5678", "内科", "张医生", day)
    assert (r1.capacity, r1.remaining, r1.pending_in_slot) == (2, 1, 2)
    assert r1.age == TODAY.year - 1985 - ((TODAY.month, TODAY.day) < (3, 4))
    assert r1.no_shows == 1  # the one 200 days ago is outside the 90-day window
    assert [(o.booking_id, o.department_name, o.starts_at) for o in r1.others] == [(other, "外科", dt.time(13, 30))]
    assert rows[1].age is None and rows[1].no_shows == 0 and rows[1].others == ()
    assert [o.booking_id for o in rows[2].others] == [b1]  # and the other way round
    assert [r.booking_id for r in queries.pending_queue(db, department_ids=[dep2])] == [other]
    assert [r.booking_id for r in queries.pending_queue(db, limit=1)] == [b1]


def test_queue_rows_and_booking_rows_by_id(db):
    c = clinic(db, TODAY + dt.timedelta(days=1))
    ids = [f.request(db, c["slot_ids"][0], f.patient(db)) for _ in range(3)]
    f.set_status(db, ids[1], "rejected")
    rows = queries.queue_rows(db, [ids[1], ids[0], 999_999])
    assert [(r.booking_id, r.status) for r in rows] == [(ids[0], "pending"), (ids[1], "rejected")]
    assert rows[0].pending_in_slot == 2
    assert {r.booking_id for r in queries.booking_rows(db, ids)} == set(ids)
    assert queries.booking_rows(db, []) == []
    assert sorted(queries.pending_ids_in_slots(db, [c["slot_ids"][0]])) == [ids[0], ids[2]]
    assert sorted(queries.booking_ids_in_slots(db, [c["slot_ids"][0]])) == ids
    assert queries.latest_booking_id(db) == max(ids)


def test_day_list_by_day_department_doctor_in_time_order(db):
    c = clinic(db, TODAY, capacity=3)
    doc2 = f.doctor(db, c["department_id"], name="王医生")
    _s, slots2 = f.session(db, doc2, TODAY)
    dep2 = f.department(db, code="EK", name="儿科")
    _s3, slots3 = f.session(db, f.doctor(db, dep2, name="赵医生"), TODAY)
    late = f.request(db, c["slot_ids"][2], f.patient(db))
    early = f.request(db, c["slot_ids"][0], f.patient(db))
    same_time_other_doctor = f.request(db, slots2[0], f.patient(db))
    kid = f.request(db, slots3[0], f.patient(db))
    gone = f.request(db, c["slot_ids"][0], f.patient(db))
    f.set_status(db, gone, "cancelled")
    f.set_status(db, early, "checked_in")
    tomorrow = f.request(db, f.session(db, c["doctor_id"], TODAY + dt.timedelta(days=1))[1][0], f.patient(db))

    rows = queries.day_list(db, TODAY)
    assert [r.booking_id for r in rows] == [early, gone, same_time_other_doctor, kid, late]
    assert tomorrow not in {r.booking_id for r in rows}
    first = rows[0]
    assert (first.status, first.remaining, first.pending_in_slot) == ("checked_in", 2, 0)
    assert [r.booking_id for r in queries.day_list(db, TODAY, department_id=dep2)] == [kid]
    assert [r.booking_id for r in queries.day_list(db, TODAY, doctor_id=doc2)] == [same_time_other_doctor]
    assert queries.day_list(db, TODAY - dt.timedelta(days=30)) == []
