"""The session dialog's kept shares (desk, referral, follow-up): a session keeps its own shares (overriding its
department's) or its department's again, checked by the fields; against a real SQLite database."""
from __future__ import annotations

from PySide6.QtCore import Qt

from services.rosters import share_view, shares, templates
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
    desk = dialog.shares.fields["desk"]
    assert not desk.check.isChecked() and "30%" in desk.note.text()
    desk.check.setChecked(True)
    desk.pct.setValue(101)
    dialog.note.setText("只看复诊")
    before = snapshot(db)
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert "现场号比例" in error_by(qtbot, dialog.errors, "pct:desk")
    assert snapshot(db) == before  # nothing changed, not even the note
    desk.pct.setValue(50)
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    supply = share_view.supply_of(db, sid)
    assert (supply.pct, supply.own) == (50, True) and templates.get_session(db, sid).note == "只看复诊"
    assert page.model.index_of(clinic["wang"], clinic["day"], "am").data().splitlines()[1].startswith(
        page.model.tr("Desk {pct}%").format(pct=50))
    # its department's again
    dialog = _open(qtbot, page, sid)
    desk = dialog.shares.fields["desk"]
    assert desk.check.isChecked() and desk.pct.value() == 50
    desk.check.setChecked(False)
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert (share_view.supply_of(db, sid).pct, share_view.supply_of(db, sid).own) == (30, False)


def test_session_keeps_its_own_referral_and_follow_up_shares(qtbot, clinic):  # noqa: F811 - the fixture
    db, sid = clinic["db"], clinic["session"]
    shares.set_shares(db, ADMIN, {"desk": 30, "referral": 20}, department_id=clinic["dep"])
    page = open_page(qtbot, db)
    dialog = _open(qtbot, page, sid)
    fields = dialog.shares.fields
    assert "20%" in fields["referral"].note.text() and not fields["followup"].check.isChecked()
    for kind, pct in (("referral", 10), ("followup", 70)):  # 30 + 10 + 70: over 100 %
        fields[kind].check.setChecked(True)
        fields[kind].pct.setValue(pct)
    dialog.note.setText("只看复诊")
    before = snapshot(db)
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert "100%" in error_by(qtbot, dialog.errors, "pct")  # the total, under the three shares
    assert snapshot(db) == before  # nothing changed, not even the note
    fields["followup"].pct.setValue(40)
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    kinds = share_view.supply_of(db, sid).kinds
    assert [(kinds[k].pct, kinds[k].own) for k in shares.KINDS] == [(30, False), (10, True), (40, True)]
    assert templates.get_session(db, sid).note == "只看复诊"
    tip = page.model.index_of(clinic["wang"], clinic["day"], "am").data(Qt.ItemDataRole.ToolTipRole)
    assert "40%" in tip and "10%" in tip  # the grid's tooltip names them
    # the referral share: its department's again
    dialog = _open(qtbot, page, sid)
    assert fields is not dialog.shares.fields and dialog.shares.fields["followup"].pct.value() == 40
    dialog.shares.fields["referral"].check.setChecked(False)
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    kinds = share_view.supply_of(db, sid).kinds
    assert (kinds["referral"].pct, kinds["referral"].own, kinds["followup"].pct) == (20, False, 40)
