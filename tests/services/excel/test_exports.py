"""Excel exports on every database: the day list (content, masking, hostile cells, print set-up),
the week's roster, and the `regdesk export` commands. The workbooks are opened with openpyxl
and compared with what the database holds."""
from __future__ import annotations

import datetime as dt
import json
from collections import Counter

import openpyxl
import pytest
from sqlalchemy import select, update

from services.cli import main as cli_main
from services.errors import NotFound, PermissionDenied, ValidationError
from services.excel import exports
from services.models import AuditLog, Booking, ClinicSession, Department, Doctor, Patient, Slot
from services.rosters.layout import ROSTER_FIRST_ROW, roster_column, week_label
from services.staff.actor import SYSTEM, Actor
from tests import factories as f

DAY = dt.date(2026, 12, 1)  # a Tuesday
PHONE, CARD = "13812345678", "110101199003071234"
HOSTILE = ["=1+1", "+86 138", "-5", "@SUM(A1)", "=HYPERLINK(\"http://evil\",\"点我\")"]


def clerk(deps=()) -> Actor:
    return Actor(kind="staff", name="clerk1", role="clerk", department_ids=frozenset(deps))


def head(deps) -> Actor:
    return Actor(kind="staff", name="head1", role="head", department_ids=frozenset(deps))


def scene(db) -> dict:
    """Two departments, three doctors, bookings in every status, hostile and ordinary patients."""
    nk = f.department(db, "NK", "内科")
    wk = f.department(db, "WK", "外科")
    zhang = f.doctor(db, nk, "张医生", "主任医师")
    li = f.doctor(db, nk, "李医生", "主治医师")
    wang = f.doctor(db, wk, "王医生", "副主任医师")
    _, s_zhang = f.session(db, zhang, DAY, "am", slots=4, capacity=3)
    _, s_li = f.session(db, li, DAY, "pm", starts=dt.time(13, 30), ends=dt.time(16, 30), slots=3, capacity=3)
    _, s_wang = f.session(db, wang, DAY, "am", slots=2, capacity=5)
    f.session(db, zhang, DAY + dt.timedelta(days=1), "am")  # another day: never listed
    statuses = ["pending", "confirmed", "checked_in", "no_show", "cancelled", "stopped", "rejected", "full"]
    bookings = []
    names = HOSTILE + ["bad\x01name\x1f", "王小明", "李四", "赵五"]
    for i, name in enumerate(names):
        pid = f.patient(db, name=name, phone=PHONE if i == 0 else None)
        slot = (s_zhang + s_li + s_wang)[i % 9]
        bid = f.request(db, slot, pid)
        status = statuses[i % len(statuses)]
        if status != "pending":
            f.set_status(db, bid, status)
        bookings.append(bid)
    with db.write() as c:
        c.execute(update(Patient).where(Patient.phone == PHONE).values(id_card=CARD))
        c.execute(update(Booking).where(Booking.status == "checked_in")
                  .values(checked_in_at=dt.datetime(2026, 12, 1, 0, 45)))
    return {"nk": nk, "wk": wk, "doctors": (zhang, li, wang), "bookings": bookings}


def expected_rows(db, department_ids=None) -> list[tuple]:
    """The bookings the day list must show, straight from the tables."""
    q = (select(Department.name, Doctor.name, Patient.name, Slot.starts_at, Booking.status)
         .join(Slot, Slot.id == Booking.slot_id).join(ClinicSession, ClinicSession.id == Slot.session_id)
         .join(Doctor, Doctor.id == ClinicSession.doctor_id).join(Department, Department.id == Doctor.department_id)
         .join(Patient, Patient.id == Booking.patient_id)
         .where(ClinicSession.day == DAY, Booking.status.notin_(("rejected", "full"))))
    if department_ids:
        q = q.where(Department.id.in_(department_ids))
    with db.read() as c:
        return [(d, doc, p.replace("\x01", "").replace("\x1f", ""), t, exports.STATUS_LABELS[s])
                for d, doc, p, t, s in c.execute(q)]


def data_rows(ws) -> list[list]:
    return [[c.value for c in row] for row in ws.iter_rows(min_row=3)]


