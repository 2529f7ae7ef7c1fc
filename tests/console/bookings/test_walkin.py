"""现场挂号: department -> doctor -> session -> slot with places left, an existing or a new patient."""
from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget
from sqlalchemy import select

from console.bookings.walkin import WalkInDialog
from services.bookings import decisions
from services.models import Booking, Patient
from tests import factories as f
from tests.console.bookings.test_daylist import open_page, shown
from tests.console.console_helpers import console_context, staff
from tests.console.page_support import cleared_by_editing, error_by

TOMORROW = dt.date.today() + dt.timedelta(days=1)


def ready(qtbot, dialog: WalkInDialog) -> None:
    qtbot.waitUntil(lambda: dialog.slot_id() is not None, timeout=10_000)


def test_walk_in_for_a_patient_found_by_name(qtbot, db, tmp_path):
    c = f.basic_clinic(db, day=TOMORROW, capacity=1)
    known = f.patient(db, name="老病人", phone="13912345678")
    clerk = staff(db)
    decisions.walk_in(db, clerk, c["slot_ids"][0], f.patient(db))  # the first slot is full now
    with console_context(db, clerk, tmp_path) as ctx:
        page = open_page(qtbot, ctx, TOMORROW)
        qtbot.keyClick(page.table, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
        dialog = page.dialog
        ready(qtbot, dialog)
        assert dialog.slot_id() == c["slot_ids"][1]  # the full slot cannot be picked
        full = dialog.slots.item(0)
        assert not (full.flags() & Qt.ItemFlag.ItemIsEnabled) and "0" in full.text()
        assert not dialog.ok.isEnabled()  # nobody chosen yet
        dialog.who.search.setText("5678")  # the last four digits of the phone
        qtbot.waitUntil(lambda: dialog.who.results.count() == 1 and dialog.who.results.item(0).data(Qt.ItemDataRole.UserRole)
                        is not None, timeout=10_000)
        dialog.who.results.setCurrentRow(0)
        assert dialog.ok.isEnabled()
        with qtbot.waitSignal(dialog.booked, timeout=10_000) as booked:
            qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
        result = booked.args[0]
        assert result.status == "confirmed" and result.patient_id == known
        with db.read() as conn:
            row = conn.execute(select(Booking.slot_id, Booking.source).where(Booking.id == result.id)).one()
        assert tuple(row) == (c["slot_ids"][1], "desk")
        qtbot.waitUntil(lambda: result.id in shown(page) and page.table.current_id() == result.id, timeout=10_000)


def new_patient_form(qtbot, ctx, department_id: int) -> WalkInDialog:
    """The walk-in dialog on tomorrow's first free time, its new-patient form shown."""
    dialog = WalkInDialog(ctx, TOMORROW, department_id)
    qtbot.addWidget(dialog)
    dialog.open()
    ready(qtbot, dialog)
    qtbot.mouseClick(dialog.who.new_button, Qt.MouseButton.LeftButton)
    return dialog


def test_walk_in_registers_a_new_patient(qtbot, sqlite_db, tmp_path):
    c = f.basic_clinic(sqlite_db, day=TOMORROW)
    with console_context(sqlite_db, staff(sqlite_db), tmp_path) as ctx:
        dialog = new_patient_form(qtbot, ctx, c["department_id"])
        dialog.who.new_name.setText("新患者")
        dialog.who.new_gender.setCurrentIndex(dialog.who.new_gender.findData("M"))
        dialog.who.new_phone.setText("13700001111")
        dialog.who.new_birth.setText("1990-02-03")
        assert dialog.ok.isEnabled()
        with qtbot.waitSignal(dialog.booked, timeout=10_000) as booked:
            qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
        with sqlite_db.read() as conn:
            p = conn.execute(select(Patient.name, Patient.gender, Patient.phone, Patient.birth_date)
                             .where(Patient.id == booked.args[0].patient_id)).one()
        assert tuple(p) == ("新患者", "M", "13700001111", dt.date(1990, 2, 3))


def test_a_refused_booking_keeps_the_dialog_open_with_the_reason(qtbot, sqlite_db, tmp_path):
    c = f.basic_clinic(sqlite_db, day=TOMORROW, capacity=1, slots=1)
    clerk = staff(sqlite_db)
    with console_context(sqlite_db, clerk, tmp_path) as ctx:
        dialog = WalkInDialog(ctx, TOMORROW, c["department_id"])
        qtbot.addWidget(dialog)
        dialog.open()
        ready(qtbot, dialog)
        decisions.walk_in(sqlite_db, clerk, c["slot_ids"][0], f.patient(sqlite_db))  # a colleague took the place
        qtbot.mouseClick(dialog.who.new_button, Qt.MouseButton.LeftButton)
        dialog.who.new_name.setText("晚来的")
        dialog.who.new_phone.setText("13700002222")
        qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
        # by the times: the service's words first (该时段已满), then the dialog's own once they are read again
        text = error_by(qtbot, dialog.errors, "slot_id")
        assert "已满" in text or "full" in text
        qtbot.waitUntil(lambda: dialog.slots.count() == 1, timeout=10_000)
        text = dialog.errors.text("slot_id")
        assert ("已满" in text or "full" in text) and dialog.isVisible()
        # the patient was registered once and stays chosen: a second try does not register again
        assert dialog.who.patient is not None and dialog.who.patient.name == "晚来的"
        qtbot.waitUntil(lambda: dialog.slots.count() == 1 and dialog.slot_id() is None, timeout=10_000)


def test_after_a_lost_race_the_dialog_stays_on_the_time_and_enter_never_discards(qtbot, db, tmp_path):
    """Issue 9, item 8: the chosen time filled up meanwhile. The dialog stays on that time, says it
    is full, offers the next free one; Enter takes the offer, then books; nothing is ever thrown away."""
    c = f.basic_clinic(db, day=TOMORROW, capacity=1, slots=4)
    clerk = staff(db)
    known = f.patient(db, name="排队的", phone="13911112222")
    with console_context(db, clerk, tmp_path) as ctx:
        host = QWidget()  # the dialog deletes itself once booked: qtbot closes its host instead
        qtbot.addWidget(host)
        dialog = WalkInDialog(ctx, TOMORROW, c["department_id"], host)
        dialog.open()
        ready(qtbot, dialog)
        assert not dialog.next_free.isVisible()  # offered only after a lost race
        dialog.slots.setCurrentRow(1)  # the clerk chooses the second time
        chosen = c["slot_ids"][1]
        assert dialog.slot_id() == chosen
        dialog.who.search.setText("2222")
        qtbot.waitUntil(lambda: dialog.who.results.count() == 1 and dialog.who.results.item(0).data(Qt.ItemDataRole.UserRole)
                        is not None, timeout=10_000)
        dialog.who.results.setCurrentRow(0)
        decisions.walk_in(db, clerk, chosen, f.patient(db))  # another desk takes its only place
        dialog.ok.setFocus()
        qtbot.keyClick(dialog.ok, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: dialog.next_free.isVisible(), timeout=10_000)
        assert dialog.isVisible()
        assert dialog.slots.currentItem().data(Qt.ItemDataRole.UserRole) == chosen  # it did not jump
        assert dialog.slot_id() is None and not dialog.ok.isEnabled()
        text = dialog.errors.text("slot_id")  # said by the times, not at the foot of the dialog
        assert "08:30" in text and ("已满" in text or "full" in text)
        assert "09:00" in dialog.next_free.text()  # the next free time after the chosen one
        assert not dialog.cancel.hasFocus() and not dialog.cancel.isDefault() and not dialog.cancel.autoDefault()
        assert dialog.next_free.hasFocus() and dialog.next_free.isDefault()
        qtbot.keyClick(dialog.next_free, Qt.Key.Key_Return)  # Enter: take the offer, nothing booked yet
        assert dialog.isVisible() and dialog.slot_id() == c["slot_ids"][2]
        assert dialog.who.patient is not None and dialog.who.patient.id == known  # the patient is still chosen
        assert dialog.ok.hasFocus() and dialog.ok.isDefault()
        with qtbot.waitSignal(dialog.booked, timeout=10_000) as booked:
            qtbot.keyClick(dialog.ok, Qt.Key.Key_Return)
        assert booked.args[0].slot_id == c["slot_ids"][2] and booked.args[0].patient_id == known
        with db.read() as conn:
            assert conn.execute(select(Booking.status).where(Booking.slot_id == chosen,
                                                             Booking.patient_id == known)).first() is None


def test_a_wrong_patient_detail_is_shown_by_its_input_and_goes_when_corrected(qtbot, sqlite_db, tmp_path):
    """The registration's refusals (services.bookings.patients.register) stand by the input at fault, which takes
    the focus; correcting that input clears it, another input does not; nothing is registered meanwhile."""
    c = f.basic_clinic(sqlite_db, day=TOMORROW)
    with console_context(sqlite_db, staff(sqlite_db), tmp_path) as ctx:
        dialog = new_patient_form(qtbot, ctx, c["department_id"])
        dialog.who.new_name.setText("王女士")
        dialog.who.new_gender.setCurrentIndex(dialog.who.new_gender.findData("F"))
        dialog.who.new_phone.setText("137000")  # neither a mobile (11 digits) nor a landline (7 or 8)
        qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
        assert "电话号码无效" in error_by(qtbot, dialog.errors, "phone")
        assert dialog.focusWidget() is dialog.who.new_phone and not dialog.error.isVisible()
        dialog.who.new_name.setText("王女士 ")
        assert dialog.errors.shown() == "phone"
        assert cleared_by_editing(dialog.errors, "phone", lambda: dialog.who.new_phone.setText("13700003333"))
        dialog.who.new_card.setText("11010519491231002X")  # a valid card of a woman (17th digit even)...
        dialog.who.new_gender.setCurrentIndex(dialog.who.new_gender.findData("M"))  # ...saved as a man
        qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
        assert "性别与身份证号不一致" in error_by(qtbot, dialog.errors, "gender")
        assert dialog.slot_id() is not None and dialog.ok.isEnabled()  # the chosen time stays: fix and book
        assert cleared_by_editing(dialog.errors, "gender",
                                  lambda: dialog.who.new_gender.setCurrentIndex(dialog.who.new_gender.findData("F")))
        dialog.who.new_birth.setText("1949/12/31")
        qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)  # the dialog's own check, before any call
        assert "1980-05-17" in error_by(qtbot, dialog.errors, "birth_date")
        with sqlite_db.read() as conn:
            assert conn.execute(select(Patient.id).where(Patient.name == "王女士")).first() is None
