"""The administration page's holidays tab (节假日): China's public holidays and make-up working days of the
coming months (services/rosters/holidays.py, from the chinese-calendar package) and the hospital's own exceptions,
which an admin adds (a clinic open on a holiday morning, a day closed for an event) or removes. Publishing
a roster afterwards follows them; sessions already published stay as they are (stop them with 停诊)."""
from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import QDate
from PySide6.QtWidgets import QComboBox, QDateEdit, QFormLayout, QLabel, QLineEdit, QWidget

from console.admin.tabs import ListTab
from console.common.pagekit import Column, TaskDialog
from console.common.widgets import calendar_popup
from services.clock import hospital_today
from services.models import PERIODS
from services.rosters import holidays, masterdata
from services.rosters.calendar import PERIOD_LABELS

AHEAD_DAYS = 365  # the tab shows the coming year


class HolidaysTab(ListTab):
    def __init__(self, ctx, parent: QWidget | None = None):
        super().__init__(ctx, "holidaysTab", parent)
        self.add_button("addHoliday", self.tr("Add exception…"), self.add, needs_row=False)
        self.remove_button = self.add_button("removeHoliday", self.tr("Remove exception"), self.remove)
        self.buttons.addStretch(1)
        self.note = QLabel(self)  # the years the package does not know yet
        self.note.setObjectName("holidaysNote")
        self.note.setWordWrap(True)
        self.layout().addWidget(self.note)
        self.update_buttons()

    def columns(self) -> list[Column]:
        weekdays = "一二三四五六日"
        return [Column("day", self.tr("Date"), lambda r: r.day.isoformat()),
                Column("weekday", self.tr("Weekday"), lambda r: "周" + weekdays[r.day.weekday()], sort=lambda r: r.day.weekday()),
                Column("public", self.tr("Public arrangement"), lambda r: r.public),
                Column("exception", self.tr("Hospital exception"), lambda r: self._exception_text(r.exception))]

    def _exception_text(self, e: Any) -> str:
        if e is None:
            return ""
        who = e.department_name or self.tr("Whole hospital")
        when = PERIOD_LABELS[e.period] if e.period else self.tr("whole day")
        kind = self.tr("open") if e.kind == "open" else self.tr("closed")
        return f"{who} {when} {kind}：{e.note}"

    def loader(self):
        db, today = self.ctx.db, hospital_today()
        end = today + dt.timedelta(days=AHEAD_DAYS)
        days = [today + dt.timedelta(days=i) for i in range(AHEAD_DAYS + 1)]
        return lambda: (holidays.overview(db, today, end), holidays.unknown_years(days))

    def _loaded(self, rows: Any, select_id: Any) -> None:
        found, years = rows
        # an empty year is not a year without holidays: say when the package does not know it yet
        self.note.setText(self.tr("Public holidays of {years} are not known yet (the chinese-calendar package has "
                                    "no data): publishing treats those days as ordinary days.")
                            .format(years="、".join(map(str, years))) if years else "")
        super()._loaded(found, select_id)

    def update_buttons(self) -> None:
        super().update_buttons()
        row = self.selected()
        self.remove_button.setEnabled(row is not None and row.exception is not None)

    def add(self) -> None:
        row = self.selected()
        self.open_dialog(HolidayDialog(self.ctx, row.day if row is not None else None, self))

    def remove(self) -> None:
        row = self.selected()
        if row is None or row.exception is None:
            return
        db, actor, eid = self.ctx.db, self.ctx.actor, row.exception.id
        self.run(lambda: holidays.remove_exception(db, actor, eid),
                 self.tr("Exception of {day} removed.").format(day=row.day.isoformat()))


class HolidayDialog(TaskDialog):
    """Add one exception: the day, open or closed, the whole hospital or a department, a period, the reason."""

    def __init__(self, ctx, day: dt.date | None = None, parent: QWidget | None = None):
        super().__init__(ctx, parent)
        self.setObjectName("holidayDialog")
        self.setWindowTitle(self.tr("New holiday exception"))
        form = QFormLayout()
        self.day = calendar_popup(QDateEdit(self))
        self.day.setObjectName("holidayDay")
        start = day or hospital_today()
        self.day.setDate(QDate(start.year, start.month, start.day))
        self.kind = QComboBox(self)
        self.kind.setObjectName("holidayKind")
        self.kind.addItem(self.tr("Open although a public holiday"), "open")
        self.kind.addItem(self.tr("Closed (a hospital event)"), "closed")
        self.department = QComboBox(self)
        self.department.setObjectName("holidayDepartment")
        self.department.addItem(self.tr("Whole hospital"), None)
        self.period = QComboBox(self)
        self.period.setObjectName("holidayPeriod")
        self.period.addItem(self.tr("Whole day"), None)
        for p in PERIODS:
            self.period.addItem(PERIOD_LABELS[p], p)
        self.note = QLineEdit(self)
        self.note.setObjectName("holidayNote")
        self.note.setPlaceholderText(self.tr("e.g. 国庆节外科门诊, 院庆"))
        form.addRow(self.tr("Date"), self.errors.field("day", self.day))
        form.addRow(self.tr("Kind"), self.errors.field("kind", self.kind))
        form.addRow(self.tr("Department"), self.errors.field("department_id", self.department))
        form.addRow(self.tr("Period"), self.errors.field("period", self.period))
        form.addRow(self.tr("Reason"), self.errors.field("note", self.note))
        form.addRow("", QLabel(self.tr("Applies to rosters published afterwards."), self))
        self.form_area.addLayout(form)
        self.resize(420, self.sizeHint().height())
        db = ctx.db
        ctx.tasks.run_task(lambda: masterdata.list_departments(db), self._departments, owner=self)

    def _departments(self, deps: Any, error: BaseException | None) -> None:
        if error is None:
            for dep in deps:
                self.department.addItem(f"{dep.name}（{dep.code}）", dep.id)

    def prepare(self):
        db, actor = self.ctx.db, self.ctx.actor
        q = self.day.date()
        day = dt.date(q.year(), q.month(), q.day())
        kind, dep, period, note = (self.kind.currentData(), self.department.currentData(),
                                   self.period.currentData(), self.note.text())
        return lambda: holidays.add_exception(db, actor, day, kind, note, department_id=dep, period=period)
