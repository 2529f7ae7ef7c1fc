"""The rosters page: the week grid, publish, stop clinic, substitute, change a session, templates, permissions."""
from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from console.rosters.page import RosterPage, monday_of
from services.bookings import decisions
from services.errors import PermissionDenied
from services.rosters import templates
from services.sync.changes import Changes
from services.sync.feed import Change
from tests import factories
from tests.console.page_support import (
    ADMIN,
    CLERK,
    OFFSCREEN_NOISE,
    cleared_by_editing,
    drain,
    error_by,
    head,
    make_ctx,
)

pytestmark = OFFSCREEN_NOISE

NEXT_MONDAY = monday_of(dt.date.today()) + dt.timedelta(days=7)


@pytest.fixture
def clinic(sqlite_db):
    db = sqlite_db
    dep = factories.department(db, "NK", "内科")
    other = factories.department(db, "WK", "外科")
    wang = factories.doctor(db, dep, "王明", "主任医师")
    li = factories.doctor(db, dep, "李华", "主治医师")
    factories.doctor(db, other, "赵刚", "住院医师")
    tue = NEXT_MONDAY + dt.timedelta(days=1)
    sid, slots = factories.session(db, wang, tue, "am", slots=4, capacity=2)  # 8 places
    pm, _ = factories.session(db, li, tue, "pm", dt.time(14, 0), dt.time(16, 0), slots=4, capacity=3)
    booked = []
    for slot in (slots[0], slots[0], slots[1]):
        b = factories.request(db, slot, factories.patient(db))
        decisions.approve(db, ADMIN, b)
        booked.append(b)
    pending = factories.request(db, slots[2], factories.patient(db))
    return {"db": db, "dep": dep, "other": other, "wang": wang, "li": li, "day": tue, "session": sid,
            "slots": slots, "pm_session": pm, "booked": booked, "pending": pending}


def open_page(qtbot, db, actor=ADMIN) -> RosterPage:
    ctx = make_ctx(db, actor)
    page = RosterPage(ctx)
    qtbot.addWidget(page)
    page.resize(1366, 768)
    page.show()
    drain(qtbot, ctx)
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        page.set_week(NEXT_MONDAY)
    return page


def select(page, session_id):
    assert page.select_session(session_id)


def session_row(db, session_id):
    return templates.get_session(db, session_id)


def test_grid_model_passes_the_model_tester(qtbot, qtmodeltester, clinic):
    page = open_page(qtbot, clinic["db"])
    assert page.model.rowCount() == 2 and page.model.columnCount() == 1 + 7 * 2
    qtmodeltester.check(page.model)


def test_grid_shows_places_taken_of_total(qtbot, clinic):
    page = open_page(qtbot, clinic["db"])
    m = page.model
    index = m.index_of(clinic["wang"], clinic["day"], "am")
    assert index.data() == "3/8"
    assert index.data(m.SessionIdRole) == clinic["session"]
    assert index.data(m.SortKeyRole) == 3
    assert m.index_of(clinic["li"], clinic["day"], "pm").data() == "0/12"
    assert m.index(0, 0).data().startswith(("李华", "王明"))
    assert "周二" in m.headerData(1 + 2 * 1, Qt.Orientation.Horizontal) or "Tue" in \
        m.headerData(1 + 2 * 1, Qt.Orientation.Horizontal)


def test_stop_session_after_confirmation_naming_the_patients(qtbot, clinic):
    db = clinic["db"]
    page = open_page(qtbot, db)
    select(page, clinic["session"])
    heard, other_page = [], QWidget()  # another page following ctx.changes
    qtbot.addWidget(other_page)
    page.ctx.changes.subscribe(other_page, heard.append)
    assert page.stop_action.isEnabled()
    page.stop_action.trigger()
    qtbot.waitUntil(lambda: page.dialog is not None and page.dialog.objectName() == "stopDialog", timeout=10_000)
    dialog = page.dialog
    assert dialog.affected == 4  # 3 confirmed + 1 pending
    assert "4" in dialog.message.text()
    dialog.reason.setCurrentIndex(0)
    dialog.details.setPlainText("发热")
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert session_row(db, clinic["session"]).status == "stopped"
    for b in clinic["booked"] + [clinic["pending"]]:
        assert factories.status_of(db, b) == "stopped"
    index = page.model.index_of(clinic["wang"], clinic["day"], "am")
    assert index.data(page.model.StatusRole) == "stopped"
    assert "4" in page.status.text()
    assert [c.sessions for c in heard] == [{clinic["session"]}]  # the other pages were told at once
    assert not page.stop_action.isEnabled()  # a stopped session cannot be stopped again


