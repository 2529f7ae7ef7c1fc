"""Roster import on every database: the round trip changes nothing, edits are applied in one go,
and refused files (damaged, not a workbook, unknown doctor, end before start ...) leave every
row of clinic_sessions and slots as it was, with each problem reported at its sheet and cell."""
from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select, update

from services.cli import main as cli_main
from services.errors import PermissionDenied, ValidationError
from services.excel import exports
from services.models import AuditLog, Booking, ClinicSession, Slot
from services.rosters import imports
from services.rosters.layout import ROSTER_FIRST_ROW, roster_column, week_label
from services.staff.actor import SYSTEM, Actor
from tests import factories as f

TODAY = dt.date.today()
MONDAY = TODAY - dt.timedelta(days=TODAY.weekday()) + dt.timedelta(days=14)  # a week in the future
WEEK = week_label(MONDAY)


def day(i: int) -> dt.date:
    return MONDAY + dt.timedelta(days=i)


def head(deps) -> Actor:
    return Actor(kind="staff", name="head1", role="head", department_ids=frozenset(deps))


def scene(db) -> dict:
    nk = f.department(db, "NK", "内科")
    wk = f.department(db, "WK", "外科")
    zhang = f.doctor(db, nk, "张医生", "主任医师")
    li = f.doctor(db, nk, "李医生", "主治医师")
    wang = f.doctor(db, wk, "王医生", "主治医师")
    s = {}
    s["zhang_mon"], slots = f.session(db, zhang, day(0), "am", slots=8, capacity=2)  # 08:00-12:00, 16 places
    for i, status in enumerate(["confirmed", "confirmed", "confirmed", "pending"]):
        b = f.request(db, slots[[0, 0, 1, 2][i]], f.patient(db))
        if status != "pending":
            f.set_status(db, b, status)
    s["zhang_wed"], st = f.session(db, zhang, day(2), "pm", starts=dt.time(13, 30), ends=dt.time(17, 0),
                                   status="stopped", slots=7)
    f.set_status(db, f.request(db, st[0], f.patient(db)), "stopped")
    s["li_tue"], _ = f.session(db, li, day(1), "am", status="draft", slots=8)
    s["li_thu"], th = f.session(db, li, day(3), "am", ends=dt.time(11, 0), slots=6)
    f.set_status(db, f.request(db, th[0], f.patient(db)), "cancelled")
    s["zhang_fri"], _ = f.session(db, zhang, day(4), "am", slots=8)
    with db.write() as c:  # Li sees Zhang's Friday patients
        c.execute(update(ClinicSession).where(ClinicSession.id == s["zhang_fri"]).values(doctor_id=li))
    s["wang_mon"], _ = f.session(db, wang, day(0), "am", slots=8, capacity=2)
    s["wang_tue"], _ = f.session(db, wang, day(1), "am", slots=8)
    return {"nk": nk, "wk": wk, "zhang": zhang, "li": li, "wang": wang, "sessions": s}


def dump(db) -> tuple:
    """Every row and column of clinic_sessions and slots, and the audit log's length."""
    with db.read() as c:
        sessions = [tuple(r) for r in c.execute(select(ClinicSession).order_by(ClinicSession.id))]
        slots = [tuple(r) for r in c.execute(select(Slot).order_by(Slot.id))]
        audits = c.execute(select(func.count()).select_from(AuditLog)).scalar_one()
    return sessions, slots, audits


def export(db, tmp_path, name="roster.xlsx", **kw) -> str:
    out = tmp_path / name
    exports.export_roster(db, SYSTEM, WEEK, out, **kw)
    return str(out)


