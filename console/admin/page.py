"""Administration (管理): departments, doctors, staff accounts, the hospital's booking rules and
whether the job service runs (后台服务).

``AdminPage(ctx)`` is a QTabWidget page. Only admins see it (the shell decides), yet every
action still goes through the services, which check the permission themselves: a refusal is
shown as a message, never a traceback, and a change that failed is never shown as done.
"""
from __future__ import annotations

import dataclasses
import logging
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from console.admin.holidays_tab import HolidaysTab
from console.admin.shares_tab import SharesTab
from console.admin.tabs import DepartmentsTab, DoctorsTab, StaffTab
from console.common.forms import FieldErrors
from console.common.pagekit import call, error_label
from console.common.widgets import MessageBar
from console.jobstatus import JobsTab
from services.bookings import rules as rules_service
from services.sync.changes import Changes

log = logging.getLogger(__name__)


class RulesTab(QWidget):
    """A form over ``services.bookings.rules.Rules``: one field per rule, labelled from RULE_LABELS; a rule the
    service refuses (``ValidationError.field``: the rule's key) is explained on the line under it."""

    saved = Signal(object)
    loaded = Signal()

    def __init__(self, ctx, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("rulesTab")
        self.ctx = ctx
        self.rules: Any = None
        self.fields: dict[str, QWidget] = {}
        self.error = error_label(self)  # errors about no rule (permission, database)
        self.errors = FieldErrors(self.error, self)
        # a grid rather than a QFormLayout: label | field | help, the help never squeezed into a wrap;
        # under each rule a row for its error line, across the field and the help
        form = QGridLayout()
        form.setHorizontalSpacing(14)
        form.setVerticalSpacing(4)
        for n, f in enumerate(dataclasses.fields(rules_service.Rules)):
            row = 2 * n
            label, help_text = rules_service.RULE_LABELS.get(f.name, (f.name, ""))
            default = getattr(rules_service.DEFAULTS, f.name)
            if isinstance(default, bool):
                widget: QWidget = QCheckBox(self.tr("On"), self)
            elif f.name in rules_service.TIME_RULES:  # HH:MM; the service checks it (empty: none, if allowed)
                widget = QLineEdit(self)
                widget.setPlaceholderText(self.tr("HH:MM"))  # whether it may be empty: its help says
                widget.setMaxLength(8)
                widget.setMinimumWidth(120)
            else:
                widget = QSpinBox(self)
                # the service checks the limits too; the wide range lets a wrong value reach it and be explained
                lo, hi = rules_service.RULE_LIMITS.get(f.name, (0, 100000))
                widget.setRange(min(lo, 0), max(hi, 100000))
                widget.setMinimumWidth(120)
            widget.setObjectName(f"rule_{f.name}")
            widget.setToolTip(help_text)
            hint = QLabel(help_text, self)
            hint.setStyleSheet("color: #5f6368;")
            form.addWidget(QLabel(label, self), row, 0)
            form.addWidget(widget, row, 1, Qt.AlignmentFlag.AlignLeft)
            form.addWidget(hint, row, 2)
            form.addWidget(self.errors.add_line(f.name, widget), row + 1, 1, 1, 2)
            form.setRowMinimumHeight(row + 1, 6)  # the rules apart while no error shows
            self.fields[f.name] = widget
        form.setColumnStretch(2, 1)
        self.status = QLabel(self)
        self.status.setObjectName("rulesStatus")
        self.save_button = QPushButton(self.tr("Save rules"), self)
        self.save_button.setObjectName("saveRules")
        self.save_button.clicked.connect(self.save)
        self.revert_button = QPushButton(self.tr("Undo changes"), self)
        self.revert_button.setObjectName("revertRules")
        self.revert_button.clicked.connect(lambda: self.show_rules(self.rules))
        buttons = QHBoxLayout()
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.revert_button)
        buttons.addWidget(self.status, 1)
        inner = QWidget(self)
        box = QVBoxLayout(inner)
        box.addLayout(form)
        box.addSpacing(8)
        box.addWidget(self.error)
        box.addLayout(buttons)
        box.addStretch(1)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setWidget(inner)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        QVBoxLayout(self).addWidget(scroll)
        self.setEnabled(False)  # until the rules are loaded
        ctx.changes.subscribe(self, self.apply_changes)

    def apply_changes(self, changes: Changes) -> None:
        """Someone else changed the rules (or nobody can tell): show them unless the form is being edited."""
        if (changes.rules or changes.everything) and not self.changes():
            self.reload()

    def reload(self) -> None:
        db = self.ctx.db
        call(self.ctx, self, lambda: rules_service.load(db), self._loaded)

    def _loaded(self, rules: Any) -> None:
        self.show_rules(rules)
        self.setEnabled(True)
        self.loaded.emit()

    def show_rules(self, rules: Any) -> None:
        if rules is None:
            return
        self.rules = rules
        self.errors.clear()
        for name, widget in self.fields.items():
            value = getattr(rules, name)
            if isinstance(widget, QCheckBox):
                widget.setChecked(bool(value))
            elif isinstance(widget, QLineEdit):
                widget.setText(value or "")
            else:
                widget.setValue(int(value))

    @staticmethod
    def _value(w: QWidget) -> Any:
        if isinstance(w, QCheckBox):
            return w.isChecked()
        if isinstance(w, QLineEdit):  # a time as typed; the service normalises '7:00' and checks it
            return w.text().strip() or None
        return w.value()

    def values(self) -> dict[str, Any]:
        return {name: self._value(w) for name, w in self.fields.items()}

    def changes(self) -> dict[str, Any]:
        if self.rules is None:
            return {}
        return {k: v for k, v in self.values().items() if getattr(self.rules, k) != v}

    def save(self) -> None:
        changes = self.changes()
        self.errors.clear()
        if not changes:
            self.status.setText(self.tr("Nothing changed."))
            return
        db, actor = self.ctx.db, self.ctx.actor
        self.save_button.setEnabled(False)
        call(self.ctx, self, lambda: rules_service.save(db, actor, **changes),
             lambda rules: self._saved(rules, Changes(rules=changes)), self._failed)

    def _saved(self, rules: Any, changed: Changes) -> None:
        self.save_button.setEnabled(True)
        self.show_rules(rules)
        self.status.setText(self.tr("Rules saved."))
        self.ctx.changes.publish(changed, self)
        self.saved.emit(rules)

    def _failed(self, error: BaseException) -> None:
        # the form keeps what was typed so the admin can correct it; the database is unchanged
        self.save_button.setEnabled(True)
        self.status.clear()
        self.errors.show(error)  # under the rule refused, or in the banner