def test_stop_needs_a_reason(qtbot, clinic):
    db = clinic["db"]
    page = open_page(qtbot, db)
    select(page, clinic["session"])
    page.stop_action.trigger()
    qtbot.waitUntil(lambda: page.dialog is not None, timeout=10_000)
    dialog = page.dialog
    dialog.reason.setCurrentIndex(dialog.reason.count() - 1)  # "other" without details
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert error_by(qtbot, dialog.errors, "reason") and dialog.isVisible()  # under the details to write
    assert session_row(db, clinic["session"]).status == "published"
    assert cleared_by_editing(dialog.errors, "reason", lambda: dialog.details.setPlainText("医生外出会诊"))


def test_publish_a_range_creates_sessions(qtbot, clinic):
    db = clinic["db"]
    templates.save_template(db, ADMIN, clinic["li"], 2, "am", "08:00", "11:00", 30, 4)  # Wednesdays
    page = open_page(qtbot, db)
    before = page.model.rowCount()
    page.publish_action.trigger()
    dialog = page.dialog
    assert dialog.objectName() == "publishDialog"
    dialog.end.setDate(dialog.start.date().addDays(13))  # two weeks
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert dialog.result.sessions_created == 2 and dialog.result.slots_created == 12
    assert "2" in dialog.summary.text() and "12" in dialog.summary.text()
    wed = NEXT_MONDAY + dt.timedelta(days=2)
    cell = page.model.index_of(clinic["li"], wed, "am")
    assert cell.data() == "0/24"
    assert page.model.rowCount() == before
    assert len(templates.sessions_for(db, wed + dt.timedelta(days=7), doctor_id=clinic["li"])) == 1


def test_substitute_doctor(qtbot, clinic):
    db = clinic["db"]
    page = open_page(qtbot, db)
    select(page, clinic["session"])
    page.substitute_action.trigger()
    qtbot.waitUntil(lambda: page.dialog is not None and page.dialog.objectName() == "substituteDialog",
                    timeout=10_000)
    dialog = page.dialog
    assert [dialog.doctor.itemData(i) for i in range(dialog.doctor.count())] == [clinic["li"]]
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    s = session_row(db, clinic["session"])
    assert s.doctor_id == clinic["li"] and s.rostered_doctor_id == clinic["wang"]
    moved = page.model.index_of(clinic["li"], clinic["day"], "am")
    assert moved.data(page.model.SessionIdRole) == clinic["session"]
    assert "王明" in moved.data()  # marked as standing in for the rostered doctor
    assert page.model.index_of(clinic["wang"], clinic["day"], "am").data() is None


def test_change_session_places_error_then_success(qtbot, clinic):
    db = clinic["db"]
    page = open_page(qtbot, db)
    select(page, clinic["session"])
    page.change_action.trigger()
    dialog = page.dialog
    qtbot.waitUntil(lambda: dialog.ok_button.isEnabled(), timeout=10_000)
    spin = dialog.table.cellWidget(0, 2)
    spin.setValue(1)  # two patients already hold this slot
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    first = templates.list_slots(db, clinic["session"])[0].id
    # under the places, that slot's box outlined and named by its time
    text = error_by(qtbot, dialog.errors, f"capacity:{first}", within=dialog.table.height() + 30)
    assert "2" in text and "08:00" in text and spin.property("invalid")
    assert not dialog.table.cellWidget(1, 2).property("invalid")
    assert [s.capacity for s in templates.list_slots(db, clinic["session"])] == [2, 2, 2, 2]
    dialog.all_places.setValue(5)
    dialog.set_all()
    dialog.note.setText("加号")
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert [s.capacity for s in templates.list_slots(db, clinic["session"])] == [5, 5, 5, 5]
    assert session_row(db, clinic["session"]).note == "加号"
    assert page.model.index_of(clinic["wang"], clinic["day"], "am").data() == "3/20"


