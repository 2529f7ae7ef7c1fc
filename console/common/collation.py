"""One order for Chinese names everywhere in the console: pinyin, as a Chinese clerk expects.

Python's and Qt's default string comparison orders Chinese by code point (万 before 严 before 于,
whatever their reading). Every sortable text in the console's tables is compared with one
QCollator for Chinese (China), which orders by pinyin and numbers by value ("2号" before "10号"):
``sort_key`` for the Python-sorted tables (console.common.rowproxy through RowTableModel.sort_value),
``CollatingProxy`` for the QSortFilterProxyModel ones (console.common.pagekit's RecordModel pages).
"""
from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QCollator, QLocale, QModelIndex, QPersistentModelIndex, QSortFilterProxyModel

log = logging.getLogger(__name__)

COLLATOR = QCollator(QLocale(QLocale.Language.Chinese, QLocale.Country.China))
COLLATOR.setNumericMode(True)


class Collated:
    """A text ordered by the collator (``<`` and ``==``; Qt's sort keys compare equal only to themselves)."""

    __slots__ = ("text", "_key")

    def __init__(self, text: str):
        self.text = text
        self._key = COLLATOR.sortKey(text)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Collated) and self._key.compare(other._key) == 0

    def __lt__(self, other: Collated) -> bool:
        return self._key.compare(other._key) < 0

    def __le__(self, other: Collated) -> bool:
        return self._key.compare(other._key) <= 0

    def __gt__(self, other: Collated) -> bool:
        return self._key.compare(other._key) > 0

    def __ge__(self, other: Collated) -> bool:
        return self._key.compare(other._key) >= 0

    def __hash__(self) -> int:
        return hash(self.text)

    def __repr__(self) -> str:
        return f"Collated({self.text!r})"


def sort_key(value: Any) -> Any:
    """A text as a Collated (ordered by pinyin); any other value unchanged."""
    return Collated(value) if isinstance(value, str) else value


class CollatingProxy(QSortFilterProxyModel):
    """A QSortFilterProxyModel that compares texts with the Chinese collator."""

    def lessThan(self, left: QModelIndex | QPersistentModelIndex,
                 right: QModelIndex | QPersistentModelIndex) -> bool:
        a, b = left.data(self.sortRole()), right.data(self.sortRole())
        if isinstance(a, str) and isinstance(b, str):
            return COLLATOR.compare(a, b) < 0
        return super().lessThan(left, right)
