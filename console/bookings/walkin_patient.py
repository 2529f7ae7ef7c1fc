"""The walk-in's "who" (console.bookings.walkin): find a patient by name, phone (or its last four digits)
or ID card, or fill in a new one to register. It shows its errors through the dialog's FieldErrors, by the
names of services.bookings.patients.register.
"""
from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QGroupBox,
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
from console.common.forms import FieldErrors
from services.bookings import patients

ID = Qt.ItemDataRole.UserRole


class PatientChooser(QGroupBox):
    """``patient``: the services.bookings.patients.PatientInfo chosen (or registered), else None;
    ``changed`` whenever it or the new patient's form changes."""

    changed = Signal()

    def __init__(self, ctx, errors: FieldErrors, parent: QWidget | None = None):
        super().__init__(parent)
        self.setTitle(self.tr("2. Patient"))
        self.ctx = ctx
        self.errors = errors
        self.patient = None
        pl = QVBoxLayout(self)
        self.pages = QStackedWidget(self)
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
        self.pages.addWidget(find)
        self.pages.addWidget(self._new_form())
        pl.addWidget(self.pages)
        self.chosen = QLabel(self)
        self.chosen.setObjectName("walkinChosen")
        self.chosen.setWordWrap(True)
        pl.addWidget(self.chosen)

        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(250)
        self._search_timer.timeout.connect(self._find)
        self.search.textChanged.connect(lambda _t: self._search_timer.start())
        self.results.currentRowChanged.connect(self._result_chosen)
        self.new_button.clicked.connect(lambda: self._show_form(True))
        for w in (self.new_name, self.new_phone):
            w.textChanged.connect(lambda _t: self._changed())
        self._changed()

    def _new_form(self) -> QWidget:
        form = QWidget(self.pages)
        gl = QGridLayout(form)
        gl.setContentsMargins(0, 0, 0, 0)
        self.new_name = _line_edit(form, "newName", 50)
        self.new_gender = QComboBox(form)
        self.new_gender.setObjectName("newGender")
        for code in ("F", "M", "U"):
            self.new_gender.addItem(L.gender_label(code), code)
        self.new_phone = _line_edit(form, "newPhone")
        self.new_birth = _line_edit(form, "newBirth", hint=self.tr("YYYY-MM-DD (optional)"))
        self.new_card = _line_edit(form, "newIdCard", 18, self.tr("optional; fills in the birth date"))
        back = QPushButton(self.tr("‹ Find a patient instead"), form)
        back.clicked.connect(lambda: self._show_form(False))
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
        return form

    def _find(self) -> None:
        text = self.search.text().strip()
        if len(text) < 1:
            self.results.clear()
            return
        db = self.ctx.db
        self.ctx.tasks.run_task(lambda: patients.find(db, text), lambda rows, error: self._found(text, rows, error),
                                owner=self)

    def _found(self, text: str, rows, error) -> None:
        if error is not None:
            self.errors.show(error)
            return
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
        self.patient = item.data(ID) if item is not None else None
        self._changed()

    def _show_form(self, on: bool) -> None:
        self.pages.setCurrentIndex(1 if on else 0)
        if on:
            self.patient = None
            typed = self.search.text().strip()
            self.new_name.setText(typed if not typed.isdigit() else "")
            if typed.isdigit() and len(typed) == 11:
                self.new_phone.setText(typed)
            self.new_name.setFocus()
            self._changed()
        else:
            self._result_chosen(self.results.currentRow())

    def registering(self) -> bool:
        return self.pages.currentIndex() == 1 and self.patient is None

    def ready(self) -> bool:
        """A patient is chosen, or the new one has at least a name and a phone."""
        return self.patient is not None or bool(self.registering() and self.new_name.text().strip()
                                                and self.new_phone.text().strip())

    def new_patient(self) -> tuple | None:
        """The arguments of patients.register after the actor, from the form; None (and the error shown by
        the birth date) when the birth date cannot be read."""
        birth = self.new_birth.text().strip()
        try:
            birth_date = dt.date.fromisoformat(birth) if birth else None
        except ValueError:
            self.errors.show(self.tr("Birth date: use the form 1980-05-17."), "birth_date")
            return None
        return (self.new_name.text(), self.new_gender.currentData(), self.new_phone.text(), birth_date,
                self.new_card.text() or None)

    def keep(self, patient) -> None:
        """Registered, but the booking failed: this patient stays chosen, so a retry does not register twice."""
        self.patient = patient
        self.pages.setCurrentIndex(0)
        self._changed()

    def _changed(self) -> None:
        p = self.patient
        if p is not None:
            self.chosen.setText(self.tr("Patient: %1").replace("%1", f"{p.name} {L.sex_age(p.gender, p.age)} #{p.id}"))
        elif self.registering():
            self.chosen.setText(self.tr("A new patient will be registered."))
        else:
            self.chosen.setText(self.tr("No patient chosen yet."))
        self.changed.emit()


def _line_edit(parent: QWidget, name: str, max_length: int = 0, hint: str = "") -> QLineEdit:
    """One of the new patient's text inputs: named ``name``, at most ``max_length`` characters (0: Qt's
    default), ``hint`` shown while it is empty."""
    edit = QLineEdit(parent)
    edit.setObjectName(name)
    if max_length:
        edit.setMaxLength(max_length)
    edit.setPlaceholderText(hint)
    return edit
