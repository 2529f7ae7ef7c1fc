"""The administration page's 现场号 tab: each department's desk share (号源池), edited by the field with the
service's checks (0-100 %, or none kept), against a real SQLite database."""
from __future__ import annotations

from PySide6.QtCore import Qt

from services.rosters import shares
from tests.console.admin.test_admin_page import clinic, open_page  # noqa: F401 - the fixture
from tests.console.page_support import OFFSCREEN_NOISE, cleared_by_editing, error_by
from tests.snapshot import snapshot

pytestmark = OFFSCREEN_NOISE


def _pcts(db):
    return {d.code: d.pct for d in shares.department_shares(db)}


def test_department_desk_share_is_set_checked_and_turned_off(qtbot, clinic):  # noqa: F811 - the fixture
    db = clinic["db"]
    page = open_page(qtbot, db)
    tab = page.shares
    page.tabs.setCurrentWidget(tab)
    qtbot.waitUntil(lambda: tab.model.rowCount() == 2, timeout=10_000)
    column = 2  # code, name, share, status
    none_kept = tab.model.index(tab.model.index_of(clinic["dep"]), column).data()
    assert none_kept and "%" not in none_kept
    tab.select(clinic["dep"])
    qtbot.mouseClick(tab.edit_button, Qt.MouseButton.LeftButton)
    dialog = tab.dialog
    assert not dialog.field.check.isChecked() and not dialog.field.pct.isEnabled()
    dialog.field.check.setChecked(True)
    dialog.field.pct.setValue(130)
    before = snapshot(db)
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert "现场号比例" in error_by(qtbot, dialog.errors, "pct")  # by the field, in the service's words
    assert snapshot(db) == before
    assert cleared_by_editing(dialog.errors, "pct", lambda: dialog.field.pct.setValue(30))
    with qtbot.waitSignal(dialog.done_ok, timeout=10_000):
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert _pcts(db) == {"NK": 30, "WK": None}
    qtbot.waitUntil(lambda: tab.model.index(tab.model.index_of(clinic["dep"]), column).data() == "30%",
                    timeout=10_000)
    # off again: none kept
    tab.select(clinic["dep"])
    qtbot.mouseClick(tab.edit_button, Qt.MouseButton.LeftButton)
    dialog = tab.dialog
    assert dialog.field.check.isChecked() and dialog.field.pct.value() == 30
    dialog.field.check.setChecked(False)
    with qtbot.waitSignal(dialog.done_ok, timeout=10_000):
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert _pcts(db) == {"NK": None, "WK": None}
