"""Roster templates and publishing on every database: validation, idempotence, concurrency, the week grid."""
from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import event, func, select

from services.errors import NotFound, PermissionDenied, ValidationError
from services.models import AuditLog, ClinicSession, RosterTemplate, Slot
from services.rosters import masterdata, templates, week
from services.staff.actor import Actor
from tests import factories as f

TODAY = dt.date.today()
MONDAY = TODAY - dt.timedelta(days=TODAY.weekday()) + dt.timedelta(weeks=3)  # within the roster's reach
SUNDAY = MONDAY + dt.timedelta(days=6)
ADMIN = Actor(kind="staff", name="admin1", role="admin")
CLERK = Actor(kind="staff", name="clerk1", role="clerk")
T = dt.time


@pytest.fixture
def clinic(db):
    nk = f.department(db, "NK", "内科")
    wk = f.department(db, "WK", "外科")
    ids = {"nk": nk, "wk": wk, "zhang": f.doctor(db, nk, "张医生"), "li": f.doctor(db, nk, "李医生"),
           "wang": f.doctor(db, wk, "王医生")}
    ids["head_nk"] = Actor(kind="staff", name="head_nk", role="head", department_ids=frozenset({nk}))
    ids["head_wk"] = Actor(kind="staff", name="head_wk", role="head", department_ids=frozenset({wk}))
    return ids


def _counts(db):
    with db.read() as c:
        return tuple(c.execute(select(func.count()).select_from(t)).scalar_one()
                     for t in (RosterTemplate, ClinicSession, Slot, AuditLog))


# ---------------------------------------------------------------- templates

def test_save_list_update_delete_template(db, clinic):
    t = templates.save_template(db, clinic["head_nk"], clinic["zhang"], 0, "am", "08:00", "12:00", 30, 2)
    assert (t.doctor_id, t.weekday, t.period, t.starts_at, t.ends_at, t.slot_minutes, t.capacity_per_slot,
            t.active, t.doctor_name) == (clinic["zhang"], 0, "am", T(8), T(12), 30, 2, True, "张医生")
    templates.save_template(db, ADMIN, clinic["zhang"], 0, "pm", T(14), T(17), 60, 3)
    templates.save_template(db, ADMIN, clinic["wang"], 2, "evening", T(18), T(20), 20, 1)
    assert [x.period for x in templates.list_templates(db, doctor_id=clinic["zhang"])] == ["am", "pm"]
    assert [x.doctor_name for x in templates.list_templates(db, department_id=clinic["wk"])] == ["王医生"]
    # an update does not overlap with itself
    t2 = templates.save_template(db, ADMIN, clinic["zhang"], 0, "am", T(8, 30), T(11, 30), 15, 1, template_id=t.id)
    assert (t2.id, t2.starts_at, t2.slot_minutes) == (t.id, T(8, 30), 15)
    with pytest.raises(PermissionDenied):
        templates.delete_template(db, clinic["head_wk"], t.id)
    templates.delete_template(db, clinic["head_nk"], t.id)
    assert [x.period for x in templates.list_templates(db, doctor_id=clinic["zhang"])] == ["pm"]
    with pytest.raises(NotFound):
        templates.delete_template(db, ADMIN, t.id)
    with db.read() as c:
        actions = c.execute(select(AuditLog.action).where(AuditLog.entity == "template", AuditLog.entity_id == str(t.id))
                            .order_by(AuditLog.id)).scalars().all()
    assert actions == ["create", "update", "delete"]


