"""The list tabs of the administration page: departments (科室), doctors (医生), staff accounts (员工账号).

Each tab is a table over a ``RecordModel`` with buttons for its actions. Every action runs its
service call in the background; the services check the permission themselves, so a refusal
(PermissionDenied) comes back as a message like any other error.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from console.admin.dialogs import DepartmentDialog, DoctorDialog, PasswordDialog, StaffDialog
from console.common.collation import CollatingProxy
from console.common.labels import role_label
from console.common.pagekit import RecordModel, call, record_view, show_message
from console.common.tablemodel import SORT_ROLE, Column
from console.common.widgets import open_dialog
from services.clock import utc_to_local
from services.rosters import masterdata
from services.staff import auth

log = logging.getLogger(__name__)


class ListTab(QWidget):
    """A table with a button row; subclasses fill ``columns()`` and ``loader()``."""

    loaded = Signal()

    def __init__(self, ctx, name: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName(name)
        self.ctx = ctx
        self.dialog: QDialog | None = None  # the dialog open now (widgets.open_dialog)
        self.model = RecordModel(self.columns(), self, inactive=lambda r: not r.active)
        self.proxy = CollatingProxy(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(SORT_ROLE)
        self.view = record_view(self, self.proxy, Qt.SortOrder.AscendingOrder)
        self.view.horizontalHeader().setStretchLastSection(True)
        self.view.doubleClicked.connect(lambda _i: self.edit())
        self.view.selectionModel().selectionChanged.connect(lambda *_: self.update_buttons())
        self.buttons = QHBoxLayout()
        self.status = QLabel(self)
        self.status.setObjectName("tabStatus")
        layout = QVBoxLayout(self)
        layout.addLayout(self.buttons)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.status)

    def add_button(self, name: str, text: str, slot: Callable[[], None], needs_row: bool = True) -> QPushButton:
        button = QPushButton(text, self)
        button.setObjectName(name)
        button.setProperty("needsRow", needs_row)
        button.clicked.connect(slot)
        self.buttons.addWidget(button)
        return button

    def update_buttons(self) -> None:
        has_row = self.selected() is not None
        for button in self.findChildren(QPushButton):
            if button.property("needsRow"):
                button.setEnabled(has_row)

    def columns(self) -> list[Column]:  # pragma: no cover - overridden
        raise NotImplementedError

    def loader(self) -> Callable[[], Any]:  # pragma: no cover - overridden
        """Called in the GUI thread (it may read widgets); returns the work for the worker."""
        raise NotImplementedError

    def reload(self, select_id: Any = None) -> None:
        keep = select_id if select_id is not None else getattr(self.selected(), "id", None)
        call(self.ctx, self, self.loader(), lambda rows: self._loaded(rows, keep))

    def _loaded(self, rows: Any, select_id: Any) -> None:
        self.model.set_rows(rows)
        if select_id is not None:
            self.select(select_id)
        self.update_buttons()
        self.loaded.emit()

    def select(self, row_id: Any) -> None:
        row = self.model.index_of(row_id)
        if row >= 0:
            index = self.proxy.mapFromSource(self.model.index(row, 0))
            self.view.selectRow(index.row())
            self.view.scrollTo(index)

    def selected(self) -> Any | None:
        rows = self.view.selectionModel().selectedRows()
        if not rows:
            return None
        return self.model.row_at(self.proxy.mapToSource(rows[0]).row())

    def edit(self) -> None:  # pragma: no cover - overridden
        pass

    def open_dialog(self, dialog) -> None:
        """Open (never exec) a TaskDialog; reload and select the saved row when it succeeded."""
        dialog.done_ok.connect(lambda saved: self.reload(getattr(saved, "id", None)))
        open_dialog(self, dialog)

    def run(self, work: Callable[[], Any], done_text: str) -> None:
        """A one-click action (deactivate, unlock): the result shows in the status line only when it succeeded."""
        def ok(result: Any) -> None:
            self.status.setText(done_text)
            self.reload(getattr(result, "id", None))
        call(self.ctx, self, work, ok)

    def run_on_selected(self, work: Callable[[Any, Any, Any], Any], done_text: Callable[[Any], str]) -> None:
        """``run`` on the selected row (nothing when none is): ``work(db, actor, row)``, then ``done_text(row)``."""
        row = self.selected()
        if row is not None:
            db, actor = self.ctx.db, self.ctx.actor
            self.run(lambda: work(db, actor, row), done_text(row))

    def active_text(self, row: Any) -> str:
        return self.tr("Active") if row.active else self.tr("Inactive")


class DepartmentsTab(ListTab):
    def __init__(self, ctx, parent: QWidget | None = None):
        super().__init__(ctx, "departmentsTab", parent)
        self.add_button("addDepartment", self.tr("Add…"), self.add, needs_row=False)
        self.add_button("editDepartment", self.tr("Edit…"), self.edit)
        self.toggle_button = self.add_button("toggleDepartment", self.tr("Deactivate / activate"), self.toggle)
        self.buttons.addStretch(1)
        self.update_buttons()

    def columns(self) -> list[Column]:
        return [Column("code", self.tr("Code"), lambda d: d.code), Column("name", self.tr("Name"), lambda d: d.name),
                Column("status", self.tr("Status"), self.active_text)]

    def loader(self):
        db = self.ctx.db
        return lambda: masterdata.list_departments(db, include_inactive=True)

    def add(self) -> None:
        self.open_dialog(DepartmentDialog(self.ctx, None, self))

    def edit(self) -> None:
        dep = self.selected()
        if dep is not None:
            self.open_dialog(DepartmentDialog(self.ctx, dep, self))

    def toggle(self) -> None:
        self.run_on_selected(
            lambda db, actor, dep: masterdata.save_department(db, actor, dep.code, dep.name, active=not dep.active,
                                                              department_id=dep.id),
            lambda dep: (self.tr("Department {name} deactivated.") if dep.active
                         else self.tr("Department {name} activated.")).format(name=dep.name))


class DoctorsTab(ListTab):
    def __init__(self, ctx, parent: QWidget | None = None):
        super().__init__(ctx, "doctorsTab", parent)
        self.departments: list[Any] = []
        self.filter = QComboBox(self)
        self.filter.setObjectName("doctorDepartmentFilter")
        self.filter.addItem(self.tr("All departments"), None)
        self.filter.currentIndexChanged.connect(lambda _i: self.reload())
        self.buttons.addWidget(QLabel(self.tr("Department"), self))
        self.buttons.addWidget(self.filter)
        self.add_button("addDoctor", self.tr("Add…"), self.add, needs_row=False)
        self.add_button("editDoctor", self.tr("Edit…"), self.edit)
        self.add_button("toggleDoctor", self.tr("Deactivate / activate"), self.toggle)
        self.buttons.addStretch(1)
        self.update_buttons()

    def columns(self) -> list[Column]:
        return [Column("name", self.tr("Name"), lambda d: d.name), Column("title", self.tr("Title"), lambda d: d.title),
                Column("department", self.tr("Department"), lambda d: d.department_name),
                Column("fee", self.tr("Fee"), lambda d: f"{d.fee:.2f}", sort=lambda d: float(d.fee),
                       align=Qt.AlignmentFlag.AlignRight),
                Column("status", self.tr("Status"), self.active_text), Column("specialty", self.tr("Specialty"), lambda d: d.specialty)]

    def loader(self):
        db, dep_id = self.ctx.db, self.filter.currentData()
        return lambda: (masterdata.list_departments(db, include_inactive=True),
                        masterdata.list_doctors(db, department_id=dep_id, include_inactive=True))

    def _loaded(self, rows: Any, select_id: Any) -> None:
        deps, doctors = rows
        if [d.id for d in deps] != [d.id for d in self.departments]:
            self.departments = deps
            current = self.filter.currentData()
            self.filter.blockSignals(True)  # refilling the combo must not start another load
            while self.filter.count() > 1:
                self.filter.removeItem(1)
            for dep in deps:
                self.filter.addItem(f"{dep.name}（{dep.code}）", dep.id)
            self.filter.setCurrentIndex(max(0, self.filter.findData(current)))
            self.filter.blockSignals(False)
        self.departments = deps
        super()._loaded(doctors, select_id)

    def add(self) -> None:
        self.open_dialog(DoctorDialog(self.ctx, self.departments, None, self.filter.currentData(), self))

    def edit(self) -> None:
        doc = self.selected()
        if doc is not None:
            self.open_dialog(DoctorDialog(self.ctx, self.departments, doc, parent=self))

    def toggle(self) -> None:
        self.run_on_selected(
            lambda db, actor, doc: masterdata.save_doctor(db, actor, doc.department_id, doc.name, doc.title, doc.fee,
                                                          specialty=doc.specialty, active=not doc.active,
                                                          doctor_id=doc.id),
            lambda doc: (self.tr("Doctor {name} deactivated.") if doc.active
                         else self.tr("Doctor {name} activated.")).format(name=doc.name))


class StaffTab(ListTab):
    def __init__(self, ctx, parent: QWidget | None = None):
        super().__init__(ctx, "staffTab", parent)
        self.departments: list[Any] = []
        self.names: dict[str, str] = {}
        self.add_button("addStaff", self.tr("Add…"), self.add, needs_row=False)
        self.add_button("editStaff", self.tr("Role and departments…"), self.edit)
        self.add_button("resetPassword", self.tr("Reset password…"), self.reset_password)
        self.add_button("unlockStaff", self.tr("Unlock"), self.unlock)
        self.add_button("toggleStaff", self.tr("Deactivate / activate"), self.toggle)
        self.buttons.addStretch(1)
        self.update_buttons()

    def columns(self) -> list[Column]:
        return [Column("user_name", self.tr("User name"), lambda s: s.username),
                Column("full_name", self.tr("Full name"), lambda s: s.display_name),
                Column("role", self.tr("Role"), lambda s: role_label(s.role)),
                Column("departments", self.tr("Departments"), lambda s: "、".join(self.names.get(c, c) for c in s.department_codes)),
                Column("status", self.tr("Status"), self.state_text),
                Column("last_log_in", self.tr("Last log-in"), lambda s: self.when(s.last_login_at),
                       sort=lambda s: str(s.last_login_at or ""))]

    @staticmethod
    def when(value) -> str:
        local = utc_to_local(value)
        return f"{local:%Y-%m-%d %H:%M}" if local else ""

    def state_text(self, s: Any) -> str:
        if not s.active:
            return self.tr("Inactive")
        if s.locked():
            return self.tr("Log-in delayed until {time}").format(time=f"{utc_to_local(s.locked_until):%H:%M}")
        return self.tr("Active")

    def loader(self):
        db = self.ctx.db
        return lambda: (masterdata.list_departments(db, include_inactive=True), auth.list_staff(db))

    def _loaded(self, rows: Any, select_id: Any) -> None:
        deps, staff = rows
        self.names = {d.code: d.name for d in deps}  # a head's departments by name, not by code
        self.departments = [d for d in deps if d.active]  # what the dialogs offer
        super()._loaded(staff, select_id)

    def add(self) -> None:
        self.open_dialog(StaffDialog(self.ctx, self.departments, None, self))

    def edit(self) -> None:
        staff = self.selected()
        if staff is not None:
            self.open_dialog(StaffDialog(self.ctx, self.departments, staff, self))

    def reset_password(self) -> None:
        staff = self.selected()
        if staff is None:
            return
        dialog = PasswordDialog(self.ctx, staff, self)
        dialog.done_ok.connect(lambda _r: show_message(
            self, self.tr("The password of {user} was changed.").format(user=staff.username),
            icon=QMessageBox.Icon.Information))
        open_dialog(self, dialog)

    def unlock(self) -> None:
        self.run_on_selected(lambda db, actor, staff: auth.unlock(db, actor, staff.id),
                             lambda staff: self.tr("Account {user} unlocked.").format(user=staff.username))

    def toggle(self) -> None:
        self.run_on_selected(
            lambda db, actor, staff: auth.update_staff(db, actor, staff.id, active=not staff.active),
            lambda staff: (self.tr("Account {user} deactivated.") if staff.active
                           else self.tr("Account {user} activated.")).format(user=staff.username))
