"""“↓ 3 new requests below”: rows that arrived out of sight, said so, one click (or Enter) away.

New requests are appended at the bottom of the queue (oldest first), where a clerk working at the
top does not see them arrive. This button under a BookingTable counts the arrived rows that are
shown but below the visible part, and scrolls the first of them into view when clicked. It never
touches the selection: what the clerk chose stays chosen.
"""
from __future__ import annotations

import logging

from PySide6.QtWidgets import QAbstractItemView, QPushButton, QWidget

from console.common.booktable import BookingTable

log = logging.getLogger(__name__)


class NewBelowButton(QPushButton):
    def __init__(self, table: BookingTable, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("newBelow")
        self.table = table
        self._unseen: list[int] = []
        self.hide()
        self.clicked.connect(self.show_them)
        table.verticalScrollBar().valueChanged.connect(lambda _v: self.update_count())
        table.proxy.layoutChanged.connect(self.update_count)
        table.proxy.rowsRemoved.connect(self.update_count)

    def arrived(self, ids: list[int]) -> None:
        self._unseen += [i for i in ids if i not in self._unseen]
        self.update_count()

    def below(self) -> list[int]:
        """The arrived rows still out of sight below, in the order shown."""
        bottom = self.table.viewport().height()
        rows = []
        for i in self._unseen:
            p = self.table.proxy.row_of_id(i)
            if p >= 0 and self.table.rowViewportPosition(p) >= bottom:
                rows.append((p, i))
        return [i for _p, i in sorted(rows)]

    def update_count(self, *_args) -> None:
        self._unseen = self.below()  # seen once scrolled into view (or gone): no longer counted
        self.setText(self.tr("↓ %n new request(s) below", "", len(self._unseen)))
        self.setVisible(bool(self._unseen))

    def show_them(self) -> None:
        rows = self.below()
        if rows:
            p = self.table.proxy.row_of_id(rows[0])
            self.table.scrollTo(self.table.proxy.index(p, 0), QAbstractItemView.ScrollHint.PositionAtTop)
        self.update_count()
