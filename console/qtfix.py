"""A guard against reference-count bugs in PySide6 6.12.0 on Python 3.11.

In that combination every ``signal.emit(...)`` made from Python drops one reference to
``True`` that it never took, a Python ``data()`` that returns None (called from C++) drops
one to ``None``, and a failed ``disconnect`` one to ``False``. After a few hundred of those
the count reaches zero and the interpreter aborts ("Fatal Python error: bool_dealloc" /
"none_dealloc") - in the middle of a clerk's shift. Python 3.12 made these singletons
immortal, which hides the bugs; here we do the same by hand: give each a billion extra
references once, at import. They are never freed anyway, so the extra references cost
nothing and change nothing else.

The guard first checks for the leaks (one emit, one data() call, compare counts) and does
nothing when the installed PySide6 and Python do not have them.
"""
from __future__ import annotations

import ctypes
import logging
import sys

from PySide6.QtCore import QAbstractListModel, QModelIndex, QObject, Qt, Signal

log = logging.getLogger(__name__)

_EXTRA = 1_000_000_000
_applied = False


class _Probe(QObject):
    ping = Signal()


class _NoneModel(QAbstractListModel):
    def rowCount(self, parent=QModelIndex()) -> int:
        return 1

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        return None


def _leaks() -> bool:
    probe = _Probe()
    model = _NoneModel()
    index = model.index(0, 0)
    true_before, none_before = sys.getrefcount(True), sys.getrefcount(None)
    for _ in range(4):
        probe.ping.emit()
        index.data()
    return sys.getrefcount(True) < true_before or sys.getrefcount(None) < none_before


def apply() -> bool:
    """Make True, False and None effectively immortal when this PySide6 leaks them. Returns whether it did."""
    global _applied
    if _applied:
        return True
    if sys.version_info >= (3, 12) or not _leaks():
        return False
    for obj in (True, False, None):
        ctypes.c_ssize_t.from_address(id(obj)).value += _EXTRA
    _applied = True
    log.info("PySide6 reference leaks detected: True/False/None pinned (see console/qtfix.py)")
    return True


apply()
