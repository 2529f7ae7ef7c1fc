"""The day list at the desk (issue 9, items 2 and 3 and the smaller ones): check-in only on the clinic's
own day, with the reason shown; N asks first; a check-in or no-show undone from the undo bar or the
undo button (a head with a reason on a later day); the heading says the day; the cancel dialog names
the patient and its buttons say what they do."""
from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from services.clock import hospital_today
from tests import factories as f
from tests.console.bookings.test_daylist import answer_no_show, confirmed_clinic, open_page, today_clinic
from tests.console.console_helpers import console_context, staff

TOMORROW = hospital_today() + dt.timedelta(days=1)


def status_in_page(page, booking_id: int) -> str:
    return page.model.row_at(page.model.index_of(booking_id)).status


def test_check_in_is_off_on_another_day_and_says_why(qtbot, sqlite_db, tmp_path):
    """Alt+→ then C used to check in tomorrow's patient today."""
    c = confirmed_clinic(sqlite_db, 1, day=TOMORROW)
    t = today_clinic(sqlite_db, 1, department_id=c["department_id"])
    with console_context(sqlite_db, staff(sqlite_db), tmp_path) as ctx:
        page = open_page(qtbot, ctx, hospital_today())
        assert page.title.text() in ("Today's patients", "今日就诊")
        qtbot.keyClick(page.table, Qt.Key.Key_Right, Qt.KeyboardModifier.AltModifier)
        qtbot.waitUntil(lambda: page.model.query is not None and page.model.query[0] == TOMORROW
                        and page._loading is None, timeout=10_000)
        assert TOMORROW.strftime("%m-%d") in page.title.text() and "今日" not in page.title.text()
        page.table.select_id(c["requests"][0])
        assert not page.checkin_button.isEnabled()
        assert page.day_note.isVisible() and TOMORROW.isoformat() in page.day_note.toolTip()
        qtbot.keyClick(page.table, Qt.Key.Key_C)
        ctx.tasks.wait_for_done()
        assert f.status_of(sqlite_db, c["requests"][0]) == "confirmed"
        assert TOMORROW.isoformat() in page.messages.text()  # not silent: the reason again
        qtbot.keyClick(page.table, Qt.Key.Key_Left, Qt.KeyboardModifier.AltModifier)
        qtbot.waitUntil(lambda: page.model.query[0] == hospital_today() and page._loading is None, timeout=10_000)
        page.table.select_id(t["requests"][0])
        assert page.checkin_button.isEnabled() and not page.day_note.isVisible()


def test_no_show_asks_first_and_back_changes_nothing(qtbot, sqlite_db, tmp_path):
    t = today_clinic(sqlite_db, 1)
    with console_context(sqlite_db, staff(sqlite_db), tmp_path) as ctx:
        page = open_page(qtbot, ctx, t["day"])
        page.table.select_id(t["requests"][0])
        qtbot.keyClick(page.table, Qt.Key.Key_N)
        box = page.dialog
        assert "今天0" in box.text() and f"#{t['requests'][0]}" in box.text()  # names the patient
        answer_no_show(qtbot, page, yes=False)
        ctx.tasks.wait_for_done()
        assert f.status_of(sqlite_db, t["requests"][0]) == "confirmed"


