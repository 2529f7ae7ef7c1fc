"""现场挂号: a walk-in booking at the desk - department -> doctor -> session -> slot, then the patient.

Left: where (department, doctor, the day's published sessions, their slots with places left;
full slots cannot be picked). Right: who - find a patient by name, phone (or its last four
digits) or ID card, or register a new one. "Book" registers the new patient if needed and
books in the background; the dialog closes only when the database has the booking. A new
patient registered before a failed booking stays selected, so a retry does not register twice.

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

from PySide6.QtCore import QDate, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from console.common import labels as L
from console.common import settings as S
from console.common.forms import FieldErrors
from console.common.widgets import calendar_popup, set_role
from services.bookings import decisions, patients
from services.clock import local_now
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
        self._patient = None  # services.bookings.patients.PatientInfo chosen or registered
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

        who = QGroupBox(self.tr("2. Patient"), self)
        pl = QVBoxLayout(who)
        self.pages = QStackedWidget(who)
        find = QWidget(self.pages)
        fl = QVBoxLayout(find)
        fl.setContentsMargins(0, 0, 0, 0)
        self.search = QLineEdit(find)
        self.search.setObjectName("walkinSearch")
        self.search.setPlaceholderText(self.tr("Name, phone (or its last 4 digits) or ID card"))
        self.results = QListWidget(find)
        self.results.setObjectName("walkinResults")
        self.new_button = QPushButton(self.tr("New patient…"), find)
        self.new_button.setObjectName("walkinNewPatient")
        fl.addWidget(self.search)
        fl.addWidget(self.results, 1)
        fl.addWidget(self.new_button, 0, Qt.AlignmentFlag.AlignLeft)
        form = QWidget(self.pages)
        gl = QGridLayout(form)
        gl.setContentsMargins(0, 0, 0, 0)
        self.new_name = QLineEdit(form)
        self.new_name.setObjectName("newName")
        self.new_name.setMaxLength(50)
        self.new_gender = QComboBox(form)
        self.new_gender.setObjectName("newGender")
        for code in ("F", "M", "U"):
            self.new_gender.addItem(L.gender_label(code), code)
        self.new_phone = QLineEdit(form)
        self.new_phone.setObjectName("newPhone")
        self.new_birth = QLineEdit(form)
        self.new_birth.setObjectName("newBirth")
        self.new_birth.setPlaceholderText(self.tr("YYYY-MM-DD (optional)"))
        self.new_card = QLineEdit(form)
        self.new_card.setObjectName("newIdCard")
        self.new_card.setMaxLength(18)
        self.new_card.setPlaceholderText(self.tr("optional; fills in the birth date"))
        back = QPushButton(self.tr("‹ Find a patient instead"), form)
        # by the names of services.bookings.patients.register, whose errors say which one is wrong
        fields = (("name", self.tr("Name"), self.new_name), ("gender", self.tr("Sex"), self.new_gender),
                  ("phone", self.tr("Phone"), self.new_phone), ("birth_date", self.tr("Birth date"), self.new_birth),
                  ("id_card", self.tr("ID card"), self.new_card))
        for r, (name, label, widget) in enumerate(fields):
            gl.addWidget(QLabel(label, form), r, 0, Qt.AlignmentFlag.AlignTop)
            gl.addLayout(self.errors.field(name, widget), r, 1)
        for name in ("gender", "birth_date"):  # "不一致 with the ID card": correcting the card fixes it too
            self.errors.cleared_by(name, self.new_card)
        gl.addWidget(back, 5, 1, Qt.AlignmentFlag.AlignLeft)
        gl.setRowStretch(6, 1)
        self.pages.addWidget(find)
        self.pages.addWidget(form)
        pl.addWidget(self.pages)
        self.chosen = QLabel(who)
        self.chosen.setObjectName("walkinChosen")
        self.chosen.setWordWrap(True)
        pl.addWidget(self.chosen)

        body = QHBoxLayout()
        body.addWidget(where, 1)
        body.addWidget(who, 1)
        outer = QVBoxLayout(self)
        outer.addLayout(body, 1)
        outer.addWidget(self.error)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel,
                                        self)
        self.ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setObjectName("walkinBook")
        self.ok.setText(self.tr("Book"))
        set_role(self.ok, "primary")
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

        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(250)
        self._search_timer.timeout.connect(self._find)
        self.date.dateChanged.connect(lambda _d: self._load_sessions())
        self.department.currentIndexChanged.connect(lambda _i: self._department_changed())
        self.doctor.currentIndexChanged.connect(lambda _i: self._load_sessions())
        self.sessions.currentRowChanged.connect(lambda _r: self._load_slots())
        self.slots.currentRowChanged.connect(lambda _r: self._update())
        self.search.textChanged.connect(lambda _t: self._search_timer.start())
        self.results.currentRowChanged.connect(self._result_chosen)
        self.new_button.clicked.connect(lambda: self._show_form(True))
        back.clicked.connect(lambda: self._show_form(False))
        for w in (self.new_name, self.new_phone):
            w.textChanged.connect(lambda _t: self._update())
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

    # ---------------------------------------------------------------- who

    def _find(self) -> None:
        text = self.search.text().strip()
        if len(text) < 1:
            self.results.clear()
            return
        self._call(lambda db: patients.find(db, text), lambda rows: self._found(text, rows))

    def _found(self, text: str, rows) -> None:
        if text != self.search.text().strip():
            return
        self.results.clear()
        for p in rows:
            item = QListWidgetItem(f"{p.name}  {L.sex_age(p.gender, p.age)}  {patients.mask_phone(p.phone)}"
                                   f"  #{p.id}")
            item.setData(ID, p)
            self.results.addItem(item)
        if not rows:
            empty = QListWidgetItem(self.tr("Nobody found. Register a new patient?"))
            empty.setFlags(Qt.ItemFlag.NoItemFlags)
            self.results.addItem(empty)

    def _result_chosen(self, row: int) -> None:
        item = self.results.item(row) if row >= 0 else None
        self._patient = item.data(ID) if item is not None else None
        self._update()

    def _show_form(self, on: bool) -> None:
        self.pages.setCurrentIndex(1 if on else 0)
        if on:
            self._patient = None
            self.new_name.setText(self.search.text().strip() if not self.search.text().strip().isdigit() else "")
            if self.search.text().strip().isdigit() and len(self.search.text().strip()) == 11:
                self.new_phone.setText(self.search.text().strip())
            self.new_name.setFocus()
        else:
            self._result_chosen(self.results.currentRow())
        self._update()

    def registering(self) -> bool:
        return self.pages.currentIndex() == 1 and self._patient is None

    def _update(self) -> None:
        if self._patient is not None:
            p = self._patient
            self.chosen.setText(self.tr("Patient: %1").replace("%1", f"{p.name} {L.sex_age(p.gender, p.age)} #{p.id}"))
        elif self.registering():
            self.chosen.setText(self.tr("A new patient will be registered."))
        else:
            self.chosen.setText(self.tr("No patient chosen yet."))
        who_ok = self._patient is not None or (self.registering() and self.new_name.text().strip()
                                               and self.new_phone.text().strip())
        self.ok.setEnabled(bool(self.slot_id()) and bool(who_ok) and not self.busy)

    # ---------------------------------------------------------------- booking

    def submit(self) -> None:
        slot = self.slot_id()
        if self.busy or slot is None:
            return
        actor = self.ctx.actor
        patient = self._patient
        form = None
        if patient is None:
            if not self.registering():
                return
            birth = self.new_birth.text().strip()
            try:
                birth_date = dt.date.fromisoformat(birth) if birth else None
            except ValueError:
                self.errors.show(self.tr("Birth date: use the form 1980-05-17."), "birth_date")
                return
            form = (self.new_name.text(), self.new_gender.currentData(), self.new_phone.text(), birth_date,
                    self.new_card.text() or None)
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
            self._patient, error = result[0], result[2]  # registered, but not booked: keep the patient
            self.pages.setCurrentIndex(0)
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


def _with_desk(db, rows):  # the slots and the places a walk-in may take where the shares keep some (号源池)
    return rows, shares.desk_left(db, [s.id for s in rows])
