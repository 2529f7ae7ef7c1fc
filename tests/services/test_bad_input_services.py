"""Bad input that reaches the services: the roster import (rows never dropped, numbers too large,
weeks out of reach, damaged files, messages cut to a readable line), the one rule for how far a
roster may be published or imported, searches with control characters, and ids, places and text
handed to the services directly. Every refusal leaves every table as it was."""
from __future__ import annotations

import datetime as dt
import zipfile

import openpyxl
import pytest

from services import limits
from services.bookings import patients, rules
from services.errors import AuthError, NotFound, ValidationError
from services.excel import exports
from services.rosters import imports, templates
from services.rosters.layout import ROSTER_FIRST_ROW, roster_column
from services.staff import auth
from services.staff.actor import SYSTEM
from tests import factories as f
from tests.bad_input import ADMIN, BIG, HUGE, MONDAY, TODAY, WEEK, Hospital, refused
from tests.dbs import DIALECTS
from tests.snapshot import snapshot


@pytest.fixture(scope="module", params=DIALECTS)
def hosp(request, tmp_path_factory):
    h = Hospital(request.param, tmp_path_factory.mktemp("bad-services"))
    h.export = str(h.tmp / "roster.xlsx")
    exports.export_roster(h.db, SYSTEM, WEEK, h.export)
    yield h
    h.close()


@pytest.fixture(autouse=True)
def admin_logs_in(monkeypatch):  # the roster commands act as a person
    f.cli_logs_in_as(monkeypatch, ADMIN)


def _sheet(hosp, tmp_path, name: str, fill) -> str:
    """The exported roster with ``fill(ws, ids)`` applied, saved as ``name``."""
    wb = openpyxl.load_workbook(hosp.export)
    fill(wb["内科"], hosp.ids)
    out = tmp_path / name
    wb.save(out)
    return str(out)


def _li_row(ws, ids) -> int:
    return next(r for r in range(ROSTER_FIRST_ROW, ws.max_row + 1) if ws.cell(r, 1).value == ids["li"])


def _set(ws, row: int, d: int, p: int, value) -> None:
    ws.cell(row, roster_column(d, p)).value = value


def _far_row(ws, ids):  # Li's row moved to row 10,005, with a new session on it
    r = _li_row(ws, ids)
    ws.cell(10_005, 1).value, ws.cell(10_005, 2).value = ids["li"], "李医生"
    _set(ws, 10_005, 5, 1, "14:00-16:00 共8号")
    ws.cell(r, 1).value = ws.cell(r, 2).value = None


def _week(text):
    def fill(ws, ids):
        ws["D2"].value = text
    return fill


def _cell(value, col_a=None):
    def fill(ws, ids):
        r = _li_row(ws, ids)
        if col_a is not None:
            ws.cell(r, 1).value = col_a
        _set(ws, r, 5, 0, value)
    return fill


def _many_bad_rows(ws, ids):  # 1,990 rows, three unreadable cells each: 5,970 problems
    for r in range(ROSTER_FIRST_ROW + 10, ROSTER_FIRST_ROW + 2000):
        for d in range(3):
            _set(ws, r, d, 0, "午后" * 50)


HORIZON = limits.roster_horizon(TODAY)
FAR_MONDAY = HORIZON + dt.timedelta(days=7 - HORIZON.weekday())
FAR_WEEK = f"{FAR_MONDAY.isocalendar()[0]}-W{FAR_MONDAY.isocalendar()[1]:02d}"

FILES = [
    ("far-row", _far_row, "本表写到了第 10005 行"),  # was: silently ignored past row 2,004
    ("9999-W01", _week("9999-W01"), "9999-W01 太远"),
    ("past-horizon", _week(FAR_WEEK), f"{FAR_WEEK} 太远"),
    ("places-5000-digits", _cell(f"08:00-12:00 共{HUGE}号"), "号数过大：9999999999"),
    ("places-100000", _cell("08:00-12:00 共100000号"), "号数过大：100000（最多 9999）"),
    ("doctor-id-big", _cell("08:00-12:00 共8号", col_a=10**20), "医生编号应为 1 至 2147483647 的整数"),
    ("doctor-id-huge-text", _cell("08:00-12:00 共8号", col_a=HUGE), "医生编号应为 1 至 2147483647 的整数"),
    ("million-char-cell", _cell("x" * 1_000_000), "x…（共 32767 个字符）"),  # what Excel keeps of it
    ("many-bad-rows", _many_bad_rows, "…及其他 5960 处问题"),
]


