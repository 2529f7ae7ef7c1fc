"""The rules tab covers every rule `regdesk rules show` prints (release time, waitlist and its cut-off, late
cancellations, desk-share opening, 加号 by clerks ...), shows the same values, refuses a bad one by its field with
nothing changed, and saves what `rules show` then prints; against a real SQLite database."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QLineEdit

from services.bookings import rules
from tests import factories as f
from tests.console.admin.test_admin_page import clinic, open_page  # noqa: F401 - the fixture
from tests.console.page_support import ADMIN, OFFSCREEN_NOISE, error_by

pytestmark = OFFSCREEN_NOISE


def _shown(capsys, db) -> dict[str, str]:
    rc, out, err = f.run_cli(capsys, "rules", "show", "--db", db.url)
    assert rc == 0, err
    return dict(line.split("\t")[0].split("=", 1) for line in out.splitlines())


def _as_cli(widget) -> str:
    if isinstance(widget, QCheckBox):
        return "on" if widget.isChecked() else "off"
    if isinstance(widget, QLineEdit):
        return widget.text() or "off"
    return str(widget.value())


def test_every_rule_of_the_command_line_is_on_the_page(qtbot, clinic, capsys):  # noqa: F811 - the fixture
    db = clinic["db"]
    rules.save(db, ADMIN, waitlist=True, release_time="07:00")
    page = open_page(qtbot, db)
    tab = page.rules
    page.tabs.setCurrentWidget(tab)
    qtbot.waitUntil(tab.isEnabled, timeout=10_000)
    cli = _shown(capsys, db)
    assert {k: _as_cli(w) for k, w in tab.fields.items()} == cli
    # a bad value of a new rule, beside good ones: refused by its field, nothing saved
    before = rules.load(db)
    tab.fields["waitlist_any_slot"].setChecked(True)
    tab.fields["waitlist_cutoff_days_before"].setValue(31)
    qtbot.mouseClick(tab.save_button, Qt.MouseButton.LeftButton)
    assert "候补截止" in error_by(qtbot, tab.errors, "waitlist_cutoff_days_before")
    assert rules.load(db) == before
    tab.fields["waitlist_cutoff_days_before"].setValue(2)
    tab.fields["desk_share_opens_time"].setText("24:00")
    qtbot.mouseClick(tab.save_button, Qt.MouseButton.LeftButton)
    assert "现场号开放时间" in error_by(qtbot, tab.errors, "desk_share_opens_time")
    assert rules.load(db) == before
    tab.fields["desk_share_opens_time"].setText("20:00")
    tab.fields["late_cancel_counts"].setChecked(True)
    with qtbot.waitSignal(tab.saved, timeout=10_000):
        qtbot.mouseClick(tab.save_button, Qt.MouseButton.LeftButton)
    after = _shown(capsys, db)
    assert {k: v for k, v in after.items() if cli[k] != v} == {
        "waitlist_any_slot": "on", "waitlist_cutoff_days_before": "2", "desk_share_opens_time": "20:00",
        "late_cancel_counts": "on"}