def edit(src: str, dst, changes: dict, sheet: str = "内科", new_rows=()) -> str:
    """Set cells by (doctor id, day index, period index); append rows [(id or None, name, {(d, p): text})]."""
    wb = openpyxl.load_workbook(src)
    ws = wb[sheet]
    rows = {ws.cell(r, 1).value: r for r in range(ROSTER_FIRST_ROW, ws.max_row + 1)}
    for (doc, d, p), value in changes.items():
        ws.cell(rows[doc], roster_column(d, p)).value = value
    r = ws.max_row
    for doc_id, name, cells in new_rows:
        r += 1
        ws.cell(r, 1).value, ws.cell(r, 2).value = doc_id, name
        for (d, p), value in cells.items():
            ws.cell(r, roster_column(d, p)).value = value
    wb.save(dst)
    return str(dst)


def ref(db_path: str, doc: int, d: int, p: int, sheet: str = "内科") -> str:
    ws = openpyxl.load_workbook(db_path)[sheet]
    row = next(r for r in range(ROSTER_FIRST_ROW, ws.max_row + 1) if ws.cell(r, 1).value == doc)
    return f"{sheet}!{ws.cell(row, roster_column(d, p)).coordinate}"


def slots_of(db, session_id) -> list[tuple]:
    with db.read() as c:
        return [(a, b, n) for a, b, n in c.execute(select(Slot.starts_at, Slot.ends_at, Slot.capacity)
                                                   .where(Slot.session_id == session_id).order_by(Slot.starts_at))]


def session_row(db, doctor_id, d, period):
    with db.read() as c:
        return c.execute(select(ClinicSession).where(ClinicSession.rostered_doctor_id == doctor_id,
                                                     ClinicSession.day == day(d),
                                                     ClinicSession.period == period)).first()


def test_importing_a_fresh_export_changes_nothing(db, tmp_path):
    scene(db)
    path = export(db, tmp_path)
    before = dump(db)
    summary = imports.import_roster(db, SYSTEM, path)
    assert dump(db) == before
    assert summary.changed == 0 and summary.unchanged == 7 and summary.sheets == ("内科", "外科")


