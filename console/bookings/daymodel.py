"""The day list's table model: one clinic day's bookings (services.bookings.queries.BookingRow), any status.

``query`` is (day, department id or None, doctor id or None); a row of another day, department
or doctor is not accepted, so a live change that does not belong here never shows up.

The 通知 column shows the state of the booking's newest WeChat notification in the words of
services.notify.outbox.STATE_LABELS (the failures page uses the same words); the page refreshes it with
``set_notify_states``, since the sender changes a notification without changing its booking.
"""
from __future__ import annotations

import datetime as dt
import logging

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Qt
from PySide6.QtGui import QColor

from console.bookings.bookingmodel import BookingModel, number_column, places_column, time_column, who_where_columns
from console.common import labels as L
from console.common.tablemodel import CENTER, Column
from services.bookings import waitlist
from services.notify.outbox import STATE_LABELS

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
# a message that did not reach the patient stands out, also on a cancelled booking (its notice is the point)
_NOTIFY_COLOURS = {"failed": "#b3261e", "unsubscribed": "#8a5a00", "sent": "#1f6f43"}
_NOTIFY_ORDER = {s: n for n, s in enumerate(("failed", "unsubscribed", "waiting", "sending", "sent", "skipped"))}


def _notify(r) -> str:
    s = r.notify_state
    return STATE_LABELS.get(s, s) if s else ""


def _notify_tip(r) -> str | None:
    if r.notify_state in ("failed", "unsubscribed"):
        return QCoreApplication.translate("DayListModel", "Not delivered: see the Notifications page to send it again")
    return None


def _status(r) -> str:
    """The status; a request on the waitlist (候补) with its place in the queue."""
    position = waitlist.position_of(r.reason) if r.status == "pending" else None
    if position is None:
        return L.status_label(r.status)
    return QCoreApplication.translate("DayListModel", "Waitlist No. %1").replace("%1", str(position))


def _desk(r) -> str:
    return "" if r.desk_left is None else str(r.desk_left)


def _desk_tip(r) -> str | None:
    if r.desk_left is None:
        return None
    return QCoreApplication.translate("DayListModel", "Places a walk-in may take in this slot now: before the clinic "
                                                      "day only the desk's share (现场号), on the day every free place")


class DayListModel(BookingModel):
    """The bookings of ``query``'s day (optionally one department/doctor), any status."""

    presorted_column = 0  # day_list() orders by slot time, doctor, booking id
    columns = (
        time_column(lambda r: (r.starts_at, r.doctor_id, r.booking_id)),
        number_column(60),
        *who_where_columns(patient=76, sexage=74, phone=112, department=88, doctor=80),
        Column("status", QT_TRANSLATE_NOOP("BookingModel", "Status"), _status,
               sort=lambda r: (r.status, waitlist.position_of(r.reason) or 0), width=100),
        Column("notify", QT_TRANSLATE_NOOP("BookingModel", "Notice"), _notify,
               sort=lambda r: _NOTIFY_ORDER.get(r.notify_state, 99), tooltip=_notify_tip, width=84),
        Column("source", QT_TRANSLATE_NOOP("BookingModel", "Source"), lambda r: L.source_label(r.source),
               sort=lambda r: r.source, width=96),
        places_column(56),
        Column("desk", QT_TRANSLATE_NOOP("BookingModel", "Desk left"), _desk,
               sort=lambda r: r.desk_left if r.desk_left is not None else -1, align=CENTER, tooltip=_desk_tip,
               width=64),
        Column("note", QT_TRANSLATE_NOOP("BookingModel", "Note"), lambda r: r.reason or "",
               tooltip=lambda r: r.reason, elastic=2),
    )

    def __init__(self, parent=None):
        super().__init__(parent)
        self.query: tuple[dt.date, int | None, int | None] | None = None
        # the ticket taken when the query behind the rows now shown started (see set_notify_states)
        self.loaded_at = 0

    def accepts(self, row) -> bool:
        q = self.query
        if q is None:
            return False
        day, dep, doc = q
        return row.day == day and (dep is None or row.department_id == dep) and (doc is None or row.doctor_id == doc)

    def decorate(self, row, column: Column, role: int):
        if role == Qt.ItemDataRole.ForegroundRole:
            if column.key == "notify" and row.notify_state in _NOTIFY_COLOURS:
                return QColor(_NOTIFY_COLOURS[row.notify_state])
            if row.status in CLOSED:
                return QColor("#8a8f98")
            if column.key == "status" and row.status in _STATUS_COLOURS:
                return QColor(_STATUS_COLOURS[row.status])
        return None

    def set_notify_states(self, states: dict[int, str], since: int) -> int:
        """The day's notification states as read at ticket ``since`` (booking id -> state; a booking not
        in ``states`` has none): only the 通知 cells that changed are signalled, never a reset.

        A row that something newer than ``since`` told us about (a live change, a reload) already
        carries a newer state and is left alone. Rows are not marked fresh here: a booking refresh that
        started earlier must still bring its booking change (with, at worst, an older notification
        state, which the next poll corrects). Returns how many rows changed."""
        if since < self.loaded_at:
            return 0  # read before the rows now shown were loaded
        fresh = self._fresh
        col = self.column_index("notify")
        rows = self._rows
        changed = 0
        for i, row in enumerate(rows):
            state = states.get(row.booking_id)
            if state != row.notify_state and fresh.get(row.booking_id, 0) <= since:
                rows[i] = row._replace(notify_state=state)
                at = self.index(i, col)
                self.dataChanged.emit(at, at)
                changed += 1
        return changed
