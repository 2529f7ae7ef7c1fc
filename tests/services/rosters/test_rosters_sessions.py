"""Changing published sessions on every database: hours, places, stop clinic (停诊), substitution (替诊)."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select, text

from services.errors import Conflict, NotFound, PermissionDenied, ValidationError
from services.models import AuditLog, Booking, ClinicSession, Notification, Slot
from services.rosters import templates
from services.staff.actor import Actor
from tests import factories as f

DAY = dt.date(2030, 1, 7)
ADMIN = Actor(kind="staff", name="admin1", role="admin")
CLERK = Actor(kind="staff", name="clerk1", role="clerk")
T = dt.time


@pytest.fixture
def clinic(db):
    nk = f.department(db, "NK", "内科")
    wk = f.department(db, "WK", "外科")
    zhang, li, wang = f.doctor(db, nk, "张医生"), f.doctor(db, nk, "李医生"), f.doctor(db, wk, "王医生")
    sid, slots = f.session(db, zhang, DAY, "am", T(8), T(10), slots=4, capacity=2)
    return {"nk": nk, "wk": wk, "zhang": zhang, "li": li, "wang": wang, "session": sid, "slots": slots,
            "head_nk": Actor(kind="staff", name="head_nk", role="head", department_ids=frozenset({nk})),
            "head_wk": Actor(kind="staff", name="head_wk", role="head", department_ids=frozenset({wk}))}


def _booking(db, slot_id, status="pending", openid="auto"):
    b = f.request(db, slot_id, f.patient(db, openid=openid))
    if status != "pending":
        f.set_status(db, b, status)
    return b


def _snapshot(db):
    """Everything a failed change must leave as it was."""
    with db.read() as c:
        return (c.execute(select(ClinicSession.id, ClinicSession.doctor_id, ClinicSession.status, ClinicSession.note,
                                 ClinicSession.starts_at, ClinicSession.ends_at).order_by(ClinicSession.id)).all(),
                c.execute(select(Slot.id, Slot.capacity).order_by(Slot.id)).all(),
                c.execute(select(Booking.id, Booking.status, Booking.reason).order_by(Booking.id)).all(),
                c.execute(select(func.count()).select_from(Notification)).scalar_one(),
                c.execute(select(func.count()).select_from(AuditLog)).scalar_one())


# ---------------------------------------------------------------- reading

def test_session_detail_counts(db, clinic):
    s0, s1 = clinic["slots"][:2]
    _booking(db, s0, "confirmed")
    _booking(db, s0, "no_show")
    _booking(db, s0)
    _booking(db, s1, "rejected")
    info = templates.get_session(db, clinic["session"])
    assert (info.doctor_name, info.department_id, info.day, info.period, info.status) == \
        ("张医生", clinic["nk"], DAY, "am", "published")
    assert (info.capacity, info.taken, info.pending, info.substituted) == (8, 2, 1, False)
    slots = templates.list_slots(db, clinic["session"])
    assert [(x.taken, x.pending, x.remaining) for x in slots] == [(2, 1, 0), (0, 0, 2), (0, 0, 2), (0, 0, 2)]
    f.session(db, clinic["wang"], DAY, "pm", T(14), T(16), status="draft")
    assert len(templates.sessions_for(db, DAY)) == 2
    assert [x.id for x in templates.sessions_for(db, DAY, published_only=True)] == [clinic["session"]]
    assert [x.doctor_name for x in templates.sessions_for(db, DAY, department_id=clinic["wk"])] == ["王医生"]
    assert templates.sessions_for(db, DAY, doctor_id=clinic["li"]) == []
    with pytest.raises(NotFound, match="没有出诊"):
        templates.get_session(db, clinic["session"] + 100)


# ---------------------------------------------------------------- places and hours

def test_slot_capacity_never_below_taken(db, clinic):
    slot = clinic["slots"][0]
    _booking(db, slot, "confirmed")
    _booking(db, slot, "checked_in")
    _booking(db, slot)  # pending does not hold a place
    before = _snapshot(db)
    with pytest.raises(ValidationError, match="该时段已有 2 人预约，号源不能少于 2"):
        templates.set_slot_capacity(db, ADMIN, slot, 1)
    with pytest.raises(ValidationError, match="号源必须是大于 0 的整数"):
        templates.set_slot_capacity(db, ADMIN, slot, 0)
    with pytest.raises(PermissionDenied):
        templates.set_slot_capacity(db, CLERK, slot, 5)
    with pytest.raises(PermissionDenied):
        templates.set_slot_capacity(db, clinic["head_wk"], slot, 5)
    with pytest.raises(NotFound):
        templates.set_slot_capacity(db, ADMIN, slot + 100, 5)
    assert _snapshot(db) == before
    info = templates.set_slot_capacity(db, clinic["head_nk"], slot, 2)
    assert (info.capacity, info.taken, info.pending, info.remaining) == (2, 2, 1, 0)
    assert templates.set_slot_capacity(db, ADMIN, slot, 6).remaining == 4
    templates.stop_session(db, ADMIN, clinic["session"], "停电")
    with pytest.raises(ValidationError, match="已停诊"):
        templates.set_slot_capacity(db, ADMIN, slot, 3)


def test_update_session_hours_and_note(db, clinic):
    sid = clinic["session"]
    late, _ = f.session(db, clinic["li"], DAY, "am", T(10, 30), T(11, 30), slots=1, slot_minutes=60)
    templates.substitute(db, ADMIN, late, clinic["zhang"])  # 张医生 also works 10:30-11:30 that morning
    before = _snapshot(db)
    with pytest.raises(ValidationError, match="须包含全部号源时段（08:00-10:00）"):
        templates.update_session(db, ADMIN, sid, starts_at="08:30")
    with pytest.raises(ValidationError, match="结束时间 07:00 早于开始时间 08:00"):
        templates.update_session(db, ADMIN, sid, ends_at=T(7))
    with pytest.raises(ValidationError, match="与 张医生 当天 上午 10:30-11:30 的出诊重叠"):
        templates.update_session(db, ADMIN, sid, ends_at="11:00")
    with pytest.raises(PermissionDenied):
        templates.update_session(db, clinic["head_wk"], sid, note="x")
    assert _snapshot(db) == before
    s = templates.update_session(db, clinic["head_nk"], sid, starts_at="07:30", ends_at="10:30", note="提前开诊")
    assert (s.starts_at, s.ends_at, s.note) == (T(7, 30), T(10, 30), "提前开诊")
    assert templates.update_session(db, ADMIN, sid, ends_at="10:15").note == "提前开诊"  # None keeps the note
    assert templates.update_session(db, ADMIN, sid, note="").note is None


# ---------------------------------------------------------------- stop clinic

def test_stop_session_stops_pending_and_confirmed_only(db, clinic):
    s0, s1 = clinic["slots"][:2]
    pending = _booking(db, s0)
    confirmed = _booking(db, s1, "confirmed")
    walk_in = _booking(db, s1, "confirmed", openid=None)  # no openid: a 'skipped' outbox row
    left = {_booking(db, s0, st): st for st in ("rejected", "cancelled", "checked_in", "full")}
    other_sid, other_slots = f.session(db, clinic["li"], DAY, "pm", T(14), T(16))
    other = _booking(db, other_slots[0], "confirmed")
    assert templates.affected_count(db, clinic["session"]) == 3

    summary = templates.stop_session(db, clinic["head_nk"], clinic["session"], " 医生外出会诊 ")
    assert summary == templates.StopSummary(clinic["session"], 3, 3)
    assert templates.get_session(db, clinic["session"]).status == "stopped"
    with db.read() as c:
        rows = {r.id: r for r in c.execute(select(Booking.id, Booking.status, Booking.reason, Booking.decided_by))}
        notes = c.execute(select(Notification.booking_id, Notification.kind, Notification.state)
                          .order_by(Notification.booking_id)).all()
        audit_ids = set(c.execute(select(AuditLog.entity_id).where(AuditLog.entity == "booking",
                                                                   AuditLog.action == "stop")).scalars())
    for b in (pending, confirmed, walk_in):
        assert (rows[b].status, rows[b].reason, rows[b].decided_by) == ("stopped", "医生外出会诊", "head_nk")
    for b, st in left.items():
        assert rows[b].status == st
    assert rows[other].status == "confirmed" and templates.get_session(db, other_sid).status == "published"
    assert notes == [(pending, "stopped", "waiting"), (confirmed, "stopped", "waiting"),
                     (walk_in, "stopped", "skipped")]
    assert audit_ids == {str(pending), str(confirmed), str(walk_in)}
    assert templates.affected_count(db, clinic["session"]) == 0
    before = _snapshot(db)
    with pytest.raises(Conflict, match="已经停诊"):
        templates.stop_session(db, ADMIN, clinic["session"], "again")
    assert _snapshot(db) == before


def test_stop_session_checks(db, clinic):
    _booking(db, clinic["slots"][0])
    before = _snapshot(db)
    with pytest.raises(ValidationError, match="停诊原因不能为空"):
        templates.stop_session(db, ADMIN, clinic["session"], "  ")
    with pytest.raises(PermissionDenied):
        templates.stop_session(db, CLERK, clinic["session"], "x")
    with pytest.raises(PermissionDenied, match="不在您负责的科室"):
        templates.stop_session(db, clinic["head_wk"], clinic["session"], "x")
    with pytest.raises(NotFound):
        templates.stop_session(db, ADMIN, clinic["session"] + 100, "x")
    assert _snapshot(db) == before


_FAIL_TRIGGER = {
    "sqlite": ["CREATE TRIGGER t_fail BEFORE INSERT ON notifications BEGIN SELECT RAISE(ABORT, 'outbox down'); END"],
    "postgresql": [
        "CREATE FUNCTION t_fail() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'outbox down'; END $$",
        "CREATE TRIGGER t_fail BEFORE INSERT ON notifications FOR EACH ROW EXECUTE FUNCTION t_fail()"],
    "mysql": ["CREATE TRIGGER t_fail BEFORE INSERT ON notifications FOR EACH ROW "
              "SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'outbox down'"],
}


def test_stop_session_is_one_transaction(db, clinic):
    """If writing the notifications fails (a database fault, not a mock), nothing is stopped."""
    _booking(db, clinic["slots"][0])
    _booking(db, clinic["slots"][1], "confirmed")
    with db.engine.begin() as c:
        for stmt in _FAIL_TRIGGER[db.dialect]:
            c.execute(text(stmt))
    before = _snapshot(db)
    with pytest.raises(Exception, match="outbox down"):
        templates.stop_session(db, ADMIN, clinic["session"], "医生外出")
    assert _snapshot(db) == before
    assert templates.get_session(db, clinic["session"]).status == "published"


# ---------------------------------------------------------------- substitution

def test_substitute_rules(db, clinic):
    sid = clinic["session"]
    _booking(db, clinic["slots"][0], "confirmed")
    inactive = f.doctor(db, clinic["nk"], "停用医生")
    with db.write() as c:
        c.execute(text("UPDATE doctors SET active = :f WHERE id = :d"), {"f": False, "d": inactive})
    busy = f.doctor(db, clinic["nk"], "忙医生")
    f.session(db, busy, DAY, "am", T(9, 30), T(11), slots=3, slot_minutes=30)
    before = _snapshot(db)
    for doctor, message in ((clinic["wang"], "替诊医生须在同一科室：王医生 属于 外科"),
                            (inactive, "医生 停用医生 已停用"),
                            (busy, "忙医生 当天 上午 09:30-11:00 已有出诊，时间重叠"),
                            (clinic["zhang"], "该出诊已由 张医生 出诊")):
        with pytest.raises(ValidationError, match=message):
            templates.substitute(db, ADMIN, sid, doctor)
    with pytest.raises(NotFound):
        templates.substitute(db, ADMIN, sid, busy + 100)
    with pytest.raises(PermissionDenied):
        templates.substitute(db, CLERK, sid, clinic["li"])
    with pytest.raises(PermissionDenied):
        templates.substitute(db, clinic["head_wk"], sid, clinic["li"])
    assert _snapshot(db) == before

    s = templates.substitute(db, clinic["head_nk"], sid, clinic["li"])
    assert (s.doctor_id, s.doctor_name, s.rostered_doctor_id, s.rostered_doctor_name, s.substituted) == \
        (clinic["li"], "李医生", clinic["zhang"], "张医生", True)
    assert s.note == "原医生 张医生，由 李医生 替诊"
    assert (s.taken, s.capacity) == (1, 8)  # the patients keep their places
    back = templates.substitute(db, ADMIN, sid, clinic["zhang"], note="张医生已返回")
    assert (back.doctor_id, back.note, back.substituted) == (clinic["zhang"], "张医生已返回", False)
    with db.read() as c:
        details = c.execute(select(AuditLog.detail).where(AuditLog.entity == "session", AuditLog.action == "substitute")
                            .order_by(AuditLog.id)).scalars().all()
    assert len(details) == 2 and "原医生 张医生" in details[0]
    templates.stop_session(db, ADMIN, sid, "停电")
    with pytest.raises(ValidationError, match="已停诊"):
        templates.substitute(db, ADMIN, sid, clinic["li"])


def test_substitute_ignores_stopped_sessions_of_the_substitute(db, clinic):
    other, _ = f.session(db, clinic["li"], DAY, "am", T(8), T(9), slots=2)
    templates.stop_session(db, ADMIN, other, "休假取消")
    assert templates.substitute(db, ADMIN, clinic["session"], clinic["li"]).doctor_id == clinic["li"]


@pytest.mark.slow
def test_stop_racing_approvals_leaves_no_confirmed_booking(db, clinic):
    """Approvals running while the clinic stops: each one either lands before the stop (and is then
    stopped with the rest) or is refused; no booking stays confirmed in a stopped session."""
    import threading

    from services.bookings import decisions
    ids = [_booking(db, slot) for slot in clinic["slots"] for _ in range(2)]
    barrier = threading.Barrier(2)
    results, errors = {}, []

    def approve_all():
        try:
            barrier.wait()
            results["approved"] = decisions.approve_many(db, ADMIN, ids)
        except Exception as exc:
            errors.append(exc)

    def stop():
        try:
            barrier.wait()
            results["stop"] = templates.stop_session(db, ADMIN, clinic["session"], "医生外出")
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=approve_all), threading.Thread(target=stop)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert {f.status_of(db, b) for b in ids} == {"stopped"}
    assert results["stop"].bookings_stopped == len(ids)
    refused = [r for _, r in results["approved"] if isinstance(r, str)]
    assert all("停诊" in r for r in refused)
    with db.read() as c:
        kinds = c.execute(select(Notification.kind, func.count()).group_by(Notification.kind)).all()
    expected = {"stopped": len(ids)}
    if len(refused) < len(ids):  # the approvals that landed before the stop told their patients first
        expected["confirmed"] = len(ids) - len(refused)
    assert dict(kinds) == expected
