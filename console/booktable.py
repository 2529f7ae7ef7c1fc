"""The table view under the queue and the day list: rows selected by booking id, search, keyboard.

The view sits on a RowFilterProxy over the page's RowTableModel. Everything the pages do
with rows goes through booking ids (``selected_ids``, ``select_id``), never through row
numbers, because rows move while a clerk works: new requests arrive, others leave.
"""
from __future__ import annotations

import logging

from PySide6.QtCore import QByteArray, QItemSelectionModel, Qt, QTimer
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from console.rowproxy import RowFilterProxy
from console.tablemodel import RowTableModel

log = logging.getLogger(__name__)

ROW_HEIGHT = 30


def touched_booking_ids(changes, rows) -> set[int]:
    """The bookings a batch of live changes (services.sync.Change) may have altered: the changed
    bookings themselves, and every shown row in a changed slot or session, whose places left (or
    doctor, after a substitution) may have moved with them."""
    ids, slots, sessions = set(), set(), set()
    for c in changes:
        if c.entity == "booking":
            ids.add(int(c.entity_id))
            if c.slot_id is not None:
                slots.add(c.slot_id)
        elif c.entity == "slot":
            slots.add(int(c.entity_id))
        elif c.entity == "session":
            sessions.add(int(c.entity_id))
    if slots or sessions:
        ids |= {r.booking_id for r in rows if r.slot_id in slots or r.session_id in sessions}
    return ids


class BookingTable(QTableView):
    def __init__(self, model: RowTableModel, parent: QWidget | None = None, *, sort_column: int = -1):
        super().__init__(parent)
        self.source = model
        self.proxy = RowFilterProxy(self)
        self.proxy.setSourceModel(model)
        self.setModel(self.proxy)
        self.setObjectName("bookingTable")
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        self.setShowGrid(False)
        self.setCornerButtonEnabled(False)
        self.setTabKeyNavigation(False)
        # letters are shortcuts here (A approve, R reject...): keep a Chinese input method from
        # swallowing them while the table has the focus; the search box still takes Chinese
        self.setAttribute(Qt.WidgetAttribute.WA_InputMethodEnabled, False)
        vh = self.verticalHeader()
        vh.hide()
        vh.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vh.setDefaultSectionSize(ROW_HEIGHT)
        hh = self.horizontalHeader()
        hh.setHighlightSections(False)
        hh.setStretchLastSection(True)
        hh.setSectionsMovable(True)
        for i, col in enumerate(model.columns):
            if col.width:
                hh.resizeSection(i, col.width)
        if sort_column >= 0:
            hh.setSortIndicator(sort_column, Qt.SortOrder.AscendingOrder)
        self.setSortingEnabled(True)
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(120)  # type on; search when the clerk pauses
        self._search_text = ""
        self._search_timer.timeout.connect(lambda: self.proxy.set_filter_text(self._search_text))

    # ---------------------------------------------------------------- rows by id

    def current_id(self) -> int | None:
        idx = self.currentIndex()
        if not idx.isValid() or not self.selectionModel().isRowSelected(idx.row()):
            rows = self.selectionModel().selectedRows()
            if not rows:
                return None
            idx = rows[0]
        return self.proxy.id_at(idx.row())

    def current_row(self):
        rid = self.current_id()
        if rid is None:
            return None
        i = self.source.index_of(rid)
        return self.source.row_at(i) if i >= 0 else None

    def selected_ids(self) -> list[int]:
        """The selected bookings in the order shown."""
        rows = sorted(i.row() for i in self.selectionModel().selectedRows())
        return [self.proxy.id_at(r) for r in rows]

    def select_id(self, row_id: int, *, add: bool = False) -> bool:
        p = self.proxy.row_of_id(row_id)
        if p < 0:
            return False
        flags = QItemSelectionModel.SelectionFlag.Rows | (
            QItemSelectionModel.SelectionFlag.Select if add else QItemSelectionModel.SelectionFlag.ClearAndSelect)
        self.selectionModel().setCurrentIndex(self.proxy.index(p, 0), flags)
        self.scrollTo(self.proxy.index(p, 0))
        return True

    def select_row(self, p: int) -> None:
        p = max(0, min(p, self.proxy.rowCount() - 1))
        if self.proxy.rowCount():
            self.selectionModel().setCurrentIndex(
                self.proxy.index(p, 0),
                QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
            self.scrollTo(self.proxy.index(p, 0))

    def step(self, delta: int) -> None:
        """Next/previous row (J/K), the selection following."""
        cur = self.currentIndex()
        self.select_row((cur.row() + delta) if cur.isValid() else 0)

    def toggle_current(self) -> None:
        """Space: add the current row to the selection or take it out (several at once)."""
        cur = self.currentIndex()
        if not cur.isValid():
            return
        self.selectionModel().select(cur, QItemSelectionModel.SelectionFlag.Toggle
                                     | QItemSelectionModel.SelectionFlag.Rows)

    def ensure_current(self) -> None:
        """After rows left (decided), keep a row selected so the clerk can go on with the keyboard."""
        if self.selectionModel().selectedRows() or not self.proxy.rowCount():
            return
        cur = self.currentIndex()
        self.select_row(cur.row() if cur.isValid() else 0)

    # ---------------------------------------------------------------- search and state

    def search(self, text: str, *, now: bool = False) -> None:
        self._search_text = text
        if now:
            self._search_timer.stop()
            self.proxy.set_filter_text(text)
        else:
            self._search_timer.start()

    def header_state(self) -> QByteArray:
        return self.horizontalHeader().saveState()

    def restore_header(self, state: QByteArray) -> None:
        if state and not state.isEmpty():
            self.horizontalHeader().restoreState(state)
