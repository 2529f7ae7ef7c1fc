"""What the eye sees under the application's own style sheet: the roster legend's colours on the cells,
and disabled controls that look disabled (with the reason as a tooltip)."""
from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QColor, QFontMetricsF
from PySide6.QtWidgets import QToolButton

from console.app import STYLE
from console.rosters.grid import COLORS, CellDelegate
from console.rosters.page import RosterPage, monday_of
from services.rosters import templates
from tests import factories
from tests.console.page_support import ADMIN, OFFSCREEN_NOISE, drain, make_ctx

pytestmark = OFFSCREEN_NOISE

NEXT_MONDAY = monday_of(dt.date.today()) + dt.timedelta(days=7)


@pytest.fixture
def styled(qapp):
    """The console's style sheet, as make_app sets it, for this test only."""
    before = qapp.styleSheet()
    qapp.setStyleSheet(STYLE.read_text(encoding="utf-8"))
    yield qapp
    qapp.setStyleSheet(before)


def luminance(c: QColor) -> float:
    return 0.299 * c.red() + 0.587 * c.green() + 0.114 * c.blue()


def test_stopped_draft_and_substituted_cells_wear_the_legends_colours(qtbot, styled, sqlite_db):
    db = sqlite_db
    dep = factories.department(db, "NK", "内科")
    wang, li = factories.doctor(db, dep, "王明"), factories.doctor(db, dep, "李华")
    day = NEXT_MONDAY + dt.timedelta(days=1)
    sessions = {"published": factories.session(db, wang, day, "am")[0],
                "stopped": factories.session(db, wang, day, "pm", dt.time(14), dt.time(16), status="stopped")[0],
                "draft": factories.session(db, li, day + dt.timedelta(days=1), "am", status="draft")[0],
                "substituted": factories.session(db, li, day + dt.timedelta(days=2), "am")[0]}
    templates.substitute(db, ADMIN, sessions["substituted"], wang)
    ctx = make_ctx(db, ADMIN)
    page = RosterPage(ctx)
    qtbot.addWidget(page)
    page.resize(1366, 700)
    page.show()
    drain(qtbot, ctx)
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        page.set_week(NEXT_MONDAY)
    image = page.view.viewport().grab().toImage()
    for kind, sid in sessions.items():
        rect = page.view.visualRect(page.model.index_of_session(sid))
        assert rect.isValid(), kind
        seen = image.pixelColor(rect.left() + 4, rect.top() + 4).name()
        assert seen == COLORS[kind][0], (kind, seen)
    # selected, the cell keeps its colour (a frame marks it)
    assert page.select_session(sessions["stopped"])
    image = page.view.viewport().grab().toImage()
    rect = page.view.visualRect(page.model.index_of_session(sessions["stopped"]))
    assert image.pixelColor(rect.left() + 6, rect.top() + 6).name() == COLORS["stopped"][0]
    assert image.pixelColor(rect.left() + 1, rect.top() + 6).name() == CellDelegate.SELECTED.name()


def test_a_disabled_tool_button_looks_disabled(qtbot, styled):
    def darkest(button: QToolButton) -> float:
        image = button.grab().toImage()
        return min(luminance(image.pixelColor(x, y)) for x in range(2, image.width() - 2)
                   for y in range(2, image.height() - 2))
    on, off = QToolButton(), QToolButton()
    for b in (on, off):
        qtbot.addWidget(b)
        b.setText("停诊…")
        b.resize(90, 30)
        b.show()
    off.setEnabled(False)
    assert darkest(on) < 90  # dark text on white
    assert darkest(off) > 140  # grey text: nothing to click


def test_the_roster_toolbar_says_why_an_action_is_not_possible(qtbot, sqlite_db):
    db = sqlite_db
    dep = factories.department(db, "NK", "内科")
    sid = factories.session(db, factories.doctor(db, dep, "王明"), NEXT_MONDAY, "am", status="stopped")[0]
    ctx = make_ctx(db, ADMIN)
    page = RosterPage(ctx)
    qtbot.addWidget(page)
    page.show()
    drain(qtbot, ctx)
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        page.set_week(NEXT_MONDAY)
    stop: QAction = page.stop_action
    assert not stop.isEnabled() and "Select a session" in stop.toolTip()
    assert page.select_session(sid)
    assert not stop.isEnabled() and "stopped" in stop.toolTip()


def test_a_week_with_evening_clinics_shows_whole_counts_at_1366(qtbot, styled, sqlite_db):
    """21 columns on a 1366-pixel screen: "22/42" is drawn whole, not "22…"."""
    db = sqlite_db
    dep = factories.department(db, "NK", "内科")
    doc = factories.doctor(db, dep, "王明")
    for i in range(7):
        day = NEXT_MONDAY + dt.timedelta(days=i)
        factories.session(db, doc, day, "am", slots=8, capacity=6)  # 48 places
        factories.session(db, doc, day, "evening", dt.time(18), dt.time(21), slots=6, capacity=7)
    ctx = make_ctx(db, ADMIN)
    page = RosterPage(ctx)
    qtbot.addWidget(page)
    page.resize(1366 - 166, 640)  # the main window's page area beside the navigation
    page.show()
    drain(qtbot, ctx)
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        page.set_week(NEXT_MONDAY)
    assert page.model.columnCount() == 1 + 7 * 3
    index = page.model.index_of(doc, NEXT_MONDAY, "am")
    rect = page.view.visualRect(index)
    text = "22/48"  # as many characters as a busy session shows
    font = CellDelegate.fitted_font(page.view.font(), [text], rect.width() - 4, rect.height() - 2)
    assert QFontMetricsF(font).horizontalAdvance(text) <= rect.width() - 4
    assert font.pointSizeF() >= CellDelegate.MIN_POINT_SIZE
    assert "48" in index.data(Qt.ItemDataRole.ToolTipRole)  # the whole story in the tooltip
