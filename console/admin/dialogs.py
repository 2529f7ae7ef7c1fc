"""The edit dialogs of the administration page: department, doctor, staff account, password.

Each is a ``TaskDialog``: OK runs the service call in the background; a ValidationError is shown
under the input it concerns (its ``field``, the service's parameter name), anything else such as
PermissionDenied in the dialog's banner; the dialog stays open with the input as typed.
"""
from __future__ import annotations

import logging
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QWidget,
)

from console.common.labels import role_label
from console.common.pagekit import TaskDialog
from services.rosters import masterdata
from services.staff import auth

log = logging.getLogger(__name__)


class DepartmentDialog(TaskDialog):
    def __init__(self, ctx, department: Any | None = None, parent: QWidget | None = None):
        super().__init__(ctx, parent)
        self.setObjectName("departmentDialog")
        self.department = department
        self.setWindowTitle(self.tr("Edit department") if department else self.tr("New department"))
        form = QFormLayout()
        self.code = QLineEdit(department.code if department else "", self)
        self.code.setObjectName("departmentCode")
        self.code.setPlaceholderText(self.tr("letters and digits, e.g. NK"))
        self.name = QLineEdit(department.name if department else "", self)
        self.name.setObjectName("departmentName")
        self.active = QCheckBox(self.tr("Active (shown to patients)"), self)
        self.active.setObjectName("departmentActive")
        self.active.setChecked(department.active if department else True)
        form.addRow(self.tr("Code"), self.errors.field("code", self.code))
        form.addRow(self.tr("Name"), self.errors.field("name", self.name))
        form.addRow("", self.active)
        self.form_area.addLayout(form)
        self.resize(380, self.sizeHint().height())

    def prepare(self):
        db, actor = self.ctx.db, self.ctx.actor
        code, name, active = self.code.text(), self.name.text(), self.active.isChecked()
        dep_id = self.department.id if self.department else None
        return lambda: masterdata.save_department(db, actor, code, name, active=active, department_id=dep_id)


class DoctorDialog(TaskDialog):
    def __init__(self, ctx, departments: Sequence[Any], doctor: Any | None = None,
                 department_id: int | None = None, parent: QWidget | None = None):
        super().__init__(ctx, parent)
        self.setObjectName("doctorDialog")
        self.doctor = doctor
        self.setWindowTitle(self.tr("Edit doctor") if doctor else self.tr("New doctor"))
        form = QFormLayout()
        self.name = QLineEdit(doctor.name if doctor else "", self)
        self.name.setObjectName("doctorName")
        self.title = QComboBox(self)
        self.title.setObjectName("doctorTitle")
        self.title.addItems(list(masterdata.TITLES))
        if doctor and doctor.title in masterdata.TITLES:
            self.title.setCurrentText(doctor.title)
        self.department = QComboBox(self)
        self.department.setObjectName("doctorDepartment")
        for dep in departments:
            label = dep.name if dep.active else self.tr("{name} (inactive)").format(name=dep.name)
            self.department.addItem(f"{label}（{dep.code}）", dep.id)
        wanted = doctor.department_id if doctor else department_id
        if wanted is not None and self.department.findData(wanted) >= 0:
            self.department.setCurrentIndex(self.department.findData(wanted))
        self.fee = QDoubleSpinBox(self)
        self.fee.setObjectName("doctorFee")
        self.fee.setRange(0, float(masterdata.MAX_FEE))
        self.fee.setDecimals(2)
        self.fee.setSuffix(self.tr(" yuan"))
        self.fee.setValue(float(doctor.fee) if doctor else 0.0)
        self.specialty = QLineEdit((doctor.specialty or "") if doctor else "", self)
        self.specialty.setObjectName("doctorSpecialty")
        self.active = QCheckBox(self.tr("Active (patients can book)"), self)
        self.active.setObjectName("doctorActive")
        self.active.setChecked(doctor.active if doctor else True)
        form.addRow(self.tr("Name"), self.errors.field("name", self.name))
        form.addRow(self.tr("Title"), self.errors.field("title", self.title))
        form.addRow(self.tr("Department"), self.errors.field("department_id", self.department))
        form.addRow(self.tr("Fee"), self.errors.field("fee", self.fee))
        form.addRow(self.tr("Specialty"), self.errors.field("specialty", self.specialty))
        form.addRow("", self.active)
        self.form_area.addLayout(form)
        self.resize(420, self.sizeHint().height())

    def prepare(self):
        if self.department.currentData() is None:
            self.fail(self.tr("Choose a department first."), "department_id")
            return None
        db, actor = self.ctx.db, self.ctx.actor
        args = dict(department_id=self.department.currentData(), name=self.name.text(),
                    title=self.title.currentText(), fee=Decimal(f"{self.fee.value():.2f}"),
                    specialty=self.specialty.text() or None, active=self.active.isChecked(),
                    doctor_id=self.doctor.id if self.doctor else None)
        return lambda: masterdata.save_doctor(db, actor, **args)