def test_daily_list_matches_the_database(db, tmp_path):
    scene(db)
    out = tmp_path / "day.xlsx"
    progress = []
    result = exports.export_daily(db, SYSTEM, DAY, out, progress=lambda d, t: progress.append((d, t)))
    ws = openpyxl.load_workbook(out).active
    rows = data_rows(ws)
    want = expected_rows(db)
    assert result.rows == len(rows) == len(want) == 7
    got = [(r[2], r[3], r[5], r[1], r[11]) for r in rows]
    assert Counter(got) == Counter(want)
    # title: hospital, day and the counts by status
    title = ws["A1"].value
    assert "测试人民医院" in title and "2026-12-01" in title and "共 7 人" in title
    assert sum(result.counts.values()) == 7 and "rejected" not in result.counts
    for status, n in result.counts.items():
        assert f"{exports.STATUS_LABELS[status]} {n}" in title
    assert [c.value for c in ws[2]] == [c.header for c in exports.DAILY_COLUMNS]
    assert (ws["L1"].value, ws["M1"].value, ws["M1"].number_format) == ("就诊日期", dt.datetime(2026, 12, 1), "yyyy-mm-dd")
    # by department, then doctor, then time; numbers restart for every session
    deps = [r[2] for r in rows]
    assert deps == sorted(deps, key=lambda d: {"内科": 0, "外科": 1}[d])
    zhang = [r for r in rows if r[3] == "张医生"]
    assert [r[0] for r in zhang] == list(range(1, len(zhang) + 1))
    assert [r[1] for r in zhang] == sorted(r[1] for r in zhang)
    # typed cells
    assert all(isinstance(r[1], dt.time) for r in rows)
    checked = [r for r in rows if r[11] == "已签到"]
    assert checked and all(isinstance(r[12], dt.datetime) for r in checked)
    assert all(r[12] is None for r in rows if r[11] != "已签到")
    assert {r[6] for r in rows} == {"女"} and all(isinstance(r[7], int) for r in rows)
    assert progress[0] == (0, 7) and progress[-1] == (7, 7)


def test_daily_list_print_setup_and_layout(db, tmp_path):
    scene(db)
    out = tmp_path / "day.xlsx"
    exports.export_daily(db, SYSTEM, DAY, out)
    ws = openpyxl.load_workbook(out).active
    assert ws.freeze_panes == "A3"
    assert ws.print_title_rows == "$1:$2"
    assert ws.page_setup.orientation == "landscape"
    assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0
    assert ws.sheet_properties.pageSetUpPr.fitToPage is True
    assert "A1:K1" in {str(r) for r in ws.merged_cells.ranges}
    assert ws.auto_filter.ref.startswith("A2:M")
    assert [b.id for b in ws.row_breaks.brk]  # a page per department
    # wide enough for Chinese: the ID card and the doctor's title fit
    assert ws.column_dimensions["J"].width >= 20
    assert ws.column_dimensions["E"].width >= 2 * len("副主任医师")


def test_phone_and_id_numbers_are_masked_by_default(db, tmp_path):
    scene(db)
    out = tmp_path / "day.xlsx"
    exports.export_daily(db, clerk(), DAY, out)
    rows = data_rows(openpyxl.load_workbook(out).active)
    mine = [r for r in rows if r[5] == HOSTILE[0]]
    assert mine[0][8] == "138****5678" and mine[0][9] == "110101********1234"
    phones = [r[8] for r in rows]
    assert all("****" in p and len(p) == 11 for p in phones)
    text = out.read_bytes()
    assert PHONE.encode() not in text and CARD.encode() not in text


def test_unmasked_only_for_roles_allowed_and_only_when_asked(db, tmp_path):
    sc = scene(db)
    out = tmp_path / "full.xlsx"
    with pytest.raises(PermissionDenied):
        exports.export_daily(db, clerk(), DAY, out, unmasked=True)
    with pytest.raises(PermissionDenied):  # a head of another department
        exports.export_daily(db, head({sc["wk"]}), DAY, out, department_id=sc["nk"], unmasked=True)
    assert not out.exists()
    exports.export_daily(db, head({sc["nk"]}), DAY, out, department_id=sc["nk"], unmasked=True)
    rows = data_rows(openpyxl.load_workbook(out).active)
    mine = [r for r in rows if r[5] == HOSTILE[0]]
    assert (mine[0][8], mine[0][9]) == (PHONE, CARD)
    assert {r[2] for r in rows} == {"内科"}
    with db.read() as c:
        audits = c.execute(select(AuditLog.actor, AuditLog.action, AuditLog.detail)).all()
    assert ("head1", "export_unmasked") in {(a, b) for a, b, _ in audits}
    assert json.loads(audits[-1].detail) == {"what": "daily"}


