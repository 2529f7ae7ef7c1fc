"""A doctor's weekly templates (排班模板): list them, add, change and delete, in one dialog.

The list is a ``RecordModel``; the form under it edits the selected template (or a new one).
Every change goes through services.rosters.templates in the background; its refusal is shown by the input it
concerns (console.common.forms), or under the form when it is about none.
"""
from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from console.common.forms import FieldErrors
from console.common.labels import period_label, weekday_label
from console.common.pagekit import RecordModel, call, error_label, fit_columns, record_view
from console.common.tablemodel import Column
from console.rosters.dialogs import pytime, qtime, time_edits
from console.rosters.grid import PERIODS, hm
from services.rosters import templates

log = logging.getLogger(__name__)

DEFAULT_HOURS = {"am": (dt.time(8, 0), dt.time(12, 0)), "pm": (dt.time(14, 0), dt.time(17, 30)),
                 "evening": (dt.time(18, 0), dt.time(21, 0))}


def slot_count(t: Any) -> int:
    length = (t.ends_at.hour * 60 + t.ends_at.minute) - (t.starts_at.hour * 60 + t.starts_at.minute)
    return max(0, length // t.slot_minutes) if t.slot_minutes else 0


class TemplatesDialog(QDialog):
    """Opened with ``open()``; ``changed`` is emitted after every saved change."""

    changed = Signal()
    loaded = Signal()

    def __init__(self, ctx, doctor: Any, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("templatesDialog")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setModal(True)
        self.ctx = ctx
        self.doctor = doctor
        self.setWindowTitle(self.tr("Weekly templates of {name}").format(name=doctor.name))
        self.model = RecordModel([
            Column("weekday", self.tr("Weekday"), lambda t: weekday_label(t.weekday), sort=lambda t: t.weekday),
            Column("period", self.tr("Period"), lambda t: period_label(t.period), sort=lambda t: PERIODS.index(t.period)),
            Column("hours", self.tr("Hours"), lambda t: f"{hm(t.starts_at)}–{hm(t.ends_at)}"),
            Column("slot_minutes", self.tr("Slot minutes"), lambda t: t.slot_minutes, align=Qt.AlignmentFlag.AlignRight),
            Column("places_per_slot", self.tr("Places per slot"), lambda t: t.capacity_per_slot, align=Qt.AlignmentFlag.AlignRight),
            Column("places_in_all", self.tr("Places in all"), lambda t: slot_count(t) * t.capacity_per_slot,
                   align=Qt.AlignmentFlag.AlignRight),
            Column("status", self.tr("Status"), lambda t: self.tr("Active") if t.active else self.tr("Paused")),
        ], self, inactive=lambda t: not t.active)
        self.view = record_view(self, self.model)
        self.view.setObjectName("templatesView")
        fit_columns(self.view)  # the hours whole (08:00–12:00), not 08:00–1…
        self.view.selectionModel().selectionChanged.connect(lambda *_: self._show_selected())

        self.weekday = QComboBox(self)
        self.weekday.setObjectName("templateWeekday")
        for i in range(7):
            self.weekday.addItem(weekday_label(i), i)
        self.period = QComboBox(self)
        self.period.setObjectName("templatePeriod")
        for p in PERIODS:
            self.period.addItem(period_label(p), p)
        self.period.currentIndexChanged.connect(self._period_changed)
        self.starts, self.ends = time_edits(self, "template")
        self.slot_minutes = QSpinBox(self)
        self.slot_minutes.setObjectName("templateSlotMinutes")
        self.slot_minutes.setRange(5, 240)
        self.slot_minutes.setSingleStep(5)
        self.slot_minutes.setSuffix(self.tr(" min"))
        self.capacity = QSpinBox(self)
        self.capacity.setObjectName("templateCapacity")
        self.capacity.setRange(1, 999)
        self.active = QCheckBox(self.tr("Active (used when publishing)"), self)
        self.active.setObjectName("templateActive")
        hours = QHBoxLayout()
        hours.addWidget(self.starts)
        hours.addWidget(QLabel("–", self))
        hours.addWidget(self.ends)
        hours.addStretch(1)
        self.error = error_label(self)  # errors about no field of the form
        self.errors = FieldErrors(self.error, self)
        form = QFormLayout()
        form.addRow(self.tr("Weekday"), self.errors.field("weekday", self._left(self.weekday), self.weekday))
        form.addRow(self.tr("Period"), self.errors.field("period", self._left(self.period), self.period))
        form.addRow(self.tr("Hours"), self.errors.field("starts_at", hours, self.starts))
        self.errors.share("ends_at", "starts_at", self.ends)  # one line under the start–end row
        self.errors.cleared_by("starts_at", self.ends)  # errors about the hours together go with either
        self.errors.cleared_by("ends_at", self.starts)
        self.errors.cleared_by("slot_minutes", self.starts, self.ends)  # the hours must divide into slots
        form.addRow(self.tr("Slot length"), self.errors.field("slot_minutes", self._left(self.slot_minutes),
                                                                self.slot_minutes))
        form.addRow(self.tr("Places per slot"), self.errors.field("capacity_per_slot", self._left(self.capacity),
                                                                    self.capacity))
        form.addRow("", self.active)
        self.editing = QLabel(self)
        self.editing.setObjectName("templateEditing")
        self.status = QLabel(self)
        self.status.setObjectName("templateStatus")

        self.new_button = QPushButton(self.tr("New"), self)
        self.new_button.setObjectName("templateNew")
        self.new_button.clicked.connect(self.new)
        self.save_button = QPushButton(self.tr("Save template"), self)
        self.save_button.setObjectName("templateSave")
        self.save_button.clicked.connect(self.save)
        self.delete_button = QPushButton(self.tr("Delete…"), self)
        self.delete_button.setObjectName("templateDelete")
        self.delete_button.clicked.connect(self.confirm_delete)
        actions = QHBoxLayout()
        for b in (self.new_button, self.save_button, self.delete_button):
            actions.addWidget(b)
        actions.addStretch(1)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        close.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.editing)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addLayout(actions)
        layout.addWidget(self.status)
        layout.addWidget(close)
        self.resize(640, 600)
        self.new()
        self.reload()

    @staticmethod
    def _left(widget: QWidget) -> QHBoxLayout:
        """An input at its own width, left in its row (the error line under it may be wider)."""
        row = QHBoxLayout()
        row.addWidget(widget)
        row.addStretch(1)
        return row

    # ------------------------------------------------------------ data
    def reload(self, select_id: int | None = None) -> None:
        db, doctor_id = self.ctx.db, self.doctor.id
        call(self.ctx, self, lambda: templates.list_templates(db, doctor_id=doctor_id),
             lambda rows: self._loaded(rows, select_id))

    def _loaded(self, rows: Any, select_id: int | None) -> None:
        self.model.set_rows(rows)
        if select_id is not None and self.model.index_of(select_id) >= 0:
            self.view.selectRow(self.model.index_of(select_id))
        self.loaded.emit()

    def selected(self) -> Any | None:
        rows = self.view.selectionModel().selectedRows()
        return self.model.row_at(rows[0].row()) if rows else None

    # ------------------------------------------------------------ form
    def _period_changed(self) -> None:
        if self.selected() is None:  # a new template: suggest the usual hours of the period
            a, b = DEFAULT_HOURS[self.period.currentData()]
            self.starts.setTime(qtime(a))
            self.ends.setTime(qtime(b))

    def new(self) -> None:
        self.view.clearSelection()
        self.editing.setText(self.tr("New template"))
        self.weekday.setCurrentIndex(0)
        self.period.setCurrentIndex(0)
        self._period_changed()
        self.slot_minutes.setValue(30)
        self.capacity.setValue(5)
        self.active.setChecked(True)
        self.delete_button.setEnabled(False)
        self.errors.clear()

    def _show_selected(self) -> None:
        t = self.selected()
        if t is None:
            return
        self.editing.setText(self.tr("Changing {weekday} {period}").format(
            weekday=weekday_label(t.weekday), period=period_label(t.period)))
        self.weekday.setCurrentIndex(t.weekday)
        self.period.blockSignals(True)
        self.period.setCurrentIndex(PERIODS.index(t.period))
        self.period.blockSignals(False)
        self.starts.setTime(qtime(t.starts_at))
        self.ends.setTime(qtime(t.ends_at))
        self.slot_minutes.setValue(t.slot_minutes)
        self.capacity.setValue(t.capacity_per_slot)
        self.active.setChecked(t.active)
        self.delete_button.setEnabled(True)
        self.errors.clear()

    def save(self) -> None:
        t = self.selected()
        db, actor, doctor_id = self.ctx.db, self.ctx.actor, self.doctor.id
        args = dict(weekday=self.weekday.currentData(), period=self.period.currentData(),
                    starts_at=pytime(self.starts.time()), ends_at=pytime(self.ends.time()),
                    slot_minutes=self.slot_minutes.value(), capacity_per_slot=self.capacity.value(),
                    template_id=t.id if t else None, active=self.active.isChecked())
        self.errors.clear()
        self.status.clear()  # a "saved" from before must not stand beside this try's answer
        self.save_button.setEnabled(False)
        call(self.ctx, self, lambda: templates.save_template(db, actor, doctor_id, **args), self._saved, self._failed)

    def _saved(self, saved: Any) -> None:
        self.save_button.setEnabled(True)
        self.status.setText(self.tr("Template saved: {weekday} {period}.").format(
            weekday=weekday_label(saved.weekday), period=period_label(saved.period)))
        self.changed.emit()
        self.reload(saved.id)

    def _failed(self, error: BaseException) -> None:
        self.save_button.setEnabled(True)
        self.errors.show(error)

    def confirm_delete(self) -> None:
        t = self.selected()
        if t is None:
            return
        box = QMessageBox(QMessageBox.Icon.Question, self.tr("Delete template"),
                          self.tr("Delete the template {weekday} {period} {hours}? Sessions already published "
                                  "stay as they are.").format(weekday=weekday_label(t.weekday),
                                                              period=period_label(t.period),
                                                              hours=f"{hm(t.starts_at)}–{hm(t.ends_at)}"),
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, self)
        box.setObjectName("templateDeleteConfirm")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        yes = box.button(QMessageBox.StandardButton.Yes)
        box.buttonClicked.connect(lambda b: self.delete(t.id) if b is yes else None)
        box.open()

    def delete(self, template_id: int) -> None:
        db, actor = self.ctx.db, self.ctx.actor

        def ok(_result: Any) -> None:
            self.status.setText(self.tr("Template deleted."))
            self.changed.emit()
            self.new()
            self.reload()
        call(self.ctx, self, lambda: templates.delete_template(db, actor, template_id), ok, self._failed)
