"""The lists' columns at 1366x768 in Chinese: every text fits its column, or is elided with the whole
text in a tooltip; a header saved before a column's content grew is fitted to the new content."""
from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import QEvent, QLocale, QPoint, Qt
from PySide6.QtGui import QHelpEvent
from PySide6.QtWidgets import QApplication, QStyleOptionViewItem, QToolTip
from sqlalchemy import text

from console.app import STYLE
from console.bookings.queue import QueuePage
from console.common import i18n, settings as S
from console.common.booktable import elided
from services.clock import hospital_today, utcnow
from tests import factories as f
from tests.console.console_helpers import console_context, staff

# the offscreen platform says so when a window (a page, the tooltip) is shown or raised
pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support (propagateSizeHints|raise)")


@pytest.fixture
def chinese(qapp):
    """The console as the clerks see it: Chinese, under its own style sheet."""
    locale, sheet = QLocale(), qapp.styleSheet()
    i18n.install(qapp, "zh_CN")
    qapp.setStyleSheet(STYLE.read_text(encoding="utf-8"))
    yield qapp
    i18n.install(qapp, "en")
    QLocale.setDefault(locale)
    qapp.setStyleSheet(sheet)


def waiting_requests(db) -> list[int]:
    """Requests for a clinic a week ahead (a date, not 明天), sent hours ago (the wait in hours)."""
    dep = f.department(db, "EBH", "耳鼻咽喉头颈外科")
    doc = f.doctor(db, dep, "欧阳明日")
    _sid, slots = f.session(db, doc, hospital_today() + dt.timedelta(days=6), slots=2, capacity=3)
    ids = [f.request(db, slots[i % 2], f.patient(db, name=name)) for i, name in enumerate(["司马相如", "王五"])]
    with db.engine.begin() as c:
        c.execute(text("UPDATE bookings SET created_at = :t"), {"t": utcnow() - dt.timedelta(hours=11)})
    return ids


def open_queue(qtbot, ctx) -> QueuePage:
    page = QueuePage(ctx)
    qtbot.addWidget(page)
    page.resize(1200, 700)  # the page's share of a 1366x768 screen beside the navigation
    page.show()
    page.reload()
    qtbot.waitUntil(lambda: page.loaded and page.table.proxy.rowCount() > 0, timeout=10_000)
    return page


def cut_off(table, row: int, column: int) -> bool:
    index = table.proxy.index(row, column)
    option = QStyleOptionViewItem()
    table.initViewItemOption(option)
    option.rect = table.visualRect(index)
    return elided(table, option, index)


def tooltip_of(table, row: int, column: int) -> str | None:
    """The tooltip the clerk gets over a cell: the model's own, or the delegate's for an elided text."""
    index = table.proxy.index(row, column)
    at = table.visualRect(index).center()
    viewport = table.viewport()
    QToolTip.hideText()
    QApplication.sendEvent(viewport, QHelpEvent(QEvent.Type.ToolTip, at, viewport.mapToGlobal(at)))
    return QToolTip.text() if QToolTip.isVisible() else None


def column_of(page, key: str) -> int:
    return page.model.column_index(key)


def test_every_queue_column_fits_its_rows(qtbot, chinese, sqlite_db, tmp_path):
    waiting_requests(sqlite_db)
    with console_context(sqlite_db, staff(sqlite_db), tmp_path) as ctx:
        page = open_queue(qtbot, ctx)
        table, header = page.table, page.table.horizontalHeader()
        day = table.proxy.index(0, column_of(page, "day")).data()
        assert "-" in day and len(day) > 5  # a date and its weekday: 12-08 周二
        assert "小时" in table.proxy.index(0, column_of(page, "requested")).data()
        with_arrow = header.sectionSizeHint(0)
        header.setSortIndicatorShown(False)
        arrow = with_arrow - header.sectionSizeHint(0)  # Qt's room for the sort arrow beside a title
        header.setSortIndicatorShown(True)
        last = header.logicalIndex(header.count() - 1)
        for column in range(page.model.columnCount()):
            title = page.model.headerData(column, Qt.Orientation.Horizontal)
            elastic = page.model.columns[column].elastic
            if not elastic:  # times, dates, numbers: whole, title and rows
                sorted_by = column == header.sortIndicatorSection()
                assert header.sectionSize(column) >= header.sectionSizeHint(column) - (0 if sorted_by else arrow), title
            for row in range(table.proxy.rowCount()):
                if cut_off(table, row, column):  # a name given way to the rest: whole in its tooltip
                    whole = table.proxy.index(row, column).data()
                    assert elastic and whole in (tooltip_of(table, row, column) or ""), title
        # fitted, the queue is not wider than its place at 1366x768: no column out of sight
        assert header.length() - header.sectionSize(last) <= table.viewport().width()
        day = column_of(page, "day")
        table.sortByColumn(day, table.horizontalHeader().sortIndicatorOrder())  # the clerk sorts by the day
        assert header.sectionSize(day) >= header.sectionSizeHint(day)  # its title keeps room for the arrow


