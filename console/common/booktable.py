"""The table view under the queue and the day list: rows selected by booking id, search, keyboard.

The view sits on a RowFilterProxy over the page's RowTableModel. Everything the pages do
with rows goes through booking ids (``selected_ids``, ``select_id``), never through row
numbers, because rows move while a clerk works: new requests arrive, others leave.

What an action takes (``target_ids``) is what the clerk sees chosen: the marked rows (Space)
that are shown, when there are marks, else the selected rows that are shown. The current row
(``current_id``, the detail pane's) is the current index only while it is selected. Nothing here
selects a row on its own: a filter that hides the selected row, a sort, rows arriving or leaving
leave the selection to the clerk (Qt keeps it on rows still shown, and drops it from rows gone).
``targetsChanged`` tells the page every time any of this may have changed, including the layout
changes after which QItemSelectionModel says nothing.

Column widths: each column is fitted to its title and rows when the first rows are shown, unless
the clerk's own widths were saved for these very columns (``restore_layout``); a column whose
content grew since its width was saved (a newer ``Column.version``) is fitted again. A cell still
too narrow for its text (a long note, a narrowed column) elides it and shows the whole in a tooltip.
"""
from __future__ import annotations

import heapq
import logging

from PySide6.QtCore import QByteArray, QEvent, QItemSelectionModel, QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QToolTip,
    QWidget,
)

from console.common.rowproxy import RowFilterProxy
from console.common.tablemodel import MARKED_ROLE, RowTableModel

log = logging.getLogger(__name__)

ROW_HEIGHT = 30
MAX_FIT = 300  # a column fitted to its rows is never wider than this; a longer text elides (tooltip)
FIT_ROWS, FIT_TAIL, FIT_SPREAD = 100, 20, 100  # the rows a column is fitted to: _fit_sample
FIT_MEASURED = 6  # the longest texts of a column (by UTF-8 length) measured with the font


MARK_TINT = QColor("#fff1b8")  # a marked row's background (the selection's colour wins while selected)
MARK_BAR = QColor("#1d4ed8")  # and a bar at its left edge, seen even on a selected row


class MarkDelegate(QStyledItemDelegate):
    """Paints marked rows. The style sheet's ``QTableView::item`` rule makes Qt ignore a model's
    BackgroundRole, so the tint is painted here, under the item (the selection still draws over it)."""

    def paint(self, painter, option, index) -> None:
        if index.data(MARKED_ROLE):
            painter.fillRect(option.rect, MARK_TINT)
            if index.column() == 0:
                painter.fillRect(option.rect.adjusted(0, 0, 4 - option.rect.width(), 0), MARK_BAR)
        super().paint(painter, option, index)

    def helpEvent(self, event, view, option, index) -> bool:
        """A cell without a tooltip of its own whose text is elided: the whole text as its tooltip."""
        if event.type() == QEvent.Type.ToolTip and index.isValid() and index.data(Qt.ItemDataRole.ToolTipRole) is None:
            text = index.data(Qt.ItemDataRole.DisplayRole)
            if text and elided(view, option, index):
                QToolTip.showText(event.globalPos(), str(text), view)
                return True
        return super().helpEvent(event, view, option, index)


def give_way(sizes: list[int], over: int, floors: list[int]) -> list[int]:
    """``sizes`` made ``over`` pixels narrower in all, the widest first (down to one common width), none
    below its floor (nor below its own size, if smaller)."""
    def capped(cap: int) -> list[int]:
        return [min(s, max(cap, f)) for s, f in zip(sizes, floors, strict=True)]
    if sum(sizes) - sum(capped(0)) <= over:
        return capped(0)
    lo, hi = 0, max(sizes)  # the largest common cap that still takes off ``over``
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if sum(sizes) - sum(capped(mid)) >= over else (lo, mid)
    return capped(lo)


def elided(view: QAbstractItemView, option: QStyleOptionViewItem, index: QModelIndex) -> bool:
    """Whether the cell's text is wider than the room its column leaves it (the style's padding counted)."""
    opt = QStyleOptionViewItem(option)
    view.itemDelegateForIndex(index).initStyleOption(opt, index)
    style = view.style()
    room = style.subElementRect(QStyle.SubElement.SE_ItemViewItemText, opt, view).width()
    margin = style.pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, view) + 1
    return opt.fontMetrics.horizontalAdvance(opt.text) > room - 2 * margin


