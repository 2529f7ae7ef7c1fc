"""The demo hospital: realistic, complete (every booking status), consistent and reproducible."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select, text

from services import migrate
from services.bookings import rules
from services.db import Database
from services.demo import hospital
from services.errors import ValidationError
from services.models import (
    BOOKING_STATUSES,
    Booking,
    ClinicSession,
    Department,
    Doctor,
    Hospital,
    Notification,
    Patient,
    RosterTemplate,
)
from services.staff import auth
from tests.dbs import fresh_database

TODAY = dt.date.today()
NOW = dt.datetime.combine(TODAY, dt.time(10, 30))


def _scalar(db, stmt):
    with db.read() as c:
        return c.execute(stmt).scalar_one()


def test_seed(db):
    s = hospital.seed(db, today=TODAY, now=NOW)
    assert s.hospital == "市第一人民医院"
    assert s.departments >= 12 and s.doctors >= 40 and s.patients >= 200
    assert set(s.bookings) == set(BOOKING_STATUSES) and all(n > 0 for n in s.bookings.values())
    assert (s.first_day, s.last_day) == (TODAY - dt.timedelta(days=7), TODAY + dt.timedelta(days=13))
    with db.read() as c:
        codes = set(c.execute(select(Department.code)).scalars())
        assert {"NK", "WK", "EK", "FCK", "GK", "YK", "EBH", "KQK", "PFK", "SJNK", "XNK", "XHNK", "HXNK",
                "ZYK"} <= codes
        titles = dict(c.execute(select(Doctor.title, func.min(Doctor.fee)).group_by(Doctor.title)).all())
        assert {k: float(v) for k, v in titles.items()} == {"主任医师": 50, "副主任医师": 35, "主治医师": 25,
                                                            "住院医师": 15}
        assert c.execute(select(func.count(func.distinct(Doctor.name)))).scalar_one() == s.doctors
        assert c.execute(select(func.count()).select_from(RosterTemplate)).scalar_one() == s.templates
        days = set(c.execute(select(ClinicSession.day).where(ClinicSession.status == "published")).scalars())
        assert {TODAY + dt.timedelta(days=i) for i in range(-7, 14)} <= days  # every day, weekends too
        assert c.execute(select(func.count()).select_from(ClinicSession)
                         .where(ClinicSession.status == "stopped")).scalar_one() == 1
        # no slot holds more taken bookings than its capacity
        assert c.execute(text("SELECT count(*) FROM slot_availability WHERE remaining < 0")).scalar_one() == 0
        assert c.execute(text("SELECT count(*) FROM slot_availability WHERE remaining = 0")).scalar_one() > 0
        # history on past days only; requests still waiting only for clinics ahead
        rows = c.execute(text(
            "SELECT b.status, cs.day FROM bookings b JOIN slots s ON s.id = b.slot_id"
            " JOIN clinic_sessions cs ON cs.id = s.session_id")).all()
        walk_ins = c.execute(select(func.count()).select_from(Patient).where(Patient.openid.is_(None))).scalar_one()
        desk = c.execute(select(func.count()).select_from(Booking).where(Booking.source == "desk")).scalar_one()
        waiting = c.execute(select(func.count()).select_from(Notification)).scalar_one()
        states = dict(c.execute(select(Notification.state, func.count()).group_by(Notification.state)).all())
        # every decided booking of a patient with WeChat was told; pending and self-cancelled ones not
        untold = c.execute(text(
            "SELECT count(*) FROM bookings b JOIN patients p ON p.id = b.patient_id"
            " WHERE b.status IN ('confirmed', 'checked_in', 'no_show', 'rejected', 'full', 'stopped')"
            " AND NOT EXISTS (SELECT 1 FROM notifications n WHERE n.booking_id = b.id)")).scalar_one()
        told_pending = c.execute(text(
            "SELECT count(*) FROM notifications n JOIN bookings b ON b.id = n.booking_id"
            " WHERE b.status = 'pending'")).scalar_one()
    day_of = [(st, d if isinstance(d, dt.date) else dt.date.fromisoformat(str(d))) for st, d in rows]
    assert {st for st, d in day_of if d < TODAY} >= {"checked_in", "no_show"}
    assert all(d >= TODAY for st, d in day_of if st == "pending")
    assert all(d <= TODAY for st, d in day_of if st in ("checked_in", "no_show"))
    assert walk_ins > 0 and desk > 0 and waiting > 0
    assert untold == 0 and told_pending == 0
    assert {"sent", "waiting", "failed", "unsubscribed", "skipped"} <= set(states)
    assert states["sent"] > 10 * (states["failed"] + states["unsubscribed"])
    # the accounts the README lists
    for user, pw, role in (("admin", "admin1234", "admin"), ("head_nk", "head1234", "head"),
                           ("clerk", "clerk1234", "clerk"), ("demo", "demo1234", "clerk")):
        assert auth.login(db, user, pw).role == role
    nk = _scalar(db, select(Department.id).where(Department.code == "NK"))
    assert auth.actor_for(db, "head_nk").department_ids == frozenset({nk})
    assert rules.load(db).waitlist  # 候补 is on in the demo


def test_seed_refuses_a_database_with_a_hospital(sqlite_db):
    hospital.seed(sqlite_db, days=2, today=TODAY, now=NOW, patients_count=60)
    before = _scalar(sqlite_db, select(func.count()).select_from(Booking))
    with pytest.raises(ValidationError, match="^数据库中已有医院数据，未重新生成$"):
        hospital.seed(sqlite_db)
    assert _scalar(sqlite_db, select(func.count()).select_from(Booking)) == before
    assert _scalar(sqlite_db, select(func.count()).select_from(Hospital)) == 1


@pytest.mark.parametrize("days", [0, -1, 61])
def test_seed_days_checked(sqlite_db, days):
    with pytest.raises(ValidationError):
        hospital.seed(sqlite_db, days=days)
    assert _scalar(sqlite_db, select(func.count()).select_from(Hospital)) == 0


def test_seed_is_reproducible(tmp_path):
    def snapshot(name):
        with fresh_database("sqlite", tmp_path / name) as url:
            db = Database(url)
            migrate.upgrade(db)
            hospital.seed(db, today=TODAY, now=NOW, days=5, patients_count=120)
            with db.read() as c:
                out = (c.execute(select(Doctor.name, Doctor.title).order_by(Doctor.id)).all(),
                       c.execute(select(Patient.name, Patient.phone).order_by(Patient.id)).all(),
                       c.execute(select(Booking.slot_id, Booking.patient_id, Booking.status)
                                 .order_by(Booking.id)).all())
            db.dispose()
            return out

    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    assert snapshot("a") == snapshot("b")


def test_prepare_creates_seeds_once_and_logs_in_as_demo(tmp_path):
    url = f"sqlite:///{tmp_path / 'new-folder' / 'demo.db'}"
    db, actor = hospital.prepare(url)
    try:
        assert (actor.kind, actor.name, actor.role) == ("staff", hospital.DEMO_USER, "clerk")
        before = _scalar(db, select(func.count()).select_from(Booking))
        assert before > 0
    finally:
        db.dispose()
    db, again = hospital.prepare(url)  # the second start finds the demo hospital and keeps it
    try:
        assert again == actor and _scalar(db, select(func.count()).select_from(Booking)) == before
    finally:
        db.dispose()


def test_seeded_times_are_the_hospitals_whatever_the_pcs_zone(sqlite_db, monkeypatch):
    """The demo writes its wall-clock times as UTC through the hospital's zone (Asia/Shanghai), not the
    PC's: on a PC set to New York the requests still waiting were sent during the last six hours, none
    later than now."""
    import time

    from services.clock import utcnow
    from services.models import Booking
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        hospital.seed(sqlite_db)
    finally:
        monkeypatch.undo()  # the PC's own zone again, for the tests after this one
        time.tzset()
    now = utcnow()
    with sqlite_db.read() as c:
        sent = c.execute(select(Booking.created_at).where(Booking.status == "pending")).scalars().all()
        latest = c.execute(select(func.max(Booking.created_at))).scalar_one()
    assert sent and latest <= now
    assert all(now - dt.timedelta(hours=6, minutes=5) <= t <= now for t in sent), (min(sent), max(sent), now)
