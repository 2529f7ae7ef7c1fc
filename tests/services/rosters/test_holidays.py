"""Holidays (节假日与调休): publishing skips 2026's National Day and Mid-autumn holidays, works the make-up
days with the weekday they replace, and keeps the hospital's own exceptions; on every database."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from services.errors import PermissionDenied, ValidationError
from services.models import AuditLog, ClinicSession, HospitalDay, Slot
from services.rosters import holidays, templates, week
from services.staff.actor import Actor
from tests import factories as f

ADMIN = Actor("staff", "admin", 1, "admin")
HEAD = Actor("staff", "head", 2, "head")
BEFORE = dt.date(2026, 9, 1)  # "today" for publishing: before the holidays


@pytest.fixture
def clinic(db):
    nk = f.department(db, "NK", "内科")
    wk = f.department(db, "WK", "外科")
    zhang, wang = f.doctor(db, nk, "张医生"), f.doctor(db, wk, "王医生")
    for doc in (zhang, wang):
        for weekday in range(7):  # every weekday's morning has its own number of places: weekday + 1
            f.template(db, doc, weekday, "am", capacity=weekday + 1)
        f.template(db, doc, 4, "pm", dt.time(14, 0), dt.time(17, 0), capacity=9)  # Friday afternoon
    return {"nk": nk, "wk": wk, "zhang": zhang, "wang": wang}


def _sessions(db, doctor_id):
    """day -> {period: places per slot} of a doctor's published sessions."""
    with db.read() as c:
        rows = c.execute(select(ClinicSession.day, ClinicSession.period, func.max(Slot.capacity))
                         .join(Slot, Slot.session_id == ClinicSession.id)
                         .where(ClinicSession.doctor_id == doctor_id)
                         .group_by(ClinicSession.day, ClinicSession.period)).all()
    out: dict[dt.date, dict[str, int]] = {}
    for day, period, cap in rows:
        out.setdefault(day, {})[period] = cap
    return out


def test_public_calendar_2026_national_day():
    assert holidays.public_day(dt.date(2026, 10, 1)) == holidays.PublicDay("holiday", "国庆节")
    assert holidays.public_day(dt.date(2026, 10, 7)).kind == "holiday"
    # the make-up days are paired with the days off in lieu in date order: 10-06 is a Tuesday, 10-07 a Wednesday
    assert holidays.public_day(dt.date(2026, 9, 20)) == holidays.PublicDay("makeup", "国庆节", 1)
    assert holidays.public_day(dt.date(2026, 10, 10)) == holidays.PublicDay("makeup", "国庆节", 2)
    assert holidays.public_day(dt.date(2026, 10, 9)).kind == "ordinary"
    assert holidays.public_day(dt.date(2026, 10, 11)).kind == "ordinary"  # an ordinary Sunday: worked as usual
    assert holidays.public_day(dt.date(2099, 10, 1)).kind == "unknown"


def test_publish_skips_holidays_and_works_makeup_days(db, clinic):
    s = templates.publish(db, ADMIN, dt.date(2026, 9, 19), dt.date(2026, 10, 11), today=BEFORE)
    got = _sessions(db, clinic["zhang"])
    for off in [dt.date(2026, 9, 25), dt.date(2026, 9, 26), dt.date(2026, 9, 27)] + \
            [dt.date(2026, 10, d) for d in range(1, 8)]:
        assert off not in got, f"{off} is a public holiday"
    assert got[dt.date(2026, 9, 20)] == {"am": 2}  # Sunday worked as Tuesday (1 + 1 places)
    assert got[dt.date(2026, 10, 10)] == {"am": 3}  # Saturday worked as Wednesday
    assert got[dt.date(2026, 10, 11)] == {"am": 7}  # an ordinary Sunday keeps its own template
    assert got[dt.date(2026, 10, 9)] == {"am": 5, "pm": 9}  # an ordinary Friday
    assert got[dt.date(2026, 9, 19)] == {"am": 6}  # an ordinary Saturday
    assert any(line.startswith("2026-10-01 国庆节休息：未发布 2 个出诊") for line in s.skipped), s.skipped
    assert any(line.startswith("2026-09-25 中秋休息：未发布 4 个出诊") for line in s.skipped), s.skipped
    assert any(line.startswith("2026-10-10 国庆节调休上班（按周三排班）") for line in s.notes), s.notes
    # publishing again creates nothing more
    again = templates.publish(db, ADMIN, dt.date(2026, 9, 19), dt.date(2026, 10, 11), today=BEFORE)
    assert again.sessions_created == 0 and again.sessions_existing == s.sessions_created


