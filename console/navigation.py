"""The main window's left navigation over its pages: a page added at once, or built (and its loads
started) when first shown, so that pages the clerk has not opened do not compete with the queue's load
at start-up (tests/console/test_mainwindow.py: a page not shown reads nothing)."""
from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QStackedWidget, QWidget

from console.common.icons import icon


class Navigation:
    """``nav`` (the list, one item per page key) and ``stack`` (the pages, in the same order)."""

    def __init__(self, parent: QWidget):
        self.nav = QListWidget(parent)
        self.nav.setObjectName("nav")
        self.nav.setIconSize(QSize(22, 22))
        self.nav.setFixedWidth(166)
        self.stack = QStackedWidget(parent)
        self.stack.setObjectName("pages")
        self.pages: dict[str, QWidget] = {}  # the pages built so far: see page()
        self.items: dict[str, QListWidgetItem] = {}
        self._builders: dict[str, Callable[[], QWidget]] = {}  # the pages not shown yet
        self.nav.currentRowChanged.connect(self._row_chosen)

    def add(self, key: str, title: str, icon_name: str, page: QWidget) -> None:
        item = QListWidgetItem(icon(icon_name), title)
        item.setData(Qt.ItemDataRole.UserRole, key)
        item.setSizeHint(QSize(150, 44))
        self.nav.addItem(item)
        self.stack.addWidget(page)
        self.pages[key] = page
        self.items[key] = item

    def add_later(self, key: str, title: str, icon_name: str, build: Callable[[], QWidget]) -> None:
        """A page built by ``build`` when first shown (an empty widget holds its place until then)."""
        self.add(key, title, icon_name, QWidget(self.stack))
        del self.pages[key]
        self._builders[key] = build

    def page(self, key: str) -> QWidget:
        """The page under ``key``, built now if it was not yet shown (KeyError: not on this window)."""
        build = self._builders.pop(key, None)
        if build is not None:
            row = self.nav.row(self.items[key])
            placeholder = self.stack.widget(row)
            page = build()
            self.stack.insertWidget(row, page)
            self.stack.removeWidget(placeholder)
            placeholder.deleteLater()
            self.pages[key] = page
        return self.pages[key]

    def show(self, key: str) -> None:
        if key in self.items:
            self.nav.setCurrentItem(self.items[key])

    def current(self) -> str:
        item = self.nav.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else ""

    def _row_chosen(self, row: int) -> None:
        item = self.nav.item(row)
        if item is not None:
            self.page(item.data(Qt.ItemDataRole.UserRole))
        self.stack.setCurrentIndex(row)
