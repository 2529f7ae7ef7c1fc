"""The rosters page's 加号 (extra places) action, against a real SQLite database."""
from __future__ import annotations

from PySide6.QtCore import Qt

from services.rosters import templates
from tests.console.page_support import CLERK, OFFSCREEN_NOISE, error_by
from tests.console.rosters.test_rosters_page import clinic, open_page, select  # noqa: F401 - the fixture

pytestmark = OFFSCREEN_NOISE


def _capacities(db, session_id):
    return [s.capacity for s in templates.list_slots(db, session_id)]


def test_extra_places_from_the_grid(qtbot, clinic):  # noqa: F811 - the fixture
    db = clinic["db"]
    page = open_page(qtbot, db)
    select(page, clinic["session"])
    assert page.extra_action.isVisible() and page.extra_action.isEnabled()
    page.extra_action.trigger()
    qtbot.waitUntil(lambda: page.dialog is not None and page.dialog.objectName() == "extraDialog", timeout=10_000)
    dialog = page.dialog
    assert dialog.where.count() == 5  # the session, and its four slots
    assert [dialog.where.itemData(i) for i in range(5)] == [None] + clinic["slots"]
    assert dialog.where.itemText(1).startswith("08:00")
    dialog.where.setCurrentIndex(1)  # the first slot, full
    dialog.places.setValue(2)
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)  # no reason
    assert "加号原因不能为空" in error_by(qtbot, dialog.errors, "reason")
    assert _capacities(db, clinic["session"]) == [2, 2, 2, 2]
    dialog.reason.setText("王医生同意加号")
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert _capacities(db, clinic["session"]) == [4, 2, 2, 2]
    assert "4" in page.status.text()
    index = page.model.index_of(clinic["wang"], clinic["day"], "am")
    assert "10" in index.data()  # the cell shows the session's 10 places


def test_clerk_has_no_extra_places_action(qtbot, clinic):  # noqa: F811 - the fixture
    page = open_page(qtbot, clinic["db"], CLERK)
    assert not page.extra_action.isVisible()