def test_hospital_exceptions(db, clinic):
    # surgery opens on the morning of National Day's second day; the whole hospital closes on 10-09
    opened = holidays.add_exception(db, ADMIN, dt.date(2026, 10, 2), "open", "外科节日门诊",
                                    department_id=clinic["wk"], period="am", today=BEFORE)
    closed = holidays.add_exception(db, ADMIN, dt.date(2026, 10, 9), "closed", "院庆", today=BEFORE)
    s = templates.publish(db, ADMIN, dt.date(2026, 9, 28), dt.date(2026, 10, 11), today=BEFORE)
    wang, zhang = _sessions(db, clinic["wang"]), _sessions(db, clinic["zhang"])
    assert wang[dt.date(2026, 10, 2)] == {"am": 5}  # Friday's morning; not its afternoon
    assert dt.date(2026, 10, 2) not in zhang  # internal medicine stays closed
    assert dt.date(2026, 10, 9) not in wang and dt.date(2026, 10, 9) not in zhang
    assert "2026-10-09 停诊：院庆：未发布 4 个出诊" in s.skipped
    assert any(line.startswith("2026-10-02") and "照常出诊 1 个" in line for line in s.skipped), s.skipped
    # the week grid says so over each day
    grid = week.week_grid(db, clinic["wk"], dt.date(2026, 9, 28))
    assert grid.day_labels[dt.date(2026, 10, 1)] == "国庆节休息"
    assert grid.day_labels[dt.date(2026, 10, 2)] == "国庆节休息；上午照常出诊：外科节日门诊"
    assert week.week_grid(db, clinic["wk"], dt.date(2026, 10, 5)).day_labels[dt.date(2026, 10, 9)] == "停诊：院庆"
    assert dt.date(2026, 9, 28) not in grid.day_labels
    # internal medicine's grid does not show surgery's exception
    assert week.week_grid(db, clinic["nk"], dt.date(2026, 9, 28)).day_labels[dt.date(2026, 10, 2)] == "国庆节休息"
    # removing is audited; listing shows what is left
    holidays.remove_exception(db, ADMIN, opened.id)
    assert [e.id for e in holidays.list_exceptions(db, dt.date(2026, 10, 1), dt.date(2026, 10, 31))] == [closed.id]
    with db.read() as c:
        actions = c.execute(select(AuditLog.action).where(AuditLog.entity == "hospital_day")
                            .order_by(AuditLog.id)).scalars().all()
    assert actions == ["create", "create", "delete"]


def test_exceptions_refuse_bad_input_and_non_admins(db, clinic):
    def count():
        with db.read() as c:
            return c.execute(select(func.count()).select_from(HospitalDay)).scalar_one()
    with pytest.raises(PermissionDenied):
        holidays.add_exception(db, HEAD, dt.date(2026, 10, 2), "open", "节日门诊", today=BEFORE)
    for kwargs, field in [({"kind": "shut"}, "kind"), ({"note": "  "}, "note"), ({"note": "院\x1b庆"}, "note"),
                          ({"period": "night"}, "period"), ({"day": dt.date(2026, 8, 1)}, "day")]:
        args = {"day": dt.date(2026, 10, 2), "kind": "open", "note": "节日门诊", **kwargs}
        with pytest.raises(ValidationError) as err:
            holidays.add_exception(db, ADMIN, args.pop("day"), args.pop("kind"), args.pop("note"), today=BEFORE,
                                   **args)
        assert err.value.field == field
    holidays.add_exception(db, ADMIN, dt.date(2026, 10, 2), "open", "节日门诊", today=BEFORE)
    with pytest.raises(ValidationError, match="已有这一天的例外"):
        holidays.add_exception(db, ADMIN, dt.date(2026, 10, 2), "closed", "院庆", today=BEFORE)
    assert count() == 1


def test_roster_workbook_and_grid_header_show_holidays(db, clinic, tmp_path, qapp):
    from openpyxl import load_workbook

    from console.rosters.grid import RosterGridModel
    from services.excel import exports
    holidays.add_exception(db, ADMIN, dt.date(2026, 10, 2), "open", "外科节日门诊", department_id=clinic["wk"],
                           period="am", today=BEFORE)
    templates.publish(db, ADMIN, dt.date(2026, 9, 28), dt.date(2026, 10, 4), today=BEFORE)
    out = tmp_path / "roster.xlsx"
    exports.export_roster(db, ADMIN, dt.date(2026, 9, 28), out)
    wb = load_workbook(out)
    heads = {ws.title: [ws.cell(3, 4 + 3 * d).value for d in range(7)] for ws in wb.worksheets if ws.max_row > 3}
    [nk] = [v for k, v in heads.items() if "内科" in k]
    [wk] = [v for k, v in heads.items() if "外科" in k]
    assert nk[0] == "周一 09-28" and nk[3] == "周四 10-01 国庆节休息" and nk[4] == "周五 10-02 国庆节休息"
    assert wk[4] == "周五 10-02 国庆节休息；上午照常出诊：外科节日门诊"
    # the console's week grid: a one-character mark after the weekday, the words in the tooltip
    model = RosterGridModel()
    model.set_grid(week.week_grid(db, clinic["wk"], dt.date(2026, 9, 28)))
    from PySide6.QtCore import Qt
    cols = {model.slot_of(c): c for c in range(1, model.columnCount())}
    thu = cols[(dt.date(2026, 10, 1), "am")]
    fri = cols[(dt.date(2026, 10, 2), "am")]
    mon = cols[(dt.date(2026, 9, 28), "am")]
    assert model.headerData(thu, Qt.Orientation.Horizontal).splitlines()[0].endswith("休")
    assert model.headerData(fri, Qt.Orientation.Horizontal).splitlines()[0].endswith("例")
    assert model.headerData(thu, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole) == "国庆节休息"
    assert model.headerData(mon, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole) is None
    assert model.data(model.index(0, fri), Qt.ItemDataRole.DisplayRole)  # surgery's open morning has its session