def test_templates_dialog_add_and_refuse(qtbot, qtmodeltester, clinic):
    db = clinic["db"]
    page = open_page(qtbot, db)
    select(page, clinic["session"])
    page.templates_action.trigger()
    dialog = page.dialog
    with qtbot.waitSignal(dialog.loaded, timeout=10_000):
        pass
    dialog.weekday.setCurrentIndex(3)
    dialog.period.setCurrentIndex(1)  # pm
    dialog.starts.setTime(dialog.starts.time().fromString("14:00", "HH:mm"))
    dialog.ends.setTime(dialog.ends.time().fromString("16:50", "HH:mm"))
    dialog.slot_minutes.setValue(30)  # 170 minutes do not divide into 30-minute slots
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert "170" in error_by(qtbot, dialog.errors, "slot_minutes")
    assert templates.list_templates(db, doctor_id=clinic["wang"]) == []
    assert cleared_by_editing(dialog.errors, "slot_minutes", lambda: dialog.slot_minutes.setValue(10))
    dialog.slot_minutes.setValue(30)
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    error_by(qtbot, dialog.errors, "slot_minutes")
    # about the hours and the slot length together: correcting the hours clears it as well
    assert cleared_by_editing(dialog.errors, "slot_minutes",
                              lambda: dialog.ends.setTime(dialog.ends.time().fromString("17:00", "HH:mm")))
    dialog.ends.setTime(dialog.ends.time().fromString("13:00", "HH:mm"))  # before the start
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert "早于" in error_by(qtbot, dialog.errors, "ends_at")  # on the hours' line, the end outlined
    assert dialog.ends.property("invalid") and not dialog.starts.property("invalid")
    dialog.ends.setTime(dialog.ends.time().fromString("17:00", "HH:mm"))
    assert dialog.errors.shown() is None
    dialog.capacity.setValue(3)
    with qtbot.waitSignal(dialog.loaded, timeout=10_000):
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    [t] = templates.list_templates(db, doctor_id=clinic["wang"])
    assert (t.weekday, t.period, t.slot_minutes, t.capacity_per_slot) == (3, "pm", 30, 3)
    qtmodeltester.check(dialog.model)
    assert dialog.model.index(0, 5).data() == "18"  # 6 slots x 3 places
    # delete after the confirmation
    dialog.view.selectRow(0)
    dialog.confirm_delete()
    box = dialog.findChild(QMessageBox, "templateDeleteConfirm")
    with qtbot.waitSignal(dialog.loaded, timeout=10_000):
        box.button(QMessageBox.StandardButton.Yes).click()
    assert templates.list_templates(db, doctor_id=clinic["wang"]) == []


def test_clerk_gets_no_head_actions_and_the_service_refuses(qtbot, clinic):
    db = clinic["db"]
    page = open_page(qtbot, db, CLERK)
    select(page, clinic["session"])
    assert page.model.index_of(clinic["wang"], clinic["day"], "am").data() == "3/8"  # clerks may look
    for action in (page.stop_action, page.publish_action, page.substitute_action, page.change_action,
                   page.templates_action):
        assert not action.isVisible() and not action.isEnabled()
    page.stop_session()  # even if called, nothing happens
    drain(qtbot, page.ctx)
    assert page.dialog is None
    with pytest.raises(PermissionDenied):
        templates.stop_session(db, CLERK, clinic["session"], "x")
    with pytest.raises(PermissionDenied):
        templates.publish(db, CLERK, NEXT_MONDAY, NEXT_MONDAY, department_id=clinic["dep"])
    assert session_row(db, clinic["session"]).status == "published"


def test_head_sees_own_departments_only(qtbot, clinic):
    page = open_page(qtbot, clinic["db"], head(clinic["other"]))
    assert [page.department.itemData(i) for i in range(page.department.count())] == [clinic["other"]]
    assert page.publish_action.isEnabled()