@pytest.mark.parametrize("name, fill, expect", FILES, ids=[n for n, _, _ in FILES])
def test_refused_roster_files(hosp, tmp_path, capsys, name, fill, expect):
    path = _sheet(hosp, tmp_path, f"{name}.xlsx", fill)
    err = refused(capsys, ["roster", "import", path, "--db", hosp.url], hosp.url, expect=expect)
    assert len(err) < 2000  # was 32,800 characters for one big cell, 52,800 for 10,000 bad rows


def test_a_sheet_formatted_far_down_is_read_in_full(hosp, tmp_path):
    """Empty formatted cells below the doctors neither refuse the sheet nor hide a change above them."""
    def fill(ws, ids):
        for r in range(ROSTER_FIRST_ROW + 5, 10_006):
            ws.cell(r, 2).number_format = "@"
        _set(ws, _li_row(ws, ids), 6, 1, "14:00-16:00 共8号")
    path = _sheet(hosp, tmp_path, "formatted.xlsx", fill)
    assert imports.import_roster(hosp.db, SYSTEM, path).created == 1
    sunday = templates.sessions_for(hosp.db, MONDAY + dt.timedelta(days=6), doctor_id=hosp.ids["li"])
    assert [(s.period, s.capacity) for s in sunday] == [("pm", 8)]
    empty = _sheet(hosp, tmp_path, "undo.xlsx", lambda ws, ids: _set(ws, _li_row(ws, ids), 6, 1, None))
    assert imports.import_roster(hosp.db, SYSTEM, empty).deleted == 1  # the shared hospital as it was


def _text_file(tmp_path):
    p = tmp_path / "roster.xlsx"
    p.write_bytes("编号,医生\n1,张医生\n".encode("gbk"))  # not UTF-8 either
    return p


def _zip_of_junk(tmp_path):
    p = tmp_path / "roster.xlsx"
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("[Content_Types].xml", b"\xff\xfe not xml")
    return p


