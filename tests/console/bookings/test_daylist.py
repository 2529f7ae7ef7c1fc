"""今日就诊: the day's bookings, check-in and no-show from the keyboard, cancel with a reason, filters,
changes made elsewhere applied in place, and an action that did not reach the database."""
from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton
from sqlalchemy import select

from console.bookings.daylist import DayListModel, DayListPage
from console.common import settings as S
from console.common.live import LiveFeed
from console.common.rowproxy import RowFilterProxy
from console.common.tablemodel import ID_ROLE
from services.bookings import decisions, queries
from services.clock import hospital_today
from services.db import Database
from services.models import Booking
from tests import factories as f
from tests.console.console_helpers import clinic_with_requests, console_context, staff

YESTERDAY = dt.date.today() - dt.timedelta(days=1)


def confirmed_clinic(db, n: int = 3, day: dt.date = YESTERDAY, capacity: int = 4) -> dict:
    c = clinic_with_requests(db, n, day=day, capacity=capacity)
    clerk = staff(db, "setup_clerk")
    for b in c["requests"]:
        decisions.approve(db, clerk, b) if day >= dt.date.today() else f.set_status(db, b, "confirmed")
    return c


def today_clinic(db, n: int = 3, capacity: int = 4, department_id: int | None = None) -> dict:
    """Confirmed bookings of a session running all day today (check-in and no-show are both open)."""
    dep = department_id or f.department(db)
    doc = f.doctor(db, dep)
    _sid, slots = f.session(db, doc, hospital_today(), starts=dt.time(0, 0), ends=dt.time(23, 59), slots=2,
                            capacity=capacity)
    ids = [f.request(db, slots[0], f.patient(db, name=f"今天{i}")) for i in range(n)]
    for b in ids:
        f.set_status(db, b, "confirmed")
    return {"department_id": dep, "doctor_id": doc, "slot_ids": slots, "requests": ids, "day": hospital_today()}


def answer_no_show(qtbot, page, yes: bool = True) -> None:
    """N asks first (a box opened with open()): press its 标记爽约 or 返回."""
    qtbot.waitUntil(lambda: page.dialog is not None and page.dialog.isVisible(),
                    timeout=5000)
    box = page.dialog
    button = box.findChild(QPushButton, "noShowYes") if yes else box.escapeButton()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def open_page(qtbot, ctx, day: dt.date) -> DayListPage:
    page = DayListPage(ctx)
    qtbot.addWidget(page)
    page.resize(1300, 600)
    page.show()
    qtbot.waitUntil(lambda: page.department.count() > 1, timeout=10_000)
    page.set_day(day)
    qtbot.waitUntil(lambda: page.model.query is not None and page.model.query[0] == day
                    and page._loading is None, timeout=10_000)
    page.table.setFocus()
    return page


def shown(page: DayListPage) -> list[int]:
    return [page.table.proxy.index(r, 0).data(ID_ROLE) for r in range(page.table.proxy.rowCount())]


def reason_of(db: Database, booking_id: int) -> str | None:
    with db.read() as conn:
        return conn.execute(select(Booking.reason).where(Booking.id == booking_id)).scalar_one()


def test_day_rows_and_models_pass_the_tester(qtmodeltester, sqlite_db):
    c = confirmed_clinic(sqlite_db, 3)
    f.set_status(sqlite_db, c["requests"][2], "cancelled")
    rows = queries.day_list(sqlite_db, YESTERDAY)
    assert [r.booking_id for r in rows] == c["requests"]
    assert rows[0].remaining == 4 - 2 and rows[0].pending_in_slot == 0
    assert queries.day_list(sqlite_db, YESTERDAY, doctor_id=c["doctor_id"] + 1000) == []
    model = DayListModel()
    model.query = (YESTERDAY, None, None)
    model.set_rows(rows)
    qtmodeltester.check(model)
    proxy = RowFilterProxy()
    proxy.setSourceModel(model)
    proxy.sort(0)
    proxy.set_predicate(lambda r: r.status == "confirmed")
    assert proxy.rowCount() == 2
    qtmodeltester.check(proxy)


