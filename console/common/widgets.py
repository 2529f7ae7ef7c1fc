"""Small widgets shared by the console's pages: an inline message bar, a search box, a date picker's
calendar, and what waits for a widget's next paint (after_paint).

A clerk should never have to dismiss a dialog to learn that a colleague decided a request
first: such news goes into the page's message bar, which fades after a while.
"""
from __future__ import annotations

import logging

from PySide6.QtCore import QEvent, QLocale, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QCalendarWidget,
    QDateEdit,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QToolButton,
    QWidget,
)

log = logging.getLogger(__name__)


def text_label(parent: QWidget, name: str, text: str = "", *, rich: bool = False, selectable: bool = False,
               top: bool = False) -> QLabel:
    """A word-wrapped label named ``name`` (for the style sheet and the tests): ``rich`` text,
    ``selectable`` by the mouse (a message the clerk may copy), aligned ``top``-left."""
    label = QLabel(text, parent)
    label.setObjectName(name)
    label.setWordWrap(True)
    if rich:
        label.setTextFormat(Qt.TextFormat.RichText)
    if selectable:
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    if top:
        label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
    return label


def open_dialog(owner, dialog) -> None:
    """Open (never exec) ``dialog`` as ``owner.dialog``, the dialog open now; ``owner.dialog`` goes
    back to None as soon as that dialog finishes, so nothing keeps a dialog Qt is about to delete."""
    owner.dialog = dialog
    dialog.finished.connect(lambda _result, d=dialog: setattr(owner, "dialog", None) if owner.dialog is d else None)
    dialog.open()


def set_role(widget: QWidget, role: str) -> None:
    """The style sheet's button roles (primary, danger); re-polished, since a dialog button box
    polishes its buttons when it creates them."""
    widget.setProperty("role", role)
    widget.style().unpolish(widget)
    widget.style().polish(widget)


def primary_ok(buttons: QDialogButtonBox, name: str, text: str) -> QPushButton:
    """``buttons``' OK button as the form's primary action: named ``name``, saying ``text``."""
    ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
    ok.setObjectName(name)
    ok.setText(text)
    set_role(ok, "primary")
    return ok


class _AfterPaint(QObject):
    def __init__(self, widget: QWidget, then, at_most_ms: int):
        super().__init__(widget)
        self.widget, self.then = widget, then
        widget.installEventFilter(self)
        QTimer.singleShot(at_most_ms, self, self._go)  # a window minimized or covered may not paint soon

    def eventFilter(self, obj, event) -> bool:
        if event.type() == QEvent.Type.Paint:
            QTimer.singleShot(0, self, self._go)  # once the paint is done
        return False

    def _go(self) -> None:
        if self.then is not None:
            then, self.then = self.then, None
            self.widget.removeEventFilter(self)
            self.deleteLater()
            then()


def after_paint(widget: QWidget, then, at_most_ms: int = 1000) -> None:
    """Call ``then()`` once, right after ``widget`` next paints itself (on the screen, not merely queued),
    or after ``at_most_ms`` if it does not paint by then: work that can wait for the clerk's first look.
    Never if ``widget`` is destroyed first."""
    _AfterPaint(widget, then, at_most_ms)


def calendar_popup(edit: QDateEdit) -> QDateEdit:
    """``edit`` with a calendar popup whose weekday header can be read: one character a day in Chinese
    (一 二 … 日; the short names, 周一, do not fit a day's column and showed as "…"), the short names in
    other languages, Monday first, no week numbers, and the popup as large as its seven columns need."""
    edit.setCalendarPopup(True)
    calendar = QCalendarWidget(edit)
    calendar.setObjectName("datePopup")
    locale = edit.locale()
    calendar.setLocale(locale)
    formats = QCalendarWidget.HorizontalHeaderFormat
    calendar.setHorizontalHeaderFormat(formats.SingleLetterDayNames if locale.language() == QLocale.Language.Chinese
                                       else formats.ShortDayNames)
    calendar.setVerticalHeaderFormat(QCalendarWidget.VerticalHeaderFormat.NoVerticalHeader)
    calendar.setFirstDayOfWeek(Qt.DayOfWeek.Monday)
    fm = calendar.fontMetrics()
    names = [locale.dayName(d, QLocale.FormatType.ShortFormat) for d in range(1, 8)]
    column = max(fm.horizontalAdvance(t) for t in [*names, "30"]) + 18
    calendar.setMinimumSize(max(calendar.sizeHint().width(), 7 * column + 8),
                            max(calendar.sizeHint().height(), 8 * (fm.height() + 12)))
    edit.setCalendarWidget(calendar)
    return edit


class Bar(QWidget):
    """A strip across a page or the window, coloured by style.qss after its object ``name``: a word-wrapped
    ``label`` named ``text_name`` takes the room, and a subclass adds what stands at its right end to ``row``."""

    def __init__(self, name: str, text_name: str, margins: tuple[int, int, int, int], parent: QWidget | None = None,
                 *, selectable: bool = False):
        super().__init__(parent)
        self.setObjectName(name)
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.row = QHBoxLayout(self)
        self.row.setContentsMargins(*margins)
        self.label = text_label(self, text_name, selectable=selectable)
        self.row.addWidget(self.label, 1)


class MessageBar(Bar):
    """One line of news above a table: info (green), warning (amber), error (red)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__("messageBar", "messageText", (10, 4, 4, 4), parent, selectable=True)
        close = QToolButton(self)
        close.setObjectName("messageClose")
        close.setText("×")
        close.setAutoRaise(True)
        close.setToolTip(self.tr("Close"))
        close.clicked.connect(self.hide)
        self.row.addWidget(close)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.hide)
        self.hide()

    def show_message(self, text: str, kind: str = "info", seconds: float = 8.0) -> None:
        self.setProperty("kind", kind)
        self.style().unpolish(self)
        self.style().polish(self)
        self.label.setText(text)
        self.show()
        if seconds > 0:
            self._timer.start(int(seconds * 1000))
        else:
            self._timer.stop()

    def text(self) -> str:
        return self.label.text() if self.isVisible() else ""


class SearchBox(QLineEdit):
    """Esc clears and hands the focus back; Enter/Down go to the table."""

    leave = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("searchBox")
        self.setClearButtonEnabled(True)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self.clear()
            self.leave.emit()
            return
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Down) and not (
                event.modifiers() & Qt.KeyboardModifier.ControlModifier):
            self.leave.emit()  # Ctrl+Enter is the page's approve/check-in, never "go to the results"
            return
        super().keyPressEvent(event)
