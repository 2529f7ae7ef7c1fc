"""Search and sort over a RowTableModel, with the filtering done in plain Python.

Why not QSortFilterProxyModel: it asks a Python ``filterAcceptsRow`` (or a Python
``data()``) once per row, 30,000 calls per keystroke on a busy day, and a Python
``lessThan`` n·log n times per sort. Here a keystroke is one list comprehension over the
precomputed search strings (``needle in key``), narrowing the previous result while the
clerk keeps typing, and a sort is one ``list.sort`` over the column's sort values.

The proxy keeps two lists of source rows in ascending order (by the sort column, ties by
source row): ``_all``, every row (None when unsorted: source order), and ``_map``, the rows
shown (``None``: every row in source order; the very same list as ``_all`` when nothing is
filtered out). A descending sort shows the same lists backwards. Filtering walks ``_all``, so
it never sorts; clearing the search is ``_map = _all``. Source inserts, removals and changes
become the matching proxy signals, and a new search or sort is a ``layoutChanged`` with the
persistent indexes moved, so the selection stays.
"""
from __future__ import annotations

import logging
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from itertools import compress
from typing import Any

from PySide6.QtCore import QAbstractProxyModel, QModelIndex, QObject, QPersistentModelIndex, Qt

from console.common.tablemodel import Index, RowTableModel, runs

log = logging.getLogger(__name__)

ASC = Qt.SortOrder.AscendingOrder
DESC = Qt.SortOrder.DescendingOrder


