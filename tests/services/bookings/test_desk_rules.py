"""Desk safety in the services, on every database: a plain approval refuses what the hospital's rules
refuse (with the rule's words) and only an audited override by a head or an admin gets past a rule;
check-in only on the clinic's own day; check-in and no-show can be undone (a clerk on the day, a head
later), the undo audited, the blacklist following and the end-of-session job not marking it again."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import func, select, update

from services.bookings import attendance, decisions, queries, rules
from services.clock import hospital_today
from services.errors import Conflict, PermissionDenied, RuleRefused, ValidationError
from services.models import AuditLog, Booking, ClinicSession, Notification
from services.staff.actor import Actor
from tests import factories as f

CLERK = Actor(kind="staff", name="clerk1", role="clerk")
HEAD = Actor(kind="staff", name="head1", role="head")
ADMIN = Actor(kind="staff", name="admin1", role="admin")
SYSTEM = Actor(kind="system", name="system")


def counts(db) -> tuple[int, int]:
    with db.read() as c:
        return (c.execute(select(func.count()).select_from(AuditLog)).scalar_one(),
                c.execute(select(func.count()).select_from(Notification)).scalar_one())


def audits(db, booking_id: int) -> list[tuple[str, str, dict | None]]:
    with db.read() as c:
        return [(r.action, r.actor, json.loads(r.detail) if r.detail else None) for r in c.execute(
            select(AuditLog.action, AuditLog.actor, AuditLog.detail)
            .where(AuditLog.entity == "booking", AuditLog.entity_id == str(booking_id)).order_by(AuditLog.id))]


def no_shows(db, patient: int, day: dt.date, n: int, slot: int) -> None:
    for _ in range(n):
        f.set_status(db, f.request(db, slot, patient), "no_show")


def sessions(db, **days: int) -> dict[str, list[int]]:
    """Published sessions of one doctor, ``name=days from today``, each with two slots: name -> slot ids."""
    doc = f.doctor(db, f.department(db))
    return {name: f.session(db, doc, hospital_today() + dt.timedelta(days=n), slots=2, capacity=9)[1]
            for name, n in days.items()}


# ---------------------------------------------------------------- item 4: approve obeys the rules

def test_plain_approve_refuses_what_the_rules_refuse_and_changes_nothing(db):
    today = hospital_today()
    s = sessions(db, far=13, near=2, past=-20)
    far, near, past = s["far"], s["near"], s["past"]
    _, draft = f.session(db, f.doctor(db, f.department(db, code="WK", name="外科")), today + dt.timedelta(days=3),
                         status="draft", slots=1, capacity=5)
    blacklisted = f.patient(db, name="常爽约")
    no_shows(db, blacklisted, today - dt.timedelta(days=20), 3, past[0])
    twice = f.patient(db, name="重复挂")
    f.set_status(db, f.request(db, near[1], twice), "confirmed")

    cases = [
        (f.request(db, far[0], f.patient(db)), "window", "只能预约7天内的号源", True),
        (f.request(db, near[0], blacklisted), "blacklist", "爽约3次，暂停网上预约至", True),
        (f.request(db, near[0], twice), "duplicate", rules.DUPLICATE_REASON, True),
        (f.request(db, draft[0], f.patient(db)), "unpublished", rules.UNPUBLISHED_REASON, False),
        (f.request(db, past[0], f.patient(db)), "over", rules.OVER_REASON, False),
    ]
    before = counts(db)
    for b, rule, words, overridable in cases:
        with pytest.raises(RuleRefused, match=words) as err:
            decisions.approve(db, CLERK, b)
        assert (err.value.rule, err.value.overridable) == (rule, overridable)
        assert f.status_of(db, b) == "pending"
    assert counts(db) == before  # no audit row, no outbox row: nothing happened
    out = decisions.approve_many(db, CLERK, [b for b, *_ in cases])
    assert all(isinstance(msg, str) and words in msg for (_, msg), (_b, _r, words, _o) in zip(out, cases, strict=True))
    assert counts(db) == before
    # the same rules, the same words as autoapprove's: it rejects these with exactly those reasons
    rules.decide_pending(db)
    with db.read() as c:
        asked = [b for b, *_ in cases]
        reasons = dict(c.execute(select(Booking.id, Booking.reason).where(Booking.id.in_(asked))).all())
    for b, _rule, words, _o in cases:
        assert words in reasons[b] and f.status_of(db, b) == "rejected"


def test_cutoff_refuses_a_request_for_a_slot_that_has_begun(db):
    c = f.basic_clinic(db)
    b = f.request(db, c["slot_ids"][0], f.patient(db))
    with pytest.raises(RuleRefused, match="该时段已开始") as err:
        decisions.approve(db, CLERK, b, now=dt.datetime.combine(c["day"], dt.time(8, 5)))
    assert err.value.rule == "cutoff" and f.status_of(db, b) == "pending"
    assert decisions.approve(db, CLERK, b, now=dt.datetime.combine(c["day"], dt.time(7, 55))).status == "confirmed"


def test_override_needs_the_permission_and_a_reason_and_is_audited(db):
    dep = f.department(db)
    doc = f.doctor(db, dep)
    _, far = f.session(db, doc, hospital_today() + dt.timedelta(days=13), slots=1, capacity=1)
    b = f.request(db, far[0], f.patient(db))
    before = counts(db)
    with pytest.raises(PermissionDenied):
        decisions.approve(db, CLERK, b, override="院长特批")  # a clerk holds no override
    for empty in ("", "   "):
        with pytest.raises(ValidationError, match="理由"):
            decisions.approve(db, HEAD, b, override=empty)
    assert f.status_of(db, b) == "pending" and counts(db) == before
    other_dep = f.department(db, code="WK", name="外科")
    outsider = Actor(kind="staff", name="head2", role="head", department_ids=frozenset({other_dep}))
    with pytest.raises(PermissionDenied):
        decisions.approve(db, outsider, b, override="院长特批")

    res = decisions.approve(db, HEAD, b, override=" 院长特批 ")
    assert res.status == "confirmed" and f.status_of(db, b) == "confirmed"
    rows = audits(db, b)
    assert [a for a, _who, _d in rows] == [decisions.DECISION_ACTION, "override"]
    assert rows[1][1] == "head1"
    assert rows[1][2] == {"rule": "window", "rule_text": "只能预约7天内的号源", "reason": "院长特批"}
    with db.read() as c:
        assert c.execute(select(Notification.kind).where(Notification.booking_id == b)).scalars().all() == ["confirmed"]
    # capacity is never overridden: the one place is taken, the next request is full even so
    b2 = f.request(db, far[0], f.patient(db))
    assert decisions.approve(db, ADMIN, b2, override="院长特批").status == "full"
    assert [a for a, *_ in audits(db, b2)] == [decisions.DECISION_ACTION]


def test_a_session_fact_is_not_overridable(db):
    c = f.basic_clinic(db)
    b = f.request(db, c["slot_ids"][0], f.patient(db))
    with db.write() as conn:
        conn.execute(update(ClinicSession).where(ClinicSession.id == c["session_id"]).values(status="stopped"))
    with pytest.raises(RuleRefused, match="停诊") as err:
        decisions.approve(db, ADMIN, b, override="无论如何")
    assert not err.value.overridable and f.status_of(db, b) == "pending"


def test_the_queue_shows_each_requests_verdict(db):
    today = hospital_today()
    s = sessions(db, far=13, near=2, past=-10)
    far, near, past = s["far"], s["near"], s["past"]
    blacklisted = f.patient(db)
    no_shows(db, blacklisted, today, 3, past[0])
    twice = f.patient(db)
    f.set_status(db, f.request(db, near[1], twice), "confirmed")
    fine = f.request(db, near[0], f.patient(db))
    ids = {"window": f.request(db, far[0], f.patient(db)), "blacklist": f.request(db, near[0], blacklisted),
           "duplicate": f.request(db, near[0], twice), None: fine}
    rows = {r.booking_id: r for r in queries.pending_queue(db)}
    for rule, b in ids.items():
        assert rows[b].rule == rule
    assert rows[ids["window"]].rule_reason == "只能预约7天内的号源"
    assert rows[fine].rule_reason is None
    assert queries.queue_rows(db, [ids["duplicate"]])[0].rule == "duplicate"


# ---------------------------------------------------------------- item 2: check-in on the day only

def test_check_in_only_on_the_clinics_own_day(db):
    dep = f.department(db)
    doc = f.doctor(db, dep)
    today = hospital_today()
    made = {}
    for name, day in (("yesterday", today - dt.timedelta(days=1)), ("today", today),
                      ("tomorrow", today + dt.timedelta(days=1))):
        _, slots = f.session(db, doc, day, slots=1, capacity=3)
        made[name] = f.request(db, slots[0], f.patient(db))
        f.set_status(db, made[name], "confirmed")
    before = counts(db)
    for name in ("yesterday", "tomorrow"):
        with pytest.raises(ValidationError, match="只能在就诊当天签到"):
            decisions.check_in(db, CLERK, made[name])
        with pytest.raises(ValidationError, match="只能在就诊当天签到"):
            decisions.check_in(db, ADMIN, made[name])
        assert f.status_of(db, made[name]) == "confirmed"
    assert counts(db) == before
    assert decisions.check_in(db, CLERK, made["today"]).status == "checked_in"
    # the hospital's date decides, whatever the hour
    late = dt.datetime.combine(today + dt.timedelta(days=1), dt.time(0, 1))
    assert decisions.check_in(db, CLERK, made["tomorrow"], now=late).status == "checked_in"


# ---------------------------------------------------------------- item 3: undo check-in and no-show

@pytest.fixture
def day_of_clinic(db):
    """Three confirmed bookings on a morning session, and the hospital's 'now' on that day."""
    c = f.basic_clinic(db, capacity=3, slots=1)
    ids = [f.request(db, c["slot_ids"][0], f.patient(db)) for _ in range(3)]
    for b in ids:
        f.set_status(db, b, "confirmed")
    return c, ids, dt.datetime.combine(c["day"], dt.time(9, 30))


