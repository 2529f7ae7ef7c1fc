"""The weekly roster workbook prints readably: landscape, the grid only, and a week with evening
clinics across two pages wide instead of a third of its size on one."""
from __future__ import annotations

import datetime as dt

import openpyxl

from services.excel import exports
from services.rosters.layout import PERIODS, ROSTER_FIRST_COL, roster_column, week_label
from services.staff.actor import SYSTEM
from tests import factories as f

TODAY = dt.date.today()
MONDAY = TODAY - dt.timedelta(days=TODAY.weekday()) + dt.timedelta(days=7)


def test_roster_print_setup(sqlite_db, tmp_path):
    db = sqlite_db
    nk, wk = f.department(db, "NK", "内科"), f.department(db, "WK", "外科")
    f.session(db, f.doctor(db, nk, "王明"), MONDAY, "evening", dt.time(18), dt.time(21))
    f.session(db, f.doctor(db, wk, "李华"), MONDAY, "am")
    out = tmp_path / "roster.xlsx"
    exports.export_roster(db, SYSTEM, week_label(MONDAY), out)
    wb = openpyxl.load_workbook(out)
    evening, day_only = wb["内科"], wb["外科"]
    last = openpyxl.utils.get_column_letter(roster_column(6, 2))
    for ws in (evening, day_only):
        assert ws.page_setup.orientation == "landscape" and ws.sheet_properties.pageSetUpPr.fitToPage
        assert ws.print_area == [f"'{ws.title}'!$A$1:${last}${ws.max_row}"] or \
            str(ws.print_area).endswith(f"$A$1:${last}${ws.max_row}")
    assert evening.page_setup.fitToWidth == 2 and day_only.page_setup.fitToWidth == 1
    col = openpyxl.utils.get_column_letter(ROSTER_FIRST_COL + PERIODS.index("evening"))
    assert day_only.column_dimensions[col].hidden and not evening.column_dimensions[col].hidden


def test_daily_list_age_does_not_run_into_the_phone_number(sqlite_db, tmp_path):
    db = sqlite_db
    clinic = f.basic_clinic(db, day=MONDAY)
    f.set_status(db, f.request(db, clinic["slot_ids"][0], f.patient(db, birth_date=dt.date(2020, 1, 1))), "confirmed")
    out = tmp_path / "day.xlsx"
    exports.export_daily(db, SYSTEM, MONDAY, out)
    ws = openpyxl.load_workbook(out).active
    header = next(r for r in range(1, 6) if ws.cell(r, 1).value == "序号")
    age_col = next(c for c in range(1, ws.max_column + 1) if ws.cell(header, c).value == "年龄")
    cell = ws.cell(header + 1, age_col)
    assert isinstance(cell.value, int) and cell.alignment.horizontal == "center"