def test_a_failed_unmasked_export_leaves_no_audit_row(db, tmp_path):
    """The audit row of an unmasked export is written with the export: when the workbook cannot be put in
    place (here its name became a folder while the rows were written), neither the file nor the row stays."""
    sc = scene(db)
    out = tmp_path / "full.xlsx"

    def name_taken_meanwhile(done: int, total: int) -> None:
        out.mkdir(exist_ok=True)
    with pytest.raises(ValidationError, match="无法写入文件"):
        exports.export_daily(db, head({sc["nk"]}), DAY, out, department_id=sc["nk"], unmasked=True,
                             progress=name_taken_meanwhile)
    assert out.is_dir() and list(out.parent.glob("*.part")) == []
    with db.read() as c:
        assert c.execute(select(AuditLog.id).where(AuditLog.action == "export_unmasked")).all() == []


def test_hostile_cells_are_text_and_control_characters_removed(db, tmp_path):
    scene(db)
    out = tmp_path / "day.xlsx"
    exports.export_daily(db, SYSTEM, DAY, out)
    ws = openpyxl.load_workbook(out).active
    cells = {row[5].value: row[5] for row in ws.iter_rows(min_row=3)}
    for name in HOSTILE:
        assert cells[name].data_type == "s", name
        assert cells[name].quotePrefix is True
    assert "badname" in cells
    assert not any(c.data_type == "f" for row in ws.iter_rows() for c in row)


def test_department_filter_and_scope(db, tmp_path):
    sc = scene(db)
    out = tmp_path / "nk.xlsx"
    r = exports.export_daily(db, SYSTEM, DAY, out, department_id=sc["nk"])
    rows = data_rows(openpyxl.load_workbook(out).active)
    assert {row[2] for row in rows} == {"内科"} and r.rows == len(expected_rows(db, [sc["nk"]]))
    # a head without --department gets their own departments only
    exports.export_daily(db, head({sc["wk"]}), DAY, out)
    assert {row[2] for row in data_rows(openpyxl.load_workbook(out).active)} == {"外科"}
    with pytest.raises(PermissionDenied):
        exports.export_daily(db, head({sc["wk"]}), DAY, out, department_id=sc["nk"])


def test_an_empty_day_still_writes_a_list(db, tmp_path):
    scene(db)
    out = tmp_path / "empty.xlsx"
    r = exports.export_daily(db, SYSTEM, DAY - dt.timedelta(days=30), out)
    ws = openpyxl.load_workbook(out).active
    assert r.rows == 0 and ws.max_row == 2 and "共 0 人" in ws["A1"].value


def test_cli_export_daily(db, db_url, tmp_path, capsys, monkeypatch):
    scene(db)
    f.cli_login(db, monkeypatch)
    out = tmp_path / "cli.xlsx"
    rc = cli_main(["export", "daily", "--db", db_url, "--date", "2026-12-01", "--department", "NK",
                   "--out", str(out)])
    assert rc == 0, capsys.readouterr().err
    assert "患者名单" in capsys.readouterr().out
    rows = data_rows(openpyxl.load_workbook(out).active)
    assert rows and all("****" in r[8] for r in rows)
    rc = cli_main(["export", "daily", "--db", db_url, "--date", "2026-12-01", "--unmasked", "--out", str(out)])
    assert rc == 0
    assert PHONE in {r[8] for r in data_rows(openpyxl.load_workbook(out).active)}
    bad = tmp_path / "bad.xlsx"
    rc = cli_main(["export", "daily", "--db", db_url, "--date", "2026-12-01", "--department", "XX",
                   "--out", str(bad)])
    err = capsys.readouterr().err
    assert rc == 2 and "XX" in err and len(err.strip().splitlines()) == 1 and not bad.exists()
    assert cli_main(["export", "daily", "--db", db_url, "--date", "2026-13-01", "--out", str(bad)]) == 2


# ---------------------------------------------------------------- roster

