"""预约审核: the queue's model, deciding with the keyboard, rejecting with a reason, approving several,
a colleague deciding first, and foreign requests appearing by themselves."""
from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from console.bookings.queue import QueueModel, QueuePage
from console.common.live import LiveFeed
from console.common.tablemodel import ID_ROLE
from services.bookings import decisions, queries
from tests import factories as f
from tests.console.console_helpers import clinic_with_requests, console_context, staff


def open_page(qtbot, ctx) -> QueuePage:
    page = QueuePage(ctx)
    qtbot.addWidget(page)
    page.resize(1200, 600)
    page.show()
    page.reload()
    qtbot.waitUntil(lambda: page.loaded, timeout=10_000)
    page.table.setFocus()
    return page


def shown_ids(page: QueuePage) -> list[int]:
    return [page.table.proxy.index(r, 0).data(ID_ROLE) for r in range(page.table.proxy.rowCount())]


def test_queue_rows_and_models_pass_the_tester(qtmodeltester, sqlite_db):
    c = clinic_with_requests(sqlite_db, 3)
    other = f.patient(sqlite_db, name="爽约者")
    f.set_status(sqlite_db, f.request(sqlite_db, c["slot_ids"][1], other), "no_show")
    f.set_status(sqlite_db, f.request(sqlite_db, c["slot_ids"][2], c["patients"][0]), "confirmed")
    rows = queries.pending_queue(sqlite_db, now=dt.datetime.combine(c["day"], dt.time(7)))
    assert [r.booking_id for r in rows] == c["requests"]
    first = rows[0]
    assert first.remaining == 2 and first.pending_in_slot == 3 and first.phone.count("*") == 4
    assert len(first.others) == 1 and first.others[0].status == "confirmed"
    model = QueueModel()
    model.set_rows(rows)
    qtmodeltester.check(model)
    from console.common.rowproxy import RowFilterProxy
    proxy = RowFilterProxy()
    proxy.setSourceModel(model)
    proxy.set_filter_text("测试1")
    assert proxy.rowCount() == 1
    qtmodeltester.check(proxy)


def test_approve_with_the_keyboard_changes_the_database(qtbot, db, tmp_path):
    c = clinic_with_requests(db, 2)
    with console_context(db, staff(db), tmp_path) as ctx:
        page = open_page(qtbot, ctx)
        assert shown_ids(page) == c["requests"]
        assert page.table.current_id() is None  # nothing is chosen for the clerk
        qtbot.keyClick(page.table, Qt.Key.Key_J)  # the oldest
        assert page.table.current_id() == c["requests"][0]
        qtbot.keyClick(page.table, Qt.Key.Key_A)
        qtbot.waitUntil(lambda: shown_ids(page) == [c["requests"][1]], timeout=10_000)
        assert f.status_of(db, c["requests"][0]) == "confirmed"
        assert page.table.current_id() == c["requests"][1]  # the next one, without touching the mouse
        qtbot.keyClick(page.table, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
        qtbot.waitUntil(lambda: not shown_ids(page), timeout=10_000)
        assert f.status_of(db, c["requests"][1]) == "confirmed"
        assert "Approved" in page.messages.text() or "通过" in page.messages.text()


def test_j_and_k_move_and_letters_in_the_search_box_are_text(qtbot, sqlite_db, tmp_path):
    c = clinic_with_requests(sqlite_db, 3)
    with console_context(sqlite_db, staff(sqlite_db), tmp_path) as ctx:
        page = open_page(qtbot, ctx)
        qtbot.keyClick(page.table, Qt.Key.Key_J)
        assert page.table.current_id() == c["requests"][0]
        qtbot.keyClick(page.table, Qt.Key.Key_J)
        assert page.table.current_id() == c["requests"][1]
        qtbot.keyClick(page.table, Qt.Key.Key_K)
        assert page.table.current_id() == c["requests"][0]
        qtbot.keyClick(page.table, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
        assert page.search_box.hasFocus()
        qtbot.keyClicks(page.search_box, "a")  # typed, not an approval
        assert page.search_box.text() == "a"
        page.search_box.clear()
        page.search_box.insert("测试2")  # as an input method commits it (QTest types ASCII only)
        qtbot.waitUntil(lambda: shown_ids(page) == [c["requests"][2]], timeout=5000)
        qtbot.keyClick(page.search_box, Qt.Key.Key_Return)
        assert page.table.hasFocus() and page.table.current_id() == c["requests"][2]
        assert all(f.status_of(sqlite_db, i) == "pending" for i in c["requests"])


def test_reject_with_a_picked_reason_and_details(qtbot, db, tmp_path):
    c = clinic_with_requests(db, 2)
    with console_context(db, staff(db), tmp_path) as ctx:
        page = open_page(qtbot, ctx)
        page.table.select_id(c["requests"][1])
        qtbot.keyClick(page.table, Qt.Key.Key_R)
        dialog = page.dialog
        assert dialog.isVisible() and not dialog.ok.isEnabled()
        qtbot.keyClick(dialog.list, Qt.Key.Key_3)  # the third common reason
        dialog.text.insert("请带身份证")  # as an input method commits it
        assert dialog.ok.isEnabled()
        qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: shown_ids(page) == [c["requests"][0]], timeout=10_000)
        assert f.status_of(db, c["requests"][1]) == "rejected"
        with db.read() as conn:
            from sqlalchemy import select

            from services.models import Booking
            reason = conn.execute(select(Booking.reason).where(Booking.id == c["requests"][1])).scalar_one()
        assert reason.startswith("预约信息不完整") and "请带身份证" in reason


def test_approve_several_at_once_marks_the_overflow_full(qtbot, sqlite_db, tmp_path, monkeypatch):
    c = clinic_with_requests(sqlite_db, 3, capacity=2)
    asked = []
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: asked.append(a) or QMessageBox.StandardButton.Yes)
    with console_context(sqlite_db, staff(sqlite_db), tmp_path) as ctx:
        page = open_page(qtbot, ctx)
        for _ in c["requests"]:  # J to each, Space to mark it
            qtbot.keyClick(page.table, Qt.Key.Key_J)
            qtbot.keyClick(page.table, Qt.Key.Key_Space)
        assert page.table.target_ids() == c["requests"]
        qtbot.keyClick(page.table, Qt.Key.Key_A)
        qtbot.waitUntil(lambda: not shown_ids(page), timeout=10_000)
        assert len(asked) == 1
        assert [f.status_of(sqlite_db, i) for i in c["requests"]] == ["confirmed", "confirmed", "full"]
        assert "full" in page.messages.text() or "已满" in page.messages.text()


