"""The queue and the hospital's rules (issue 9, item 4 at the desk, and the smaller queue items): each
request shows its verdict before the clerk decides; approving a refused one explains why, offers the
override only to a head or an admin, and never approves at one key; 申请时间 has the date and the wait;
new requests out of sight are announced without moving the selection; the reject dialog names the
patients."""
from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel
from sqlalchemy import select

from services.clock import hospital_today
from services.models import AuditLog
from tests import factories as f
from tests.console.bookings.test_queue import open_page, shown_ids
from tests.console.console_helpers import console_context, staff


def refused_and_fine(db) -> dict:
    """One request 13 days ahead (the window is 7) and one the rules allow."""
    dep = f.department(db)
    doc = f.doctor(db, dep)
    _, far = f.session(db, doc, hospital_today() + dt.timedelta(days=13), slots=1, capacity=5)
    _, near = f.session(db, doc, hospital_today() + dt.timedelta(days=2), slots=1, capacity=5)
    return {"far": f.request(db, far[0], f.patient(db, name="太早的")),
            "fine": f.request(db, near[0], f.patient(db, name="正常的"))}


def cell(page, booking_id: int, key: str, role=Qt.ItemDataRole.DisplayRole):
    p = page.table.proxy.row_of_id(booking_id)
    return page.table.proxy.index(p, page.model.column_index(key)).data(role)


def test_each_request_shows_its_verdict_and_a_clerk_cannot_approve_past_a_rule(qtbot, sqlite_db, tmp_path):
    r = refused_and_fine(sqlite_db)
    with console_context(sqlite_db, staff(sqlite_db), tmp_path) as ctx:
        page = open_page(qtbot, ctx)
        assert cell(page, r["fine"], "rule") in ("OK", "可通过")
        assert cell(page, r["far"], "rule") in ("Too far ahead", "超出预约期")
        assert cell(page, r["far"], "rule", Qt.ItemDataRole.ToolTipRole) == "只能预约7天内的号源"
        page.table.select_id(r["far"])
        assert "只能预约7天内的号源" in page.detail.summary.text()
        qtbot.keyClick(page.table, Qt.Key.Key_A)
        dialog = page.dialog
        assert dialog.isVisible()
        texts = " ".join(label.text() for label in dialog.findChildren(QLabel))
        assert "太早的" in texts and "只能预约7天内的号源" in texts
        assert not dialog.override_button.isVisible()  # a clerk holds no override
        qtbot.keyClick(dialog, Qt.Key.Key_Return)  # Enter presses nothing here
        assert dialog.isVisible()
        qtbot.keyClick(dialog, Qt.Key.Key_Escape)  # Esc goes back
        ctx.tasks.wait_for_done()
        assert f.status_of(sqlite_db, r["far"]) == "pending"


def test_a_head_overrides_with_a_reason_and_it_is_audited(qtbot, sqlite_db, tmp_path):
    r = refused_and_fine(sqlite_db)
    head = staff(sqlite_db, "head1", "head", departments=("NK",))
    with console_context(sqlite_db, head, tmp_path) as ctx:
        page = open_page(qtbot, ctx)
        page.table.select_id(r["far"])
        qtbot.keyClick(page.table, Qt.Key.Key_A)
        dialog = page.dialog
        assert dialog.override_button.isVisible() and not dialog.override_button.isEnabled()
        assert not dialog.override_button.autoDefault()
        dialog.reason.insert("出院复查，主任同意")
        qtbot.keyClick(dialog.reason, Qt.Key.Key_Return)  # Enter neither approves nor loses the reason
        assert dialog.isVisible() and f.status_of(sqlite_db, r["far"]) == "pending"
        qtbot.mouseClick(dialog.override_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: f.status_of(sqlite_db, r["far"]) == "confirmed", timeout=10_000)
        with sqlite_db.read() as conn:
            detail = conn.execute(select(AuditLog.detail).where(AuditLog.action == "override")).scalar_one()
        assert "window" in detail and "出院复查，主任同意" in detail


def test_sent_shows_the_date_and_the_wait_and_new_requests_below_are_announced(qtbot, sqlite_db, tmp_path):
    c = f.basic_clinic(sqlite_db, capacity=50, slots=1)
    ids = [f.request(sqlite_db, c["slot_ids"][0], f.patient(sqlite_db)) for _ in range(40)]
    with console_context(sqlite_db, staff(sqlite_db), tmp_path) as ctx:
        page = open_page(qtbot, ctx)
        sent = cell(page, ids[0], "requested")
        assert dt.date.today().strftime("%m-%d") in sent and ("min" in sent or "分" in sent)
        page.table.select_id(ids[0])
        new = [f.request(sqlite_db, c["slot_ids"][0], f.patient(sqlite_db)) for _ in range(3)]
        page.refresh_ids(new)  # as the live feed does
        qtbot.waitUntil(lambda: set(new) <= set(shown_ids(page)), timeout=10_000)
        assert page.new_below.isVisible() and "3" in page.new_below.text()
        assert page.table.selected_ids() == [ids[0]]
        qtbot.mouseClick(page.new_below, Qt.MouseButton.LeftButton)
        assert not page.new_below.isVisible()
        assert page.table.selected_ids() == [ids[0]]  # the selection did not move


def test_the_reject_dialog_names_the_patients(qtbot, sqlite_db, tmp_path):
    r = refused_and_fine(sqlite_db)
    with console_context(sqlite_db, staff(sqlite_db), tmp_path) as ctx:
        page = open_page(qtbot, ctx)
        page.table.select_id(r["fine"])
        qtbot.keyClick(page.table, Qt.Key.Key_R)
        dialog = page.dialog
        texts = " ".join(label.text() for label in dialog.findChildren(QLabel))
        assert "正常的" in texts and f"#{r['fine']}" in texts
        assert dialog.back.text() in ("Back", "返回") and dialog.ok.text() not in ("OK", "确定")
        qtbot.mouseClick(dialog.back, Qt.MouseButton.LeftButton)
        assert f.status_of(sqlite_db, r["fine"]) == "pending"
