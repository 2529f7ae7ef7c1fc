"""Printing the day list: exactly the rows and columns the screen shows, in its order, with a title
saying how it was filtered; prepared in the background with a busy state; many pages when needed."""
from __future__ import annotations

import datetime as dt
import re

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtPrintSupport import QPrintPreviewDialog

from console.bookings import printing
from console.common.tablemodel import ID_ROLE
from tests import factories as f
from tests.console.bookings.test_daylist import open_page, shown
from tests.console.console_helpers import console_context, staff
from tests.console.page_support import OFFSCREEN_NOISE

pytestmark = OFFSCREEN_NOISE

DAY = dt.date.today() + dt.timedelta(days=1)


def busy_day(db) -> dict:
    dep = f.department(db, "NK", "内科")
    doc = f.doctor(db, dep, "王明")
    _sid, slots = f.session(db, doc, DAY, slots=4, capacity=4)
    ids = {}
    for i, name in enumerate(["张一", "李二", "张三", "赵四", "张五", "<b>粗体</b>"]):
        b = f.request(db, slots[i % 4], f.patient(db, name=name, phone=f"1381234{i:04d}"))
        ids[name] = b
        f.set_status(db, b, "cancelled" if name == "张五" else "confirmed")
    return {"department_id": dep, "doctor_id": doc, "ids": ids}


def screen_cells(page) -> list[list[str]]:
    """The texts of the rows shown, column by column in the header's visual order, hidden ones left out."""
    proxy, header = page.table.proxy, page.table.horizontalHeader()
    cols = [header.logicalIndex(v) for v in range(header.count())]
    cols = [c for c in cols if not header.isSectionHidden(c)]
    return [[proxy.index(r, c).data() or "" for c in cols] for r in range(proxy.rowCount())]


def test_the_printout_is_exactly_what_the_day_list_shows(qtbot, sqlite_db, tmp_path):
    c = busy_day(sqlite_db)
    with console_context(sqlite_db, staff(sqlite_db), tmp_path) as ctx:
        page = open_page(qtbot, ctx, DAY)
        page.status_filter.setCurrentIndex(page.status_filter.findData("expected"))  # not yet checked in
        page.search_box.setText("张")  # typed; the list searches when the clerk pauses
        patient = page.model.column_index("patient")
        page.table.sortByColumn(patient, Qt.SortOrder.DescendingOrder)
        header = page.table.horizontalHeader()
        header.hideSection(page.model.column_index("notify"))
        header.moveSection(header.visualIndex(patient), 0)  # the patient's name first
        view = printing.day_list_view(page)
        expected = [c["ids"]["张一"], c["ids"]["张三"]]  # by pinyin, descending; 张五 is cancelled
        assert shown(page) == expected and [r.booking_id for r in view.rows] == expected
        sheet = printing.build_sheet(view, "测试医院")
        assert [list(r) for r in sheet.rows] == screen_cells(page)  # the screen's words, columns and order
        assert sheet.headers[0] == page.model.headerData(patient, Qt.Orientation.Horizontal)
        assert page.model.headerData(page.model.column_index("notify"), Qt.Orientation.Horizontal) \
            not in sheet.headers
        assert "测试医院" in sheet.title and f"{DAY:%Y-%m-%d}" in sheet.title
        # the title line says what was left out: the status choice, the search, the order, how many of all
        assert page.status_filter.currentText() in sheet.subtitle and "张" in sheet.subtitle
        assert re.search(r"\b2\b.*\b6\b", sheet.subtitle), sheet.subtitle
        assert sheet.headers[0] in sheet.subtitle  # sorted by the patient's name