def test_a_colleague_deciding_first_gives_a_message_and_a_fresh_row(qtbot, db, tmp_path):
    c = clinic_with_requests(db, 2)
    colleague = staff(db, "clerk2")
    with console_context(db, staff(db), tmp_path) as ctx:
        page = open_page(qtbot, ctx)  # no live feed here: the row is stale on purpose
        decisions.reject(db, colleague, c["requests"][0], "重复预约")
        qtbot.keyClick(page.table, Qt.Key.Key_J)
        qtbot.keyClick(page.table, Qt.Key.Key_A)
        qtbot.waitUntil(lambda: c["requests"][0] not in shown_ids(page), timeout=10_000)
        assert f.status_of(db, c["requests"][0]) == "rejected"  # not overwritten
        assert "已被处理" in page.messages.text()
        assert QApplication.activeModalWidget() is None
        assert shown_ids(page) == [c["requests"][1]]


def test_foreign_requests_appear_without_resetting_the_selection(qtbot, db, tmp_path):
    c = clinic_with_requests(db, 2)
    with console_context(db, staff(db), tmp_path) as ctx:
        feed = LiveFeed(db)
        ctx.changes.follow(feed)
        page = open_page(qtbot, ctx)
        feed.start()
        try:
            qtbot.waitUntil(lambda: feed.state == "live", timeout=10_000)
            page.table.select_id(c["requests"][1])
            resets = []
            page.model.modelReset.connect(lambda: resets.append(1))
            page.table.proxy.modelReset.connect(lambda: resets.append(2))
            newcomer = f.patient(db, name="新来的")
            new_id = f.request(db, c["slot_ids"][1], newcomer)  # plain SQL, as the mini-program
            qtbot.waitUntil(lambda: new_id in shown_ids(page), timeout=15_000)
            assert not resets
            assert page.table.selected_ids() == [c["requests"][1]]
            assert page.table.current_id() == c["requests"][1]
            # the mini-program cancels one: it leaves by itself, the selection stays
            with db.engine.begin() as conn:
                from sqlalchemy import text
                conn.execute(text("UPDATE bookings SET status = 'cancelled' WHERE id = :i AND status IN "
                                  "('pending', 'confirmed')"), {"i": c["requests"][0]})
            qtbot.waitUntil(lambda: c["requests"][0] not in shown_ids(page), timeout=15_000)
            assert not resets and page.table.current_id() == c["requests"][1]
        finally:
            feed.stop()


@pytest.mark.parametrize("role", ["head"])
def test_a_head_sees_only_their_departments(qtbot, sqlite_db, tmp_path, role):
    c = clinic_with_requests(sqlite_db, 1, day=dt.date.today() + dt.timedelta(days=3))
    dep2 = f.department(sqlite_db, code="WK", name="外科")
    doc2 = f.doctor(sqlite_db, dep2, name="李医生")
    _sid, slots2 = f.session(sqlite_db, doc2, c["day"])
    other = f.request(sqlite_db, slots2[0], f.patient(sqlite_db))
    head = staff(sqlite_db, "head_wk", role, departments=("WK",))
    with console_context(sqlite_db, head, tmp_path) as ctx:
        page = open_page(qtbot, ctx)
        assert shown_ids(page) == [other]
