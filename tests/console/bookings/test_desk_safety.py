"""Acting on exactly the patient on the screen (issue 9, items 1 and 7): actions take the rows visibly
selected (or the rows marked with Space), the detail pane shows exactly the current row, and no row is
ever selected by a filter, a sort or a live change."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from console.common.live import LiveFeed
from console.common.tablemodel import MARKED_ROLE
from tests import factories as f
from tests.console.bookings.test_queue import open_page, shown_ids
from tests.console.console_helpers import clinic_with_requests, console_context, staff


def test_a_row_filtered_out_then_a_live_insert_then_keyboard_approve_approves_nothing(qtbot, db, tmp_path):
    """The reported sequence: select a row, Ctrl+F a filter that hides it, new requests arrive live,
    Ctrl+Enter and A: nobody is approved, nothing is selected, the detail pane shows nobody."""
    c = clinic_with_requests(db, 3)
    doc2 = f.doctor(db, c["department_id"], name="王医生")
    _sid, other_slots = f.session(db, doc2, c["day"], period="pm", starts=f.dt.time(14), ends=f.dt.time(17))
    wang = f.request(db, other_slots[0], f.patient(db, name="王的病人"))
    with console_context(db, staff(db), tmp_path) as ctx:
        feed = LiveFeed(db)
        ctx.changes.follow(feed)
        page = open_page(qtbot, ctx)
        feed.start()
        try:
            qtbot.waitUntil(lambda: feed.state == "live", timeout=10_000)
            chosen = c["requests"][2]
            assert page.table.select_id(chosen)
            assert page.detail.shown_id() == chosen
            qtbot.keyClick(page.table, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
            page.search_box.insert("王医生")  # as an input method commits it
            qtbot.waitUntil(lambda: shown_ids(page) == [wang], timeout=5000)
            # the chosen row is gone from the screen: nothing is selected, the pane says so
            assert page.table.selected_ids() == [] and page.table.current_id() is None
            assert page.detail.shown_id() is None
            assert not page.approve_button.isEnabled() and not page.reject_button.isEnabled()
            # new requests arrive (for 王医生, so they are shown) while the clerk is in the search box
            new = [f.request(db, other_slots[1], f.patient(db, name=f"新{i}")) for i in range(2)]
            qtbot.waitUntil(lambda: set(new) <= set(shown_ids(page)), timeout=15_000)
            assert page.table.selected_ids() == [] and page.detail.shown_id() is None
            qtbot.keyClick(page.search_box, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
            page.table.setFocus()
            qtbot.keyClick(page.table, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
            qtbot.keyClick(page.table, Qt.Key.Key_A)
            ctx.tasks.wait_for_done()
            assert {i: f.status_of(db, i) for i in [*c["requests"], wang, *new]} == dict.fromkeys(
                [*c["requests"], wang, *new], "pending")
            assert page.table.selected_ids() == [] and not page.approve_button.isEnabled()
            # clearing the search brings the row back, still not selected: selecting is the clerk's act
            page.search_box.clear()
            qtbot.waitUntil(lambda: chosen in shown_ids(page), timeout=5000)
            assert page.table.selected_ids() == []
        finally:
            feed.stop()


def test_nothing_is_selected_until_the_clerk_chooses(qtbot, sqlite_db, tmp_path):
    c = clinic_with_requests(sqlite_db, 3)
    with console_context(sqlite_db, staff(sqlite_db), tmp_path) as ctx:
        page = open_page(qtbot, ctx)
        assert page.table.selected_ids() == [] and page.detail.shown_id() is None
        qtbot.keyClick(page.table, Qt.Key.Key_A)
        ctx.tasks.wait_for_done()
        assert all(f.status_of(sqlite_db, i) == "pending" for i in c["requests"])
        # a sort keeps the chosen row chosen and selects no other
        qtbot.keyClick(page.table, Qt.Key.Key_J)
        assert page.table.selected_ids() == [c["requests"][0]] and page.detail.shown_id() == c["requests"][0]
        page.table.sortByColumn(page.model.column_index("patient"), Qt.SortOrder.DescendingOrder)
        assert page.table.selected_ids() == [c["requests"][0]] and page.detail.shown_id() == c["requests"][0]
        # the selected row leaves (the patient cancels): nothing selected, pane empty, actions off
        page.model.remove_ids([c["requests"][0]])
        assert page.table.selected_ids() == [] and page.detail.shown_id() is None
        assert not page.approve_button.isEnabled()


def test_marks_survive_moving_are_counted_and_are_all_that_is_approved(qtbot, sqlite_db, tmp_path, monkeypatch):
    c = clinic_with_requests(sqlite_db, 4, capacity=4)
    asked = []
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: asked.append(a[2]) or QMessageBox.StandardButton.Yes)
    with console_context(sqlite_db, staff(sqlite_db), tmp_path) as ctx:
        page = open_page(qtbot, ctx)
        first, second, third, fourth = c["requests"]
        qtbot.keyClick(page.table, Qt.Key.Key_J)  # the first
        qtbot.keyClick(page.table, Qt.Key.Key_Space)  # marked
        qtbot.keyClick(page.table, Qt.Key.Key_J)
        qtbot.keyClick(page.table, Qt.Key.Key_Down)  # the third, with the arrow
        qtbot.keyClick(page.table, Qt.Key.Key_Space)  # marked
        qtbot.keyClick(page.table, Qt.Key.Key_J)  # now on the fourth, not marked
        assert page.table.marked_ids() == [first, third]  # moving did not clear them
        assert "2" in page.count_label.text() and "2" in page.approve_button.text()
        assert page.table.proxy.index(0, 3).data(MARKED_ROLE) is True  # the table paints these rows marked
        assert page.table.proxy.index(1, 3).data(MARKED_ROLE) is False
        qtbot.keyClick(page.table, Qt.Key.Key_A)
        qtbot.waitUntil(lambda: first not in shown_ids(page) and third not in shown_ids(page), timeout=10_000)
        assert len(asked) == 1 and "2" in asked[0]
        assert [f.status_of(sqlite_db, i) for i in c["requests"]] == ["confirmed", "pending", "confirmed", "pending"]
        assert page.table.marked_ids() == []
        # Space again takes a mark off; Esc clears them all
        page.table.select_id(second)
        qtbot.keyClick(page.table, Qt.Key.Key_Space)
        qtbot.keyClick(page.table, Qt.Key.Key_Space)
        assert page.table.marked_ids() == []
        qtbot.keyClick(page.table, Qt.Key.Key_Space)
        qtbot.keyClick(page.table, Qt.Key.Key_Escape)
        assert page.table.marked_ids() == []


def test_marked_rows_hidden_by_the_search_are_not_acted_on(qtbot, sqlite_db, tmp_path, monkeypatch):
    c = clinic_with_requests(sqlite_db, 3, capacity=4)
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    with console_context(sqlite_db, staff(sqlite_db), tmp_path) as ctx:
        page = open_page(qtbot, ctx)
        for _ in range(3):
            qtbot.keyClick(page.table, Qt.Key.Key_J)
            qtbot.keyClick(page.table, Qt.Key.Key_Space)
        assert page.table.marked_ids() == c["requests"]
        page.table.search("测试1", now=True)
        assert shown_ids(page) == [c["requests"][1]]
        assert page.table.marked_ids() == [c["requests"][1]]
        qtbot.keyClick(page.table, Qt.Key.Key_A)
        qtbot.waitUntil(lambda: f.status_of(sqlite_db, c["requests"][1]) == "confirmed", timeout=10_000)
        ctx.tasks.wait_for_done()
        assert [f.status_of(sqlite_db, i) for i in c["requests"]] == ["pending", "confirmed", "pending"]