def test_roster_export_shows_the_week(db, tmp_path):
    sc = scene(db)
    zhang, li, wang = sc["doctors"]
    monday = DAY - dt.timedelta(days=DAY.weekday())
    with db.write() as c:  # Li's afternoon is stopped; Zhang's next day is a draft taken by Li
        c.execute(update(ClinicSession).where(ClinicSession.doctor_id == li).values(status="stopped"))
        c.execute(update(ClinicSession).where(ClinicSession.day == DAY + dt.timedelta(days=1))
                  .values(status="draft", doctor_id=li))
    out = tmp_path / "roster.xlsx"
    r = exports.export_roster(db, SYSTEM, week_label(monday), out)
    wb = openpyxl.load_workbook(out)
    assert r.sheets == ("内科", "外科") and wb.sheetnames == ["内科", "外科", "填写说明"]
    ws = wb["内科"]
    assert (ws["A2"].value, ws["B2"].value, ws["C2"].value, ws["D2"].value) == ("科室代码", "NK", "周次", "2026-W49")
    assert ws.cell(3, roster_column(1, 0)).value == "周二 12-01"
    assert [ws.cell(4, roster_column(0, p)).value for p in range(3)] == ["上午", "下午", "晚上"]
    rows = {ws.cell(r, 1).value: r for r in range(ROSTER_FIRST_ROW, ws.max_row + 1)}
    assert list(rows) == [zhang, li]  # 主任医师 first
    with db.read() as c:
        taken = c.execute(select(Booking.id).join(Slot).join(ClinicSession)
                          .where(ClinicSession.rostered_doctor_id == zhang, ClinicSession.day == DAY,
                                 Booking.status.in_(("confirmed", "checked_in", "no_show")))).all()
    assert ws.cell(rows[zhang], roster_column(1, 0)).value == f"08:00-12:00\n共12号 已约{len(taken)}"
    assert ws.cell(rows[zhang], roster_column(2, 0)).value == "08:00-12:00\n共8号 已约0\n未发布 替诊:李医生"
    assert ws.cell(rows[li], roster_column(1, 1)).value.endswith("\n停诊")
    assert ws.cell(rows[li], roster_column(1, 0)).value is None
    assert ws.freeze_panes == "D5" and ws.page_setup.orientation == "landscape"
    assert ws.print_title_rows == "$3:$4"
    assert wb["外科"].cell(ROSTER_FIRST_ROW, 2).value == "王医生"


def test_roster_export_permissions_and_cli(db, db_url, tmp_path, capsys, monkeypatch):
    sc = scene(db)
    out = tmp_path / "r.xlsx"
    with pytest.raises(PermissionDenied):
        exports.export_roster(db, clerk(), "2026-W49", out)
    r = exports.export_roster(db, head({sc["wk"]}), "2026-W49", out)
    assert r.sheets == ("外科",)
    with pytest.raises(NotFound):
        exports.export_roster(db, SYSTEM, "2026-W49", out, department_id=10_000)
    f.cli_login(db, monkeypatch, "head_nk", "head", (sc["nk"],))  # a head of 内科 exports from a script
    rc = cli_main(["export", "roster", "--db", db_url, "--week", "2026-W49", "--department", "NK", "--out", str(out)])
    assert rc == 0, capsys.readouterr().err
    assert openpyxl.load_workbook(out).sheetnames == ["内科", "填写说明"]
    assert cli_main(["export", "roster", "--db", db_url, "--week", "2026-49", "--out", str(out)]) == 2
    assert "2026-W48" in capsys.readouterr().err


@pytest.mark.parametrize("what", ["daily", "roster"])
def test_cli_export_to_a_folder_or_an_unwritable_place_is_one_line(db, db_url, tmp_path, capsys, what, monkeypatch):
    """--out naming a folder, or a folder nobody can create files in, is one stderr line, exit 2."""
    import os
    scene(db)
    f.cli_login(db, monkeypatch)
    when = ["--date", "2026-12-01"] if what == "daily" else ["--week", "2026-W49"]
    folder = tmp_path / "already-a-folder.xlsx"
    folder.mkdir()
    outs = [folder]
    if os.path.isdir("/proc"):  # creating files there fails even for root
        outs.append("/proc/regdesk-export.xlsx")
    for out in outs:
        rc = cli_main(["export", what, "--db", db_url, *when, "--out", str(out)])
        err = capsys.readouterr().err
        assert rc == 2, err
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    assert folder.is_dir() and list(folder.iterdir()) == []
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".part")] == []


def test_cli_export_roster_of_the_last_representable_week_is_one_line(db, db_url, tmp_path, capsys, monkeypatch):
    """9999-W52 ends after 9999-12-31 (the last day Python knows): refused in one line, no traceback."""
    scene(db)
    f.cli_login(db, monkeypatch)
    out = tmp_path / "w.xlsx"
    rc = cli_main(["export", "roster", "--db", db_url, "--week", "9999-W52", "--out", str(out)])
    err = capsys.readouterr().err
    assert rc == 2, err
    assert len(err.strip().splitlines()) == 1 and "9999-W52" in err and not out.exists()