def test_the_preview_is_prepared_in_the_background_with_a_busy_state(qtbot, sqlite_db, tmp_path):
    busy_day(sqlite_db)
    with console_context(sqlite_db, staff(sqlite_db), tmp_path) as ctx:
        page = open_page(qtbot, ctx, DAY)
        printer = printing.DayListPrinter(ctx, page)
        states: list[bool] = []
        printer.busyChanged.connect(states.append)
        view = printing.day_list_view(page)
        with qtbot.waitSignal(printer.previewOpened, timeout=20_000) as opened:
            printer.preview(view)
            # the call returned at once: the sheet is built by a worker meanwhile, and that shows
            assert printer.busy and states == [True] and QGuiApplication.overrideCursor() is not None
            printer.preview(view)  # a second Ctrl+P meanwhile starts nothing more
        dialog = opened.args[0]
        assert isinstance(dialog, QPrintPreviewDialog) and dialog.isVisible()
        assert f"{DAY:%Y-%m-%d}" in dialog.windowTitle()
        assert states == [True, False] and not printer.busy and QGuiApplication.overrideCursor() is None
        dialog.close()
        qtbot.waitUntil(lambda: not printer._printers)


def test_the_day_list_prints_to_pdf(qtbot, sqlite_db, tmp_path):
    c = busy_day(sqlite_db)
    with console_context(sqlite_db, staff(sqlite_db), tmp_path) as ctx:
        page = open_page(qtbot, ctx, DAY)
        page.search_box.setText("粗体")
        printer = printing.DayListPrinter(ctx, page)
        out = tmp_path / "day.pdf"
        with qtbot.waitSignal(printer.sheetReady, timeout=20_000) as ready, \
                qtbot.waitSignal(printer.pdfWritten, timeout=20_000) as written:
            printer.save_pdf(printing.day_list_view(page), out)
        assert written.args[0] == str(out) and out.read_bytes().startswith(b"%PDF")
        sheet = ready.args[0]
        assert len(sheet.rows) == 1 and "<b>粗体</b>" in sheet.rows[0]  # as typed: nothing is markup
        assert page.table.proxy.index(0, 0).data(ID_ROLE) == c["ids"]["<b>粗体</b>"]


def test_a_big_day_prints_every_row_on_numbered_pages(tmp_path):
    rows = tuple((f"{8 + i // 400:02d}:{i % 60:02d}", str(1000 + i), f"患者{i}", "138****0000", "内科")
                 for i in range(2000))
    left = Qt.AlignmentFlag.AlignLeft
    sheet = printing.Sheet("测试医院 门诊患者名单", "2000 人", ("时段", "编号", "患者", "电话", "科室"),
                           (left,) * 5, rows, "打印于 今天")
    out = tmp_path / "big.pdf"
    pages = printing.paint_sheet(sheet, printing.new_printer(out))
    data = out.read_bytes()
    assert pages > 20 and len(re.findall(rb"/Type\s*/Page\b", data)) == pages


def test_wide_columns_give_way_and_narrow_ones_stay_whole():
    assert printing.fit_widths([10, 20, 30], 120) == [20, 40, 60]  # across the page
    widths = printing.fit_widths([10, 20, 300, 500], 200)
    assert widths[:2] == [10, 20] and widths[2] == widths[3] == 85 and sum(widths) == 200


def test_the_title_names_the_department_of_the_rows_printed(qtbot, sqlite_db, tmp_path):
    c = busy_day(sqlite_db)
    surgery = f.department(sqlite_db, "WK", "外科")
    with console_context(sqlite_db, staff(sqlite_db), tmp_path) as ctx:
        page = open_page(qtbot, ctx, DAY)
        i = page.department.findData(c["department_id"])
        page.department.setCurrentIndex(i)
        page.department.activated.emit(i)  # the clerk's choice: a new query
        qtbot.waitUntil(lambda: page.model.query[1] == c["department_id"] and page._loading is None, timeout=10_000)
        assert "内科" in printing.build_sheet(printing.day_list_view(page), "医院").subtitle
        page.department.setCurrentIndex(page.department.findData(surgery))
        assert page.department.currentText() == "外科" and page.model.query[1] == c["department_id"]  # not loaded
        sheet = printing.build_sheet(printing.day_list_view(page), "医院")
        assert "内科" in sheet.subtitle and "外科" not in sheet.subtitle  # what the rows are, not the picker