@pytest.mark.parametrize("weekday, period, start, end, minutes, places, message", [
    (0, "am", "09:00", "08:00", 30, 2, "结束时间 08:00 早于开始时间 09:00"),
    (0, "am", "09:00", "09:00", 30, 2, "结束时间 09:00 与开始时间相同"),
    (0, "am", "08:00", "12:00", 25, 2, "出诊时长 240 分钟不能按每段 25 分钟均分"),
    (0, "am", "08:00", "12:00", 0, 2, "每个时段的分钟数必须是正整数"),
    (0, "am", "08:00", "12:00", 30, 0, "每个时段的号源必须大于 0"),
    (0, "am", "08:00", "12:00", 30, -3, "每个时段的号源必须大于 0"),
    (0, "am", "13:00", "15:00", 30, 2, "上午出诊须在 12:00 前开始"),
    (0, "pm", "09:00", "11:00", 30, 2, "下午出诊须在 12:00 至 18:00 之间开始"),
    (0, "evening", "16:00", "18:00", 30, 2, "晚上出诊须在 17:00 或以后开始"),
    (7, "am", "08:00", "12:00", 30, 2, "星期应为 0（周一）到 6（周日）"),
    (0, "night", "08:00", "12:00", 30, 2, "时段 night 无效"),
    (0, "am", "8点", "12:00", 30, 2, "开始时间不是有效时间"),
    (0, "am", "08:00", "24:00", 30, 2, "结束时间不是有效时间"),
    # the doctor already works Monday 08:00-12:30 (am) and 14:00-17:30 (pm)
    (0, "pm", "12:00", "13:00", 30, 2, "与 周一 上午 08:00-12:30 的排班重叠"),
    (0, "evening", "17:00", "19:00", 30, 2, "与 周一 下午 14:00-17:30 的排班重叠"),
    (0, "am", "06:00", "07:00", 30, 2, "张医生 周一 上午 已有排班模板"),
])
def test_template_validation_changes_nothing(db, clinic, weekday, period, start, end, minutes, places, message):
    templates.save_template(db, ADMIN, clinic["zhang"], 0, "am", "08:00", "12:30", 30, 2)
    templates.save_template(db, ADMIN, clinic["zhang"], 0, "pm", "14:00", "17:30", 30, 2)
    before = _counts(db)
    with pytest.raises(ValidationError, match=message):
        templates.save_template(db, ADMIN, clinic["zhang"], weekday, period, start, end, minutes, places)
    assert _counts(db) == before


def test_template_doctor_and_permission_checks(db, clinic):
    before = _counts(db)
    with pytest.raises(NotFound, match="没有医生 ID"):
        templates.save_template(db, ADMIN, clinic["wang"] + 100, 0, "am", "08:00", "12:00", 30, 2)
    with pytest.raises(PermissionDenied):
        templates.save_template(db, CLERK, clinic["zhang"], 0, "am", "08:00", "12:00", 30, 2)
    with pytest.raises(PermissionDenied):
        templates.save_template(db, clinic["head_wk"], clinic["zhang"], 0, "am", "08:00", "12:00", 30, 2)
    assert _counts(db) == before
    # the same hours on another weekday, or for another doctor, are fine; an inactive template does not block
    templates.save_template(db, ADMIN, clinic["zhang"], 0, "am", "08:00", "12:30", 30, 2, active=False)
    templates.save_template(db, ADMIN, clinic["zhang"], 0, "pm", "12:00", "13:00", 30, 2)
    templates.save_template(db, ADMIN, clinic["li"], 0, "am", "08:00", "12:00", 30, 2)


# ---------------------------------------------------------------- publishing

def _sessions(db):
    with db.read() as c:
        return c.execute(select(ClinicSession.doctor_id, ClinicSession.rostered_doctor_id, ClinicSession.day,
                                ClinicSession.period, ClinicSession.starts_at, ClinicSession.ends_at,
                                ClinicSession.status).order_by(ClinicSession.day, ClinicSession.starts_at)).all()


def test_publish_creates_sessions_and_slots_once(db, clinic):
    z, w = clinic["zhang"], clinic["wang"]
    f.template(db, z, 0, "am", T(8), T(12), 30, 2)  # Monday: 8 slots
    f.template(db, z, 2, "pm", T(14), T(17), 60, 3)  # Wednesday: 3 slots
    f.template(db, w, 4, "evening", T(18), T(20), 20, 1)  # Friday: 6 slots
    f.template(db, clinic["li"], 1, "am", T(8), T(12), 30, 2, active=False)  # not published
    s = templates.publish(db, ADMIN, MONDAY, SUNDAY)
    assert (s.sessions_created, s.slots_created, s.sessions_existing, s.drafts_published, s.skipped) == (3, 17, 0, 0, ())
    assert _sessions(db) == [
        (z, z, MONDAY, "am", T(8), T(12), "published"),
        (z, z, MONDAY + dt.timedelta(2), "pm", T(14), T(17), "published"),
        (w, w, MONDAY + dt.timedelta(4), "evening", T(18), T(20), "published")]
    monday = templates.sessions_for(db, MONDAY)[0]
    slots = templates.list_slots(db, monday.id)
    assert [(x.starts_at, x.ends_at, x.capacity, x.remaining) for x in slots[:2]] == \
        [(T(8), T(8, 30), 2, 2), (T(8, 30), T(9), 2, 2)]
    assert (len(slots), slots[-1].ends_at, monday.capacity) == (8, T(12), 16)
    before = _counts(db)
    again = templates.publish(db, ADMIN, MONDAY, SUNDAY)
    assert (again.sessions_created, again.slots_created, again.sessions_existing) == (0, 0, 3)
    assert _counts(db)[1:3] == before[1:3]
    # an overlapping longer range creates only the new week
    more = templates.publish(db, ADMIN, MONDAY + dt.timedelta(3), SUNDAY + dt.timedelta(7))
    assert (more.sessions_created, more.slots_created, more.sessions_existing) == (3, 17, 1)