def test_edits_are_applied_and_the_new_export_round_trips(db, tmp_path):
    sc = scene(db)
    zhang, li, wang, s = sc["zhang"], sc["li"], sc["wang"], sc["sessions"]
    path = export(db, tmp_path)
    edited = edit(path, tmp_path / "edited.xlsx", {
        (zhang, 0, 0): "08:00-12:00\n共20号 已约3",  # more places
        (li, 1, 0): "08:00-12:00\n共16号 已约0",  # the draft mark removed: publish
        (li, 3, 0): None,  # only a cancelled booking: becomes a draft
        (li, 5, 1): "14:00-17:00 共12号",  # a new afternoon
        (zhang, 6, 2): "18:00-20:00 共4号 未发布",  # a new evening, as a draft
    })
    edited = edit(edited, tmp_path / "edited2.xlsx", {
        (wang, 0, 0): "09:00-12:00\n共12号",  # shorter: the two empty 08:xx slots go
        (wang, 1, 0): "",  # no booking ever: deleted
    }, sheet="外科")
    summary = imports.import_roster(db, head({sc["nk"], sc["wk"]}), edited)
    assert (summary.created, summary.updated, summary.deleted, summary.published, summary.unpublished) == (2, 2, 1, 1, 1)
    caps = slots_of(db, s["zhang_mon"])
    assert [n for _, _, n in caps] == [3, 3, 3, 3, 2, 2, 2, 2]
    assert session_row(db, li, 1, "am").status == "published"
    assert session_row(db, li, 3, "am").status == "draft"
    sat = session_row(db, li, 5, "pm")
    assert sat.status == "published" and (sat.starts_at, sat.ends_at, sat.doctor_id) == (dt.time(14), dt.time(17), li)
    assert slots_of(db, sat.id) == [(dt.time(14 + i // 2, 30 * (i % 2)), dt.time(14 + (i + 1) // 2, 30 * ((i + 1) % 2)), 2)
                                    for i in range(6)]
    sun = session_row(db, zhang, 6, "evening")
    assert sun.status == "draft" and [n for *_, n in slots_of(db, sun.id)] == [1, 1, 1, 1]
    wang_mon = slots_of(db, s["wang_mon"])
    assert wang_mon[0][0] == dt.time(9) and len(wang_mon) == 6 and sum(n for *_, n in wang_mon) == 12
    assert session_row(db, wang, 0, "am").starts_at == dt.time(9)
    assert session_row(db, wang, 1, "am") is None
    with db.read() as c:
        actions = [a for (a,) in c.execute(select(AuditLog.action).where(AuditLog.entity == "session"))]
    assert sorted(actions) == sorted(["import_create"] * 2 + ["import_update"] * 2 + ["import_delete",
                                                                                      "import_publish",
                                                                                      "import_unpublish"])
    again = export(db, tmp_path, "again.xlsx")
    before = dump(db)
    assert imports.import_roster(db, SYSTEM, again).changed == 0
    assert dump(db) == before


def _damaged(path, tmp_path):
    data = Path(path).read_bytes()
    out = tmp_path / "damaged.xlsx"
    out.write_bytes(data[: len(data) // 2])
    return str(out)


def _not_a_workbook(path, tmp_path):
    out = tmp_path / "notes.xlsx"
    out.write_text("医生,周一\n张医生,08:00-12:00\n", encoding="utf-8")
    return str(out)


def _zip_not_xlsx(path, tmp_path):
    out = tmp_path / "zip.xlsx"
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("hello.txt", "not a workbook")
    return str(out)


def _unknown_doctor(path, tmp_path):
    return edit(path, tmp_path / "ghost.xlsx", {}, new_rows=[(None, "不存在的医生", {(5, 0): "08:00-12:00 共8号"})])


def _unknown_doctor_id(path, tmp_path):
    return edit(path, tmp_path / "ghost2.xlsx", {}, new_rows=[(99999, None, {(5, 0): "08:00-12:00 共8号"})])


@pytest.mark.parametrize("make, message", [
    (_damaged, "不是有效的 Excel 工作簿"),
    (_not_a_workbook, "不是有效的 Excel 工作簿"),
    (_zip_not_xlsx, "不是有效的 Excel 工作簿"),
    (_unknown_doctor, "内科没有医生“不存在的医生”"),
    (_unknown_doctor_id, "医生编号 99999 不存在"),
])
def test_refused_files_change_nothing(db, tmp_path, make, message):
    scene(db)
    bad = make(export(db, tmp_path), tmp_path)
    before = dump(db)
    with pytest.raises(ValidationError, match=message):
        imports.import_roster(db, SYSTEM, bad)
    assert dump(db) == before


def test_end_before_start_is_reported_at_its_cell(db, tmp_path):
    sc = scene(db)
    path = export(db, tmp_path)
    bad = edit(path, tmp_path / "bad.xlsx", {(sc["li"], 5, 0): "12:00-08:00 共8号",
                                             (sc["zhang"], 0, 0): "08:00-12:00 共18号"})  # a good edit too
    before = dump(db)
    with pytest.raises(imports.RosterImportError) as err:
        imports.import_roster(db, SYSTEM, bad)
    assert [str(p) for p in err.value.problems] == [f"{ref(bad, sc['li'], 5, 0)}: 结束时间早于开始时间"]
    assert dump(db) == before  # the good edit was not applied either


def test_every_problem_is_listed_with_sheet_and_cell(db, tmp_path):
    sc = scene(db)
    zhang, li, wang = sc["zhang"], sc["li"], sc["wang"]
    path = export(db, tmp_path)
    bad = edit(path, tmp_path / "bad.xlsx", {
        (zhang, 0, 0): "08:00-12:00 共2号",  # 3 places are taken
        (zhang, 2, 1): "13:30-17:00 共14号",  # the stop mark removed
        (li, 4, 0): "09:00-11:00 共4号",  # Li already sees Zhang's Friday patients then
        (li, 6, 0): "13:00-14:00 共2号",  # a morning starting after noon
        (li, 5, 0): "08:00-09:00 共0号",
    }, new_rows=[(wang, "王医生", {(5, 0): "08:00-12:00 共8号"})])  # a doctor of another department
    wb = openpyxl.load_workbook(bad)
    wb["内科"]["E5"].value = "午后"
    wb.save(bad)
    with pytest.raises(imports.RosterImportError) as err:
        imports.import_roster(db, SYSTEM, bad)
    got = {p.cell: p.message for p in err.value.problems}
    assert all(p.sheet == "内科" for p in err.value.problems)
    def cell(doc, d, p):
        return ref(bad, doc, d, p).split("!")[1]
    assert "少于已约的 3 号" in got[cell(zhang, 0, 0)]
    assert "已停诊" in got[cell(zhang, 2, 1)]
    assert "重叠" in got[cell(li, 4, 0)] and "周五上午 08:00-12:00" in got[cell(li, 4, 0)]
    assert "上午出诊须在 12:00 前开始" in got[cell(li, 6, 0)]
    assert "号数必须大于 0" in got[cell(li, 5, 0)]
    assert "无法识别出诊时间“午后”" in got["E5"]
    assert any("王医生" in m and "不属于内科" in m for m in got.values())
    assert str(err.value).count("\n") == len(err.value.problems)


def test_clearing_a_session_with_bookings_is_refused(db, tmp_path):
    sc = scene(db)
    path = export(db, tmp_path)
    bad = edit(path, tmp_path / "bad.xlsx", {(sc["zhang"], 0, 0): None})
    before = dump(db)
    with pytest.raises(imports.RosterImportError, match="已有 4 个预约，不能删除"):
        imports.import_roster(db, SYSTEM, bad)
    assert dump(db) == before


def test_shortening_over_booked_slots_is_refused(db, tmp_path):
    sc = scene(db)
    path = export(db, tmp_path)
    bad = edit(path, tmp_path / "bad.xlsx", {(sc["zhang"], 0, 0): "09:00-12:00 共16号"})
    with pytest.raises(imports.RosterImportError, match="08:00-08:30 时段已有预约"):
        imports.import_roster(db, SYSTEM, bad)


def test_import_needs_the_permission_for_every_department(db, tmp_path):
    sc = scene(db)
    path = export(db, tmp_path)
    before = dump(db)
    clerk = Actor(kind="staff", name="c", role="clerk")
    with pytest.raises(PermissionDenied):
        imports.import_roster(db, clerk, path)
    with pytest.raises(PermissionDenied):
        imports.import_roster(db, head({sc["wk"]}), path)
    assert dump(db) == before
    own = export(db, tmp_path, "wk.xlsx", department_id=sc["wk"])
    assert imports.import_roster(db, head({sc["wk"]}), own).sheets == ("外科",)


def test_cli_roster_import(db, db_url, tmp_path, capsys, monkeypatch):
    sc = scene(db)
    f.cli_login(db, monkeypatch)
    path = export(db, tmp_path)
    good = edit(path, tmp_path / "good.xlsx", {(sc["li"], 5, 1): "14:00-16:00 共8号"})
    assert cli_main(["roster", "import", "--db", db_url, good]) == 0
    assert "新增 1" in capsys.readouterr().out
    bad = edit(path, tmp_path / "bad.xlsx", {(sc["li"], 6, 1): "17:00-14:00 共8号"})
    before = dump(db)
    assert cli_main(["roster", "import", "--db", db_url, bad]) == 2
    err = capsys.readouterr().err
    assert f"{ref(bad, sc['li'], 6, 1)}: 结束时间早于开始时间" in err
    assert err.count("\n") == 1  # the contract: one line on stderr, every problem on it
    assert dump(db) == before
    with db.read() as c:
        assert c.execute(select(func.count()).select_from(Booking)).scalar_one() == 6
