"""The week grid shows the supply rules: each session's desk share (现场号) and its waitlist (候补), and over each
day its holiday mark (休 / 班 / 停 / 例) in its colour with the words in the tooltip; against a real SQLite database."""
from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QCoreApplication, Qt

from services.bookings import rules
from services.clock import hospital_today
from services.rosters import shares
from tests import factories
from tests.console.page_support import ADMIN, OFFSCREEN_NOISE
from tests.console.rosters.test_rosters_page import clinic, open_page  # noqa: F401 - the fixture

pytestmark = OFFSCREEN_NOISE


def _tr(text: str) -> str:
    return QCoreApplication.translate("RosterGridModel", text)


def test_cells_show_the_desk_share_and_the_waitlist(qtbot, clinic):  # noqa: F811 - the fixture
    db = clinic["db"]
    shares.set_share(db, ADMIN, 30, department_id=clinic["dep"])
    rules.save(db, ADMIN, waitlist=True, booking_window_days=30)
    full = clinic["slots"][0]  # its two places are taken
    for _ in range(2):
        factories.request(db, full, factories.patient(db))
    assert rules.decide_pending(db).waiting == 2
    page = open_page(qtbot, db)
    index = page.model.index_of(clinic["wang"], clinic["day"], "am")
    lines = index.data().splitlines()
    assert lines[0] == "4/8"  # the fixture's three bookings and its request, now confirmed
    assert lines[1] == _tr("Desk {pct}%").format(pct=30) + " · " + _tr("Waitlist {n}").format(n=2)
    tip = index.data(Qt.ItemDataRole.ToolTipRole)
    assert _tr("Desk share (现场号): {pct}% of each slot").format(pct=30) + _tr(" (the department's)") in tip
    assert _tr("On the waitlist (候补): {n} request(s)").format(n=2) in tip
    # a session of its own keeps more; the grid follows in place
    shares.set_share(db, ADMIN, 50, session_id=clinic["pm_session"])
    shares.set_share(db, ADMIN, None, department_id=clinic["dep"])
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        page.refresh()
    pm = page.model.index_of(clinic["li"], clinic["day"], "pm")
    assert pm.data().splitlines()[1] == _tr("Desk {pct}%").format(pct=50)
    assert _tr(" (this session's own setting)") in pm.data(Qt.ItemDataRole.ToolTipRole)
    am = page.model.index_of(clinic["wang"], clinic["day"], "am")
    assert am.data().splitlines()[1] == _tr("Waitlist {n}").format(n=2)  # no share kept now
    assert _tr("Desk share (现场号): none kept") in am.data(Qt.ItemDataRole.ToolTipRole)


def test_day_headers_mark_holidays_and_make_up_days(qtbot, clinic):  # noqa: F811 - the fixture
    page = open_page(qtbot, clinic["db"])
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        page.set_week(dt.date(2026, 10, 5))  # after National Day: Saturday 10-10 is worked (调休上班)
    cols = {page.model.slot_of(c): c for c in range(1, page.model.columnCount())}
    sat, tue, fri = (cols[(dt.date(2026, 10, d), "am")] for d in (10, 6, 9))

    def header(col, role=Qt.ItemDataRole.DisplayRole):
        return page.model.headerData(col, Qt.Orientation.Horizontal, role)
    assert header(sat).splitlines()[0].endswith("班") and header(tue).splitlines()[0].endswith("休")
    assert "调休上班" in header(sat, Qt.ItemDataRole.ToolTipRole)
    assert header(tue, Qt.ItemDataRole.ToolTipRole) == "国庆节休息"
    worked, off = header(sat, Qt.ItemDataRole.ForegroundRole), header(tue, Qt.ItemDataRole.ForegroundRole)
    assert worked is not None and off is not None and worked != off
    assert header(fri, Qt.ItemDataRole.ForegroundRole) is None and header(fri, Qt.ItemDataRole.ToolTipRole) is None


def test_a_past_session_does_not_show_a_share_kept(qtbot, clinic):  # noqa: F811 - the fixture
    db = clinic["db"]
    yesterday = hospital_today() - dt.timedelta(days=1)
    factories.session(db, clinic["wang"], yesterday, "pm", dt.time(14, 0), dt.time(16, 0))
    shares.set_share(db, ADMIN, 30, department_id=clinic["dep"])  # its share never opened: the day is over
    page = open_page(qtbot, db)
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        page.set_week(yesterday)
    index = page.model.index_of(clinic["wang"], yesterday, "pm")
    assert index.data().splitlines() == [index.data().splitlines()[0]]  # the places only
    assert "30%" in index.data(Qt.ItemDataRole.ToolTipRole)  # what was kept, said in the tooltip
