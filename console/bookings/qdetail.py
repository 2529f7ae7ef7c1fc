"""The side panel of the queue: who the patient is, what they asked for, and their recent history.

What the row already carries is shown at once; the patient's latest bookings are fetched in
the background (services.bookings.patients.history) a moment after the selection settles, so running
down the queue with J/K never waits on the database.
"""
from __future__ import annotations

import html
import logging

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QFrame, QScrollArea, QVBoxLayout, QWidget

from console.bookings import queuemodel
from console.common import labels as L
from console.common.tasks import is_unreachable, user_message
from console.common.widgets import text_label
from services.bookings import patients

log = logging.getLogger(__name__)


def _e(text) -> str:
    return html.escape(str(text))


class DetailPanel(QScrollArea):
    def __init__(self, ctx, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("detailPanel")
        self.ctx = ctx
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setMinimumWidth(220)
        inner = QWidget(self)
        inner.setObjectName("detailInner")
        lay = QVBoxLayout(inner)
        lay.setContentsMargins(12, 8, 8, 8)
        self.summary = text_label(inner, "detailSummary", rich=True, top=True)
        lay.addWidget(self.summary)
        self.history = text_label(inner, "detailHistory", rich=True, top=True)
        lay.addWidget(self.history)
        lay.addStretch(1)
        self.setWidget(inner)
        self._row = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(250)
        self._timer.timeout.connect(self._fetch)
        self.show_row(None)

    def shown_id(self) -> int | None:
        """The booking the panel shows (None: nobody), always the table's current row."""
        return self._row.booking_id if self._row is not None else None

    def show_row(self, row) -> None:
        if row is not None and self._row is not None and row == self._row:
            return
        self._row = row
        self.history.setText("")
        if row is None:
            self.summary.setText("<p style='color:#6b7280'>{}</p>".format(_e(self.tr(
                "Select a request to see the patient and their history."))))
            self._timer.stop()
            return
        places = "" if row.remaining is None else (
            self.tr("%1 of %2 places left, %3 waiting").replace("%1", str(max(row.remaining, 0)))
            .replace("%2", str(row.capacity)).replace("%3", str(row.pending_in_slot or 0)))
        place_colour = "#b3261e" if (row.remaining or 0) <= 0 else "#1f6f43"
        request, no_shows = self.tr("Request"), self.tr("No-shows in the last 90 days")
        others_title = self.tr("Other bookings that day")
        lines = [
            f"<h3 style='margin:0'>{_e(row.patient_name)} <span style='font-weight:normal;color:#4b5563'>"
            f"{_e(L.sex_age(row.gender, row.age))}</span></h3>",
            f"<p style='margin:2px 0 8px 0;color:#4b5563'>{_e(row.phone)} · #{row.patient_id}</p>",
            f"<p style='margin:0'><b>{_e(row.department_name)}</b> · {_e(row.doctor_name)} {_e(row.doctor_title)}</p>",
            f"<p style='margin:0'>{_e(L.fmt_day(row.day))} {_e(L.period_label(row.period))} "
            f"{_e(L.fmt_span(row.starts_at, row.ends_at))}</p>",
            f"<p style='margin:0 0 8px 0;color:{place_colour}'>{_e(places)}</p>",
            f"<p style='margin:0'>{_e(request)} #{row.booking_id} · {_e(L.source_label(row.source))}</p>",
        ]
        sent = queuemodel._requested_tip(row)
        if sent:
            lines.append(f"<p style='margin:0;color:#4b5563'>{_e(sent)}</p>")
        if row.rule:
            verdict = self.tr("The rules refuse it: %1").replace("%1", row.rule_reason or "")
            lines.append(f"<p style='margin:6px 0 0 0;color:#b3261e'><b>{_e(verdict)}</b></p>")
        else:
            allowed = self.tr("The rules allow it.")
            lines.append(f"<p style='margin:6px 0 0 0;color:#1f6f43'>{_e(allowed)}</p>")
        if row.no_shows:
            lines.append(f"<p style='color:#a15c00;margin:6px 0 0 0'><b>{_e(no_shows)}: {row.no_shows}</b></p>")
        if row.others:
            lines.append(f"<p style='margin:6px 0 0 0'><b>{_e(others_title)}</b><br>")
            lines.append("<br>".join(f"{_e(L.fmt_time(o.starts_at))} {_e(o.department_name)} {_e(o.doctor_name)}"
                                     f" · {_e(L.status_label(o.status))}" for o in row.others))
            lines.append("</p>")
        self.summary.setText("".join(lines))
        self._timer.start()

    def _fetch(self) -> None:
        row = self._row
        if row is None:
            return
        db = self.ctx.db
        self.ctx.tasks.run_task(lambda: patients.history(db, row.patient_id, day=row.day),
                                lambda res, err: self._fetched(row, res, err), owner=self)

    def _fetched(self, row, result, error) -> None:
        if row is not self._row:
            return  # the clerk moved on
        if error is not None:
            if not is_unreachable(error):
                self.history.setText(f"<p style='color:#b3261e'>{_e(user_message(error))}</p>")
            return
        recent = [h for h in result.recent if h.booking_id != row.booking_id]
        if not recent:
            none = self.tr("No earlier bookings.")
            self.history.setText(f"<p style='color:#6b7280;margin-top:10px'>{_e(none)}</p>")
            return
        title = self.tr("Recent bookings")
        def line(h) -> str:
            colour = "#b3261e" if h.status == "no_show" or h.late_cancel else "#4b5563"
            status = self.tr("Cancelled late") if h.late_cancel else L.status_label(h.status)
            return (f"{h.day:%m-%d} {_e(L.fmt_time(h.starts_at))} {_e(h.department)} {_e(h.doctor)}"
                    f" · <span style='color:{colour}'>{_e(status)}</span>")
        items = "<br>".join(line(h) for h in recent)
        self.history.setText(f"<p style='margin:10px 0 0 0'><b>{_e(title)}</b><br>{items}</p>")
