"""The queue's table model: pending requests (services.bookings.queries.BookingRow), oldest first.

A row whose booking is no longer pending (decided here or elsewhere, cancelled by the patient)
is not accepted, so ``apply`` removes it in place.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from PySide6.QtCore import QT_TRANSLATE_NOOP, QObject, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QWidget

from console.bookings.bookingmodel import BookingModel, number_column, places_column, time_column, who_where_columns
from console.common import labels as L
from console.common.tablemodel import Column
from console.common.tasks import NextFunc
from services.bookings import queries, waitlist
from services.clock import local_now, utc_to_local

log = logging.getLogger(__name__)

NO_SHOWS = QT_TRANSLATE_NOOP("Labels", "No-shows: %n")
SAME_DAY = QT_TRANSLATE_NOOP("Labels", "Same day: %n more")
NO_SHOWS_90 = QT_TRANSLATE_NOOP("Labels", "No-shows in the last 90 days: %n")
WAITING = QT_TRANSLATE_NOOP("Labels", "%n waiting for this slot")
WAITED_MIN = QT_TRANSLATE_NOOP("Labels", "%n min")
WAITED_H = QT_TRANSLATE_NOOP("Labels", "%n h")
WAITED_D = QT_TRANSLATE_NOOP("Labels", "%n d")
WAITED_TIP = QT_TRANSLATE_NOOP("Labels", "Sent %1, waiting for %2")
# the rules' verdict (services.bookings.rules.Refusal.rule) in a word or two; its full words are the tooltip
RULE_OK = QT_TRANSLATE_NOOP("Labels", "OK")
RULE_WORDS = {
    "window": QT_TRANSLATE_NOOP("Labels", "Too far ahead"),
    "blacklist": QT_TRANSLATE_NOOP("Labels", "No-show limit"),
    "duplicate": QT_TRANSLATE_NOOP("Labels", "Same dept. that day"),
    "cutoff": QT_TRANSLATE_NOOP("Labels", "Past cut-off"),
    "unpublished": QT_TRANSLATE_NOOP("Labels", "Not published"),
    "stopped": QT_TRANSLATE_NOOP("Labels", "Clinic stopped"),
    "over": QT_TRANSLATE_NOOP("Labels", "Clinic over"),
}


def waited(r, now: dt.datetime | None = None) -> str:
    """How long the request has waited, in its largest unit (35 min, 2 h, 3 d)."""
    local = utc_to_local(r.created_at)
    if local is None:
        return ""
    minutes = max(0, int(((now or local_now()) - local).total_seconds() // 60))
    if minutes < 60:
        return L.translated(WAITED_MIN).replace("%n", str(minutes))
    if minutes < 24 * 60:
        return L.translated(WAITED_H).replace("%n", str(minutes // 60))
    return L.translated(WAITED_D).replace("%n", str(minutes // (24 * 60)))


def _requested(r) -> str:
    """The date and time sent, and how long ago: a clerk sees at once which requests have waited longest."""
    local = utc_to_local(r.created_at)
    if local is None:
        return ""
    return f"{local:%m-%d %H:%M} · {waited(r)}"


def _requested_tip(r) -> str | None:
    local = utc_to_local(r.created_at)
    if local is None:
        return None
    return L.translated(WAITED_TIP).replace("%1", f"{local:%Y-%m-%d %H:%M}").replace("%2", waited(r))


def rule_word(r) -> str:
    return L.translated(RULE_WORDS.get(r.rule, RULE_OK)) if r.rule else L.translated(RULE_OK)


def _waiting(r) -> str:
    return L.translated(WAITING).replace("%n", str(r.pending_in_slot or 0))


def is_waiting(r) -> bool:
    """On the waitlist (候补): pending, but the job service confirms it when a place frees, in turn."""
    return waitlist.is_waiting(r.status, r.reason)


def _position(r) -> int:
    return waitlist.position_of(r.reason) or 0 if is_waiting(r) else 0


def history_text(r) -> str:
    parts = []
    if r.no_shows:
        parts.append(L.translated(NO_SHOWS).replace("%n", str(r.no_shows)))
    if r.others:
        parts.append(L.translated(SAME_DAY).replace("%n", str(len(r.others))))
    return " · ".join(parts)


def _history_tip(r) -> str | None:
    if not r.others and not r.no_shows:
        return None
    lines = [L.translated(NO_SHOWS_90).replace("%n", str(r.no_shows))]
    for o in r.others:
        lines.append(f"#{o.booking_id} {L.fmt_time(o.starts_at)} {o.department_name} {o.doctor_name}"
                     f" · {L.status_label(o.status)}")
    return "\n".join(lines)


class QueueModel(BookingModel):
    """Pending requests; a row that is no longer pending leaves. ``view``: "all", "decide" (not on the
    waitlist) or "waiting" (the waitlist, 候补, with its positions)."""

    presorted_column = 0  # pending_queue() orders by booking id
    columns = (
        number_column(54),
        Column("requested", QT_TRANSLATE_NOOP("BookingModel", "Sent"), _requested,
               sort=lambda r: r.created_at or dt.datetime.min, tooltip=_requested_tip, width=176,
               version=2),  # 2: the date and the wait beside the time
        *who_where_columns(patient=66, sexage=72, phone=106, department=80, doctor=72),
        Column("day", QT_TRANSLATE_NOOP("BookingModel", "Day"), lambda r: L.fmt_day(r.day),
               sort=lambda r: (r.day, r.starts_at), width=76),
        time_column(lambda r: (r.day, r.starts_at)),
        places_column(52, tooltip=_waiting),
        Column("waitlist", QT_TRANSLATE_NOOP("BookingModel", "Waitlist"), lambda r: r.reason if is_waiting(r) else "",
               sort=_position, width=120),
        Column("rule", QT_TRANSLATE_NOOP("BookingModel", "Rules"), rule_word,
               sort=lambda r: (r.rule is not None, r.rule or ""), tooltip=lambda r: r.rule_reason, width=96,
               elastic=3),  # 可通过 whole, 超出预… with its reason in the tooltip (a narrow screen beside the details)
        Column("history", QT_TRANSLATE_NOOP("BookingModel", "History"), history_text,
               sort=lambda r: (r.no_shows, len(r.others)), tooltip=_history_tip,
               elastic=1),  # its first word (爽…, 当…) marks the row; the detail pane and the tooltip say it all
    )

    view = "all"

    def accepts(self, row) -> bool:
        return row.status == "pending" and (self.view == "all" or is_waiting(row) == (self.view == "waiting"))

    def decorate(self, row, column: Column, role: int):
        if role != Qt.ItemDataRole.ForegroundRole:
            return None
        if column.key == "places" and row.remaining is not None and row.remaining <= 0:
            return QColor("#b3261e")  # no place left: approving gives 'full'
        if column.key == "history" and (row.no_shows or row.others):
            return QColor("#a15c00")
        if column.key == "rule":
            return QColor("#b3261e") if row.rule else QColor("#1f6f43")
        return None


# hands the result of a read already under way to the page (console.app.Prefetch.then(next_func, owner)), once
FirstRead = Callable[[NextFunc, QObject, QWidget], None]  # console.app.Prefetch.then


def queue_scope(actor) -> list[int] | None:
    """The departments a head sees in the queue (None: all)."""
    return sorted(actor.department_ids) if actor.role == "head" and actor.department_ids else None


def read_queue(db, scope: list[int] | None) -> tuple[list, list[str]]:
    """Worker side: the pending requests and their search strings (what the queue page reads; console.app
    starts it at the log-in, before the page's module is imported)."""
    rows = queries.pending_queue(db, department_ids=scope)
    return rows, QueueModel.search_keys(rows)
