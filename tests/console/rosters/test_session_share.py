"""The session dialog's desk share: a session keeps its own share (overriding its department's) or its
department's again, checked by the field; against a real SQLite database."""
from __future__ import annotations

from PySide6.QtCore import Qt

from services.rosters import shares, templates
from tests.console.page_support import ADMIN, OFFSCREEN_NOISE, error_by
from tests.console.rosters.test_rosters_page import clinic, open_page, select  # noqa: F401 - the fixture
from tests.snapshot import snapshot

pytestmark = OFFSCREEN_NOISE


def _open(qtbot, page, session_id):
    select(page, session_id)
    page.change_action.trigger()
    dialog = page.dialog
    qtbot.waitUntil(lambda: dialog.ok_button.isEnabled(), timeout=10_000)
    return dialog


def test_session_keeps_its_own_desk_share(qtbot, clinic):  # noqa: F811 - the fixture
    db, sid = clinic["db"], clinic["session"]
    shares.set_share(db, ADMIN, 30, department_id=clinic["dep"])
    page = open_page(qtbot, db)
    dialog = _open(qtbot, page, sid)
    assert not dialog.share.check.isChecked() and "30%" in dialog.share.note.text()
    dialog.share.check.setChecked(True)
    dialog.share.pct.setValue(101)
    dialog.note.setText("只看复诊")
    before = snapshot(db)
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert "现场号比例" in error_by(qtbot, dialog.errors, "pct")
    assert snapshot(db) == before  # nothing changed, not even the note
    dialog.share.pct.setValue(50)
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    supply = shares.supply_of(db, sid)
    assert (supply.pct, supply.own) == (50, True) and templates.get_session(db, sid).note == "只看复诊"
    assert page.model.index_of(clinic["wang"], clinic["day"], "am").data().splitlines()[1].startswith(
        page.model.tr("Desk {pct}%").format(pct=50))
    # its department's again
    dialog = _open(qtbot, page, sid)
    assert dialog.share.check.isChecked() and dialog.share.pct.value() == 50
    dialog.share.check.setChecked(False)
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert (shares.supply_of(db, sid).pct, shares.supply_of(db, sid).own) == (30, False)
