"""The weekly roster workbook prints readably: landscape, the grid only, and a week with evening
clinics across two pages wide instead of a third of its size on one."""
from __future__ import annotations

import datetime as dt

import openpyxl

from services import exports
from services.actor import SYSTEM
from services.roster_layout import PERIODS, ROSTER_FIRST_COL, roster_column, week_label
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