def _non_utf8_sheet(hosp, tmp_path):
    p = tmp_path / "roster.xlsx"
    with zipfile.ZipFile(hosp.export) as src, zipfile.ZipFile(p, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            dst.writestr(item, data.replace("张医生".encode(), b"\xff\xfe\xfd") if "sheet1" in item.filename else data)
    return p


def _empty(tmp_path):
    p = tmp_path / "roster.xlsx"
    p.write_bytes(b"")
    return p


@pytest.mark.parametrize("make", [_text_file, _zip_of_junk, _empty, lambda t: t, lambda t: t / "none.xlsx"],
                         ids=["text-renamed", "zip-not-workbook", "empty", "a-folder", "missing"])
def test_files_that_are_no_workbook(hosp, tmp_path, capsys, make):
    refused(capsys, ["roster", "import", str(make(tmp_path)), "--db", hosp.url], hosp.url)


def test_a_sheet_with_bytes_that_are_not_utf8(hosp, tmp_path, capsys):
    refused(capsys, ["roster", "import", str(_non_utf8_sheet(hosp, tmp_path)), "--db", hosp.url], hosp.url,
            expect="不是有效的 Excel 工作簿")


@pytest.mark.parametrize("start, end, expect", [
    (TODAY - dt.timedelta(days=30), TODAY - dt.timedelta(days=24), "已过去，不能发布"),
    (HORIZON - dt.timedelta(days=3), HORIZON + dt.timedelta(days=1), "排班最远到"),
    (dt.date(9999, 1, 1), dt.date(9999, 1, 7), "排班最远到"),
])
def test_publish_keeps_the_import_s_reach(hosp, capsys, start, end, expect):
    refused(capsys, ["roster", "publish", "--from", str(start), "--to", str(end), "--db", hosp.url], hosp.url,
            expect=expect)


def test_publish_over_today_creates_nothing_in_the_past(sqlite_db):
    from tests import factories as f
    doc = f.doctor(sqlite_db, f.department(sqlite_db))
    for weekday in range(7):
        f.template(sqlite_db, doc, weekday)
    s = templates.publish(sqlite_db, SYSTEM, TODAY - dt.timedelta(days=3), TODAY + dt.timedelta(days=3))
    assert s.sessions_created == 4  # today and three days ahead
    assert s.skipped[0] == f"{TODAY - dt.timedelta(days=3)} 至 {TODAY - dt.timedelta(days=1)} 已过去，未发布"
    assert not templates.sessions_for(sqlite_db, TODAY - dt.timedelta(days=1))


def test_the_roster_s_reach_is_one_rule():
    # publishing and the import both ask services.limits.roster_day_problem
    assert limits.roster_day_problem(TODAY - dt.timedelta(days=1), TODAY).endswith("已过去，不能修改排班")
    assert "太远" in limits.roster_day_problem(HORIZON + dt.timedelta(days=1), TODAY)
    assert limits.roster_day_problem(HORIZON, TODAY) is None and limits.roster_day_problem(TODAY, TODAY) is None


@pytest.mark.parametrize("query", ["\x00", "\x00\x00", "%\x00", "王\x00", "\x1b[2J", "\udcff", "\t\n", "x" * 10_000])
def test_search_with_control_characters(hosp, query):
    before = snapshot(hosp.db)
    found = patients.find(hosp.db, query)
    assert len(found) <= 1  # a NUL used to match every patient on SQLite, and was a DataError on PostgreSQL
    if query.startswith("王"):
        assert [p.name for p in found] == ["王小明"]
    assert snapshot(hosp.db) == before


@pytest.mark.parametrize("name", ["\x00", "admin\x00", "a" * 10_000, "\udcff"])
def test_log_in_with_impossible_names_is_a_wrong_log_in(hosp, name):
    with pytest.raises(AuthError):
        auth.login(hosp.db, name, "whatever-1")


def _calls(ids):
    return [
        (lambda db: templates.stop_session(db, SYSTEM, 10**20, "医生外出"), NotFound),
        (lambda db: templates.substitute(db, SYSTEM, ids["session"], 10**20), NotFound),
        (lambda db: templates.save_template(db, SYSTEM, 10**20, 5, "am", "08:00", "12:00", 30, 2), NotFound),
        (lambda db: templates.save_template(db, SYSTEM, ids["zhang"], 5, "am", "08:00", "12:00", 30, 10**20),
         ValidationError),
        (lambda db: templates.save_template(db, SYSTEM, ids["zhang"], 5, "am", "08:00", "12:00", 10**20, 2),
         ValidationError),
        (lambda db: templates.set_slot_capacity(db, SYSTEM, ids["slots"][0], 10**20), ValidationError),
        (lambda db: templates.set_slot_capacity(db, SYSTEM, 10**20, 3), NotFound),
        (lambda db: templates.publish(db, SYSTEM, MONDAY, MONDAY, doctor_ids=[10**20]), NotFound),
        (lambda db: templates.stop_session(db, SYSTEM, ids["session"], "医生\x00外出"), ValidationError),
        (lambda db: templates.stop_session(db, SYSTEM, ids["session"], "医生外出\x1b[2J"), ValidationError),
        (lambda db: templates.update_session(db, SYSTEM, ids["session"], note="备注\x00"), ValidationError),
        (lambda db: patients.register(db, SYSTEM, "张\x00三", "M", "13800001234"), ValidationError),
        (lambda db: auth.create_staff(db, SYSTEM, "li2", "李\x00", "clerk", "password-1"), ValidationError),
        (lambda db: rules.decide_pending(db, SYSTEM, limit=10**20), ValidationError),
    ]


@pytest.mark.parametrize("i", range(len(_calls({"session": 0, "zhang": 0, "slots": [0]}))))
def test_services_refuse_out_of_range_ids_places_and_text(hosp, i):
    call, error = _calls(hosp.ids)[i]
    before = snapshot(hosp.db)
    with pytest.raises(error):
        call(hosp.db)
    assert snapshot(hosp.db) == before


@pytest.mark.parametrize("rng, good, bad", [
    (limits.ROW_ID, ["1", " 2147483647 ", 7], ["0", "-1", "2147483648", BIG, HUGE, "1_0", "٣", "1.0", True, 1.5]),
    (limits.PLACES, ["1", "9999"], ["10000", "0", ""]),
])
def test_int_ranges(rng, good, bad):
    assert all(rng.problem(v) is None for v in good)
    for v in bad:
        assert rng.problem(v) and len(rng.problem(v)) < 100, v


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "1e308", "0.05", "3600.5", "1_0", float("nan"), True])
def test_interval_range(value):
    assert limits.INTERVAL.problem(value)
