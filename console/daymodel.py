"""The day list's table model: one clinic day's bookings (services.queries.BookingRow), any status.

``query`` is (day, department id or None, doctor id or None); a row of another day, department
or doctor is not accepted, so a live change that does not belong here never shows up.
"""
from __future__ import annotations

import datetime as dt
import logging

from PySide6.QtCore import QT_TRANSLATE_NOOP, Qt
from PySide6.QtGui import QColor

from console import labels as L
from console.tablemodel import CENTER, RIGHT, Column, RowTableModel

log = logging.getLogger(__name__)

CLOSED = ("cancelled", "rejected", "full", "stopped")
# the status choice above the list: key -> (label in the DayListPage context, statuses shown)
STATUS_FILTERS = {
    "all": (QT_TRANSLATE_NOOP("DayListPage", "All bookings"), None),
    "active": (QT_TRANSLATE_NOOP("DayListPage", "Expected and seen"),
               ("pending", "confirmed", "checked_in", "no_show")),
    "expected": (QT_TRANSLATE_NOOP("DayListPage", "Not yet checked in"), ("confirmed",)),
    "checked_in": (QT_TRANSLATE_NOOP("DayListPage", "Checked in"), ("checked_in",)),
    "no_show": (QT_TRANSLATE_NOOP("DayListPage", "No-shows"), ("no_show",)),
    "pending": (QT_TRANSLATE_NOOP("DayListPage", "Pending review"), ("pending",)),
    "closed": (QT_TRANSLATE_NOOP("DayListPage", "Cancelled and refused"), CLOSED),
}
_STATUS_COLOURS = {"checked_in": "#1f6f43", "no_show": "#b3261e", "pending": "#8a5a00", "confirmed": "#1d4ed8"}


def _places(r) -> str:
    return "" if r.remaining is None else f"{max(r.remaining, 0)}/{r.capacity}"


class DayListModel(RowTableModel):
    """The bookings of ``query``'s day (optionally one department/doctor), any status."""

    tr_context = "DayListModel"
    presorted_column = 0  # day_list() orders by slot time, doctor, booking id
    columns = (
        Column("time", QT_TRANSLATE_NOOP("DayListModel", "Time"), lambda r: L.fmt_span(r.starts_at, r.ends_at),
               sort=lambda r: (r.starts_at, r.doctor_id, r.booking_id), width=100),
        Column("id", QT_TRANSLATE_NOOP("DayListModel", "No."), lambda r: str(r.booking_id),
               sort=lambda r: r.booking_id, align=RIGHT, width=60),
        Column("patient", QT_TRANSLATE_NOOP("DayListModel", "Patient"), lambda r: r.patient_name, width=76),
        Column("sexage", QT_TRANSLATE_NOOP("DayListModel", "Sex/Age"), lambda r: L.sex_age(r.gender, r.age),
               sort=lambda r: (r.gender, r.age if r.age is not None else -1), width=74),
        Column("phone", QT_TRANSLATE_NOOP("DayListModel", "Phone"), lambda r: r.phone, width=112),
        Column("department", QT_TRANSLATE_NOOP("DayListModel", "Department"), lambda r: r.department_name,
               width=88),
        Column("doctor", QT_TRANSLATE_NOOP("DayListModel", "Doctor"), lambda r: r.doctor_name,
               sort=lambda r: r.doctor_name, tooltip=lambda r: f"{r.doctor_name} · {r.doctor_title}", width=80),
        Column("status", QT_TRANSLATE_NOOP("DayListModel", "Status"), lambda r: L.status_label(r.status),
               sort=lambda r: r.status, width=100),
        Column("source", QT_TRANSLATE_NOOP("DayListModel", "Source"), lambda r: L.source_label(r.source),
               sort=lambda r: r.source, width=96),
        Column("places", QT_TRANSLATE_NOOP("DayListModel", "Left"), _places,
               sort=lambda r: r.remaining if r.remaining is not None else 0, align=CENTER, width=56),
        Column("note", QT_TRANSLATE_NOOP("DayListModel", "Note"), lambda r: r.reason or "",
               tooltip=lambda r: r.reason),
    )

    def __init__(self, parent=None):
        super().__init__(parent)
        self.query: tuple[dt.date, int | None, int | None] | None = None

    def accepts(self, row) -> bool:
        q = self.query
        if q is None:
            return False
        day, dep, doc = q
        return row.day == day and (dep is None or row.department_id == dep) and (doc is None or row.doctor_id == doc)

    @classmethod
    def search_text(cls, r) -> str:
        return f"{r.booking_id} {r.patient_name} {r.phone} {r.department_name} {r.doctor_name}".lower()

    def decorate(self, row, column: Column, role: int):
        if role == Qt.ItemDataRole.ForegroundRole:
            if row.status in CLOSED:
                return QColor("#8a8f98")
            if column.key == "status" and row.status in _STATUS_COLOURS:
                return QColor(_STATUS_COLOURS[row.status])
        return None
