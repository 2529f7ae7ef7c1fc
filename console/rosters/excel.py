"""Excel in and out from the console: export the day list or the week's roster, import a roster.

Each dialog is a ``TaskDialog`` (console/common/pagekit.py): OK runs the service function
(services.excel.exports / services.rosters.imports) on the task runner's worker, a progress bar follows the
service's ``progress(done, total)`` callback, and when the file is written its folder is opened
(``open_folder``; tests replace it). A refused import lists every problem with its sheet and
cell, and the dialog stays open so the head can fix the file and try again.

    ExportDailyDialog(ctx, day=None, department_id=None, parent=None)
    ExportRosterDialog(ctx, monday=None, department_id=None, parent=None)
    ImportRosterDialog(ctx, path=None, parent=None)      # signal imported(ImportSummary)
"""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QDate, QObject, QStandardPaths, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QWidget,
)

from console.common.pagekit import TaskDialog, call
from console.common.widgets import calendar_popup
from services.clock import hospital_today
from services.excel import exports
from services.rosters import imports, masterdata
from services.rosters.layout import week_label

log = logging.getLogger(__name__)


def open_folder(path: str | Path) -> bool:
    """Show the folder that holds ``path`` in the desktop's file manager."""
    return QDesktopServices.openUrl(QUrl.fromLocalFile(str(Path(path).resolve().parent)))


def default_folder() -> Path:
    docs = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    folder = Path(docs) if docs else Path.home()
    return folder if folder.is_dir() else Path.home()


class ProgressRelay(QObject):
    """Carries a service's progress(done, total) from the worker thread to the GUI thread."""

    changed = Signal(int, int)

    def callback(self) -> Callable[[int, int], None]:
        def report(done: int, total: int) -> None:
            try:
                self.changed.emit(int(done), int(total))
            except RuntimeError:  # the dialog was closed while the worker ran
                pass
        return report


def _qdate(d: dt.date) -> QDate:
    return QDate(d.year, d.month, d.day)


def _pydate(q: QDate) -> dt.date:
    return dt.date(q.year(), q.month(), q.day())


class _FileDialogBase(TaskDialog):
    """Shared by the three dialogs: a file row, a progress bar, a summary line."""

    def __init__(self, ctx, parent: QWidget | None):
        super().__init__(ctx, parent)
        self.form = QFormLayout()
        self.form_area.addLayout(self.form)
        self.path_edit = QLineEdit(self)
        self.path_edit.setObjectName("excelPath")
        self.browse_button = QPushButton(QCoreApplication.translate("_FileDialogBase", "Browse…"), self)
        self.browse_button.setObjectName("excelBrowse")
        self.browse_button.clicked.connect(self.browse)
        row = QHBoxLayout()
        row.addWidget(self.path_edit, 1)
        row.addWidget(self.browse_button)
        # the file's errors under it: "path" (services.rosters.imports), "out" (the exports) on the same line
        self.file_row = self.errors.field("path", row, self.path_edit)
        self.errors.share("out", "path", self.path_edit)
        self.progress = QProgressBar(self)
        self.progress.setObjectName("excelProgress")
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress.hide()
        self.summary = QLabel(self)
        self.summary.setObjectName("excelSummary")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.relay = ProgressRelay(self)
        self.relay.changed.connect(self._progressed)
        self.result: Any = None

    def finish_layout(self) -> None:
        self.form_area.addWidget(self.progress)
        self.form_area.addWidget(self.summary)
        self.resize(max(480, self.sizeHint().width()), self.sizeHint().height())

    def browse(self) -> None:  # pragma: no cover - a native modal file dialog
        raise NotImplementedError

    def _progressed(self, done: int, total: int) -> None:
        self.progress.show()
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(min(done, max(total, 1)))

    def start(self) -> Callable[[int, int], None]:
        """Called by ``prepare`` once the input is good: reset the bar, hand out the callback."""
        self.summary.clear()
        self.progress.setRange(0, 0)  # busy until the first report
        self.progress.show()
        return self.relay.callback()

    def done_view(self, text: str) -> None:
        self.progress.setRange(0, 1)
        self.progress.setValue(1)
        self.summary.setText(text)
        # the work is done: OK becomes "Close" so a second click does not look like a second run
        self.ok_button.hide()
        self.buttons.button(self.buttons.StandardButton.Cancel).setText(QCoreApplication.translate("_FileDialogBase", "Close"))

    def _failed(self, error: BaseException) -> None:
        self.progress.hide()
        super()._failed(error)


