"""What the queue and the day list share: a BookingTable under a search box, and the same keys to move
(J/K), mark (Space), search (/ and Ctrl+F; Enter or Esc back to the table) and read again (F5)."""
from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QAbstractSpinBox, QLineEdit, QWidget

from console.common.booktable import BookingTable
from console.common.widgets import SearchBox


class BookingPage(QWidget):
    """A subclass builds ``table`` and ``search_box`` and has ``reload()``."""
    table: BookingTable
    search_box: SearchBox

    def shortcut(self, keys: str, slot: Callable[[], object], *, on_table: bool) -> None:
        """``keys`` ('Ctrl+Return|Ctrl+Enter') run ``slot`` while the table has the focus (``on_table``),
        or anywhere on the page."""
        widget, context = ((self.table, Qt.ShortcutContext.WidgetShortcut) if on_table
                           else (self, Qt.ShortcutContext.WidgetWithChildrenShortcut))
        for k in keys.split("|"):
            sc = QShortcut(QKeySequence(k), widget)
            sc.setContext(context)
            sc.activated.connect(slot)

    def common_shortcuts(self) -> None:
        self.shortcut("J", lambda: self.table.step(1), on_table=True)
        self.shortcut("K", lambda: self.table.step(-1), on_table=True)
        self.shortcut("Space", self.table.toggle_mark, on_table=True)
        self.shortcut("/", self.focus_search, on_table=True)
        self.shortcut("Ctrl+F", self.focus_search, on_table=False)
        self.shortcut("F5", self.reload, on_table=False)

    def take_keyboard(self, *, current_row: bool = False) -> None:
        """The list takes the keyboard focus, so its keys work at once; with ``current_row`` the first row
        becomes the current one (not selected: nothing is chosen for the clerk). Not while the page is not
        shown, nor from the clerk typing somewhere (a search box)."""
        if not self.isVisible() or isinstance(self.window().focusWidget(), (QLineEdit, QAbstractSpinBox)):
            return
        self.table.setFocus(Qt.FocusReason.OtherFocusReason)
        proxy = self.table.proxy
        if current_row and not self.table.currentIndex().isValid() and proxy.rowCount():
            self.table.selectionModel().setCurrentIndex(proxy.index(0, 0), QItemSelectionModel.SelectionFlag.NoUpdate)

    def focus_search(self) -> None:
        self.search_box.setFocus()
        self.search_box.selectAll()

    def _leave_search(self) -> None:
        self.table.search(self.search_box.text(), now=True)
        self.table.setFocus()
        self.table.select_first_if_none()