def test_undo_check_in_on_the_day_by_a_clerk(db, day_of_clinic):
    c, ids, now = day_of_clinic
    decisions.check_in(db, CLERK, ids[0], now=now)
    mail = counts(db)[1]
    res = attendance.undo_check_in(db, CLERK, ids[0], now=now)
    assert res.status == "confirmed" and f.status_of(db, ids[0]) == "confirmed"
    with db.read() as conn:
        assert conn.execute(select(Booking.checked_in_at).where(Booking.id == ids[0])).scalar() is None
    assert [a for a, *_ in audits(db, ids[0])] == ["check_in", "undo_check_in"]
    assert audits(db, ids[0])[-1][2] == {"from": "checked_in", "to": "confirmed", "reason": None, "late": False}
    assert counts(db)[1] == mail  # the patient is not told
    with pytest.raises(Conflict, match="预约成功"):
        attendance.undo_check_in(db, CLERK, ids[0], now=now)  # nothing to undo any more
    with pytest.raises(Conflict):
        attendance.undo_no_show(db, CLERK, ids[1], now=now)  # confirmed, never a no-show


def test_undo_later_only_by_a_head_with_a_reason(db, day_of_clinic):
    c, ids, now = day_of_clinic
    decisions.mark_no_show(db, CLERK, ids[1], now=now)
    next_day = now + dt.timedelta(days=1)
    before = counts(db)
    with pytest.raises(PermissionDenied, match="科主任或管理员"):
        attendance.undo_no_show(db, CLERK, ids[1], "患者其实来了", now=next_day)
    with pytest.raises(ValidationError, match="理由"):
        attendance.undo_no_show(db, HEAD, ids[1], "  ", now=next_day)
    outsider = Actor(kind="staff", name="head2", role="head", department_ids=frozenset({c["department_id"] + 99}))
    with pytest.raises(PermissionDenied):
        attendance.undo_no_show(db, outsider, ids[1], "患者其实来了", now=next_day)
    assert f.status_of(db, ids[1]) == "no_show" and counts(db) == before
    assert attendance.undo_no_show(db, HEAD, ids[1], "患者其实来了", now=next_day).status == "confirmed"
    assert audits(db, ids[1])[-1] == ("undo_no_show", "head1", {"from": "no_show", "to": "confirmed",
                                                                "reason": "患者其实来了", "late": True})


