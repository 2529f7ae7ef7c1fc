"""The hospital's rules on every database: storage shared by all consoles, and each verdict
decide_pending() gives with the reason the patient reads."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select, update

from services.bookings import rules
from services.db import Database
from services.errors import PermissionDenied, ValidationError
from services.models import AuditLog, Booking, ClinicSession, Notification, Rule
from services.staff.actor import AUTOAPPROVE, Actor
from tests import factories as f

ADMIN = Actor(kind="staff", name="admin1", role="admin")
CLERK = Actor(kind="staff", name="clerk1", role="clerk")
TODAY = dt.date.today()
EARLY = dt.datetime.combine(TODAY, dt.time(7, 0))  # a 'now' before any session used below


def reason_of(db, booking_id: int) -> tuple[str, str | None]:
    with db.read() as c:
        return tuple(c.execute(select(Booking.status, Booking.reason).where(Booking.id == booking_id)).one())


def decide(db, **kw) -> rules.DecideSummary:
    kw.setdefault("now", EARLY)
    return rules.decide_pending(db, **kw)


def no_shows(db, doctor_id: int, patient_id: int, days_ago: list[int]) -> None:
    for n in days_ago:
        _, slots = f.session(db, doctor_id, TODAY - dt.timedelta(days=n), slots=1, capacity=3)
        b = f.request(db, slots[0], patient_id)
        with db.write() as c:
            c.execute(update(Booking).where(Booking.id == b).values(status="no_show"))


# ---------------------------------------------------------------- storage

def test_defaults_then_saved_rules_are_shared(db, db_url):
    assert rules.load(db) == rules.Rules()
    saved = rules.save(db, ADMIN, booking_window_days=14, autoapprove_enabled=False)
    assert saved.booking_window_days == 14 and not saved.autoapprove_enabled
    other = Database(db_url)  # a second console
    try:
        assert rules.load(other) == saved
        rules.save(other, ADMIN, booking_window_days=10)
    finally:
        other.dispose()
    assert rules.load(db).booking_window_days == 10
    with db.read() as c:
        entries = c.execute(select(AuditLog.entity_id, AuditLog.actor).where(AuditLog.entity == "rule")
                            .order_by(AuditLog.id)).all()
    assert [tuple(e) for e in entries] == [("booking_window_days", "admin1"), ("autoapprove_enabled", "admin1"),
                                           ("booking_window_days", "admin1")]


@pytest.mark.parametrize("changes", [
    {"booking_window_days": 0}, {"booking_window_days": "7"}, {"cutoff_minutes": -1}, {"noshow_lookback_days": True},
    {"autoapprove_enabled": 1}, {"colour": "red"}, {"blacklist_days": 4000}, {"noshow_lookback_days": 1.5},
])
def test_invalid_values_change_nothing(sqlite_db, changes):
    rules.save(sqlite_db, ADMIN, cutoff_minutes=15)
    with pytest.raises(ValidationError):
        rules.save(sqlite_db, ADMIN, noshow_limit=5, **changes)  # a good value in the same call is not kept
    assert rules.load(sqlite_db) == rules.Rules(cutoff_minutes=15)


def test_invalid_value_refused_on_every_database(db):
    with pytest.raises(ValidationError, match="可预约天数"):
        rules.save(db, ADMIN, noshow_limit=5, booking_window_days=400)
    with db.read() as c:
        assert c.execute(select(func.count()).select_from(Rule)).scalar_one() == 0
        assert c.execute(select(func.count()).select_from(AuditLog)).scalar_one() == 0


def test_only_admins_edit_rules(db):
    for actor in (CLERK, Actor(kind="staff", name="head1", role="head"), AUTOAPPROVE):
        with pytest.raises(PermissionDenied):
            rules.save(db, actor, noshow_limit=5)
    assert rules.load(db) == rules.Rules()


def test_bad_stored_value_falls_back_to_default(db):
    with db.write() as c:
        c.execute(Rule.__table__.insert().values(key="noshow_limit", value='"lots"'))
        c.execute(Rule.__table__.insert().values(key="cutoff_minutes", value="20"))
    assert rules.load(db) == rules.Rules(cutoff_minutes=20)


# ---------------------------------------------------------------- verdicts

def test_capacity_confirms_then_full(db):
    c = f.basic_clinic(db, capacity=2, slots=1)
    ids = [f.request(db, c["slot_ids"][0], f.patient(db)) for _ in range(3)]
    assert decide(db) == rules.DecideSummary(confirmed=2, full=1)
    assert [reason_of(db, i) for i in ids] == [("confirmed", None), ("confirmed", None), ("full", "该时段号源已满")]
    with db.read() as conn:
        decisions = conn.execute(select(AuditLog.entity_id, func.count()).where(
            AuditLog.action == "decide", AuditLog.actor == "autoapprove").group_by(AuditLog.entity_id)).all()
        kinds = sorted(conn.execute(select(Notification.kind)).scalars())
    assert sorted((int(e), n) for e, n in decisions) == [(i, 1) for i in ids]
    assert kinds == ["confirmed", "confirmed", "full"]
    assert decide(db) == rules.DecideSummary()


@pytest.mark.parametrize("status, reason", [("stopped", "该门诊已停诊"), ("draft", "该门诊未开放预约")])
def test_unpublished_sessions_rejected(db, status, reason):
    c = f.basic_clinic(db)
    b = f.request(db, c["slot_ids"][0], f.patient(db))
    with db.write() as conn:
        conn.execute(update(ClinicSession).where(ClinicSession.id == c["session_id"]).values(status=status))
    assert decide(db) == rules.DecideSummary(rejected=1)
    assert reason_of(db, b) == ("rejected", reason)


def test_time_rules_with_explicit_now(db):
    c = f.basic_clinic(db, slots=2)  # slots at 08:00 and 08:30 on c["day"], session 08:00-12:00
    day = c["day"]
    rules.save(db, ADMIN, cutoff_minutes=30)
    a = f.request(db, c["slot_ids"][0], f.patient(db))
    b = f.request(db, c["slot_ids"][1], f.patient(db))
    assert decide(db, now=dt.datetime.combine(day, dt.time(7, 45))) == rules.DecideSummary(confirmed=1, rejected=1)
    assert reason_of(db, a) == ("rejected", "已过网上预约截止时间（就诊前30分钟）")
    assert reason_of(db, b) == ("confirmed", None)

    rules.save(db, ADMIN, cutoff_minutes=0)
    a = f.request(db, c["slot_ids"][0], f.patient(db))
    b = f.request(db, c["slot_ids"][1], f.patient(db))
    decide(db, now=dt.datetime.combine(day, dt.time(8, 10)))
    assert reason_of(db, a) == ("rejected", "该时段已开始，无法预约")
    assert reason_of(db, b) == ("confirmed", None)

    late = f.request(db, c["slot_ids"][1], f.patient(db))
    decide(db, now=dt.datetime.combine(day, dt.time(12, 0)))
    assert reason_of(db, late) == ("rejected", "该门诊已结束，无法预约")


def test_booking_window(db):
    dep = f.department(db)
    doc = f.doctor(db, dep)
    _, inside = f.session(db, doc, TODAY + dt.timedelta(days=7), slots=1)
    _, outside = f.session(db, doc, TODAY + dt.timedelta(days=8), slots=1)
    a, b = f.request(db, inside[0], f.patient(db)), f.request(db, outside[0], f.patient(db))
    decide(db)
    assert reason_of(db, a) == ("confirmed", None)
    assert reason_of(db, b) == ("rejected", "只能预约7天内的号源")
    rules.save(db, ADMIN, booking_window_days=8)
    b2 = f.request(db, outside[0], f.patient(db))
    decide(db)
    assert reason_of(db, b2) == ("confirmed", None)


def test_one_booking_per_department_and_day(db):
    c = f.basic_clinic(db, slots=3, capacity=5)
    other_dep = f.department(db, code="WK", name="外科")
    _, other_slots = f.session(db, f.doctor(db, other_dep, name="李医生"), c["day"], slots=1)
    p = f.patient(db)
    first = f.request(db, c["slot_ids"][0], p)
    second = f.request(db, c["slot_ids"][1], p)
    elsewhere = f.request(db, other_slots[0], p)
    assert decide(db) == rules.DecideSummary(confirmed=2, rejected=1)
    assert reason_of(db, first) == ("confirmed", None)
    assert reason_of(db, second) == ("rejected", "同一科室同一天只能预约一个号")
    assert reason_of(db, elsewhere) == ("confirmed", None)
    # a checked-in booking counts too; a cancelled one does not
    with db.write() as conn:
        conn.execute(update(Booking).where(Booking.id == first).values(status="checked_in"))
    third = f.request(db, c["slot_ids"][2], p)
    decide(db)
    assert reason_of(db, third)[0] == "rejected"
    with db.write() as conn:
        conn.execute(update(Booking).where(Booking.id == first).values(status="cancelled"))
    fourth = f.request(db, c["slot_ids"][2], p)
    decide(db)
    assert reason_of(db, fourth) == ("confirmed", None)
    # switched off: a second one the same day is fine
    rules.save(db, ADMIN, one_per_department_day=False)
    fifth = f.request(db, c["slot_ids"][0], p)
    decide(db)
    assert reason_of(db, fifth) == ("confirmed", None)


def test_no_show_blacklist(db):
    c = f.basic_clinic(db, capacity=10, slots=1)
    blocked, two_only, long_ago = f.patient(db), f.patient(db), f.patient(db)
    no_shows(db, c["doctor_id"], blocked, [10, 20, 30])
    no_shows(db, c["doctor_id"], two_only, [11, 21])
    no_shows(db, c["doctor_id"], long_ago, [100, 110, 120])
    ids = {p: f.request(db, c["slot_ids"][0], p) for p in (blocked, two_only, long_ago)}
    assert decide(db) == rules.DecideSummary(confirmed=2, rejected=1)
    until = (TODAY - dt.timedelta(days=10) + dt.timedelta(days=90)).isoformat()
    assert reason_of(db, ids[blocked]) == ("rejected", f"近90天爽约3次，暂停网上预约至{until}")
    assert reason_of(db, ids[two_only]) == ("confirmed", None)
    assert reason_of(db, ids[long_ago]) == ("confirmed", None)
    # stricter rules: two no-shows within 30 days block for 14 days after the latest
    rules.save(db, ADMIN, noshow_limit=2, noshow_lookback_days=30, blacklist_days=14)
    again = f.request(db, c["slot_ids"][0], two_only)
    decide(db)
    until = (TODAY - dt.timedelta(days=11) + dt.timedelta(days=14)).isoformat()
    assert reason_of(db, again) == ("rejected", f"近30天爽约2次，暂停网上预约至{until}")


def test_oldest_first_with_limit_and_scoped_head(db):
    c = f.basic_clinic(db, capacity=10, slots=1)
    other_dep = f.department(db, code="WK", name="外科")
    _, other_slots = f.session(db, f.doctor(db, other_dep, name="李医生"), c["day"], slots=1)
    ids = [f.request(db, c["slot_ids"][0], f.patient(db)) for _ in range(4)]
    theirs = f.request(db, other_slots[0], f.patient(db))
    assert decide(db, limit=2) == rules.DecideSummary(confirmed=2)
    assert [reason_of(db, i)[0] for i in ids] == ["confirmed", "confirmed", "pending", "pending"]
    head = Actor(kind="staff", name="head2", role="head", department_ids=frozenset({other_dep}))
    assert decide(db, actor=head) == rules.DecideSummary(confirmed=1)
    assert reason_of(db, theirs)[0] == "confirmed" and reason_of(db, ids[2])[0] == "pending"
    with pytest.raises(PermissionDenied):
        decide(db, actor=Actor(kind="miniprogram", name="mp"))
