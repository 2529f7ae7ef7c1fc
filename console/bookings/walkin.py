"""现场挂号: a walk-in booking at the desk - department -> doctor -> session -> slot, then the patient.

Left: where (department, doctor, the day's published sessions, their slots with places left;
full slots cannot be picked). Right: who (console.bookings.walkin_patient) - find a patient by
name, phone (or its last four digits) or ID card, or register a new one. "Book" registers the new
patient if needed and books in the background; the dialog closes only when the database has the
booking. A new patient registered before a failed booking stays selected, so a retry does not
register twice.

After a lost race (该时段已满: another desk or the mini-program took the last place meanwhile) the
dialog stays on the chosen time, says it is full and offers the next free one (a button, the
default, so Enter takes it); it never moves the booking to another time by itself. Enter never
discards work: 取消 is never a default button, and the focus never lands on it.

Errors stand by what they are about (console.common.forms): the patient form's by its inputs (the names
of services.bookings.patients.register), a refused booking by the list of times; editing clears them.
"""
from __future__ import annotations

import datetime as dt
import logging

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from console.bookings.walkin_patient import PatientChooser
from console.common import labels as L, settings as S
from console.common.forms import FieldErrors
from console.common.widgets import calendar_popup, primary_ok
from services.bookings import decisions, patients
from services.clock import hospital_today, local_now
from services.errors import RuleRefused, ValidationError
from services.rosters import clinic_sessions, masterdata, shares

log = logging.getLogger(__name__)

ID = Qt.ItemDataRole.UserRole


