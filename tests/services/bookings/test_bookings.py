"""The booking state machine on every database: transitions, capacity, walk-ins, permissions,
and the audit and outbox rows that go with a change (and only with a change that commits)."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select, text, update

from services.bookings import attendance, decisions
from services.errors import Conflict, NotFound, PermissionDenied, ValidationError
from services.models import AuditLog, Booking, ClinicSession, Notification
from services.staff.actor import SYSTEM, Actor
from tests import factories as f

CLERK = Actor(kind="staff", name="clerk1", role="clerk")
ADMIN = Actor(kind="staff", name="admin1", role="admin")
OPS = ("approve", "reject", "cancel", "check_in", "no_show")
LEGAL = {"approve": {"pending"}, "reject": {"pending"}, "cancel": {"pending", "confirmed"},
         "check_in": {"confirmed"}, "no_show": {"confirmed"}}
RESULT = {"approve": "confirmed", "reject": "rejected", "cancel": "cancelled", "check_in": "checked_in",
          "no_show": "no_show"}


def set_status(db, booking_id: int, status: str) -> None:
    with db.write() as c:
        c.execute(update(Booking).where(Booking.id == booking_id).values(status=status))


def audit_rows(db, booking_id: int) -> list[tuple[str, str]]:
    with db.read() as c:
        return [(r.action, r.actor) for r in c.execute(
            select(AuditLog.action, AuditLog.actor).where(AuditLog.entity == "booking",
                                                          AuditLog.entity_id == str(booking_id)).order_by(AuditLog.id))]


def outbox_kinds(db, booking_id: int) -> list[str]:
    with db.read() as c:
        return list(c.execute(select(Notification.kind).where(Notification.booking_id == booking_id)
                              .order_by(Notification.id)).scalars())


def totals(db) -> tuple[int, int]:
    with db.read() as c:
        return (c.execute(select(func.count()).select_from(AuditLog)).scalar_one(),
                c.execute(select(func.count()).select_from(Notification)).scalar_one())


def do(db, op: str, booking_id: int, actor: Actor = CLERK):
    past = dt.datetime.combine(dt.date.today() + dt.timedelta(days=30), dt.time(23, 0))
    on_the_day = dt.datetime.combine(dt.date.today() + dt.timedelta(days=2), dt.time(8, 10))  # basic_clinic's day
    return {"approve": lambda: decisions.approve(db, actor, booking_id),
            "reject": lambda: decisions.reject(db, actor, booking_id, "医生临时有手术"),
            "cancel": lambda: decisions.cancel(db, actor, booking_id, "患者电话要求取消"),
            "check_in": lambda: decisions.check_in(db, actor, booking_id, now=on_the_day),
            "no_show": lambda: decisions.mark_no_show(db, actor, booking_id, now=past)}[op]()


@pytest.fixture
def clinic(db):
    return f.basic_clinic(db, capacity=2, slots=2)


def test_every_transition_legal_or_conflict(db, clinic):
    """Each operation from each of the eight statuses: the contract's transitions succeed (with
    audit row, and outbox row when the patient is told); all others raise Conflict and change nothing."""
    for op in OPS:
        for status in decisions.STATUS_LABELS:
            b = f.request(db, clinic["slot_ids"][1], f.patient(db))
            set_status(db, b, status)
            before = totals(db)
            if status in LEGAL[op]:
                result = do(db, op, b)
                assert (result.id, result.status) == (b, RESULT[op]), (op, status)
                assert f.status_of(db, b) == RESULT[op]
                assert len(audit_rows(db, b)) == 1
                expect = [RESULT[op]] if RESULT[op] in ("confirmed", "rejected", "cancelled") else []
                assert outbox_kinds(db, b) == expect, (op, status)
                set_status(db, b, "cancelled")  # free the place for the next round
            else:
                with pytest.raises(Conflict) as err:
                    do(db, op, b)
                assert decisions.STATUS_LABELS[status] in str(err.value), (op, status)
                assert f.status_of(db, b) == status
                assert totals(db) == before, (op, status)
                set_status(db, b, "cancelled")  # the database refuses a slot over capacity: free it


def test_approve_confirms_then_full_at_capacity(db, clinic):
    slot = clinic["slot_ids"][0]
    ids = [f.request(db, slot, f.patient(db)) for _ in range(3)]
    a, b_, c = (decisions.approve(db, CLERK, i) for i in ids)
    assert (a.status, b_.status) == ("confirmed", "confirmed")
    assert (c.status, c.reason) == ("full", "该时段号源已满")
    assert outbox_kinds(db, ids[2]) == ["full"]
    with db.read() as conn:
        row = conn.execute(select(Booking.decided_by, Booking.decided_at, Booking.reason).where(Booking.id == ids[2])).one()
        taken = conn.execute(text("SELECT taken FROM slot_availability WHERE slot_id = :s"), {"s": slot}).scalar_one()
    assert row.decided_by == "clerk1" and row.decided_at is not None and row.reason == "该时段号源已满"
    assert taken == 2
    assert audit_rows(db, ids[0]) == [(decisions.DECISION_ACTION, "clerk1")]


def test_checked_in_and_no_show_hold_their_places(db, clinic):
    slot = clinic["slot_ids"][0]
    ids = [f.request(db, slot, f.patient(db)) for _ in range(3)]
    set_status(db, ids[0], "checked_in")
    set_status(db, ids[1], "no_show")
    assert decisions.approve(db, CLERK, ids[2]).status == "full"


def test_cancel_frees_the_place(db, clinic):
    slot = clinic["slot_ids"][0]
    ids = [f.request(db, slot, f.patient(db)) for _ in range(3)]
    decisions.approve(db, CLERK, ids[0])
    decisions.approve(db, CLERK, ids[1])
    res = decisions.cancel(db, CLERK, ids[0], "  患者有事  ")
    assert (res.status, res.reason) == ("cancelled", "患者有事")
    assert decisions.approve(db, CLERK, ids[2]).status == "confirmed"


def test_approve_missing_and_unpublished(db, clinic):
    with pytest.raises(NotFound):
        decisions.approve(db, CLERK, 987654)
    for status, word in (("stopped", "停诊"), ("draft", "未开放预约")):  # the rules' own words
        b = f.request(db, clinic["slot_ids"][0], f.patient(db))
        with db.write() as c:
            c.execute(update(ClinicSession).where(ClinicSession.id == clinic["session_id"]).values(status=status))
        before = totals(db)
        with pytest.raises(ValidationError, match=word):
            decisions.approve(db, CLERK, b)
        assert f.status_of(db, b) == "pending" and totals(db) == before


@pytest.mark.parametrize("reason", ["", "   ", None, "长" * 201])
def test_reject_needs_a_reason(db, clinic, reason):
    b = f.request(db, clinic["slot_ids"][0], f.patient(db))
    with pytest.raises(ValidationError):
        decisions.reject(db, CLERK, b, reason)
    with pytest.raises(ValidationError):
        decisions.cancel(db, CLERK, b, reason)
    assert f.status_of(db, b) == "pending" and totals(db) == (0, 0)


def test_reject_keeps_the_stripped_reason(db, clinic):
    b = f.request(db, clinic["slot_ids"][0], f.patient(db))
    res = decisions.reject(db, CLERK, b, " 专家号需先到普通门诊初诊" + "。" * 10 + "\n")
    assert res.reason == "专家号需先到普通门诊初诊" + "。" * 10
    with db.read() as c:
        assert c.execute(select(Booking.reason).where(Booking.id == b)).scalar_one() == res.reason
    assert outbox_kinds(db, b) == ["rejected"]
    assert decisions.reject(db, CLERK, f.request(db, clinic["slot_ids"][0], f.patient(db)), "长" * 200).status == "rejected"


def test_check_in_sets_time_and_no_show_waits_for_the_slot(db, clinic):
    ids = [f.request(db, clinic["slot_ids"][0], f.patient(db)) for _ in range(2)]
    for i in ids:
        decisions.approve(db, CLERK, i)
    on_the_day = dt.datetime.combine(clinic["day"], dt.time(8, 5))
    assert decisions.check_in(db, CLERK, ids[0], now=on_the_day).status == "checked_in"
    with db.read() as c:
        at = c.execute(select(Booking.checked_in_at).where(Booking.id == ids[0])).scalar_one()
    assert at is not None and abs((dt.datetime.now(dt.UTC).replace(tzinfo=None) - at).total_seconds()) < 300
    before = totals(db)
    with pytest.raises(ValidationError, match="时间未到"):
        decisions.mark_no_show(db, CLERK, ids[1], now=dt.datetime.combine(clinic["day"], dt.time(7, 59)))
    assert f.status_of(db, ids[1]) == "confirmed" and totals(db) == before
    res = decisions.mark_no_show(db, CLERK, ids[1], now=dt.datetime.combine(clinic["day"], dt.time(8, 0)))
    assert res.status == "no_show" and outbox_kinds(db, ids[1]) == ["confirmed"]


def test_walk_in_confirmed_at_once_and_refused_when_full(db, clinic):
    slot = clinic["slot_ids"][0]
    walkers = [f.patient(db, openid=None) for _ in range(3)]
    first = decisions.walk_in(db, CLERK, slot, walkers[0])
    assert first.status == "confirmed"
    with db.read() as c:
        row = c.execute(select(Booking.source, Booking.status, Booking.decided_by).where(Booking.id == first.id)).one()
        state = c.execute(select(Notification.state).where(Notification.booking_id == first.id)).scalar_one()
    assert tuple(row) == ("desk", "confirmed", "clerk1") and state == "skipped"
    assert audit_rows(db, first.id) == [("walk_in", "clerk1")]
    decisions.walk_in(db, CLERK, slot, walkers[1])
    before = totals(db)
    with pytest.raises(ValidationError, match="该时段已满"):
        decisions.walk_in(db, CLERK, slot, walkers[2])
    with db.read() as c:
        assert c.execute(select(func.count()).select_from(Booking).where(Booking.slot_id == slot)).scalar_one() == 2
    assert totals(db) == before


def test_walk_in_only_in_open_published_sessions(db, clinic):
    p = f.patient(db)
    with pytest.raises(ValidationError, match="已结束"):
        decisions.walk_in(db, CLERK, clinic["slot_ids"][0], p, now=dt.datetime.combine(clinic["day"], dt.time(12, 0)))
    # during the session is fine (walk-ins arrive while the doctor sees patients)
    assert decisions.walk_in(db, CLERK, clinic["slot_ids"][0], p,
                            now=dt.datetime.combine(clinic["day"], dt.time(11, 0))).status == "confirmed"
    with db.write() as c:
        c.execute(update(ClinicSession).where(ClinicSession.id == clinic["session_id"]).values(status="stopped"))
    with pytest.raises(ValidationError, match="停诊"):
        decisions.walk_in(db, CLERK, clinic["slot_ids"][1], p)
    with pytest.raises(NotFound):
        decisions.walk_in(db, CLERK, 99999, p)
    with pytest.raises(NotFound):
        decisions.walk_in(db, CLERK, clinic["slot_ids"][1], 99999)


def test_head_of_another_department_cannot_decide(db, clinic):
    other = f.department(db, code="WK", name="外科")
    outsider = Actor(kind="staff", name="head2", role="head", department_ids=frozenset({other}))
    insider = Actor(kind="staff", name="head1", role="head", department_ids=frozenset({clinic["department_id"]}))
    b = f.request(db, clinic["slot_ids"][0], f.patient(db))
    for op in OPS:
        with pytest.raises(PermissionDenied):
            do(db, op, b, outsider)
    with pytest.raises(PermissionDenied):
        decisions.walk_in(db, outsider, clinic["slot_ids"][0], f.patient(db))
    assert f.status_of(db, b) == "pending" and totals(db) == (0, 0)
    assert decisions.approve(db, insider, b).status == "confirmed"
    nobody = Actor(kind="miniprogram", name="mp")
    with pytest.raises(PermissionDenied):
        decisions.check_in(db, nobody, b)


def test_rolled_back_change_leaves_no_audit_or_outbox(db, clinic):
    b = f.request(db, clinic["slot_ids"][0], f.patient(db))

    class Boom(Exception):
        pass

    with pytest.raises(Boom):
        with db.write() as conn:
            assert decisions.transition(conn, CLERK, b, "confirmed", action=decisions.DECISION_ACTION)
            raise Boom
    assert f.status_of(db, b) == "pending" and totals(db) == (0, 0)


def test_approve_many_reports_each(db, clinic):
    slot = clinic["slot_ids"][0]
    ids = [f.request(db, slot, f.patient(db)) for _ in range(3)]
    set_status(db, ids[1], "cancelled")
    out = decisions.approve_many(db, CLERK, [ids[0], ids[1], 424242, ids[2]])
    assert [i for i, _ in out] == [ids[0], ids[1], 424242, ids[2]]
    assert out[0][1].status == "confirmed" and out[3][1].status == "confirmed"
    assert out[1][1] == "该预约已被处理：已取消"
    assert "不存在" in out[2][1]


def test_mark_past_no_shows(db):
    dep = f.department(db)
    doc = f.doctor(db, dep)
    today = dt.date.today()
    _, past = f.session(db, doc, today - dt.timedelta(days=1), slots=1, capacity=5)
    _, now_am = f.session(db, doc, today, period="am", slots=1, capacity=5)
    _, later = f.session(db, doc, today, period="pm", starts=dt.time(14), ends=dt.time(17), slots=1, capacity=5)
    made = {}
    for name, slot in (("past", past[0]), ("am", now_am[0]), ("pm", later[0])):
        ids = [f.request(db, slot, f.patient(db)) for _ in range(3)]
        set_status(db, ids[0], "confirmed")  # set up directly: the rules refuse approving a past session
        set_status(db, ids[1], "checked_in")
        made[name] = ids  # confirmed, checked_in, pending
    n = attendance.mark_past_no_shows(db, SYSTEM, now=dt.datetime.combine(today, dt.time(12, 30)))
    assert n == 2
    assert [f.status_of(db, i) for i in made["past"]] == ["no_show", "checked_in", "pending"]
    assert [f.status_of(db, i) for i in made["am"]] == ["no_show", "checked_in", "pending"]
    assert [f.status_of(db, i) for i in made["pm"]] == ["confirmed", "checked_in", "pending"]
    assert audit_rows(db, made["past"][0])[-1] == ("no_show", "system")
    assert attendance.mark_past_no_shows(db, SYSTEM, now=dt.datetime.combine(today, dt.time(12, 30))) == 0
    with pytest.raises(PermissionDenied):
        attendance.mark_past_no_shows(db, Actor(kind="autoapprove", name="autoapprove"))
