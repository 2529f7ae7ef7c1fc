"""Small pieces shared by the rosters and administration pages.

- ``call``: run a service function off the GUI thread and route the result or the error
  (errors become a message box, never a traceback; a widget closed meanwhile is left alone).
- ``show_message``: a non-blocking message box (``open()``, never ``exec()``), so tests need no patching.
- ``TaskDialog``: a dialog whose OK runs a service call in the background; on an error it stays open
  and shows the message by the field it concerns (console.common.forms), so a change that failed is never
  shown as done.
- ``record_view``: the read-only table those pages show a RecordModel in.
- ``RecordModel``: a table model over a list of frozen dataclasses with an id role and a sort role.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

import shiboken6
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QMessageBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from console.common.forms import FieldErrors
from console.common.tablemodel import ID_ROLE, SORT_ROLE, Column
from console.common.tasks import user_message

log = logging.getLogger(__name__)



def call(ctx, widget: QWidget, func: Callable[[], Any], on_ok: Callable[[Any], None] | None = None,
         on_error: Callable[[BaseException], None] | None = None) -> None:
    """``func()`` on a worker; then ``on_ok(result)`` or ``on_error(error)`` in the GUI thread.

    Without ``on_error`` the error is shown in a message box over ``widget``.
    """
    def done(result: Any, error: BaseException | None) -> None:
        if not shiboken6.isValid(widget):
            return  # the page or dialog was closed while the database worked
        if error is not None:
            log.info("action failed: %s", user_message(error))
            if on_error is not None:
                on_error(error)
            else:
                show_message(widget, user_message(error))
            return
        if on_ok is not None:
            on_ok(result)

    ctx.tasks.run_task(func, done)


def show_message(parent: QWidget, text: str, title: str | None = None,
                 icon: QMessageBox.Icon = QMessageBox.Icon.Warning) -> QMessageBox:
    """A window-modal message box opened with ``open()`` (the caller's event loop keeps running)."""
    box = QMessageBox(icon, title or parent.window().windowTitle() or "regdesk", text,
                      QMessageBox.StandardButton.Ok, parent)
    box.setObjectName("pageMessage")
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()
    return box


def error_label(parent: QWidget | None = None) -> QLabel:
    """The inline error line of a dialog: red, wrapping, hidden while empty."""
    label = QLabel(parent)
    label.setObjectName("dialogError")
    label.setWordWrap(True)
    label.setStyleSheet("color: #b3261e;")
    label.hide()
    return label


class TaskDialog(QDialog):
    """A dialog whose OK runs ``work()`` (from ``prepare``) in the background.

    Subclasses build their form into ``self.form_area`` (a QVBoxLayout), each input through
    ``self.errors.field(name, widget)`` (console.common.forms: its error line under it), and implement
    ``prepare() -> Callable | None`` (None when the input is wrong; call ``self.fail(msg, field)`` first).
    ``done_ok(result)`` is emitted and the dialog accepted only when the service call succeeded.
    """

    done_ok = Signal(object)

    def __init__(self, ctx, parent: QWidget | None = None, ok_text: str | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.setModal(True)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        outer = QVBoxLayout(self)
        self.form_area = QVBoxLayout()
        outer.addLayout(self.form_area)
        self.error = error_label(self)  # the banner: errors about no field
        outer.addWidget(self.error)
        self.errors = FieldErrors(self.error, self)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel, self)
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setObjectName("dialogOk")
        if ok_text:
            self.ok_button.setText(ok_text)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        outer.addWidget(self.buttons)
        self.busy = False

    def prepare(self) -> Callable[[], Any] | None:  # pragma: no cover - overridden
        raise NotImplementedError

    def fail(self, message: str, field: str | None = None) -> None:
        """Say what is wrong: by ``field``'s input when given (and added), else in the banner."""
        self.errors.show(message, field)

    def submit(self) -> None:
        if self.busy:
            return
        self.errors.clear()
        work = self.prepare()
        if work is None:
            return
        self.busy = True
        self.ok_button.setEnabled(False)
        call(self.ctx, self, work, self._succeeded, self._failed)

    def _succeeded(self, result: Any) -> None:
        self.busy = False
        self.ok_button.setEnabled(True)
        self.done_ok.emit(result)
        if not self.keep_open_after(result):
            self.accept()

    def keep_open_after(self, result: Any) -> bool:
        """Override to keep the dialog open after success (e.g. to show a summary)."""
        return False

    def _failed(self, error: BaseException) -> None:
        self.busy = False
        self.ok_button.setEnabled(True)
        self.errors.show(error)  # a ValidationError by its field, anything else in the banner


def fit_columns(view) -> None:
    """Columns as wide as their contents, the last one taking the rest (small tables: a few hundred rows)."""
    header = view.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setStretchLastSection(True)


def record_view(parent: QWidget, model, sort: Qt.SortOrder | None = None, *, many: bool = False) -> QTableView:
    """A read-only table of a RecordModel (or its sorting proxy): whole rows are selected, one (``many``: several);
    no row numbers; sorted by its first column in ``sort`` order, when given, and by a click on a column."""
    view = QTableView(parent)
    view.setModel(model)
    if sort is not None:
        view.setSortingEnabled(True)
        view.sortByColumn(0, sort)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection if many
                          else QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.verticalHeader().hide()
    return view


class RecordModel(QAbstractTableModel):
    """Rows are frozen dataclasses with an ``id``; one column per console.common.tablemodel ``Column`` (its title
    already translated by the page).

    ``set_rows`` keeps the model in place when the same ids come back (``dataChanged`` only),
    appends with ``beginInsertRows``, and resets only when rows went away or moved.
    """

    def __init__(self, columns: Sequence[Column], parent=None, key: Callable[[Any], Any] = lambda r: r.id,
                 inactive: Callable[[Any], bool] | None = None):
        super().__init__(parent)
        self._columns = list(columns)
        self._rows: list[Any] = []
        self._key = key
        self._inactive = inactive

    # -- Qt interface
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._columns)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal \
                and 0 <= section < len(self._columns):
            return self._columns[section].title
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or index.row() >= len(self._rows) or index.column() >= len(self._columns):
            return None
        row, col = self._rows[index.row()], self._columns[index.column()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            value = col.display(row)  # the tooltip: the whole text of a cell too narrow for it
            return "" if value is None else str(value)
        if role == ID_ROLE:
            return self._key(row)
        if role == SORT_ROLE:
            return (col.sort or col.display)(row)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(col.align | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole and self._inactive is not None and self._inactive(row):
            from PySide6.QtGui import QColor
            return QColor("#8a8a8a")  # deactivated rows stay listed but greyed
        return None

    # -- ours
    def rows(self) -> list[Any]:
        return list(self._rows)

    def row_at(self, row: int) -> Any | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def row_of(self, key: Any) -> int:
        for i, r in enumerate(self._rows):
            if self._key(r) == key:
                return i
        return -1

    def set_rows(self, rows: Sequence[Any]) -> None:
        rows = list(rows)
        old = [self._key(r) for r in self._rows]
        new = [self._key(r) for r in rows]
        if new[:len(old)] == old and self._rows:
            for i, (a, b) in enumerate(zip(self._rows, rows, strict=False)):
                if a != b:
                    self._rows[i] = b
                    self.dataChanged.emit(self.index(i, 0), self.index(i, len(self._columns) - 1))
            if len(new) > len(old):
                self.beginInsertRows(QModelIndex(), len(old), len(new) - 1)
                self._rows.extend(rows[len(old):])
                self.endInsertRows()
            return
        self.beginResetModel()
        self._rows = rows
        self.endResetModel()