class BookingTable(QTableView):
    # the selection, the current row, the marks or the rows shown changed: the page re-reads
    # target_ids()/current_row() for its buttons and detail pane
    targetsChanged = Signal()

    def __init__(self, model: RowTableModel, parent: QWidget | None = None, *, sort_column: int = -1):
        super().__init__(parent)
        self.source = model
        self.proxy = RowFilterProxy(self)
        self.proxy.setSourceModel(model)
        self.setModel(self.proxy)
        self.setObjectName("bookingTable")
        self.setItemDelegate(MarkDelegate(self))
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
        self._to_fit = set(range(len(model.columns)))  # fitted to their rows once there are rows
        self._natural: dict[int, int] = {}  # fitted widths of the free-text columns, while they may give way
        self._sizing = False  # our own resizeSection calls, not the clerk's
        if sort_column >= 0:
            hh.setSortIndicator(sort_column, Qt.SortOrder.AscendingOrder)
        self.setSortingEnabled(True)
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(120)  # type on; search when the clerk pauses
        self._search_text = ""
        self._search_timer.timeout.connect(lambda: self.proxy.set_filter_text(self._search_text))
        sm = self.selectionModel()
        for sig in (sm.selectionChanged, sm.currentChanged, self.proxy.layoutChanged, self.proxy.rowsRemoved,
                    self.proxy.rowsInserted, self.proxy.modelReset, self.proxy.dataChanged, model.marksChanged):
            sig.connect(self._targets_may_have_changed)
        for sig in (self.proxy.rowsInserted, self.proxy.modelReset, self.proxy.layoutChanged):
            sig.connect(self._fit_pending)
        hh.sortIndicatorChanged.connect(self._room_for_arrow)
        hh.sectionResized.connect(self._resized_by_hand)

    def _targets_may_have_changed(self, *_args) -> None:
        self.targetsChanged.emit()

    # ---------------------------------------------------------------- rows by id

    def current_id(self) -> int | None:
        """The current row's id while that row is selected (what the detail pane shows), else None."""
        idx = self.currentIndex()
        if not idx.isValid() or not self.selectionModel().isRowSelected(idx.row(), QModelIndex()):
            return None
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

    def marked_ids(self) -> list[int]:
        """The marked bookings that are shown, in the order shown."""
        shown = [(p, i) for i in self.source.marked if (p := self.proxy.row_of_id(i)) >= 0]
        return [i for _p, i in sorted(shown)]

    def hidden_marks(self) -> int:
        """Marked bookings the search or a filter hides (never acted on)."""
        return len(self.source.marked) - len(self.marked_ids())

    def target_ids(self) -> list[int]:
        """What an action acts on: the marked rows shown, when anything is marked; else the selected rows."""
        return self.marked_ids() if self.source.marked else self.selected_ids()

    def select_id(self, row_id: int, *, add: bool = False) -> bool:
        p = self.proxy.row_of_id(row_id)
        if p < 0:
            return False
        flags = QItemSelectionModel.SelectionFlag.Rows | (
            QItemSelectionModel.SelectionFlag.Select if add else QItemSelectionModel.SelectionFlag.ClearAndSelect)
        self.selectionModel().setCurrentIndex(self.proxy.index(p, 0), flags)
        self.scrollTo(self.proxy.index(p, 0))
        return True

    def select_after(self, ids, skip) -> None:
        """Select the first row shown below the last of ``ids`` that is not in ``skip`` (the clerk goes on while
        the database works on ``ids``)."""
        rows = [r for r in (self.proxy.row_of_id(i) for i in ids) if r >= 0]
        if not rows:
            return
        after = max(rows) + 1
        while after < self.proxy.rowCount() and self.proxy.id_at(after) in skip:
            after += 1
        if after < self.proxy.rowCount():
            self.select_id(self.proxy.id_at(after))

    def select_row(self, p: int) -> None:
        p = max(0, min(p, self.proxy.rowCount() - 1))
        if self.proxy.rowCount():
            self.selectionModel().setCurrentIndex(
                self.proxy.index(p, 0),
                QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
            self.scrollTo(self.proxy.index(p, 0))

    def step(self, delta: int) -> None:
        """Next/previous row (J/K), the selection following. From a current row that is not selected
        (Qt moves the current index off a row that left) the first step selects that row itself."""
        cur = self.currentIndex()
        if not cur.isValid():
            self.select_row(0 if delta > 0 else self.proxy.rowCount() - 1)
        elif not self.selectionModel().isRowSelected(cur.row(), QModelIndex()):
            self.select_row(cur.row())
        else:
            self.select_row(cur.row() + delta)

    def toggle_mark(self) -> None:
        """Space: mark the current row, or take its mark off (approve or check in several at once)."""
        rid = self.current_id()
        if rid is not None:
            self.source.set_marked([rid], rid not in self.source.marked)

    def select_first_if_none(self) -> None:
        """Enter from the search box: go to the results, the first one chosen if none is (the clerk's act)."""
        if not self.selectionModel().selectedRows() and self.proxy.rowCount():
            self.select_row(0)

    def keyPressEvent(self, event) -> None:
        if event.key() == Qt.Key.Key_Escape and self.source.marked and not event.modifiers():
            self.source.clear_marks()
            return
        super().keyPressEvent(event)

    # ---------------------------------------------------------------- search and state

    def search(self, text: str, *, now: bool = False) -> None:
        self._search_text = text
        if now:
            self._search_timer.stop()
            self.proxy.set_filter_text(text)
        else:
            self._search_timer.start()

    def flush_search(self) -> None:
        """Apply at once a search typed but still waiting for the pause (before reading what is shown)."""
        if self._search_timer.isActive():
            self.search(self._search_text, now=True)

    # ---------------------------------------------------------------- column layout

    def header_state(self) -> QByteArray:
        return self.horizontalHeader().saveState()

    def layout_keys(self) -> str:
        """The columns the header state is saved with: keys and versions ('id,requested@2,...')."""
        return ",".join(c.layout_key for c in self.source.columns)

    def restore_layout(self, state: QByteArray | None, keys: str) -> bool:
        """Order, widths, hidden columns and sort as saved, if saved with these columns (``keys``: the
        ``layout_keys`` of then); a column whose version is newer than the one saved is fitted to its
        rows again, the other widths are the clerk's and stay. False when nothing was restored."""
        saved = keys.split(",") if keys else []
        columns = self.source.columns
        if not state or state.isEmpty() or [k.split("@")[0] for k in saved] != [c.key for c in columns]:
            return False
        if not self.horizontalHeader().restoreState(state):
            return False
        self._to_fit = {i for i, (k, c) in enumerate(zip(saved, columns, strict=False)) if k != c.layout_key}
        self._fit_pending()
        return True

    def _fit_pending(self, *_args) -> None:
        """Fit the columns waiting for rows (all of them the first time, unless a layout was restored).
        A title gets room for the sort arrow only in the column sorted by: Qt's size hint keeps that room
        in every column, 20 pixels each, which at 1366 pushed the last columns out of sight."""
        if not self._to_fit or not self.proxy.rowCount():
            return
        header = self.horizontalHeader()
        arrow = self._arrow_room()
        fitted = [i for i in sorted(self._to_fit) if not header.isSectionHidden(i)]
        widths = {}
        sample = self._fit_sample()
        for i in fitted:
            title = header.sectionSizeHint(i) - (0 if i == header.sortIndicatorSection() else arrow)
            widths[i] = min(MAX_FIT, max(title, self._content_width(i, sample)))
        self._to_fit = set()
        self._natural = {i: w for i, w in widths.items() if self.source.columns[i].elastic}
        self._set_widths(widths)
        self._give_way()

    def _content_width(self, column: int, sample: list[tuple[int, object]]) -> int:
        """What Qt's sizeHintForColumn gives over ``rows`` (a sample of those shown), at a fraction of its
        cost: Qt asks the delegate (and through it the model, a dozen roles) for every row, 70 ms a column
        on the 2-core machine; here the FIT_MEASURED longest distinct texts (by their UTF-8 length, where a
        Chinese character counts as much as a wide Latin pair) are measured with the font, and the delegate
        is asked only for the widest one."""
        display = self.source.columns[column].display
        rough: dict[str, tuple[int, int]] = {}  # text -> (its UTF-8 length: a CJK character counts 3, a digit 1; row)
        for p, row in sample:
            text = display(row)
            if text not in rough:
                rough[text] = (len(text.encode()), p)
        if not rough:
            return 0
        # only the few longest are measured (a font metric call each); the widest of them asks the delegate
        metrics = self.fontMetrics()
        longest = heapq.nlargest(FIT_MEASURED, rough.items(), key=lambda kv: kv[1][0])
        _width, at = max((metrics.horizontalAdvance(text), p) for text, (_n, p) in longest)
        return self.sizeHintForIndex(self.proxy.index(at, column)).width()

    def _fit_sample(self) -> list[tuple[int, object]]:
        """(proxy row, row) of the rows a column is fitted to: the first FIT_ROWS shown (five screens), the
        last FIT_TAIL (the longest numbers, when sorted by one) and FIT_SPREAD spread evenly between (a
        day sorted by time holds every department all along: 耳鼻喉科 need not be among the first)."""
        n, proxy = self.proxy.rowCount(), self.proxy
        if n <= FIT_ROWS + FIT_TAIL + FIT_SPREAD:
            shown = range(n)
        else:
            step = (n - FIT_ROWS - FIT_TAIL) / FIT_SPREAD
            shown = [*range(FIT_ROWS), *(FIT_ROWS + int(k * step) for k in range(FIT_SPREAD)), *range(n - FIT_TAIL, n)]
        return [(p, proxy.row_at(p)) for p in shown]

    def _set_widths(self, widths: dict[int, int]) -> None:
        self._sizing = True
        try:
            for i, w in widths.items():
                self.horizontalHeader().resizeSection(i, w)
        finally:
            self._sizing = False

    def _give_way(self) -> None:
        """The fitted free-text columns as wide as their rows, or narrower (the widest first, down to
        their ``Column.elastic`` characters) when the list is wider than its place; again at each resize
        of the window, until the clerk sets a column's width by hand. The last column stretches over what
        the others leave. What does not fit elides, the whole text in a tooltip."""
        if not self._natural:
            return
        header = self.horizontalHeader()
        em = self.fontMetrics().horizontalAdvance("字")
        # n characters and the "…" after them, with the cell's padding (4 + 4) and Qt's text margins (3 + 3),
        # and a little to spare: at exactly that width the elision sometimes left "…" alone
        floors = {i: em * (self.source.columns[i].elastic + 1) + 18 for i in self._natural}
        last = header.logicalIndex(header.count() - 1)  # it stretches over what the others leave
        widths = dict(self._natural)
        if last in widths:
            widths[last] = floors[last]
        self._set_widths(widths)
        # what the columns take besides the last, which stretches over the rest (header.length() would
        # still count the last at its old stretched width: Qt resizes it later)
        taken = sum(header.sectionSize(i) for i in range(header.count()) if i != last and not header.isSectionHidden(i))
        over = taken + floors.get(last, header.minimumSectionSize()) - self.viewport().width()
        names = [i for i in widths if i != last]
        if over > 0 and names:
            narrower = give_way([widths[i] for i in names], over, [floors[i] for i in names])
            self._set_widths(dict(zip(names, narrower, strict=True)))

    def _resized_by_hand(self, section: int, _old: int, _new: int) -> None:
        header = self.horizontalHeader()
        if not self._sizing and section != header.logicalIndex(header.count() - 1):
            self._natural = {}  # the clerk's widths from now on

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._give_way()

    def _arrow_room(self) -> int:
        """How much wider Qt's size hint makes a title for its sort arrow."""
        header = self.horizontalHeader()
        with_arrow = header.sectionSizeHint(0)
        header.setSortIndicatorShown(False)
        without = header.sectionSizeHint(0)
        header.setSortIndicatorShown(True)
        return max(0, with_arrow - without)

    def _room_for_arrow(self, section: int, _order) -> None:
        """Sorted by another column: its title keeps room for the arrow beside it (never "就…▲")."""
        header = self.horizontalHeader()
        if 0 <= section < header.count() and header.sectionSize(section) < header.sectionSizeHint(section):
            header.resizeSection(section, header.sectionSizeHint(section))