def test_check_in_and_no_show_from_the_keyboard(qtbot, db, tmp_path):
    c = today_clinic(db, 3)
    with console_context(db, staff(db), tmp_path) as ctx:
        page = open_page(qtbot, ctx, c["day"])
        assert shown(page) == c["requests"]
        page.table.select_id(c["requests"][0])
        qtbot.keyClick(page.table, Qt.Key.Key_C)
        qtbot.waitUntil(lambda: f.status_of(db, c["requests"][0]) == "checked_in", timeout=10_000)
        qtbot.waitUntil(lambda: page.model.row_at(page.model.index_of(c["requests"][0])).status == "checked_in",
                        timeout=10_000)
        page.table.select_id(c["requests"][1])
        qtbot.keyClick(page.table, Qt.Key.Key_N)
        answer_no_show(qtbot, page)
        qtbot.waitUntil(lambda: page.model.row_at(page.model.index_of(c["requests"][1])).status == "no_show",
                        timeout=10_000)
        assert f.status_of(db, c["requests"][1]) == "no_show"
        # a row that is checked in cannot be checked in again: the buttons say so
        page.table.select_id(c["requests"][0])
        assert not page.checkin_button.isEnabled() and not page.noshow_button.isEnabled()
        qtbot.waitUntil(lambda: "1" in page.summary.text(), timeout=5000)


def test_no_show_before_the_slot_is_refused_with_a_message(qtbot, sqlite_db, tmp_path):
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    c = confirmed_clinic(sqlite_db, 1, day=tomorrow)
    with console_context(sqlite_db, staff(sqlite_db), tmp_path) as ctx:
        page = open_page(qtbot, ctx, tomorrow)
        page.table.select_id(c["requests"][0])
        qtbot.keyClick(page.table, Qt.Key.Key_N)
        answer_no_show(qtbot, page)
        qtbot.waitUntil(lambda: "就诊时间未到" in page.messages.text(), timeout=10_000)
        assert f.status_of(sqlite_db, c["requests"][0]) == "confirmed"
        assert page.model.row_at(page.model.index_of(c["requests"][0])).status == "confirmed"


def test_cancel_for_the_patient_with_a_reason(qtbot, db, tmp_path):
    c = confirmed_clinic(db, 2)
    with console_context(db, staff(db), tmp_path) as ctx:
        page = open_page(qtbot, ctx, YESTERDAY)
        page.table.select_id(c["requests"][1])
        qtbot.keyClick(page.table, Qt.Key.Key_Delete, Qt.KeyboardModifier.ControlModifier)
        dialog = page.dialog
        dialog.pick(0)
        qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: f.status_of(db, c["requests"][1]) == "cancelled", timeout=10_000)
        assert reason_of(db, c["requests"][1]) == "患者来电要求取消"
        # 'expected and seen' (the default filter) leaves cancelled bookings out
        qtbot.waitUntil(lambda: shown(page) == [c["requests"][0]], timeout=10_000)
        page.status_filter.setCurrentIndex(page.status_filter.findData("closed"))
        assert shown(page) == [c["requests"][1]]


def test_the_day_is_read_once_and_only_when_the_page_is_first_shown(qtbot, sqlite_db, tmp_path):
    """A hidden day list reads nothing, not even its pickers (the console starts on the queue); shown, it
    reads the day once, and its departments beside it."""
    today_clinic(sqlite_db, 3)  # a session running all day: approvable at any hour
    with console_context(sqlite_db, staff(sqlite_db), tmp_path) as ctx:
        page = DayListPage(ctx)
        qtbot.addWidget(page)
        loads: list[int] = []
        page.loadedRows.connect(loads.append)
        page.reload()  # a poll or a restored connection meanwhile
        assert ctx.tasks.idle and page.model.query is None and loads == [] and page.department.count() == 1
        page.show()
        qtbot.waitUntil(lambda: loads != [] and page.department.count() > 1 and ctx.tasks.idle, timeout=10_000)
        assert loads == [3] and page.model.query == (hospital_today(), None, None)


def test_a_saved_department_is_read_at_once_and_a_gone_one_falls_back_to_all(qtbot, sqlite_db, tmp_path):
    """The first read does not wait for the department picker: it reads the saved department's day at
    once (the picker says "…" until the departments are in, never 全部科室 over one department's rows), and
    reads once only. A saved department that no longer exists: the picker says 全部科室 and the whole
    day is read."""
    c = today_clinic(sqlite_db, 3)
    other = f.department(sqlite_db, "WK", "外科")
    f.session(sqlite_db, f.doctor(sqlite_db, other), hospital_today(), period="pm", capacity=2, slots=1)
    with console_context(sqlite_db, staff(sqlite_db), tmp_path) as ctx:
        ctx.settings[S.DAY_DEPARTMENT] = c["department_id"]
        page = DayListPage(ctx)
        qtbot.addWidget(page)
        assert (page.department.currentText(), page.department.currentData()) == ("…", c["department_id"])
        loads: list[tuple] = []
        page.loadedRows.connect(lambda _n: loads.append(page.model.query))
        page.show()
        qtbot.waitUntil(lambda: loads != [] and page.department.count() > 1 and ctx.tasks.idle, timeout=10_000)
        assert loads == [(hospital_today(), c["department_id"], None)]
        assert page.department.currentText() == "内科"
        page.close()
        ctx.settings[S.DAY_DEPARTMENT] = 999_999  # deleted since it was saved
        gone = DayListPage(ctx)
        qtbot.addWidget(gone)
        loads.clear()
        gone.loadedRows.connect(lambda _n: loads.append(gone.model.query))
        gone.show()
        qtbot.waitUntil(lambda: gone.model.query == (hospital_today(), None, None) and ctx.tasks.idle, timeout=10_000)
        assert gone.department.currentData() == 0 and gone.model.rowCount() == 3
        assert loads[-1] == (hospital_today(), None, None)