class RowFilterProxy(QAbstractProxyModel):
    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._src: RowTableModel | None = None
        self._all: list[int] | None = None
        self._map: list[int] | None = None
        self._keys_in_order: list[str] | None = None  # the search strings in ``_all``'s order
        self._text = ""
        self._terms: tuple[str, ...] = ()
        self._predicate: Callable[[Any], bool] | None = None
        self._sort_col = -1
        self._order = ASC

    # ---------------------------------------------------------------- set-up

    def setSourceModel(self, model: RowTableModel) -> None:
        self.beginResetModel()
        if self._src is not None:
            for sig, slot in self._connections():
                sig.disconnect(slot)
        super().setSourceModel(model)
        self._src = model
        for sig, slot in self._connections():
            sig.connect(slot)
        self._sort_all(presorted=True)
        self._filter()
        self.endResetModel()

    def _connections(self):
        s = self._src
        return ((s.modelAboutToBeReset, self._reset_begin), (s.modelReset, self._reset_end),
                (s.dataChanged, self._data_changed), (s.rowsAboutToBeInserted, self._inserting),
                (s.rowsInserted, self._inserted), (s.rowsAboutToBeRemoved, self._removing),
                (s.rowsRemoved, self._removed), (s.headerDataChanged, self.headerDataChanged),
                (s.layoutChanged, self._source_layout))

    # ---------------------------------------------------------------- mapping

    def _n(self) -> int:
        return len(self._map) if self._map is not None else (self._src.rowCount() if self._src else 0)

    def _source_row(self, p: int) -> int:
        m = self._map
        if m is None:
            return p
        return m[p] if self._order == ASC else m[len(m) - 1 - p]

    def _proxy_of_internal(self, i: int, n: int | None = None) -> int:
        n = len(self._map) if n is None else n
        return i if self._order == ASC else n - 1 - i

    def _skey(self, s: int):
        return (self._src.sort_value(s, self._sort_col), s)

    def _index_in(self, lst: list[int], s: int) -> int:
        """Where source row ``s`` is in an ordered list (-1: not there)."""
        if self._sort_col < 0:
            i = bisect_left(lst, s)
        else:
            i = bisect_left(lst, self._skey(s), key=self._skey)
        if i < len(lst) and lst[i] == s:
            return i
        try:
            return lst.index(s)  # the row's sort value changed since it was placed
        except ValueError:
            return -1

    def _place(self, lst: list[int], s: int) -> int:
        return bisect_left(lst, s) if self._sort_col < 0 else bisect_right(lst, self._skey(s), key=self._skey)

    def _internal_index(self, s: int) -> int:
        return self._index_in(self._map, s)

    def proxy_row(self, s: int) -> int:
        """The proxy row showing source row ``s`` (-1: filtered out)."""
        if self._map is None:
            return s if 0 <= s < self._n() else -1
        i = self._internal_index(s)
        return -1 if i < 0 else self._proxy_of_internal(i)

    def mapToSource(self, index: Index) -> QModelIndex:
        if not index.isValid() or self._src is None or index.row() >= self._n():
            return QModelIndex()
        return self._src.index(self._source_row(index.row()), index.column())

    def mapFromSource(self, index: Index) -> QModelIndex:
        if not index.isValid():
            return QModelIndex()
        p = self.proxy_row(index.row())
        return self.index(p, index.column()) if p >= 0 else QModelIndex()

    # ---------------------------------------------------------------- Qt API

    def index(self, row: int, column: int, parent: Index = QModelIndex()) -> QModelIndex:
        if parent.isValid() or not (0 <= row < self._n()) or not (0 <= column < self.columnCount()):
            return QModelIndex()
        return self.createIndex(row, column)

    def parent(self, child: Index | None = None):
        if child is None:
            return QObject.parent(self)
        return QModelIndex()

    def sibling(self, row: int, column: int, idx: Index) -> QModelIndex:
        return self.index(row, column)

    def hasChildren(self, parent: Index = QModelIndex()) -> bool:
        return not parent.isValid() and self._n() > 0

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else self._n()

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() or self._src is None else self._src.columnCount()

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= self._n():
            return None
        return self._src.cell(self._source_row(index.row()), index.column(), role)

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Vertical:
            return str(section + 1) if role == Qt.ItemDataRole.DisplayRole else None
        return self._src.headerData(section, orientation, role) if self._src is not None else None

    # ---------------------------------------------------------------- rows by id

    def row_at(self, p: int):
        return self._src.row_at(self._source_row(p))

    def id_at(self, p: int) -> int:
        return self._src.row_id(self.row_at(p))

    def row_of_id(self, row_id: int) -> int:
        s = self._src.index_of(row_id)
        return -1 if s < 0 else self.proxy_row(s)

    # ---------------------------------------------------------------- search, predicate, sort

    def set_filter_text(self, text: str) -> None:
        text = " ".join(text.lower().split())
        if text == self._text:
            return
        old, self._text = self._text, text
        self._terms = tuple(text.split())
        # typing on: the new terms can only match rows the old ones matched
        narrow = bool(old) and text.startswith(old) and self._map is not None and self._map is not self._all
        self._relayout(lambda: self._filter(narrow=narrow))

    def set_predicate(self, predicate: Callable[[Any], bool] | None) -> None:
        """A row filter besides the search (e.g. the day list's status choice)."""
        self._predicate = predicate
        self._relayout(self._filter)

    def sort(self, column: int, order: Qt.SortOrder = ASC) -> None:
        column = column if self._src is not None and 0 <= column < self._src.columnCount() else -1
        if column < 0:
            order = ASC  # unsorted: the source's own order
        if column == self._sort_col and order == self._order:
            return
        if column == self._sort_col:  # only the direction: the same lists read backwards
            self._relayout(lambda: setattr(self, "_order", order))
            return

        def resort() -> None:
            self._sort_col, self._order = column, order
            self._sort_all()
            self._filter()
        self._relayout(resort)

    def sort_column(self) -> int:
        return self._sort_col

    def sort_order(self) -> Qt.SortOrder:
        return self._order

    def _accepts(self, s: int) -> bool:
        if self._predicate is not None and not self._predicate(self._src.row_at(s)):
            return False
        if self._terms:
            key = self._src.keys()[s]
            return all(t in key for t in self._terms)
        return True

    def _sort_all(self, presorted: bool = False) -> None:
        """``_all``: every source row in sort order (the only place that sorts)."""
        self._keys_in_order = None
        src = self._src
        if self._sort_col < 0 or src is None:
            self._all = None
            return
        n = src.rowCount()
        if presorted and src.presorted_column == self._sort_col:
            self._all = list(range(n))  # the query's ORDER BY did it
            return
        value, col = src.sort_value, self._sort_col
        self._all = sorted(range(n), key=lambda s: value(s, col))  # stable: ties stay in source order

    def _filter(self, narrow: bool = False) -> None:
        """``_map`` from ``_all`` (or, while typing on, from the rows shown): filtering keeps the order."""
        if not self._terms and self._predicate is None:
            self._map = self._all
            return
        src = self._src
        keys = src.keys() if self._terms else []  # the search strings only for a search (made on first use)
        if narrow:
            cand: list[int] | range = self._map
        else:
            cand = self._all if self._all is not None else range(src.rowCount())
            if self._predicate is not None:
                rows, pred = src.rows, self._predicate
                cand = [s for s in cand if pred(rows[s])]
            elif len(self._terms) == 1:
                # one scan of the strings in display order, as plain as a substring search gets
                if self._keys_in_order is None:
                    self._keys_in_order = keys if self._all is None else [keys[s] for s in self._all]
                t = self._terms[0]
                self._map = list(compress(cand, [t in k for k in self._keys_in_order]))
                return
        for t in self._terms:
            cand = [s for s in cand if t in keys[s]]
        self._map = list(cand)

    def _relayout(self, change: Callable[[], None]) -> None:
        """Apply a new search/sort as a layout change: persistent indexes (the selection) follow their rows."""
        self.layoutAboutToBeChanged.emit()
        persistent = self.persistentIndexList()
        sources = [self._source_row(p.row()) if p.row() < self._n() else -1 for p in persistent]
        change()
        moved = []
        for p, s in zip(persistent, sources, strict=True):
            q = self.proxy_row(s) if s >= 0 else -1
            moved.append(self.index(q, p.column()) if q >= 0 else QModelIndex())
        self.changePersistentIndexList(persistent, moved)
        self.layoutChanged.emit()

    # ---------------------------------------------------------------- source signals

    def _separate_all(self) -> bool:
        """Whether ``_all`` needs keeping up to date apart from ``_map``."""
        return self._all is not None and self._all is not self._map

    def _reset_begin(self) -> None:
        self.beginResetModel()

    def _reset_end(self) -> None:
        self._sort_all(presorted=True)
        self._filter()
        self.endResetModel()

    def _source_layout(self, *args) -> None:
        def again() -> None:
            self._sort_all()
            self._filter()
        self._relayout(again)

    def _data_changed(self, tl: QModelIndex, br: QModelIndex, _roles=()) -> None:
        self._keys_in_order = None
        if self._map is None:
            self.dataChanged.emit(self.index(tl.row(), tl.column()), self.index(br.row(), br.column()))
            return
        last = self.columnCount() - 1
        for s in range(tl.row(), br.row() + 1):
            if self._separate_all():
                self._reposition(self._all, s)
            i = self._internal_index(s)
            ok = self._accepts(s)
            if i < 0:
                if ok:
                    self._insert_sources([s])
            elif not ok:
                p = self._proxy_of_internal(i)
                self.beginRemoveRows(QModelIndex(), p, p)
                del self._map[i]
                self.endRemoveRows()
            elif not self._move_if_needed(i, s):
                p = self._proxy_of_internal(i)
                self.dataChanged.emit(self.index(p, 0), self.index(p, last))

    def _out_of_place(self, lst: list[int], i: int, s: int) -> int:
        """-1 if ``lst[i] == s`` is in order; else where it belongs once taken out."""
        if self._sort_col < 0:
            return -1
        k = self._skey(s)
        if i > 0 and not self._skey(lst[i - 1]) < k:
            return bisect_left(lst, k, 0, i, key=self._skey)
        if i < len(lst) - 1 and not k < self._skey(lst[i + 1]):
            return bisect_left(lst, k, i + 1, len(lst), key=self._skey) - 1
        return -1

    def _reposition(self, lst: list[int], s: int) -> None:
        """``_all`` after a change of row ``s``'s sort value (no signals: it is not shown as such)."""
        i = self._index_in(lst, s)
        if i < 0:
            return
        j = self._out_of_place(lst, i, s)
        if j >= 0:
            lst.pop(i)
            lst.insert(j, s)

    def _move_if_needed(self, i: int, s: int) -> bool:
        """A changed row whose sort value moved it: move it (the selection goes with it)."""
        m = self._map
        j = self._out_of_place(m, i, s)
        if j < 0:
            return False
        n = len(m)
        p_old, p_new = self._proxy_of_internal(i, n), self._proxy_of_internal(j, n)
        if p_new == p_old:
            return False
        dest = p_new + 1 if p_new > p_old else p_new
        if not self.beginMoveRows(QModelIndex(), p_old, p_old, QModelIndex(), dest):
            return False
        m.pop(i)
        m.insert(j, s)  # in place: when nothing is filtered, _map is _all
        self.endMoveRows()
        return True

    def _inserting(self, parent: QModelIndex, first: int, last: int) -> None:
        if self._map is None:
            self.beginInsertRows(QModelIndex(), first, last)

    def _inserted(self, parent: QModelIndex, first: int, last: int) -> None:
        self._keys_in_order = None
        if self._map is None:
            self.endInsertRows()
            return
        count = last - first + 1
        if first < self._src.rowCount() - count:  # inserted in the middle: later rows moved down
            for lst in self._lists():
                lst[:] = [s + count if s >= first else s for s in lst]
        new = list(range(first, last + 1))
        if self._separate_all():
            for s in new:
                self._all.insert(self._place(self._all, s), s)
        self._insert_sources([s for s in new if self._accepts(s)])

    def _lists(self) -> list[list[int]]:
        """The lists to renumber: ``_map`` and, if it is another list, ``_all``."""
        return [self._map, self._all] if self._separate_all() else [self._map]

    def _insert_sources(self, sources: list[int]) -> None:
        m = self._map
        if not sources:
            return
        if self._sort_col < 0 and (not m or sources[0] > m[-1]):
            n, k = len(m), len(sources)  # appended: one block at the end (or at the top, descending)
            first = n if self._order == ASC else 0
            self.beginInsertRows(QModelIndex(), first, first + k - 1)
            m.extend(sources)
            self.endInsertRows()
            return
        for s in sources:
            j = self._place(m, s)
            p = j if self._order == ASC else len(m) - j
            self.beginInsertRows(QModelIndex(), p, p)
            m.insert(j, s)
            self.endInsertRows()

    def _removing(self, parent: QModelIndex, first: int, last: int) -> None:
        self._keys_in_order = None
        if self._map is None:
            self.beginRemoveRows(QModelIndex(), first, last)
            return
        if self._separate_all():
            self._all[:] = [s for s in self._all if not first <= s <= last]
        m = self._map
        if self._sort_col < 0:
            internal = list(range(bisect_left(m, first), bisect_right(m, last)))
        elif last - first < 64:
            internal = sorted(i for i in (self._internal_index(s) for s in range(first, last + 1)) if i >= 0)
        else:
            internal = [i for i, s in enumerate(m) if first <= s <= last]
        n = len(m)
        proxy_rows = sorted(self._proxy_of_internal(i, n) for i in internal)
        for a, b in reversed(runs(proxy_rows)):
            self.beginRemoveRows(QModelIndex(), a, b)
            if self._order == ASC:
                del m[a:b + 1]
            else:
                size = len(m)
                del m[size - 1 - b:size - a]
            self.endRemoveRows()

    def _removed(self, parent: QModelIndex, first: int, last: int) -> None:
        if self._map is None:
            self.endRemoveRows()
            return
        count = last - first + 1
        for lst in self._lists():
            lst[:] = [s - count if s > last else s for s in lst]


__all__ = ["RowFilterProxy", "QPersistentModelIndex"]