class _ExportDialog(_FileDialogBase):
    """Department picker, output file, 'open the folder when done'."""

    permission = ""

    def __init__(self, ctx, department_id: int | None, parent: QWidget | None):
        super().__init__(ctx, parent)
        self.ok_button.setText(QCoreApplication.translate("_ExportDialog", "Export"))
        self.department = QComboBox(self)
        self.department.setObjectName("excelDepartment")
        self.department.addItem(QCoreApplication.translate("_ExportDialog", "All my departments"), None)
        self._wanted_department = department_id
        self.open_after = QCheckBox(QCoreApplication.translate("_ExportDialog", "Open the folder when done"), self)
        self.open_after.setObjectName("excelOpenFolder")
        self.open_after.setChecked(True)
        self._auto_name = ""
        db = ctx.db
        call(ctx, self, lambda: masterdata.list_departments(db), self._departments_loaded)

    def _departments_loaded(self, deps: list[Any]) -> None:
        for d in deps:
            if self.ctx.can(self.permission, d.id):
                self.department.addItem(f"{d.name}（{d.code}）", d.id)
                if d.id == self._wanted_department:
                    self.department.setCurrentIndex(self.department.count() - 1)

    def department_id(self) -> int | None:
        return self.department.currentData()

    def date_edit(self, name: str, day: dt.date | None, changed: Callable[..., None]) -> QDateEdit:
        """The day (or a day of the week) to export, the hospital's today unless given; ``changed`` follows it."""
        edit = QDateEdit(_qdate(day or hospital_today()), self)
        edit.setObjectName(name)
        calendar_popup(edit)
        edit.setDisplayFormat("yyyy-MM-dd")
        edit.dateChanged.connect(changed)
        return edit

    def set_auto_name(self, name: str) -> None:
        """Follow the day or week in the file name until the user types a name of their own."""
        current = self.path_edit.text().strip()
        if not current or Path(current).name == self._auto_name:
            folder = Path(current).parent if current else default_folder()
            self.path_edit.setText(str(folder / name))
        self._auto_name = name

    def output_path(self) -> Path | None:
        text = self.path_edit.text().strip()
        if not text:
            self.fail(QCoreApplication.translate("_ExportDialog", "Choose where to save the file."), "out")
            return None
        path = Path(text).expanduser()
        if path.suffix.lower() != ".xlsx":
            path = path.with_name(path.name + ".xlsx")
        if not path.parent.is_dir():
            self.fail(QCoreApplication.translate("_ExportDialog", "The folder does not exist: {folder}").format(folder=str(path.parent)), "out")
            return None
        return path

    def browse(self) -> None:  # pragma: no cover - a native modal file dialog
        name, _ = QFileDialog.getSaveFileName(self, QCoreApplication.translate("_ExportDialog", "Save as"), self.path_edit.text(),
                                              QCoreApplication.translate("_ExportDialog", "Excel workbook (*.xlsx)"))
        if name:
            self.path_edit.setText(name)

    def exported(self, result: Any, text: str) -> bool:
        self.result = result
        self.done_view(text)
        if self.open_after.isChecked() and not open_folder(result.path):
            # no file manager here (a bare desk PC, a terminal server): say so, with the path to find it
            self.summary.setText(text + "\n" + QCoreApplication.translate("_ExportDialog", "The folder could not be opened (no file manager on this "
                                                      "computer). The file is at: {path}").format(path=result.path))
        return True


class ExportDailyDialog(_ExportDialog):
    """Export the day's patient list (Excel); phone/ID numbers masked unless allowed and asked."""

    permission = "export.daily"

    def __init__(self, ctx, day: dt.date | None = None, department_id: int | None = None,
                 parent: QWidget | None = None):
        super().__init__(ctx, department_id, parent)
        self.setObjectName("exportDailyDialog")
        self.setWindowTitle(self.tr("Export the day list to Excel"))
        self.day = self.date_edit("excelDay", day, self._day_changed)
        self.unmasked = QCheckBox(self.tr("Full phone and ID card numbers (not masked)"), self)
        self.unmasked.setObjectName("excelUnmasked")
        self.unmasked.setVisible(ctx.can("export.unmasked"))
        self.form.addRow(self.tr("Day"), self.day)
        self.form.addRow(self.tr("Department"), self.department)
        self.form.addRow(self.tr("File"), self.file_row)
        self.form.addRow("", self.unmasked)
        self.form.addRow("", self.open_after)
        self._day_changed()
        self.finish_layout()

    def _day_changed(self, *_: Any) -> None:
        self.set_auto_name(self.tr("Patients {day}").format(day=f"{_pydate(self.day.date()):%Y-%m-%d}") + ".xlsx")

    def prepare(self):
        path = self.output_path()
        if path is None:
            return None
        db, actor, day, dep = self.ctx.db, self.ctx.actor, _pydate(self.day.date()), self.department_id()
        unmasked = self.unmasked.isVisible() and self.unmasked.isChecked()
        progress = self.start()
        return lambda: exports.export_daily(db, actor, day, path, department_id=dep, unmasked=unmasked,
                                            progress=progress)

    def keep_open_after(self, result: Any) -> bool:
        return self.exported(result, self.tr("{n} patients written to {path}").format(n=result.rows,
                                                                                     path=result.path))


