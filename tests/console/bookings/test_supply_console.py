"""The console's new parts of issue 14: the time rules on the rules tab, the holidays tab, the queue's history,
against a real SQLite database."""
from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import QPushButton

from services.bookings import rules
from services.clock import hospital_today
from services.rosters import holidays
from tests import factories
from tests.console.admin.test_admin_page import open_page
from tests.console.page_support import OFFSCREEN_NOISE, cleared_by_editing, error_by

pytestmark = OFFSCREEN_NOISE


@pytest.fixture
def clinic(sqlite_db):
    dep = factories.department(sqlite_db, "NK", "内科")
    return {"db": sqlite_db, "dep": dep}


def test_time_rules_are_edited_and_checked(qtbot, clinic):
    page = open_page(qtbot, clinic["db"])
    tab = page.rules
    page.tabs.setCurrentWidget(tab)
    assert tab.fields["release_time"].text() == "" and tab.fields["late_cancel_time"].text() == "15:00"
    before = rules.load(clinic["db"])
    tab.fields["release_time"].setText("7:00")
    tab.fields["late_cancel_time"].setText("25:00")
    qtbot.mouseClick(tab.save_button, Qt.MouseButton.LeftButton)
    text = error_by(qtbot, tab.errors, "late_cancel_time")
    assert "退号截止时间" in text
    assert rules.load(clinic["db"]) == before  # all or nothing
    assert cleared_by_editing(tab.errors, "late_cancel_time", lambda: tab.fields["late_cancel_time"].setText("16:30"))
    with qtbot.waitSignal(tab.saved, timeout=10_000):
        qtbot.mouseClick(tab.save_button, Qt.MouseButton.LeftButton)
    saved = rules.load(clinic["db"])
    assert (saved.release_time, saved.late_cancel_time) == ("07:00", "16:30")
    assert tab.fields["release_time"].text() == "07:00"
    tab.fields["release_time"].setText("")  # empty: no release time
    with qtbot.waitSignal(tab.saved, timeout=10_000):
        qtbot.mouseClick(tab.save_button, Qt.MouseButton.LeftButton)
    assert rules.load(clinic["db"]).release_time is None


def test_holidays_tab_adds_and_removes_an_exception(qtbot, clinic):
    page = open_page(qtbot, clinic["db"])
    tab = page.holidays
    page.tabs.setCurrentWidget(tab)
    day = hospital_today() + dt.timedelta(days=30)
    years = holidays.unknown_years([hospital_today() + dt.timedelta(days=i) for i in range(366)])
    assert (str(years[0]) in tab.note.text()) if years else tab.note.text() == ""
    qtbot.mouseClick(tab.findChild(QPushButton, "addHoliday"), Qt.MouseButton.LeftButton)
    dialog = tab.dialog
    qtbot.waitUntil(lambda: dialog.department.count() == 2)  # 全院 and 内科
    dialog.day.setDate(QDate(day.year, day.month, day.day))
    dialog.kind.setCurrentIndex(dialog.kind.findData("closed"))
    dialog.department.setCurrentIndex(dialog.department.findData(clinic["dep"]))
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)  # no reason yet
    assert "原因不能为空" in error_by(qtbot, dialog.errors, "note")
    assert holidays.list_exceptions(clinic["db"], day, day) == []
    dialog.note.setText("科室搬迁")
    with qtbot.waitSignal(dialog.done_ok, timeout=10_000):
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    [e] = holidays.list_exceptions(clinic["db"], day, day)
    assert (e.kind, e.department_id, e.period, e.note) == ("closed", clinic["dep"], None, "科室搬迁")
    qtbot.waitUntil(lambda: tab.model.index_of(f"x{e.id}") >= 0, timeout=10_000)
    texts = [tab.model.index(tab.model.index_of(f"x{e.id}"), c).data() for c in range(4)]
    assert texts[0] == day.isoformat() and "内科" in texts[3] and "科室搬迁" in texts[3]
    tab.select(f"x{e.id}")
    assert tab.remove_button.isEnabled()
    qtbot.mouseClick(tab.remove_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: tab.model.index_of(f"x{e.id}") < 0, timeout=10_000)
    assert holidays.list_exceptions(clinic["db"], day, day) == []


def test_queue_history_marks_a_late_cancel(qtbot, sqlite_db):
    """The queue's side panel lists the patient's recent bookings; a cancel after the deadline (退号) says so."""
    from PySide6.QtCore import QCoreApplication
    from sqlalchemy import text

    from console.bookings.qdetail import DetailPanel
    from services.bookings import queries
    from tests.console.page_support import ADMIN, drain, make_ctx
    db = sqlite_db
    today = hospital_today()
    c = factories.basic_clinic(db, day=today + dt.timedelta(days=2))
    _, today_slots = factories.session(db, c["doctor_id"], today, "evening", dt.time(20, 0), dt.time(22, 0))
    pid = factories.patient(db)
    late = factories.request(db, today_slots[0], pid)
    with db.engine.begin() as conn:  # the mini-program's cancel, today for today: after 15:00 yesterday
        conn.execute(text("UPDATE bookings SET status = 'cancelled' WHERE id = :i"), {"i": late})
    factories.request(db, c["slot_ids"][0], pid)
    [row] = queries.pending_queue(db)
    ctx = make_ctx(db, ADMIN)
    panel = DetailPanel(ctx)
    qtbot.addWidget(panel)
    panel.show()
    panel.show_row(row)
    words = QCoreApplication.translate("DetailPanel", "Cancelled late")
    qtbot.waitUntil(lambda: words in panel.history.text(), timeout=10_000)
    drain(qtbot, ctx)
