"""The shared table model of the console's lists (queue, day list), as in Anki's browser and Vorta.

A model holds a list of immutable row records (services.bookings.queries.BookingRow) and a tuple of
``Column`` constants. Changes arrive as whole rows (``apply``): a row already shown is
replaced in place (``dataChanged``), a new row is appended (``beginInsertRows``), a row
that left (decided, cancelled, another day) is removed (``beginRemoveRows``). Only a new
query (another day, another department) resets the model, so a sync never disturbs the
selection or the scroll position.

Searching is done by console.common.rowproxy.RowFilterProxy over one lower-case search string
per row, computed once (``search_text``; in the worker thread when a query loads).

Marks (Space in the lists) are ids kept here, apart from Qt's selection, so moving with J/K or
the arrows never clears them; a marked row answers MARKED_ROLE (the table paints it tinted, with a
bar at its left edge) and leaves the marks when it leaves the model.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QCoreApplication, QModelIndex, QPersistentModelIndex, Qt, Signal

from console.common.collation import sort_key

log = logging.getLogger(__name__)

ID_ROLE = Qt.ItemDataRole.UserRole + 1  # the row's id (booking id)
SORT_ROLE = Qt.ItemDataRole.UserRole + 2  # the cell's sort value (Column.sort_by; texts compared by pinyin)
ROW_ROLE = Qt.ItemDataRole.UserRole + 3  # the whole row record
SEARCH_ROLE = Qt.ItemDataRole.UserRole + 4  # the row's search string
MARKED_ROLE = Qt.ItemDataRole.UserRole + 5  # True for a row marked with Space (console.common.booktable paints it)
# the roles as plain ints, compared in cell() (asked about eight times a cell at each paint)
_DISPLAY, _ALIGN, _TIP = (int(r.value) for r in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.TextAlignmentRole,
                                                 Qt.ItemDataRole.ToolTipRole))
_DECORATION = int(Qt.ItemDataRole.DecorationRole.value)
_LOOK = frozenset(int(r.value) for r in (Qt.ItemDataRole.ForegroundRole, Qt.ItemDataRole.BackgroundRole,
                                         Qt.ItemDataRole.FontRole, Qt.ItemDataRole.DecorationRole))
_ID, _SORT, _ROW, _SEARCH, _MARKED = (int(r) for r in (ID_ROLE, SORT_ROLE, ROW_ROLE, SEARCH_ROLE, MARKED_ROLE))
OWN_ROLE = Qt.ItemDataRole.UserRole + 16  # a model's roles of its own start here (e.g. the roster grid's)

LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
CENTER = Qt.AlignmentFlag.AlignCenter

Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class Column:
    """One column: its English title (translated in the model's tr context) and how to show/sort a row."""
    key: str
    title: str
    display: Callable[[Any], str]
    sort: Callable[[Any], Any] | None = None  # values of one type per column (never None)
    align: Qt.AlignmentFlag = LEFT
    tooltip: Callable[[Any], str | None] | None = None
    width: int = 0  # a starting width in pixels until rows arrive (then fitted to them; 0: fit the title)
    # raised when what the column shows grows (e.g. 申请时间 gained the date and the wait): a width saved
    # for the older content is fitted to the new one (console.common.booktable.BookingTable.restore_layout)
    version: int = 1
    # free text of any length (names, notes): when the columns fitted to their rows are wider than the
    # list's place, these give way down to this many characters (elided, the whole text in a tooltip);
    # 0: never (times, dates, numbers)
    elastic: int = 0

    def sort_by(self, row) -> Any:
        """What the column sorts ``row`` by: ``sort`` when given, else what it shows."""
        return self.sort(row) if self.sort is not None else self.display(row)

    @property
    def layout_key(self) -> str:
        return self.key if self.version == 1 else f"{self.key}@{self.version}"


def runs(indices: Iterable[int]) -> list[tuple[int, int]]:
    """Sorted indices -> contiguous (first, last) runs."""
    out: list[tuple[int, int]] = []
    for i in indices:
        if out and i == out[-1][1] + 1:
            out[-1] = (out[-1][0], i)
        else:
            out.append((i, i))
    return out


class RowTableModel(QAbstractTableModel):
    """Rows of immutable records with an id; subclasses declare ``columns`` and may override the hooks."""

    columns: tuple[Column, ...] = ()
    tr_context = "RowTableModel"  # the Qt Linguist context of the column titles
    #: the column the rows arrive sorted by (the query's ORDER BY), so a proxy need not sort them again
    presorted_column = -1

    rowsArrived = Signal(list)  # ids of rows that appeared through apply() (not through a new query)
    marksChanged = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self._rows: list = []
        self._keys: list[str] | None = []
        self._pos: dict[int, int] | None = {}
        self.busy: set[int] = set()  # ids with a decision on its way to the database
        self.marked: set[int] = set()  # ids marked with Space (several at once)
        # what we know about a row is only as new as the query that told us: a refresh started
        # before a decision must not bring the decided row back when it arrives after it
        self._clock = 0
        self._fresh: dict[int, int] = {}

    # ---------------------------------------------------------------- hooks

    @staticmethod
    def row_id(row) -> int:
        return row[0]

    def accepts(self, row) -> bool:
        """Whether a row belongs in this model (e.g. the queue keeps pending bookings only)."""
        return True

    @classmethod
    def search_text(cls, row) -> str:
        """The string a search looks in; override with a fast f-string over the searchable fields."""
        return " ".join(c.display(row) for c in cls.columns).lower()

    def decorate(self, row, column: Column, role: int) -> Any:
        """Colours, fonts, icons per cell (ForegroundRole, BackgroundRole, FontRole, DecorationRole)."""
        return None

    @classmethod
    def search_keys(cls, rows: Sequence) -> list[str]:
        """Pure Python: may run in a worker thread together with the query."""
        text = cls.search_text
        return [text(r) for r in rows]

    # ---------------------------------------------------------------- access

    @property
    def rows(self) -> list:
        return self._rows

    def keys(self) -> list[str]:
        if self._keys is None:
            self._keys = self.search_keys(self._rows)
        return self._keys

    def positions(self) -> dict[int, int]:
        if self._pos is None:
            rid = self.row_id
            self._pos = {rid(r): i for i, r in enumerate(self._rows)}
        return self._pos

    def row_at(self, i: int):
        return self._rows[i]

    def index_of(self, row_id: int) -> int:
        return self.positions().get(row_id, -1)

    def ids(self) -> set[int]:
        return set(self.positions())

    def sort_value(self, i: int, column: int) -> Any:
        return sort_key(self.columns[column].sort_by(self._rows[i]))  # pinyin for Chinese

    def column_index(self, key: str) -> int:
        for i, c in enumerate(self.columns):
            if c.key == key:
                return i
        raise KeyError(key)

    # ---------------------------------------------------------------- Qt API

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        return self.cell(index.row(), index.column(), role)

    def cell(self, i: int, column: int, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """data() without a QModelIndex (the proxy calls this directly)."""
        role = int(role)
        if role == _DISPLAY:
            return self.columns[column].display(self._rows[i])
        if role in _LOOK:
            row = self._rows[i]
            if self.busy and role != _DECORATION and self.row_id(row) in self.busy:
                return self.busy_look(role)
            return self.decorate(row, self.columns[column], role)
        if role == _ALIGN:
            return self.columns[column].align
        if role == _MARKED:
            return bool(self.marked) and self.row_id(self._rows[i]) in self.marked
        row = self._rows[i]
        col = self.columns[column]
        if role == _ID:
            return self.row_id(row)
        if role == _TIP:
            return col.tooltip(row) if col.tooltip is not None else None
        if role == _SORT:  # for Qt's proxies (console.common.collation.CollatingProxy)
            return col.sort_by(row)
        if role == _ROW:
            return row
        if role == _SEARCH:
            return self.keys()[i]
        return None

    def busy_look(self, role: int) -> Any:
        """Rows waiting for the database: greyed and in italics, never shown as done."""
        from PySide6.QtGui import QColor, QFont
        if role == Qt.ItemDataRole.ForegroundRole:
            return QColor("#9aa0a6")
        if role == Qt.ItemDataRole.FontRole:
            font = QFont()
            font.setItalic(True)
            return font
        return None

    def set_busy(self, ids: Iterable[int], busy: bool) -> None:
        ids = set(ids)
        if busy:
            self.busy |= ids
        else:
            self.busy -= ids
        last = len(self.columns) - 1
        for i in sorted(self.index_of(k) for k in ids):
            if i >= 0:
                self.dataChanged.emit(self.index(i, 0), self.index(i, last))

    # ---------------------------------------------------------------- marks

    def set_marked(self, ids: Iterable[int], marked: bool) -> None:
        """Mark (or unmark) rows shown here; ids not in the model are ignored."""
        pos = self.positions()
        ids = {i for i in ids if i in pos}
        before = set(self.marked)
        if marked:
            self.marked |= ids
        else:
            self.marked -= ids
        self._marks_moved(before)

    def clear_marks(self) -> None:
        before, self.marked = self.marked, set()
        self._marks_moved(before)

    def _marks_moved(self, before: set[int]) -> None:
        changed = before ^ self.marked
        if not changed:
            return
        last = len(self.columns) - 1
        for i in sorted(self.index_of(k) for k in changed):
            if i >= 0:
                self.dataChanged.emit(self.index(i, 0), self.index(i, last))
        self.marksChanged.emit()

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(self.columns):
            if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):  # a narrowed title: whole here
                return QCoreApplication.translate(self.tr_context, self.columns[section].title)
            if role == Qt.ItemDataRole.TextAlignmentRole:
                return self.columns[section].align
        elif orientation == Qt.Orientation.Vertical and role == Qt.ItemDataRole.DisplayRole:
            return str(section + 1)
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren

    # ---------------------------------------------------------------- updates

    def ticket(self) -> int:
        """Take one before starting a query whose rows will be applied with ``since=``."""
        self._clock += 1
        return self._clock

    def set_rows(self, rows: Sequence, keys: list[str] | None = None, *, checked: bool = False) -> None:
        """A new query: the only place the model resets. ``checked``: the rows are the query's answer,
        all acceptable (saves a Python call per row on a big day)."""
        self.beginResetModel()
        self._fresh.clear()
        had_marks, self.marked = bool(self.marked), set()
        if checked or type(self).accepts is RowTableModel.accepts:
            self._rows = list(rows)
        else:
            self._rows = [r for r in rows if self.accepts(r)]
        if keys is not None and len(keys) != len(self._rows):
            keys = None  # some rows were not accepted: recompute on demand
        self._keys = keys
        self._pos = None
        self.endResetModel()
        if had_marks:
            self.marksChanged.emit()

    def apply(self, rows: Iterable, gone_ids: Iterable[int] = (), since: int | None = None) -> tuple[int, int, int]:
        """Fresh versions of some rows: replace in place, append new ones, drop those that left.

        ``since``: the ticket taken when the query started; rows that something newer already
        settled (a decision, a later query) are left alone. Returns (inserted, changed, removed).
        """
        pos = self.positions()
        rid = self.row_id
        if since is not None:
            fresh = self._fresh
            rows = [r for r in rows if fresh.get(rid(r), 0) <= since]
            gone_ids = [i for i in gone_ids if fresh.get(i, 0) <= since]
            fresh.update((rid(r), since) for r in rows)
            fresh.update((i, since) for i in gone_ids)
        text = self.search_text
        changed: list[tuple[int, Any]] = []
        new: dict[int, Any] = {}
        drop = {i for i in gone_ids if i in pos}
        for row in rows:
            key = rid(row)
            i = pos.get(key)
            if not self.accepts(row):
                if i is not None:
                    drop.add(key)
                new.pop(key, None)
                continue
            if i is None:
                new[key] = row
            elif key not in drop and self._rows[i] != row:
                changed.append((i, row))
        last = len(self.columns) - 1
        # one row at a time, each signalled as soon as it changed: a sorting proxy then never sees a
        # row whose sort value changed but which it has not been told about yet
        for i, row in changed:
            self._rows[i] = row
            if self._keys is not None:
                self._keys[i] = text(row)
            self.dataChanged.emit(self.index(i, 0), self.index(i, last))
        for a, b in reversed(runs(sorted(pos[k] for k in drop))):
            self.beginRemoveRows(QModelIndex(), a, b)
            del self._rows[a:b + 1]
            if self._keys is not None:
                del self._keys[a:b + 1]
            self._pos = None  # before the signal: its receivers look rows up by id
            self.endRemoveRows()
        if drop:
            if self.marked & drop:
                self.marked -= drop
                self.marksChanged.emit()
        if new:
            n = len(self._rows)
            self.beginInsertRows(QModelIndex(), n, n + len(new) - 1)
            self._rows.extend(new.values())
            if self._keys is not None:
                self._keys.extend(text(r) for r in new.values())
            if self._pos is not None:
                self._pos.update((k, n + j) for j, k in enumerate(new))
            self.endInsertRows()
            self.rowsArrived.emit(list(new))
        return len(new), len(changed), len(drop)

    def sync(self, rows: Sequence, since: int | None = None) -> tuple[int, int, int]:
        """The full current set (a poll or a reload after a gap in the feed), applied without a reset."""
        fresh = {self.row_id(r) for r in rows}
        return self.apply(rows, gone_ids=[k for k in self.positions() if k not in fresh], since=since)

    def remove_ids(self, ids: Iterable[int]) -> int:
        """Rows the database just said are gone (a decision): newer than any query still under way."""
        return self.apply((), gone_ids=ids, since=self.ticket())

    def settle(self, rows: Iterable) -> None:
        """Rows as a decision left them (e.g. the new status): newer than any query still under way."""
        self.apply(rows, since=self.ticket())
