"""A form's errors shown by the field they concern, and gone as soon as that field is edited.

Every console form (the dialogs of the administration and rosters pages, the walk-in's patient
form, the rules and WeChat settings pages, the log-in) does the same with ``FieldErrors``:

    self.errors = FieldErrors(banner_label, self)
    form.addRow(self.tr("Code"), self.errors.field("code", self.code))  # the input, its error line under it
    ...
    self.errors.show(error)              # a service's ValidationError: by error.field, else in the banner
    self.errors.show(text, "password2")  # the form's own check

The names are the service's parameter names (``services.errors.ValidationError.field``), so a
service's refusal lands by the input it is about without the form knowing the message. A field's
error line sits right under its input, the input is outlined (``invalid`` property, style.qss) and
takes the focus; editing the input (or another that the error is about too: ``cleared_by``) clears
both. One error at a time: a new try's answer replaces the last. An error about no field (a colleague
changed the row first, no permission, the database is away) goes to the form's banner, which stays
until the next try, since no edit makes it untrue.
"""
from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

from PySide6.QtCore import QEvent, QObject, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSpinBox,
    QComboBox,
    QDateEdit,
    QDateTimeEdit,
    QDialog,
    QLabel,
    QLayout,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from console.common.tasks import user_message

log = logging.getLogger(__name__)


ERROR_RED = "#b3261e"


