"""Small pieces shared by the rosters and administration pages.

- ``call``: run a service function off the GUI thread and route the result or the error
  (``show_error`` by default, never a traceback; a widget closed meanwhile is left alone).
- ``show_error``: the one way a page says an action failed: its message bar (``messages``, the queue's
  console.common.widgets.MessageBar), or a message box in a window without one (a dialog).
- ``show_message``: a non-blocking message box (``open()``, never ``exec()``), so tests need no patching.
- ``TaskDialog``: a dialog whose OK runs a service call in the background; on an error it stays open
  and shows the message by the field it concerns (console.common.forms), so a change that failed is never
  shown as done.
- ``record_view``: the read-only table those pages show a RecordModel in.
- ``RecordModel``: console.common.tablemodel's model for small tables of frozen dataclasses.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

import shiboken6
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
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
from console.common.tablemodel import Column, RowTableModel
from console.common.tasks import user_message
from console.common.widgets import MessageBar

log = logging.getLogger(__name__)

INACTIVE = QColor("#8a8a8a")  # deactivated rows stay listed but greyed


def call(ctx, widget: QWidget, func: Callable[[], Any], on_ok: Callable[[Any], None] | None = None,
         on_error: Callable[[BaseException], None] | None = None) -> None:
    """``func()`` on a worker; then ``on_ok(result)`` or ``on_error(error)`` in the GUI thread.

    Without ``on_error`` the error is shown by ``show_error``.
    """
    def done(result: Any, error: BaseException | None) -> None:
        if not shiboken6.isValid(widget):
            return  # the page or dialog was closed while the database worked
        if error is not None:
            log.info("action failed: %s", user_message(error))
            if on_error is not None:
                on_error(error)
            else:
                show_error(widget, error)
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


def show_error(widget: QWidget, error: BaseException | str) -> None:
    """An action of ``widget`` failed: in the message bar (``messages``) of its page, the first widget up
    to its window that has one, kept until closed; in a message box when its window has none."""
    text = error if isinstance(error, str) else user_message(error)
    w: QWidget | None = widget
    while w is not None:
        bar = getattr(w, "messages", None)
        if isinstance(bar, MessageBar):
            bar.show_message(text, "error", seconds=0)
            return
        if w.isWindow():
            break
        w = w.parentWidget()
    show_message(widget, text)


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


class RecordModel(RowTableModel):
    """The small tables' model (administration, notifications, templates, the job service): the one table
    model (console.common.tablemodel: ``Column``, ID_ROLE/SORT_ROLE, in-place updates) over frozen
    dataclasses with an ``id`` (or ``key``), its columns given by the page with their titles translated.

    ``set_rows`` updates in place (``dataChanged``, rows inserted, rows removed) while the rows keep their
    order, and resets only when they moved; ``inactive`` rows stay listed, greyed. A cell's tooltip is its
    whole text (the columns are fitted, the last one takes what is left)."""

    def __init__(self, columns: Sequence[Column], parent=None, key: Callable[[Any], Any] = lambda r: r.id,
                 inactive: Callable[[Any], bool] | None = None):
        super().__init__(parent)
        self.columns = tuple(columns)
        self.row_id = key
        self._inactive = inactive

    def cell(self, i: int, column: int, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        col = self.columns[column]
        if role == Qt.ItemDataRole.DisplayRole or (role == Qt.ItemDataRole.ToolTipRole and col.tooltip is None):
            value = col.display(self.rows[i])
            return "" if value is None else str(value)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return col.align | Qt.AlignmentFlag.AlignVCenter
        return super().cell(i, column, role)

    def decorate(self, row, column: Column, role: int) -> Any:
        if role == Qt.ItemDataRole.ForegroundRole and self._inactive is not None and self._inactive(row):
            return INACTIVE
        return None

    def set_rows(self, rows: Sequence, keys: list[str] | None = None, *, checked: bool = False) -> None:
        rows = list(rows)
        key = self.row_id
        new, old = [key(r) for r in rows], [key(r) for r in self.rows]
        kept, known = set(new), set(old)
        if old and [k for k in old if k in kept] + [k for k in new if k not in known] == new:
            self.sync(rows)  # the same order: changed, new and gone rows in place
        else:
            super().set_rows(rows, keys, checked=checked)