class AdminPage(QWidget):
    """Tabs 科室 / 医生 / 员工账号 / 预约规则 / 现场号 / 节假日. Loads each tab's data when the page is built."""

    def __init__(self, ctx, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("adminPage")
        self.ctx = ctx
        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("adminTabs")
        self.departments = DepartmentsTab(ctx, self)
        self.doctors = DoctorsTab(ctx, self)
        self.staff = StaffTab(ctx, self)
        self.rules = RulesTab(ctx, self)
        self.holidays = HolidaysTab(ctx, self)
        self.shares = SharesTab(ctx, self)  # the desk's share of each department (号源池)
        self.tabs.addTab(self.departments, self.tr("Departments"))
        self.tabs.addTab(self.doctors, self.tr("Doctors"))
        self.tabs.addTab(self.staff, self.tr("Staff accounts"))
        self.tabs.addTab(self.rules, self.tr("Booking rules"))
        self.tabs.addTab(self.shares, self.tr("Desk shares"))
        self.tabs.addTab(self.holidays, self.tr("Holidays"))
        self.jobs = JobsTab(ctx, self)  # whether the job service runs (console.jobstatus)
        self.tabs.addTab(self.jobs, self.jobs.title())
        layout = QVBoxLayout(self)
        self.messages = MessageBar(self)  # what failed, for every tab (console.common.pagekit.show_error)
        layout.addWidget(self.messages)
        layout.addWidget(self.tabs)
        # a department saved here shows up in the doctors' and staff tabs' pickers too
        self.departments.loaded.connect(self._departments_changed)
        self._first = True
        self.refresh()

    def refresh(self) -> None:
        for tab in (self.departments, self.doctors, self.staff, self.holidays, self.shares):
            tab.reload()
        self.rules.reload()

    def _departments_changed(self) -> None:
        if self._first:
            self._first = False
            return
        self.doctors.reload()
        self.staff.reload()
        self.shares.reload()