def test_live_changes_update_cells_in_place(qtbot, clinic):
    db = clinic["db"]
    page = open_page(qtbot, db)
    select(page, clinic["pm_session"])
    m = page.model
    resets, changed = [], []
    m.modelReset.connect(lambda: resets.append(1))
    m.dataChanged.connect(lambda a, b, roles: changed.append((a.row(), a.column())))
    decisions.approve(db, ADMIN, clinic["pending"])  # another console confirms a request
    target = m.index_of(clinic["wang"], clinic["day"], "am")
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        page.apply_changes(Changes.from_feed([Change(1, "booking", clinic["pending"], "update", "confirmed", None,
                                                     slot_id=clinic["slots"][2], session_id=clinic["session"])]))
    assert target.data() == "4/8"
    assert changed == [(target.row(), target.column())] and not resets
    assert page.current_cell().session_id == clinic["pm_session"]  # the selection survived
    # a change of a session in another week is ignored without reading the database
    page.apply_changes(Changes.from_feed([Change(2, "booking", 999, "update", "confirmed", None, slot_id=1,
                                                 session_id=10_000)]))
    assert page.ctx.tasks.idle


def test_real_live_feed_updates_the_grid_in_place(qtbot, clinic):
    """The mini-program cancels a confirmed booking (plain SQL); the feed brings it; the cell follows."""
    from sqlalchemy import text

    from console.common.live import LiveFeed

    db = clinic["db"]
    live = LiveFeed(db)
    ctx = make_ctx(db, ADMIN)
    ctx.changes.follow(live)
    page = RosterPage(ctx)
    qtbot.addWidget(page)
    page.show()
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        page.set_week(NEXT_MONDAY)
    with qtbot.waitSignal(live.stateChanged, timeout=15_000, check_params_cb=lambda s: s == "live"):
        live.start()
    try:
        m = page.model
        target = m.index_of(clinic["wang"], clinic["day"], "am")
        resets = []
        m.modelReset.connect(lambda: resets.append(1))
        assert target.data() == "3/8"
        with db.engine.begin() as c:
            c.execute(text("UPDATE bookings SET status = 'cancelled' WHERE id = :i"
                           " AND status IN ('pending', 'confirmed')"), {"i": clinic["booked"][0]})
        qtbot.waitUntil(lambda: target.data() == "2/8", timeout=15_000)
        assert not resets
    finally:
        live.stop()


def test_roster_dialogs_say_a_refusal_by_the_input_it_concerns(qtbot, clinic):
    """Publish, change session and substitute: the service's refusal stands under the input at fault
    (its ValidationError.field) and goes when that input is edited; nothing was changed meanwhile."""
    db = clinic["db"]
    page = open_page(qtbot, db)
    page.publish_action.trigger()
    dialog = page.dialog
    dialog.end.setDate(dialog.start.date().addDays(-1))
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert "晚于" in error_by(qtbot, dialog.errors, "end")
    assert cleared_by_editing(dialog.errors, "end", lambda: dialog.end.setDate(dialog.start.date()))
    dialog.reject()

    select(page, clinic["session"])  # 08:00-12:00, slots 08:00-10:00 hold bookings
    page.change_action.trigger()
    dialog = page.dialog
    qtbot.waitUntil(lambda: dialog.ok_button.isEnabled(), timeout=10_000)
    dialog.starts.setTime(dialog.starts.time().fromString("08:30", "HH:mm"))  # would leave out the first slot
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert "号源时段" in error_by(qtbot, dialog.errors, "starts_at")
    assert dialog.starts.property("invalid") and not dialog.ends.property("invalid")
    assert cleared_by_editing(dialog.errors, "starts_at",
                              lambda: dialog.starts.setTime(dialog.starts.time().fromString("08:00", "HH:mm")))
    dialog.ends.setTime(dialog.ends.time().fromString("07:00", "HH:mm"))
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert "早于" in error_by(qtbot, dialog.errors, "ends_at")  # the same line, the end outlined this time
    assert dialog.errors.line("ends_at") is dialog.errors.line("starts_at") and not dialog.starts.property("invalid")
    assert session_row(db, clinic["session"]).ends_at == dt.time(12, 0)
    dialog.reject()

    page.substitute_action.trigger()
    qtbot.waitUntil(lambda: page.dialog is not None and page.dialog.objectName() == "substituteDialog",
                    timeout=10_000)
    dialog = page.dialog
    dialog.note.setText("替" * 501)
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert "备注过长" in error_by(qtbot, dialog.errors, "note")
    assert cleared_by_editing(dialog.errors, "note", lambda: dialog.note.setText("王医生外出"))
    assert session_row(db, clinic["session"]).doctor_id == clinic["wang"]