class ExportRosterDialog(_ExportDialog):
    """Export the week's roster: one sheet per department, editable and importable."""

    permission = "export.roster"

    def __init__(self, ctx, monday: dt.date | None = None, department_id: int | None = None,
                 parent: QWidget | None = None):
        super().__init__(ctx, department_id, parent)
        self.setObjectName("exportRosterDialog")
        self.setWindowTitle(self.tr("Export the week's roster to Excel"))
        self.week_name = QLabel(self)
        self.week_name.setObjectName("excelWeekName")
        self.week = self.date_edit("excelWeek", monday, self._week_changed)
        week_row = QHBoxLayout()
        week_row.addWidget(self.week)
        week_row.addWidget(self.week_name, 1)
        self.form.addRow(self.tr("Week of"), week_row)
        self.form.addRow(self.tr("Department"), self.department)
        self.form.addRow(self.tr("File"), self.file_row)
        self.form.addRow("", self.open_after)
        self._week_changed()
        self.finish_layout()

    def monday(self) -> dt.date:
        d = _pydate(self.week.date())
        return d - dt.timedelta(days=d.weekday())

    def _week_changed(self, *_: Any) -> None:
        monday = self.monday()
        self.week_name.setText(f"{week_label(monday)}（{monday:%m-%d} – {monday + dt.timedelta(days=6):%m-%d}）")
        self.set_auto_name(self.tr("Roster {week}").format(week=week_label(monday)) + ".xlsx")

    def prepare(self):
        path = self.output_path()
        if path is None:
            return None
        db, actor, monday, dep = self.ctx.db, self.ctx.actor, self.monday(), self.department_id()
        progress = self.start()
        return lambda: exports.export_roster(db, actor, monday, path, department_id=dep, progress=progress)

    def keep_open_after(self, result: Any) -> bool:
        return self.exported(result, self.tr("Roster of {n} departments written to {path}")
                             .format(n=len(result.sheets), path=result.path))


class ImportRosterDialog(_FileDialogBase):
    """Load a roster workbook (all or nothing); a refused file lists its problems by sheet and cell."""

    imported = Signal(object)  # services.rosters.imports.ImportSummary

    def __init__(self, ctx, path: str | Path | None = None, parent: QWidget | None = None):
        super().__init__(ctx, parent)
        self.ok_button.setText(self.tr("Import"))
        self.setObjectName("importRosterDialog")
        self.setWindowTitle(self.tr("Import a roster from Excel"))
        if path:
            self.path_edit.setText(str(path))
        explain = QLabel(self.tr("The whole file is checked first: if anything is wrong, nothing is changed "
                                 "and every problem is listed with its sheet and cell."), self)
        explain.setWordWrap(True)
        self.form.addRow(self.tr("File"), self.file_row)
        self.form_area.addWidget(explain)
        self.problems = QPlainTextEdit(self)
        self.problems.setObjectName("importProblems")
        self.problems.setReadOnly(True)
        self.problems.setMinimumHeight(140)
        self.problems.hide()
        self.form_area.addWidget(self.problems)
        self.finish_layout()

    def browse(self) -> None:  # pragma: no cover - a native modal file dialog
        name, _ = QFileDialog.getOpenFileName(self, self.tr("Open roster"), self.path_edit.text()
                                              or str(default_folder()), self.tr("Excel workbook (*.xlsx)"))
        if name:
            self.path_edit.setText(name)

    def prepare(self):
        text = self.path_edit.text().strip()
        if not text:
            self.fail(self.tr("Choose the roster file to import."), "path")
            return None
        self.problems.clear()
        self.problems.hide()
        db, actor, path = self.ctx.db, self.ctx.actor, Path(text).expanduser()
        progress = self.start()
        return lambda: imports.import_roster(db, actor, path, progress=progress)

    def keep_open_after(self, result: Any) -> bool:
        self.result = result
        self.done_view(str(result))
        self.imported.emit(result)
        return True

    def _failed(self, error: BaseException) -> None:
        super()._failed(error)
        if isinstance(error, imports.RosterImportError):
            self.fail(self.tr("{n} problems in the file; nothing was changed:").format(n=len(error.problems)))
            self.problems.setPlainText("\n".join(str(p) for p in error.problems))
            self.problems.show()