def test_a_mis_keyed_check_in_and_no_show_are_undone_from_the_undo_bar(qtbot, db, tmp_path):
    t = today_clinic(db, 2)
    with console_context(db, staff(db), tmp_path) as ctx:
        page = open_page(qtbot, ctx, t["day"])
        first, second = t["requests"]
        page.table.select_id(first)
        qtbot.keyClick(page.table, Qt.Key.Key_C)
        qtbot.waitUntil(lambda: page.undo_bar.isVisible(), timeout=10_000)
        assert "今天0" in page.undo_bar.label.text() and f.status_of(db, first) == "checked_in"
        page.table.select_id(second)  # the clerk moved on: Ctrl+Z still undoes what the bar names
        qtbot.keyClick(page.table, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
        qtbot.waitUntil(lambda: f.status_of(db, first) == "confirmed" and status_in_page(page, first) == "confirmed",
                        timeout=10_000)
        assert f.status_of(db, second) == "confirmed"
        qtbot.keyClick(page.table, Qt.Key.Key_N)
        answer_no_show(qtbot, page)
        qtbot.waitUntil(lambda: page.undo_bar.isVisible() and f.status_of(db, second) == "no_show", timeout=10_000)
        qtbot.mouseClick(page.undo_bar.button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: f.status_of(db, second) == "confirmed" and status_in_page(page, second) == "confirmed",
                        timeout=10_000)
        assert not page.undo_bar.isVisible()


def test_undo_on_a_past_day_is_a_heads_with_a_reason(qtbot, sqlite_db, tmp_path):
    yesterday = hospital_today() - dt.timedelta(days=1)
    c = confirmed_clinic(sqlite_db, 1, day=yesterday)
    f.set_status(sqlite_db, c["requests"][0], "no_show")
    with console_context(sqlite_db, staff(sqlite_db), tmp_path) as ctx:  # a clerk: the button is off
        page = open_page(qtbot, ctx, yesterday)
        page.table.select_id(c["requests"][0])
        assert not page.undo_button.isEnabled()
    head = staff(sqlite_db, "head1", "head", departments=("NK",))
    with console_context(sqlite_db, head, tmp_path) as ctx:
        page = open_page(qtbot, ctx, yesterday)
        page.table.select_id(c["requests"][0])
        assert page.undo_button.isEnabled()
        qtbot.keyClick(page.table, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
        dialog = page.dialog
        assert not dialog.ok.isEnabled()  # a reason first
        dialog.pick(0)
        qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: f.status_of(sqlite_db, c["requests"][0]) == "confirmed", timeout=10_000)


def test_the_cancel_dialog_names_the_patient_and_its_buttons_are_plain(qtbot, sqlite_db, tmp_path):
    c = confirmed_clinic(sqlite_db, 2, day=TOMORROW)
    with console_context(sqlite_db, staff(sqlite_db), tmp_path) as ctx:
        page = open_page(qtbot, ctx, TOMORROW)
        page.table.select_id(c["requests"][1])
        qtbot.keyClick(page.table, Qt.Key.Key_Delete, Qt.KeyboardModifier.ControlModifier)
        dialog = page.dialog
        texts = " ".join(label.text() for label in dialog.findChildren(QLabel))
        assert "测试1" in texts and f"#{c['requests'][1]}" in texts
        assert dialog.back.text() in ("Back", "返回") and dialog.ok.text() not in ("Cancel", "取消", "确认取消")
        assert not dialog.back.autoDefault()
        qtbot.mouseClick(dialog.back, Qt.MouseButton.LeftButton)
        assert f.status_of(sqlite_db, c["requests"][1]) == "confirmed"


def test_a_patient_hidden_by_the_search_is_not_checked_in_nor_cancelled(qtbot, sqlite_db, tmp_path):
    """Item 1 in the day list: the chosen row is filtered out, C, N and Ctrl+Delete act on nobody."""
    t = today_clinic(sqlite_db, 3)
    with console_context(sqlite_db, staff(sqlite_db), tmp_path) as ctx:
        page = open_page(qtbot, ctx, t["day"])
        page.table.select_id(t["requests"][0])
        page.table.search("今天2", now=True)
        assert page.table.selected_ids() == [] and not page.checkin_button.isEnabled()
        page.table.setFocus()
        for key, mod in ((Qt.Key.Key_C, Qt.KeyboardModifier.NoModifier), (Qt.Key.Key_N, Qt.KeyboardModifier.NoModifier),
                         (Qt.Key.Key_Delete, Qt.KeyboardModifier.ControlModifier)):
            qtbot.keyClick(page.table, key, mod)
        ctx.tasks.wait_for_done()
        assert getattr(page, "noshow_box", None) is None and getattr(page, "cancel_dialog", None) is None
        assert [f.status_of(sqlite_db, i) for i in t["requests"]] == ["confirmed"] * 3