class WalkInDialog(QDialog):
    booked = Signal(object)  # services.bookings.decisions.BookingResult

    def __init__(self, ctx, day: dt.date, department_id: int | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("walkInDialog")
        self.setWindowTitle(self.tr("Walk-in booking"))
        self.setModal(True)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.resize(860, 540)
        self.ctx = ctx
        self.busy = False
        self._doctors: list = []
        st = ctx.settings
        self._wanted_department = department_id or (st[S.WALKIN_DEPARTMENT] if st is not None else 0) or None

        where = QGroupBox(self.tr("1. Where"), self)
        wl = QFormLayout(where)
        self.date = QDateEdit(QDate(day.year, day.month, day.day), where)
        calendar_popup(self.date)
        self.date.setDisplayFormat("yyyy-MM-dd ddd")
        self.department = QComboBox(where)
        self.department.setObjectName("walkinDepartment")
        self.doctor = QComboBox(where)
        self.doctor.setObjectName("walkinDoctor")
        self.sessions = QListWidget(where)
        self.sessions.setObjectName("walkinSessions")
        self.sessions.setMaximumHeight(96)
        self.slots = QListWidget(where)
        self.slots.setObjectName("walkinSlots")
        self.error = QLabel(self)  # the banner, under both halves: errors about no field
        self.error.setObjectName("dialogError")
        self.error.setWordWrap(True)
        self.error.hide()
        self.errors = FieldErrors(self.error, self)
        wl.addRow(self.tr("Day"), self.date)
        wl.addRow(self.tr("Department"), self.department)
        wl.addRow(self.tr("Doctor"), self.doctor)
        wl.addRow(self.tr("Session"), self.sessions)
        wl.addRow(self.tr("Time"), self.errors.field("slot_id", self.slots))

        self.who = PatientChooser(ctx, self.errors, self)

        body = QHBoxLayout()
        body.addWidget(where, 1)
        body.addWidget(self.who, 1)
        outer = QVBoxLayout(self)
        outer.addLayout(body, 1)
        outer.addWidget(self.error)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel,
                                        self)
        self.ok = primary_ok(self.buttons, "walkinBook", self.tr("Book"))
        self.cancel = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        self.cancel.setObjectName("walkinCancel")
        self.cancel.setAutoDefault(False)  # Enter on it does nothing; Esc or a click cancels
        self.cancel.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.ok.setDefault(True)
        # after a lost race: take the next free time (shown only then)
        self.next_free = QPushButton(self)
        self.next_free.setObjectName("walkinNextFree")
        self.buttons.addButton(self.next_free, QDialogButtonBox.ButtonRole.ActionRole)
        self.next_free.hide()  # after addButton, which shows it
        self.next_free.clicked.connect(self._take_next_free)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        outer.addWidget(self.buttons)
        self._keep_slot: int | None = None  # the time the clerk chose, kept through a reload

        self.date.dateChanged.connect(lambda _d: self._load_sessions())
        self.department.currentIndexChanged.connect(lambda _i: self._department_changed())
        self.doctor.currentIndexChanged.connect(lambda _i: self._load_sessions())
        self.sessions.currentRowChanged.connect(lambda _r: self._load_slots())
        self.slots.currentRowChanged.connect(lambda _r: self._update())
        self.who.changed.connect(self._update)
        self._update()
        self._call(lambda db: (masterdata.list_departments(db), masterdata.list_doctors(db)), self._departments_loaded)

    # ---------------------------------------------------------------- background calls

    def _call(self, work, on_ok) -> None:
        db = self.ctx.db

        def done(result, error):
            if error is not None:
                self.errors.show(error)
                return
            on_ok(result)
        self.ctx.tasks.run_task(lambda: work(db), done, owner=self)

    def day(self) -> dt.date:
        return self.date.date().toPython()

    # ---------------------------------------------------------------- where

    def _departments_loaded(self, result) -> None:
        departments, self._doctors = result
        self.department.blockSignals(True)
        for d in departments:
            if self.ctx.can("booking.walkin", d.id):
                self.department.addItem(d.name, d.id)
        self.department.setCurrentIndex(max(0, self.department.findData(self._wanted_department or 0)))
        self.department.blockSignals(False)
        self._department_changed()

    def _department_changed(self) -> None:
        dep = self.department.currentData()
        self.doctor.blockSignals(True)
        self.doctor.clear()
        self.doctor.addItem(self.tr("Any doctor"), 0)
        for d in self._doctors:
            if d.department_id == dep:
                self.doctor.addItem(f"{d.name} · {d.title}", d.id)
        self.doctor.blockSignals(False)
        if self.ctx.settings is not None and dep:
            self.ctx.settings[S.WALKIN_DEPARTMENT] = dep
        self._load_sessions()

    def _load_sessions(self) -> None:
        dep, doc, day = self.department.currentData(), self.doctor.currentData() or None, self.day()
        self.sessions.clear()
        self.slots.clear()
        self._update()
        if not dep:
            return
        self._call(lambda db: clinic_sessions.sessions_for(db, day, department_id=dep, doctor_id=doc,
                                                           published_only=True),
                   lambda rows, key=(dep, doc, day): self._sessions_loaded(key, rows))

    def _sessions_loaded(self, key, rows) -> None:
        if key != (self.department.currentData(), self.doctor.currentData() or None, self.day()):
            return  # the clerk chose something else meanwhile
        self.sessions.clear()
        for s in rows:
            left = self.tr("%1 left").replace("%1", str(max(s.capacity - s.taken, 0)))
            item = QListWidgetItem(f"{L.period_label(s.period)} {L.fmt_span(s.starts_at, s.ends_at)}  {s.doctor_name}"
                                   f"  · {left}")
            item.setData(ID, s.id)
            self.sessions.addItem(item)
        if not rows:
            self.sessions.addItem(QListWidgetItem(self.tr("No published sessions on this day.")))
            self.sessions.item(0).setFlags(Qt.ItemFlag.NoItemFlags)
        elif len(rows) == 1:
            self.sessions.setCurrentRow(0)

    def _load_slots(self, keep: int | None = None) -> None:
        item = self.sessions.currentItem()
        self._keep_slot = keep
        self.next_free.hide()
        self.slots.clear()
        self._update()
        sid = item.data(ID) if item is not None else None
        if sid is None:
            return
        self._call(lambda db: _with_desk(db, clinic_sessions.list_slots(db, sid)),
                   lambda rows: self._slots_loaded(sid, rows))

    def _slots_loaded(self, session_id: int, rows) -> None:
        item = self.sessions.currentItem()
        if item is None or item.data(ID) != session_id:
            return
        with self.errors.quietly():  # the times read again after a refusal: its message stays
            self._fill_slots(rows)

    def _fill_slots(self, loaded) -> None:
        rows, desk = loaded  # desk: slot -> the desk share's places left (号源池), for slots that keep one
        self.slots.clear()
        now = local_now()
        first_free = -1
        for s in rows:
            over = dt.datetime.combine(self.day(), s.ends_at) <= now
            text = f"{L.fmt_span(s.starts_at, s.ends_at)}   " + (
                self.tr("over") if over else self.tr("%1 of %2 left").replace("%1", str(max(s.remaining, 0)))
                .replace("%2", str(s.capacity))) + (
                self.tr(" · desk %1").replace("%1", str(desk[s.id])) if s.id in desk and not over else "")
            row = QListWidgetItem(text)
            row.setData(ID, s.id)
            if s.remaining <= 0 or over:
                row.setFlags(Qt.ItemFlag.NoItemFlags)  # full or past: cannot be picked
            elif first_free < 0:
                first_free = self.slots.count()
            self.slots.addItem(row)
        keep = self._keep_slot
        kept = next((n for n in range(self.slots.count()) if self.slots.item(n).data(ID) == keep), -1)
        if keep is not None and kept >= 0:
            self._stay_on(kept)
        elif first_free >= 0:
            self.slots.setCurrentRow(first_free)
        self._update()

    def _stay_on(self, row: int) -> None:
        """The time chosen before a failed booking stays chosen; if it has no place now, say so and offer
        the next free time after it (or the first free one) without taking it."""
        self.slots.setCurrentRow(row)
        item = self.slots.item(row)
        if item.flags() & Qt.ItemFlag.ItemIsEnabled:
            return
        free = [n for n in range(self.slots.count()) if self.slots.item(n).flags() & Qt.ItemFlag.ItemIsEnabled]
        after = [n for n in free if n > row] or free
        when = item.text().split()[0]
        if after:
            nxt = self.slots.item(after[0])
            self.errors.show(self.tr("%1 is full now (someone else took the last place). Nothing was booked.")
                             .replace("%1", when), "slot_id")
            self.next_free.setText(self.tr("Take %1 instead").replace("%1", nxt.text()))
            self.next_free.setProperty("row", after[0])
            self.next_free.show()
            self.next_free.setDefault(True)
            self.next_free.setFocus()
        else:
            self.errors.show(self.tr("%1 is full now and this session has no free time left. Nothing was booked.")
                             .replace("%1", when), "slot_id")
            self.slots.setFocus()

    def _take_next_free(self) -> None:
        row = self.next_free.property("row")
        self.next_free.hide()
        self.errors.clear()
        if row is not None:
            self.slots.setCurrentRow(int(row))
        self.ok.setDefault(True)
        self._update()
        (self.ok if self.ok.isEnabled() else self.slots).setFocus()

    def slot_id(self) -> int | None:
        item = self.slots.currentItem()
        if item is None or not (item.flags() & Qt.ItemFlag.ItemIsEnabled):
            return None
        return item.data(ID)

    def _update(self) -> None:
        self.ok.setEnabled(bool(self.slot_id()) and self.who.ready() and not self.busy)

    # ---------------------------------------------------------------- booking

    def submit(self) -> None:
        slot = self.slot_id()
        if self.busy or slot is None:
            return
        actor = self.ctx.actor
        patient = self.who.patient
        form = None
        if patient is None:
            if not self.who.registering():
                return
            form = self.who.new_patient()
            if form is None:
                return
        self.busy = True
        self._submitted_slot = slot
        self.errors.clear()
        self._update()
        db = self.ctx.db

        def work():
            p = patient if patient is not None else patients.register(db, actor, *form)
            try:
                return p, decisions.walk_in(db, actor, slot, p.id), None
            except Exception as exc:
                if isinstance(exc, ValidationError) and not isinstance(exc, RuleRefused) and exc.field is None:
                    exc.field = "slot_id"  # walk_in refuses the chosen time (over, stopped, full): said by it
                if patient is None:
                    return p, None, exc
                raise
        self.ctx.tasks.run_task(work, self._submitted)

    def _submitted(self, result, error) -> None:
        self.busy = False
        if error is None and result[2] is not None:
            error = result[2]
            self.who.keep(result[0])  # registered, but not booked: keep the patient
        if error is not None:
            self.errors.show(error)  # by the patient's input at fault (which takes the focus), the times, or below
            self._update()
            if self.errors.shown() in ("", "slot_id"):  # the booking was refused: places may have gone
                with self.errors.quietly():
                    self._load_slots(keep=self._submitted_slot)  # stay on the chosen time
                (self.ok if self.ok.isEnabled() else self.slots).setFocus()
            return
        self.booked.emit(result[1])
        self.accept()


def _with_desk(db, rows):  # the slots and their desk share's places left (before their clinic day)
    return rows, shares.desk_left(db, [s.id for s in rows], hospital_today())