def test_publish_filters_by_department_and_doctor(db, clinic):
    f.template(db, clinic["zhang"], 0)
    f.template(db, clinic["li"], 0)
    f.template(db, clinic["wang"], 0)
    assert templates.publish(db, ADMIN, MONDAY, MONDAY, department_id=clinic["wk"]).sessions_created == 1
    assert templates.publish(db, ADMIN, MONDAY, MONDAY, doctor_ids=[clinic["li"]]).sessions_created == 1
    s = templates.publish(db, clinic["head_nk"], MONDAY, MONDAY, department_id=clinic["nk"])
    assert (s.sessions_created, s.sessions_existing) == (1, 1)
    with pytest.raises(NotFound):
        templates.publish(db, ADMIN, MONDAY, MONDAY, doctor_ids=[clinic["wang"] + 100])


def test_publish_range_and_permission_checks(db, clinic):
    f.template(db, clinic["zhang"], 0)
    f.template(db, clinic["wang"], 0)
    before = _counts(db)
    with pytest.raises(ValidationError, match=f"开始日期 {MONDAY + dt.timedelta(1)} 晚于结束日期 {MONDAY}"):
        templates.publish(db, ADMIN, MONDAY + dt.timedelta(1), MONDAY)
    with pytest.raises(ValidationError, match="一次最多发布 92 天"):
        templates.publish(db, ADMIN, MONDAY, MONDAY + dt.timedelta(92))
    with pytest.raises(PermissionDenied):
        templates.publish(db, CLERK, MONDAY, SUNDAY)
    with pytest.raises(PermissionDenied):  # a head publishing everything reaches another department
        templates.publish(db, clinic["head_nk"], MONDAY, SUNDAY)
    with pytest.raises(PermissionDenied):
        templates.publish(db, clinic["head_nk"], MONDAY, SUNDAY, department_id=clinic["wk"])
    assert _counts(db) == before
    assert templates.publish(db, ADMIN, MONDAY, MONDAY + dt.timedelta(91)).sessions_created == 2 * 14


def test_publish_turns_drafts_into_published(db, clinic):
    z, li = clinic["zhang"], clinic["li"]
    f.template(db, z, 0, "am", T(8), T(12), 60, 2)
    f.template(db, li, 0, "am", T(8), T(12), 60, 2)
    draft, _ = f.session(db, z, MONDAY, "am", T(8), T(10), status="draft", slots=2, capacity=5, slot_minutes=60)
    empty, _ = f.session(db, li, MONDAY, "am", T(8), T(12), status="draft", slots=0)
    s = templates.publish(db, ADMIN, MONDAY, MONDAY)
    assert (s.sessions_created, s.drafts_published, s.slots_created) == (0, 2, 4)  # the empty draft gets 4 slots
    assert [x.capacity for x in templates.list_slots(db, draft)] == [5, 5]  # a draft keeps its own slots
    assert len(templates.list_slots(db, empty)) == 4
    assert {x.status for x in templates.sessions_for(db, MONDAY)} == {"published"}


def test_publish_skips_a_session_overlapping_the_doctors_other_session(db, clinic):
    z, li = clinic["zhang"], clinic["li"]
    sid, _ = f.session(db, z, MONDAY, "am", T(8), T(12))
    templates.substitute(db, ADMIN, sid, li)  # 李医生 now works 08:00-12:00 for 张医生
    f.template(db, li, 0, "am", T(10), T(12), 30, 2)
    f.template(db, li, 0, "pm", T(14), T(16), 30, 2)
    s = templates.publish(db, ADMIN, MONDAY, MONDAY)
    assert (s.sessions_created, s.sessions_existing) == (1, 0)
    assert s.skipped == (f"{MONDAY} 李医生 上午 10:00-12:00：与当天 08:00-12:00 的出诊重叠，未发布",)
    # a stopped session is not published again, and no longer takes the substitute's time
    templates.stop_session(db, ADMIN, sid, "医生外出")
    again = templates.publish(db, ADMIN, MONDAY, MONDAY)
    assert (again.sessions_created, again.sessions_existing) == (1, 1)  # 李医生's am now fits
    assert templates.get_session(db, sid).status == "stopped"


