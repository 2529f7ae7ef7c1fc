"""The administration page's 号源池 tab: each department's kept shares (desk, referral, follow-up), edited by the
fields with the service's checks (0-100 % each, at most 100 % together, or none kept), against a real SQLite
database."""
from __future__ import annotations

from PySide6.QtCore import Qt

from services.rosters import share_view
from tests.console.admin.test_admin_page import clinic, open_page  # noqa: F401 - the fixture
from tests.console.page_support import OFFSCREEN_NOISE, cleared_by_editing, error_by
from tests.snapshot import snapshot

pytestmark = OFFSCREEN_NOISE


def _pcts(db, kind="desk"):
    return {d.code: d.pcts[kind] for d in share_view.department_shares(db)}


def test_department_desk_share_is_set_checked_and_turned_off(qtbot, clinic):  # noqa: F811 - the fixture
    db = clinic["db"]
    page = open_page(qtbot, db)
    tab = page.shares
    page.tabs.setCurrentWidget(tab)
    qtbot.waitUntil(lambda: tab.model.rowCount() == 2, timeout=10_000)
    column = 2  # code, name, desk, referral, follow-up, status
    none_kept = tab.model.index(tab.model.index_of(clinic["dep"]), column).data()
    assert none_kept and "%" not in none_kept
    tab.select(clinic["dep"])
    qtbot.mouseClick(tab.edit_button, Qt.MouseButton.LeftButton)
    dialog = tab.dialog
    desk = dialog.fields.fields["desk"]
    assert not desk.check.isChecked() and not desk.pct.isEnabled()
    desk.check.setChecked(True)
    desk.pct.setValue(130)
    before = snapshot(db)
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert "现场号比例" in error_by(qtbot, dialog.errors, "pct:desk")  # by the field, in the service's words
    assert snapshot(db) == before
    assert cleared_by_editing(dialog.errors, "pct:desk", lambda: desk.pct.setValue(30))
    with qtbot.waitSignal(dialog.done_ok, timeout=10_000):
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert _pcts(db) == {"NK": 30, "WK": None}
    qtbot.waitUntil(lambda: tab.model.index(tab.model.index_of(clinic["dep"]), column).data() == "30%",
                    timeout=10_000)
    # off again: none kept
    tab.select(clinic["dep"])
    qtbot.mouseClick(tab.edit_button, Qt.MouseButton.LeftButton)
    dialog = tab.dialog
    desk = dialog.fields.fields["desk"]
    assert desk.check.isChecked() and desk.pct.value() == 30
    desk.check.setChecked(False)
    with qtbot.waitSignal(dialog.done_ok, timeout=10_000):
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert _pcts(db) == {"NK": None, "WK": None}


def test_referral_and_follow_up_shares_are_set_and_their_total_checked(qtbot, clinic):  # noqa: F811 - the fixture
    db = clinic["db"]
    page = open_page(qtbot, db)
    tab = page.shares
    page.tabs.setCurrentWidget(tab)
    qtbot.waitUntil(lambda: tab.model.rowCount() == 2, timeout=10_000)
    tab.select(clinic["dep"])
    qtbot.mouseClick(tab.edit_button, Qt.MouseButton.LeftButton)
    dialog = tab.dialog
    fields = dialog.fields.fields
    for kind, pct in (("desk", 40), ("referral", 40), ("followup", 30)):  # 110 % together
        fields[kind].check.setChecked(True)
        fields[kind].pct.setValue(pct)
    before = snapshot(db)
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert "100%" in error_by(qtbot, dialog.errors, "pct")  # the total, by the fields, in the service's words
    assert snapshot(db) == before  # not even the shares within the total
    fields["followup"].pct.setValue(20)
    with qtbot.waitSignal(dialog.done_ok, timeout=10_000):
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert (_pcts(db)["NK"], _pcts(db, "referral")["NK"], _pcts(db, "followup")["NK"]) == (40, 40, 20)
    row = tab.model.index_of(clinic["dep"])
    qtbot.waitUntil(lambda: [tab.model.index(row, c).data() for c in (2, 3, 4)] == ["40%", "40%", "20%"],
                    timeout=10_000)
    # one share out of range: by the fields, that share's box outlined
    tab.select(clinic["dep"])
    qtbot.mouseClick(tab.edit_button, Qt.MouseButton.LeftButton)
    dialog = tab.dialog
    assert [dialog.fields.fields[k].pct.value() for k in ("desk", "referral", "followup")] == [40, 40, 20]
    dialog.fields.fields["referral"].pct.setValue(101)
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert "转诊号比例" in error_by(qtbot, dialog.errors, "pct:referral")
    assert dialog.errors.inputs("pct:referral")[0] is dialog.fields.fields["referral"].pct  # its own line