def test_a_header_saved_before_the_sent_column_grew_is_fitted_to_it(qtbot, chinese, sqlite_db, tmp_path):
    waiting_requests(sqlite_db)
    requested = patient = None
    with console_context(sqlite_db, staff(sqlite_db), tmp_path) as ctx:
        page = open_queue(qtbot, ctx)
        requested, patient = column_of(page, "requested"), column_of(page, "patient")
        page.table.horizontalHeader().resizeSection(requested, 96)  # 申请时间's width when it held the time only
        page.table.horizontalHeader().resizeSection(patient, 150)  # the clerk widened the names
        page.save_state()
        keys = ctx.settings[S.QUEUE_HEADER_COLUMNS]
        assert "requested@2" in keys
        # the same columns, this one saved with its same version: the clerk's widths stay as they are
        again = open_queue(qtbot, ctx)
        assert again.table.horizontalHeader().sectionSize(requested) == 96
        # the state as an older console saved it, before the date and the wait joined the time
        ctx.settings[S.QUEUE_HEADER_COLUMNS] = keys.replace("requested@2", "requested")
        page = open_queue(qtbot, ctx)
        header = page.table.horizontalHeader()
        assert header.sectionSize(patient) == 150  # the clerk's own width stays
        assert header.sectionSize(requested) > 96
        for row in range(page.table.proxy.rowCount()):
            assert not cut_off(page.table, row, requested), page.table.proxy.index(row, requested).data()


def test_a_cell_too_narrow_for_its_text_shows_it_whole_in_a_tooltip(qtbot, chinese, sqlite_db, tmp_path):
    waiting_requests(sqlite_db)
    with console_context(sqlite_db, staff(sqlite_db), tmp_path) as ctx:
        page = open_queue(qtbot, ctx)
        table, column = page.table, column_of(page, "department")
        table.horizontalHeader().resizeSection(column, 40)
        index = table.proxy.index(0, column)
        assert cut_off(table, 0, column)
        at = table.visualRect(index).center()
        viewport = table.viewport()
        QApplication.sendEvent(viewport, QHelpEvent(QEvent.Type.ToolTip, at, viewport.mapToGlobal(at)))
        assert QToolTip.isVisible() and QToolTip.text() == "耳鼻咽喉头颈外科"
        table.horizontalHeader().resizeSection(column, 260)  # whole again: no tooltip of its own
        assert not cut_off(table, 0, column)
        option = QStyleOptionViewItem()
        table.initViewItemOption(option)
        option.rect = table.visualRect(index)
        event = QHelpEvent(QEvent.Type.ToolTip, at, viewport.mapToGlobal(QPoint(at)))
        assert not table.itemDelegate().helpEvent(event, table, option, index)


def test_the_widest_free_text_gives_way_first_and_never_below_its_floor():
    from console.common.booktable import give_way
    assert give_way([100, 60, 200], 80, [50, 50, 50]) == [100, 60, 120]
    assert give_way([100, 60, 200], 200, [50, 50, 50]) == [53, 53, 53]  # down to one width, all of them
    assert give_way([100, 60, 200], 500, [70, 70, 70]) == [70, 60, 70]  # as far as the floors allow


def test_a_long_text_far_down_a_big_list_is_fitted_too(qtbot, chinese):
    """A day sorted by time: the first rows may all be 内科 while 耳鼻咽喉头颈外科 comes hundreds of rows
    down. The column is fitted to rows spread over the whole list, not to the first screens only, so
    with room to spare no department is cut short."""
    from console.common.booktable import BookingTable
    from console.common.tablemodel import Column, RowTableModel

    class Model(RowTableModel):
        columns = (Column("id", "No.", lambda r: str(r[0])), Column("dep", "Department", lambda r: r[1], elastic=4),
                   Column("note", "Note", lambda r: ""))  # the last column takes what room is left

    model = Model()
    table = BookingTable(model)
    qtbot.addWidget(table)
    table.resize(900, 500)
    table.show()
    rows = [(i, "耳鼻咽喉头颈外科" if 5_000 <= i < 5_300 else "内科") for i in range(30_000)]
    model.set_rows(rows, checked=True)
    far = next(p for p in range(table.proxy.rowCount()) if table.proxy.row_at(p)[1] != "内科")
    table.scrollTo(table.proxy.index(far, 1))
    assert not cut_off(table, far, 1)


def test_with_room_to_spare_no_column_gives_way(qtbot, chinese, sqlite_db, tmp_path):
    """The day list at 1366x768 with a day of short rows: every column is as wide as its rows (耳鼻喉科
    whole), the last one stretching over the room left; none is narrowed as if the list were too wide
    (the last column's old stretched width must not count when the others are fitted)."""
    from console.bookings.daylist import DayListPage
    dep = f.department(sqlite_db, "EBH", "耳鼻喉科")
    _sid, slots = f.session(sqlite_db, f.doctor(sqlite_db, dep, "欧阳明日"), hospital_today(), slots=2, capacity=20)
    for i in range(40):  # more than a screen: the scroll bar comes with the rows
        f.set_status(sqlite_db, f.request(sqlite_db, slots[i % 2], f.patient(sqlite_db, name=f"王{i}")), "confirmed")
    with console_context(sqlite_db, staff(sqlite_db), tmp_path) as ctx:
        page = DayListPage(ctx)
        qtbot.addWidget(page)
        page.resize(1200, 650)  # the page's share of a 1366x768 screen beside the navigation
        page.show()
        qtbot.waitUntil(lambda: page.model.rowCount() == 40 and ctx.tasks.idle, timeout=10_000)
        table, header = page.table, page.table.horizontalHeader()
        last = header.logicalIndex(header.count() - 1)
        assert table._natural and all(table.columnWidth(i) == w for i, w in table._natural.items() if i != last)
        assert not any(cut_off(table, r, c) for r in range(10) for c in range(header.count()) if c != last)
