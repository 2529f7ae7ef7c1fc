"""The day list shows the supply rules: per row the places a walk-in may take (现场号 left) and a waiting request's
place on the waitlist (候补); 加号 adds places to the chosen row's slot in the roster grid's dialog, for whoever may;
against a real SQLite database."""
from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import QCoreApplication, Qt

from services.bookings import rules
from services.clock import hospital_today
from services.rosters import shares, templates
from tests import factories as f
from tests.console.bookings.test_daylist import open_page
from tests.console.console_helpers import console_context, staff
from tests.console.page_support import error_by


@pytest.fixture
def clinic(sqlite_db):
    """Two places, one kept for the desk; one online request holds the online place, the next waits (候补)."""
    db = sqlite_db
    c = f.basic_clinic(db, day=hospital_today() + dt.timedelta(days=2), capacity=2, slots=1)
    admin = staff(db, "admin1", "admin")
    shares.set_share(db, admin, 50, department_id=c["department_id"])
    rules.save(db, admin, waitlist=True)
    slot = c["slot_ids"][0]
    c["held"], c["waiting"] = f.request(db, slot, f.patient(db)), f.request(db, slot, f.patient(db))
    assert rules.decide_pending(db).waiting == 1
    return {**c, "db": db, "admin": admin, "slot": slot}


def _cell(page, booking_id, key):
    row = page.model.index_of(booking_id)
    return page.model.index(row, page.model.column_index(key))


def test_rows_show_desk_places_left_and_the_waitlist_position(qtbot, clinic, tmp_path):
    with console_context(clinic["db"], clinic["admin"], tmp_path) as ctx:
        page = open_page(qtbot, ctx, clinic["day"])
        waiting = _cell(page, clinic["waiting"], "status")
        assert waiting.data() == QCoreApplication.translate("DayListModel", "Waitlist No. %1").replace("%1", "1")
        assert _cell(page, clinic["held"], "places").data() == "1/2"
        assert _cell(page, clinic["held"], "desk").data() == "1"  # the desk's kept place
        assert _cell(page, clinic["held"], "desk").data(Qt.ItemDataRole.ToolTipRole)


def test_extra_places_for_the_chosen_rows_slot(qtbot, clinic, tmp_path):
    db = clinic["db"]
    with console_context(db, clinic["admin"], tmp_path) as ctx:
        page = open_page(qtbot, ctx, clinic["day"])
        qtbot.waitUntil(lambda: page.extra_button.isVisible(), timeout=10_000)
        page.table.select_id(clinic["waiting"])
        qtbot.waitUntil(lambda: page.extra_button.isEnabled(), timeout=10_000)
        qtbot.mouseClick(page.extra_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: page.dialog is not None and page.dialog.objectName() == "extraDialog",
                        timeout=10_000)
        dialog = page.dialog
        assert dialog.where.currentData() == clinic["slot"]  # the row's slot, not the whole session
        dialog.places.setValue(2)
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)  # no reason yet
        assert error_by(qtbot, dialog.errors, "reason")
        assert [s.capacity for s in templates.list_slots(db, clinic["session_id"])] == [2]
        dialog.reason.setText("医生同意加号")
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: _cell(page, clinic["held"], "places").data() == "3/4", timeout=10_000)
        assert [s.capacity for s in templates.list_slots(db, clinic["session_id"])] == [4]
        assert _cell(page, clinic["held"], "desk").data() == "2"  # 50% of 4 kept for the desk
        assert "4" in page.messages.text()


def test_extra_places_only_for_who_may(qtbot, clinic, tmp_path):
    db = clinic["db"]
    other = f.department(db, "WK", "外科")
    head = staff(db, "head1", "head", ("WK",))
    with console_context(db, head, tmp_path) as ctx:  # a head of another department: shown, but off here
        page = open_page(qtbot, ctx, clinic["day"])
        qtbot.waitUntil(lambda: page.extra_button.isVisible(), timeout=10_000)
        page.table.select_id(clinic["held"])
        assert not page.extra_button.isEnabled()
        page.close()
    assert other
    clerk = staff(db, "clerk1", "clerk")
    with console_context(db, clerk, tmp_path) as ctx:
        page = open_page(qtbot, ctx, clinic["day"])
        qtbot.waitUntil(lambda: ctx.tasks.idle and page.extra_right is not None, timeout=10_000)
        assert not page.extra_button.isVisible()  # clerks may not unless the hospital allows it
        page.close()
    rules.save(db, clinic["admin"], clerks_add_places=True)
    with console_context(db, clerk, tmp_path) as ctx:
        page = open_page(qtbot, ctx, clinic["day"])
        qtbot.waitUntil(lambda: page.extra_button.isVisible(), timeout=10_000)
        page.table.select_id(clinic["held"])
        assert page.extra_button.isEnabled()
