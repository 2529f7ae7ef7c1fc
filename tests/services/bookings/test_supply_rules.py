"""Release time (放号) and late cancellations (退号) on every database: the rules' verdict, the contract
view's opens_at, and the cancel time the database stamps on the mini-program's plain-SQL cancel."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select, text, update

from services.bookings import patients, rules
from services.clock import as_datetime, hospital_today, utcnow
from services.models import Booking
from services.staff.actor import Actor
from tests import factories as f

ADMIN = Actor("staff", "admin", 1, "admin")


def _utc(local: dt.datetime) -> dt.datetime:
    """A naive local wall-clock time as the naive UTC the database stores (services.clock's inverse)."""
    return local.astimezone(dt.UTC).replace(tzinfo=None)


def _requested_at(db, booking_id: int, local: dt.datetime) -> None:
    with db.write() as c:
        c.execute(update(Booking).where(Booking.id == booking_id).values(created_at=_utc(local)))


def _reason(db, booking_id):
    with db.read() as c:
        return c.execute(select(Booking.status, Booking.reason).where(Booking.id == booking_id)).one()


def _opens_at(db, slot_id):
    with db.read() as c:
        value = c.execute(text("SELECT opens_at FROM slot_availability WHERE slot_id = :s"), {"s": slot_id}).scalar()
    return as_datetime(value)


def test_release_time_refuses_early_requests_and_the_view_says_when(db):
    day = hospital_today() + dt.timedelta(days=3)
    c = f.basic_clinic(db, day=day, capacity=5)
    slot = c["slot_ids"][0]
    assert _opens_at(db, slot) == dt.datetime.combine(day - dt.timedelta(days=7), dt.time(0, 0))
    rules.save(db, ADMIN, booking_window_days=3, release_time="07:00")
    release = dt.datetime.combine(day - dt.timedelta(days=3), dt.time(7, 0))
    assert _opens_at(db, slot) == release  # the mini-program reads from when it may ask
    early, on_time = f.request(db, slot, f.patient(db)), f.request(db, slot, f.patient(db))
    _requested_at(db, early, release - dt.timedelta(minutes=1))
    _requested_at(db, on_time, release)
    # decided after the release: the early request is still refused, judged at the time it was made
    summary = rules.decide_pending(db, now=release + dt.timedelta(minutes=5))
    assert (summary.confirmed, summary.rejected) == (1, 1)
    assert tuple(_reason(db, early)) == ("rejected", f"尚未放号，放号时间 {release:%Y-%m-%d %H:%M}")
    assert _reason(db, on_time).status == "confirmed"
    # without a release time a day opens at midnight, booking_window_days ahead
    rules.save(db, ADMIN, release_time=None)
    assert _opens_at(db, slot) == dt.datetime.combine(day - dt.timedelta(days=3), dt.time(0, 0))


def test_the_database_stamps_cancels_and_late_ones_count_when_chosen(db):
    today = hospital_today()
    later = f.basic_clinic(db, day=today + dt.timedelta(days=5))
    doc_today, slots_today = f.session(db, later["doctor_id"], today, "evening", dt.time(20, 0), dt.time(22, 0))
    pid = f.patient(db)
    early, late = f.request(db, later["slot_ids"][0], pid), f.request(db, slots_today[0], pid)
    before = utcnow() - dt.timedelta(seconds=5)
    with db.engine.begin() as conn:  # the mini-program cancels with the contract's plain SQL
        for b in (early, late):
            conn.execute(text("UPDATE bookings SET status = 'cancelled' WHERE id = :i AND status IN"
                              " ('pending', 'confirmed')"), {"i": b})
    with db.read() as conn:
        stamps = dict(conn.execute(select(Booking.id, Booking.cancelled_at).where(Booking.id.in_([early, late]))).all())
    for b in (early, late):
        stamp = as_datetime(stamps[b])
        assert stamp is not None and before <= stamp <= utcnow() + dt.timedelta(seconds=5), stamp
    # a cancel 5 days ahead is in time; one for today (after 15:00 yesterday) is late
    history = patients.history(db, pid, day=today)
    flags = {h.booking_id: h.late_cancel for h in history.recent}
    assert flags == {early: False, late: True}
    # the hospital chooses whether late cancels count toward the blacklist
    rules.save(db, ADMIN, noshow_limit=1)
    with db.read() as conn:
        assert rules.patient_blocks(conn, {pid}, rules.read(conn), today) == {}
    rules.save(db, ADMIN, late_cancel_counts=True)
    again = f.request(db, later["slot_ids"][1], pid)
    rules.decide_pending(db)
    status, reason = _reason(db, again)
    assert status == "rejected" and reason.startswith("近90天爽约或晚退号1次，暂停网上预约至"), reason
    # a later deadline (23:59 on the day itself) makes today's cancel in time
    rules.save(db, ADMIN, late_cancel_days_before=0, late_cancel_time="23:59")
    assert {h.booking_id: h.late_cancel for h in patients.history(db, pid, day=today).recent}[late] is False