class _Outline(QWidget):
    """A red frame over a spin box or a time edit: a style sheet border would cost them their arrows
    (Qt then wants the arrows styled too). It follows its input and lets the mouse through."""

    def __init__(self, target: QWidget):
        super().__init__(target.parentWidget())
        self.setObjectName("fieldOutline")
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self._target = target
        target.installEventFilter(self)
        self._place()

    def _place(self) -> None:
        self.setGeometry(self._target.geometry())
        self.setVisible(self._target.isVisible())
        self.raise_()

    def eventFilter(self, _obj: QObject, event: QEvent) -> bool:
        if event.type() in (QEvent.Type.Move, QEvent.Type.Resize, QEvent.Type.Show, QEvent.Type.Hide):
            self._place()
        return False

    def paintEvent(self, _event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        pen = QPen(QColor(ERROR_RED))
        pen.setWidthF(1.5)
        painter.setPen(pen)
        painter.drawRoundedRect(QRectF(self.rect()).adjusted(0.75, 0.75, -0.75, -0.75), 3, 3)


def set_invalid(widget: QWidget, on: bool) -> None:
    """Outline ``widget`` as holding a wrong value (style.qss: ``[invalid="true"]``; a drawn frame over
    spin boxes and time edits), or not."""
    if bool(widget.property("invalid")) == on:
        return
    widget.setProperty("invalid", on)
    widget.style().unpolish(widget)
    widget.style().polish(widget)
    widget.update()
    if isinstance(widget, QAbstractSpinBox) and not isinstance(widget, QDateEdit):
        outline = getattr(widget, "_field_outline", None)
        if on and outline is None:
            widget._field_outline = _Outline(widget)
        elif not on and outline is not None:
            outline.deleteLater()
            widget._field_outline = None


def error_line(parent: QWidget | None = None) -> QLabel:
    """The red line under a field: wraps, hidden while empty."""
    label = QLabel(parent)
    label.setObjectName("fieldError")
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.hide()
    return label


def make_room(label: QLabel) -> None:
    """A dialog grows to show a message it did not show before, rather than squeeze its inputs."""
    window = label.window()
    layout = window.layout() if isinstance(window, QDialog) else None
    if layout is None:
        return  # a page: its own layout (and scroll area) makes the room
    layout.activate()
    width = window.width()
    need = layout.totalHeightForWidth(width) if layout.hasHeightForWidth() else layout.totalSizeHint().height()
    if need > window.height():
        window.resize(width, need)


def _edited_signals(widget: QWidget) -> list:
    """The signals that say ``widget``'s value changed (typed, picked, ticked, stepped)."""
    if isinstance(widget, QLineEdit):
        return [widget.textChanged]
    if isinstance(widget, (QPlainTextEdit, QTextEdit)):
        return [widget.textChanged]
    if isinstance(widget, QComboBox):
        return [widget.currentIndexChanged, widget.editTextChanged]
    if isinstance(widget, QDateTimeEdit):
        return [widget.dateTimeChanged]
    if isinstance(widget, QAbstractSpinBox):
        return [widget.valueChanged] if hasattr(widget, "valueChanged") else [widget.editingFinished]
    if isinstance(widget, QAbstractButton):
        return [widget.toggled]
    # a list: an item ticked or chosen; not its current row, which moves by itself when it takes the focus
    if isinstance(widget, QListWidget):
        return [widget.itemChanged, widget.itemSelectionChanged]
    if isinstance(widget, QAbstractItemView) and widget.selectionModel() is not None:
        return [widget.selectionModel().selectionChanged, widget.model().dataChanged]
    return []


class FieldErrors(QObject):
    """The error lines of one form, by field name, and its banner for errors about no field."""

    def __init__(self, banner: QLabel, parent: QObject | None = None):
        super().__init__(parent)
        self.banner = banner
        self._lines: dict[str, tuple[QLabel, tuple[QWidget, ...]]] = {}
        self._current: str | None = None  # the field whose error is shown (one at a time)
        self._quiet = 0

    # ---------------------------------------------------------------- building the form

    def field(self, name: str, item: QWidget | QLayout, *inputs: QWidget) -> QVBoxLayout:
        """``item`` (an input, or a layout holding a row of them) with ``name``'s error line under it;
        put the returned layout where ``item`` would have gone. ``inputs``: what is outlined and watched
        for edits (default: ``item`` itself)."""
        box = QVBoxLayout()
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(2)
        if isinstance(item, QLayout):
            box.addLayout(item)
        else:
            box.addWidget(item)
        if not inputs and isinstance(item, QWidget):
            inputs = (item,)
        box.addWidget(self.add_line(name, *inputs))
        return box

    def add_line(self, name: str, *inputs: QWidget) -> QLabel:
        """``name``'s error line, for a form that places it itself (a grid: the row under the input)."""
        line = error_line(self.parent() if isinstance(self.parent(), QWidget) else None)
        self.share(name, line, *inputs)
        return line

    def line(self, name: str) -> QLabel:
        """The error line of a field already added (to show another name on it: ``share``)."""
        return self._lines[name][0]

    def share(self, name: str, line: QLabel | str, *inputs: QWidget) -> None:
        """Show ``name``'s errors on an existing line (a QLabel, or the name that owns it), outlining
        ``inputs``: e.g. the end time on the line under a start–end row, or a table's cells under it."""
        label = self.line(line) if isinstance(line, str) else line
        self._lines[name] = (label, tuple(inputs))
        self.cleared_by(name, *inputs)

    def cleared_by(self, name: str, *widgets: QWidget) -> None:
        """Editing any of ``widgets`` clears ``name``'s error too: an error about inputs taken together
        (the slot length that does not divide the hours) goes when either is changed."""
        for widget in widgets:
            for signal in _edited_signals(widget):
                signal.connect(lambda *_args, n=name: self._edited(n))

    def inputs(self, name: str) -> tuple[QWidget, ...]:
        return self._lines[name][1]

    # ---------------------------------------------------------------- showing and clearing

    def show(self, error: BaseException | str, field: str | None = None) -> None:
        """An error by its field (``field``, else the error's own ``field``), or in the banner when it
        is about no field this form has. Earlier errors go: one try, one answer."""
        text = error if isinstance(error, str) else user_message(error)
        name = field or (None if isinstance(error, str) else getattr(error, "field", None))
        self.clear()
        if name in self._lines:
            label, inputs = self._lines[name]
            label.setText(text)
            label.show()
            make_room(label)
            for widget in inputs:
                set_invalid(widget, True)
            self._current = name
            target = next((w for w in inputs if w.isEnabled() and w.isVisible()
                           and w.focusPolicy() != Qt.FocusPolicy.NoFocus), None)
            if target is not None:
                target.setFocus(Qt.FocusReason.OtherFocusReason)
            return
        if name:
            log.info("form error about %s, which this form does not show: in the banner", name)
        self.banner.setText(text)
        self.banner.show()
        make_room(self.banner)

    def clear(self, name: str | None = None) -> None:
        """Hide the error of ``name`` (if it is the one shown), or every error and the banner."""
        if self._current is not None and name in (None, self._current):
            label, inputs = self._lines[self._current]
            label.hide()
            for widget in inputs:
                set_invalid(widget, False)
            self._current = None
        if name is None:
            self.banner.hide()

    def text(self, name: str = "") -> str:
        """The error shown by ``name`` now ('' when none); ``''``: the banner's."""
        if not name:
            return self.banner.text() if not self.banner.isHidden() else ""
        return self._lines[name][0].text() if name == self._current else ""

    def shown(self) -> str | None:
        """The name whose error is shown, '' for the banner, None when the form shows no error."""
        if self._current is not None:
            return self._current
        return "" if self.text() else None

    @contextlib.contextmanager
    def quietly(self) -> Iterator[None]:
        """The form changes its inputs itself (a reload): that is no edit, the errors stay."""
        self._quiet += 1
        try:
            yield
        finally:
            self._quiet -= 1

    def _edited(self, name: str) -> None:
        if not self._quiet and name == self._current:
            self.clear(name)