@pytest.mark.slow
def test_concurrent_publish_creates_no_duplicates(db, clinic):
    doctors = [clinic["zhang"], clinic["li"], clinic["wang"]]
    for d in doctors:
        for wd in range(7):
            f.template(db, d, wd, "am", T(8), T(12), 30, 2)
    rounds = 3
    results, errors = [], []

    def run(start, barrier):
        try:
            barrier.wait()
            results.append(templates.publish(db, ADMIN, start, start + dt.timedelta(days=6)))
        except Exception as exc:
            errors.append(exc)

    for r in range(rounds):
        start = MONDAY + dt.timedelta(weeks=r)
        barrier = threading.Barrier(2)
        threads = [threading.Thread(target=run, args=(start, barrier)) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert errors == []
    per_round = len(doctors) * 7
    assert sum(x.sessions_created for x in results) == rounds * per_round
    assert sum(x.sessions_existing for x in results) == rounds * per_round
    assert sum(x.slots_created for x in results) == rounds * per_round * 8
    with db.read() as c:
        assert c.execute(select(func.count()).select_from(ClinicSession)).scalar_one() == rounds * per_round
        assert c.execute(select(func.count()).select_from(Slot)).scalar_one() == rounds * per_round * 8


# ---------------------------------------------------------------- the week grid

def test_week_grid_cells_and_counts(db, clinic):
    z, li, nk = clinic["zhang"], clinic["li"], clinic["nk"]
    f.template(db, z, 0, "am", T(8), T(10), 30, 2)
    f.template(db, z, 3, "pm", T(14), T(16), 60, 3)
    f.template(db, li, 0, "pm", T(13, 30), T(17), 30, 1)
    f.template(db, clinic["wang"], 0, "am", T(8), T(12), 30, 2)
    templates.publish(db, ADMIN, MONDAY, SUNDAY)
    mon_am = templates.sessions_for(db, MONDAY, doctor_id=z)[0]
    slots = templates.list_slots(db, mon_am.id)
    for status in ("confirmed", "checked_in", "pending", "cancelled"):
        f.set_status(db, f.request(db, slots[0].id, f.patient(db)), status)
    thu = templates.sessions_for(db, MONDAY + dt.timedelta(3), department_id=nk)[0]
    templates.substitute(db, ADMIN, thu.id, li)
    masterdata.save_doctor(db, ADMIN, nk, "退休医生", "主治医师", "10", active=False)

    grid = week.week_grid(db, nk, MONDAY)
    assert grid.department.code == "NK"
    assert grid.days == [MONDAY + dt.timedelta(i) for i in range(7)]
    assert {d.name for d in grid.doctors} == {"张医生", "李医生"}  # not 王医生 (外科), not the inactive one
    assert set(grid.cells) == {(z, MONDAY, "am"), (li, MONDAY, "pm"), (li, MONDAY + dt.timedelta(3), "pm")}
    cell = grid.cells[(z, MONDAY, "am")]
    assert (cell.session_id, cell.starts_at, cell.ends_at, cell.status, cell.taken, cell.capacity, cell.pending,
            cell.substitute_for) == (mon_am.id, T(8), T(10), "published", 2, 8, 1, None)
    sub = grid.cells[(li, MONDAY + dt.timedelta(3), "pm")]
    assert (sub.substitute_for, sub.capacity, sub.taken) == ("张医生", 6, 0)
    templates.stop_session(db, ADMIN, mon_am.id, "停电")
    assert week.week_grid(db, nk, MONDAY).cells[(z, MONDAY, "am")].status == "stopped"
    with pytest.raises(ValidationError, match="不是周一"):
        week.week_grid(db, nk, MONDAY + dt.timedelta(1))
    with pytest.raises(NotFound):
        week.week_grid(db, nk + 100, MONDAY)


def test_week_grid_statement_count_does_not_grow_with_sessions(db, clinic):
    nk = clinic["nk"]
    statements = []
    event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))

    def count(monday):
        statements.clear()
        week.week_grid(db, nk, monday)
        return len(statements)

    f.template(db, clinic["zhang"], 0)
    templates.publish(db, ADMIN, MONDAY, SUNDAY)
    small = count(MONDAY)
    for wd in range(1, 7):
        f.template(db, clinic["zhang"], wd)
        f.template(db, clinic["li"], wd, "pm", T(14), T(16), 30, 2)
    templates.publish(db, ADMIN, MONDAY + dt.timedelta(7), SUNDAY + dt.timedelta(7))
    assert count(MONDAY + dt.timedelta(7)) == small <= 6  # 6: the shares and waitlist read too