def test_an_undone_no_show_no_longer_counts_and_the_job_leaves_it(db):
    dep = f.department(db)
    doc = f.doctor(db, dep)
    today = hospital_today()
    _, past = f.session(db, doc, today - dt.timedelta(days=5), slots=1, capacity=9)
    _, near = f.session(db, doc, today + dt.timedelta(days=2), slots=1, capacity=9)
    p = f.patient(db)
    misses = [f.request(db, past[0], p) for _ in range(3)]
    for b in misses:
        f.set_status(db, b, "no_show")
    b = f.request(db, near[0], p)
    with pytest.raises(RuleRefused, match="爽约3次"):
        decisions.approve(db, CLERK, b)
    attendance.undo_no_show(db, ADMIN, misses[0], "当天患者已到诊，系误标")
    # the blacklist follows: two no-shows left, under the limit of three
    assert {r.booking_id: r.rule for r in queries.pending_queue(db)}[b] is None
    assert decisions.approve(db, CLERK, b).status == "confirmed"
    # the end-of-session job does not mark the undone no-show again (its session is long over)
    assert attendance.mark_past_no_shows(db, SYSTEM) == 0
    assert f.status_of(db, misses[0]) == "confirmed"
    # a confirmed booking of that session never undone is marked as before
    other = f.request(db, past[0], f.patient(db))
    f.set_status(db, other, "confirmed")
    assert attendance.mark_past_no_shows(db, SYSTEM) == 1
    assert f.status_of(db, other) == "no_show" and f.status_of(db, misses[0]) == "confirmed"


def test_undo_check_in_then_the_job_may_mark_the_no_show(db, day_of_clinic):
    """A check-in keyed by mistake and undone is an ordinary confirmed booking again: if the patient
    never comes, the job marks the no-show when the session is over."""
    c, ids, now = day_of_clinic
    decisions.check_in(db, CLERK, ids[2], now=now)
    attendance.undo_check_in(db, CLERK, ids[2], now=now)
    assert attendance.mark_past_no_shows(db, SYSTEM, now=dt.datetime.combine(c["day"], dt.time(12, 30))) == 3
    assert f.status_of(db, ids[2]) == "no_show"