class StaffDialog(TaskDialog):
    """A new account (username, password) or an existing one (name, role, departments)."""

    def __init__(self, ctx, departments: Sequence[Any], staff: Any | None = None, parent: QWidget | None = None):
        super().__init__(ctx, parent)
        self.setObjectName("staffDialog")
        self.staff = staff
        self.setWindowTitle(self.tr("Edit staff account") if staff else self.tr("New staff account"))
        form = QFormLayout()
        self.username = QLineEdit(staff.username if staff else "", self)
        self.username.setObjectName("staffUsername")
        self.username.setReadOnly(staff is not None)
        self.display_name = QLineEdit(staff.display_name if staff else "", self)
        self.display_name.setObjectName("staffDisplayName")
        self.role = QComboBox(self)
        self.role.setObjectName("staffRole")
        for role in ("clerk", "head", "admin"):
            self.role.addItem(role_label(role), role)
        if staff:
            self.role.setCurrentIndex(max(0, self.role.findData(staff.role)))
        form.addRow(self.tr("User name"), self.errors.field("username", self.username))
        form.addRow(self.tr("Full name"), self.errors.field("display_name", self.display_name))
        form.addRow(self.tr("Role"), self.errors.field("role", self.role))
        self.password = self.password2 = None
        if staff is None:
            self.password, self.password2 = _password_rows(self, form, "staffPassword", "password",
                                                           self.tr("Password"), self.tr("Repeat password"))
        self.departments = QListWidget(self)
        self.departments.setObjectName("staffDepartments")
        chosen = set(staff.department_ids) if staff else set()
        for dep in departments:
            item = QListWidgetItem(f"{dep.name}（{dep.code}）", self.departments)
            item.setData(Qt.ItemDataRole.UserRole, dep.code)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if dep.id in chosen else Qt.CheckState.Unchecked)
        self.departments.setMaximumHeight(160)
        form.addRow(self.tr("Departments"), self.errors.field("department_codes", self.departments))
        self.errors.cleared_by("department_codes", self.role)  # a head needs one; another role none
        self.form_area.addLayout(form)
        self.resize(420, self.sizeHint().height())

    def check_departments(self, codes: Sequence[str]) -> None:
        for i in range(self.departments.count()):
            item = self.departments.item(i)
            item.setCheckState(Qt.CheckState.Checked if item.data(Qt.ItemDataRole.UserRole) in codes
                               else Qt.CheckState.Unchecked)

    def chosen_codes(self) -> list[str]:
        return [self.departments.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.departments.count())
                if self.departments.item(i).checkState() == Qt.CheckState.Checked]

    def prepare(self):
        db, actor = self.ctx.db, self.ctx.actor
        role, codes, name = self.role.currentData(), self.chosen_codes(), self.display_name.text()
        if self.staff is None:
            if self.password.text() != self.password2.text():
                self.fail(self.tr("The two passwords differ."), "password2")
                return None
            username, password = self.username.text(), self.password.text()
            return lambda: auth.create_staff(db, actor, username, name, role, password, department_codes=codes)
        staff_id = self.staff.id
        return lambda: auth.update_staff(db, actor, staff_id, display_name=name, role=role, department_codes=codes)


def _password_rows(dialog: TaskDialog, form: QFormLayout, name: str, field: str, label: str,
                   repeat_label: str) -> tuple[QLineEdit, QLineEdit]:
    """A new password and its repetition (named ``name`` and ``name``2) as two rows of ``form``; the service's
    error about the password stands by the first (``field``), "they differ" by the second."""
    edits = (QLineEdit(dialog), QLineEdit(dialog))
    for edit, suffix in zip(edits, ("", "2"), strict=True):
        edit.setObjectName(name + suffix)
        edit.setEchoMode(QLineEdit.EchoMode.Password)
    form.addRow(label, dialog.errors.field(field, edits[0]))
    form.addRow(repeat_label, dialog.errors.field("password2", edits[1]))
    dialog.errors.cleared_by("password2", edits[0])  # "they differ": either may be mistyped
    return edits


class PasswordDialog(TaskDialog):
    def __init__(self, ctx, staff: Any, parent: QWidget | None = None):
        super().__init__(ctx, parent)
        self.setObjectName("passwordDialog")
        self.staff = staff
        self.setWindowTitle(self.tr("Reset password of {user}").format(user=staff.username))
        form = QFormLayout()
        self.password, self.password2 = _password_rows(self, form, "newPassword", "new_password",
                                                       self.tr("New password"), self.tr("Repeat password"))
        self.form_area.addLayout(form)
        self.resize(360, self.sizeHint().height())

    def prepare(self):
        if self.password.text() != self.password2.text():
            self.fail(self.tr("The two passwords differ."), "password2")
            return None
        db, actor, staff_id, pw = self.ctx.db, self.ctx.actor, self.staff.id, self.password.text()
        return lambda: auth.reset_password(db, actor, staff_id, pw)