def test_filters_search_and_doctor_choice(qtbot, sqlite_db, tmp_path):
    c = confirmed_clinic(sqlite_db, 3)
    doc2 = f.doctor(sqlite_db, c["department_id"], name="王医生")
    _sid, slots2 = f.session(sqlite_db, doc2, YESTERDAY, period="pm", starts=dt.time(13), ends=dt.time(17))
    other = f.request(sqlite_db, slots2[0], f.patient(sqlite_db, name="下午的"))
    f.set_status(sqlite_db, other, "confirmed")
    with console_context(sqlite_db, staff(sqlite_db), tmp_path) as ctx:
        page = open_page(qtbot, ctx, YESTERDAY)
        assert shown(page) == c["requests"] + [other]
        page.table.search("下午", now=True)
        assert shown(page) == [other]
        page.table.search("", now=True)
        page.doctor.setCurrentIndex(page.doctor.findData(doc2))
        page.doctor.activated.emit(page.doctor.currentIndex())
        qtbot.waitUntil(lambda: page.model.query == (YESTERDAY, None, doc2) and page._loading is None,
                        timeout=10_000)
        assert shown(page) == [other]
        page.save_state()
        again = DayListPage(ctx)
        qtbot.addWidget(again)
        again.show()
        qtbot.waitUntil(lambda: again.model.query is not None and again._loading is None, timeout=10_000)
        assert again.doctor.currentData() == doc2  # the last filter is kept


def test_changes_made_elsewhere_arrive_in_place(qtbot, db, tmp_path):
    today = dt.date.today() + dt.timedelta(days=1)
    c = confirmed_clinic(db, 2, day=today)
    colleague = staff(db, "clerk2")
    with console_context(db, staff(db), tmp_path) as ctx:
        page = open_page(qtbot, ctx, today)
        feed = LiveFeed(db)
        ctx.changes.follow(feed)
        feed.start()
        try:
            qtbot.waitUntil(lambda: feed.state == "live", timeout=10_000)
            page.table.select_id(c["requests"][1])
            resets = []
            page.model.modelReset.connect(lambda: resets.append(1))
            walk = decisions.walk_in(db, colleague, c["slot_ids"][1], f.patient(db, name="现场"))
            qtbot.waitUntil(lambda: walk.id in shown(page), timeout=15_000)
            decisions.cancel(db, colleague, c["requests"][0], "患者来电要求取消")
            qtbot.waitUntil(lambda: c["requests"][0] not in shown(page), timeout=15_000)
            assert not resets and page.table.selected_ids() == [c["requests"][1]]
            # places left of the neighbours in the same slot followed the cancellation
            qtbot.waitUntil(lambda: page.model.row_at(page.model.index_of(c["requests"][1])).remaining == 3,
                            timeout=15_000)
        finally:
            feed.stop()


def test_an_action_that_did_not_reach_the_database_is_not_shown_as_done(qtbot, sqlite_db, tmp_path):
    c = today_clinic(sqlite_db, 1)
    with console_context(sqlite_db, staff(sqlite_db), tmp_path) as ctx:
        page = open_page(qtbot, ctx, c["day"])
        page.table.select_id(c["requests"][0])
        ctx.db = Database("postgresql+psycopg://nobody@127.0.0.1:1/regdesk")  # the server went away
        with qtbot.waitSignal(ctx.tasks.connectionLost, timeout=15_000):
            qtbot.keyClick(page.table, Qt.Key.Key_C)
        qtbot.waitUntil(lambda: not page.model.busy, timeout=10_000)
        assert page.model.row_at(page.model.index_of(c["requests"][0])).status == "confirmed"
        assert "Not saved" in page.messages.text() or "未保存" in page.messages.text()
        ctx.db.dispose()
        ctx.db = sqlite_db
        assert f.status_of(sqlite_db, c["requests"][0]) == "confirmed"
