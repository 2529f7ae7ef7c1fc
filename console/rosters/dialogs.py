"""The dialogs of the rosters page: publish a range, change a session, stop a session, substitute.

Each is a ``TaskDialog``: OK runs the service call in the background and the dialog stays open
with the error by the input it concerns when the service refused (console.common.forms). The doctor's
templates dialog is in roster_templates.py.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from PySide6.QtCore import QCoreApplication, QDate, Qt, QTime
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QTimeEdit,
    QWidget,
)

from console.common.labels import period_label, weekday_label
from console.common.pagekit import TaskDialog, call
from console.common.widgets import calendar_popup
from console.notifications.delivery import delivery_text
from console.rosters.grid import hm
from console.rosters.shares import ShareField, share_text
from services import limits
from services.errors import ValidationError
from services.notify import outbox
from services.rosters import shares, templates

log = logging.getLogger(__name__)


def qdate(d: dt.date) -> QDate:
    return QDate(d.year, d.month, d.day)


def pydate(q: QDate) -> dt.date:
    return dt.date(q.year(), q.month(), q.day())


def qtime(t: dt.time) -> QTime:
    return QTime(t.hour, t.minute)


def pytime(q: QTime) -> dt.time:
    return dt.time(q.hour(), q.minute())


def time_edits(parent: QWidget, prefix: str) -> tuple[QTimeEdit, QTimeEdit]:
    """A start and an end time of day (HH:mm), named ``prefix``Starts and ``prefix``Ends."""
    edits = (QTimeEdit(parent), QTimeEdit(parent))
    for edit, name in zip(edits, ("Starts", "Ends"), strict=True):
        edit.setObjectName(prefix + name)
        edit.setDisplayFormat("HH:mm")
    return edits


def session_title(s: Any) -> str:
    """'03-04 周一 上午 王明 08:00–12:00' for a SessionInfo."""
    return (f"{s.day:%m-%d} {weekday_label(s.day.weekday())} {period_label(s.period)} "
            f"{s.doctor_name} {hm(s.starts_at)}–{hm(s.ends_at)}")


def fit_height(dialog: QWidget, width: int) -> None:
    """``width`` wide and tall enough for its wrapped texts (sizeHint alone cuts them off)."""
    height = dialog.heightForWidth(width) if dialog.hasHeightForWidth() else -1
    dialog.resize(width, max(height, dialog.sizeHint().height()))


def notice_text(told: int, delivery: str) -> str:
    """What a substitution or new hours tell the patients holding a booking (one message each)."""
    if not told:
        return QCoreApplication.translate("RosterDialogs", "No patient holds a booking for this session; "
                                                           "nobody needs to be told.")
    return QCoreApplication.translate(
        "RosterDialogs", "{n} patient(s) holding a booking will be told by a WeChat message, queued when you "
                         "confirm.").format(n=told) + (f"\n{delivery}" if delivery else "")


class PublishDialog(TaskDialog):
    """Publish the templates of a department for a range of days; shows the summary when done."""

    def __init__(self, ctx, department: Any, start: dt.date, end: dt.date, parent: QWidget | None = None):
        super().__init__(ctx, parent)
        self.ok_button.setText(self.tr("Publish"))
        self.setObjectName("publishDialog")
        self.department = department
        self.setWindowTitle(self.tr("Publish the roster of {department}").format(department=department.name))
        form = QFormLayout()
        self.start = QDateEdit(qdate(start), self)
        self.start.setObjectName("publishFrom")
        self.end = QDateEdit(qdate(end), self)
        self.end.setObjectName("publishTo")
        for edit in (self.start, self.end):
            calendar_popup(edit)
            edit.setDisplayFormat("yyyy-MM-dd")
        form.addRow(self.tr("From"), self.errors.field("start", self.start))
        form.addRow(self.tr("To"), self.errors.field("end", self.end))
        self.errors.cleared_by("end", self.start)  # "the start is after the end": either may be wrong
        explain = QLabel(self.tr("Sessions are created from the doctors' weekly templates. Sessions that "
                                 "already exist are left as they are, so publishing twice is safe."), self)
        explain.setWordWrap(True)
        self.summary = QLabel(self)
        self.summary.setObjectName("publishSummary")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.form_area.addLayout(form)
        self.form_area.addWidget(explain)
        self.form_area.addWidget(self.summary)
        self.result: Any = None
        self.resize(460, self.sizeHint().height())

    def prepare(self):
        start, end = pydate(self.start.date()), pydate(self.end.date())
        db, actor, dep_id = self.ctx.db, self.ctx.actor, self.department.id
        self.summary.clear()
        return lambda: templates.publish(db, actor, start, end, department_id=dep_id)

    def keep_open_after(self, result: Any) -> bool:
        self.result = result
        lines = [self.tr("Published: {created} new sessions with {slots} slots; {existing} already existed.")
                 .format(created=result.sessions_created, slots=result.slots_created,
                         existing=result.sessions_existing)]
        if getattr(result, "drafts_published", 0):
            lines.append(self.tr("{n} draft sessions were published.").format(n=result.drafts_published))
        skipped = list(getattr(result, "skipped", ()) or ())
        if skipped:
            lines.append(self.tr("Not published ({n}):").format(n=len(skipped)))
            lines += [f"· {s}" for s in skipped[:10]] + (["…"] if len(skipped) > 10 else [])
        notes = list(getattr(result, "notes", ()) or ())  # make-up working days (调休), unknown holiday years
        lines += [f"· {s}" for s in notes[:10]]
        self.summary.setText("\n".join(lines))
        # the work is done: OK becomes "Close" so a second click does not look like a second publish
        self.ok_button.hide()
        self.buttons.button(self.buttons.StandardButton.Cancel).setText(self.tr("Close"))
        return True


class SessionDialog(TaskDialog):
    """Change a session: hours, note, and the places of each slot."""

    def __init__(self, ctx, session_id: int, parent: QWidget | None = None):
        super().__init__(ctx, parent)
        self.setObjectName("sessionDialog")
        self.session_id = session_id
        self.session: Any = None
        self.slots: list[Any] = []
        self.setWindowTitle(self.tr("Change session"))
        self.heading = QLabel(self.tr("Loading…"), self)
        self.heading.setObjectName("sessionHeading")
        form = QFormLayout()
        hours = QHBoxLayout()
        self.starts, self.ends = time_edits(self, "session")
        hours.addWidget(self.starts)
        hours.addWidget(QLabel("–", self))
        hours.addWidget(self.ends)
        hours.addStretch(1)
        self.note = QLineEdit(self)
        self.note.setObjectName("sessionNote")
        form.addRow(self.tr("Hours"), self.errors.field("starts_at", hours, self.starts))
        self.errors.share("ends_at", "starts_at", self.ends)  # one line under the start–end row
        self.errors.cleared_by("starts_at", self.ends)  # errors about the hours together go with either
        self.errors.cleared_by("ends_at", self.starts)
        form.addRow(self.tr("Note"), self.errors.field("note", self.note))
        self.share = ShareField(self.tr("Its own"), self)  # the desk's share (console.rosters.shares)
        self.supply: Any = None
        form.addRow(self.tr("Desk share"), self.errors.field("pct", self.share, self.share.pct, self.share.check))
        self.table = QTableWidget(0, 3, self)
        self.table.setObjectName("sessionSlots")
        self.table.setHorizontalHeaderLabels([self.tr("Time"), self.tr("Taken"), self.tr("Places")])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        all_row = QHBoxLayout()
        self.all_places = QSpinBox(self)
        self.all_places.setObjectName("sessionAllPlaces")
        self.all_places.setRange(1, 999)
        set_all = QPushButton(self.tr("Set every slot"), self)
        set_all.setObjectName("sessionSetAll")
        set_all.clicked.connect(self.set_all)
        all_row.addWidget(QLabel(self.tr("Places per slot"), self))
        all_row.addWidget(self.all_places)
        all_row.addWidget(set_all)
        all_row.addStretch(1)
        self.message = QLabel(self)
        self.message.setObjectName("sessionMessage")
        self.message.setWordWrap(True)
        self.form_area.addWidget(self.heading)
        self.form_area.addLayout(form)
        self.form_area.addWidget(self.message)
        self.form_area.addLayout(all_row)
        # the places of each slot: one line under the table, the spin box at fault outlined
        self.form_area.addLayout(self.errors.field("capacity", self.table, self.all_places))
        self.ok_button.setEnabled(False)
        self.resize(500, 560)
        db, cfg = ctx.db, ctx.cfg
        call(ctx, self, lambda: (templates.get_session(db, session_id), templates.list_slots(db, session_id),
                                 templates.notice_count(db, session_id), outbox.outbox_state(db, cfg),
                                 shares.supply_of(db, session_id)),
             self._loaded, lambda e: self._failed(e))

    def _loaded(self, loaded: tuple[Any, Sequence[Any], int, Any, Any]) -> None:
        self.session, self.slots, self.supply = loaded[0], list(loaded[1]), loaded[4]
        self.share.set_value(self.own_share(), self.tr("else its department's: {share}").format(
            share=share_text(self.supply.department_pct)))
        told, state = loaded[2], loaded[3]
        self.message.setText(self.tr("If the hours change: ") + notice_text(told, delivery_text(state) if told else ""))
        s = self.session
        self.heading.setText(session_title(s))
        self.starts.setTime(qtime(s.starts_at))
        self.ends.setTime(qtime(s.ends_at))
        self.note.setText(s.note or "")
        self.table.setRowCount(len(self.slots))
        for row, slot in enumerate(self.slots):
            self.table.setItem(row, 0, QTableWidgetItem(f"{hm(slot.starts_at)}–{hm(slot.ends_at)}"))
            taken = QTableWidgetItem(str(slot.taken))
            taken.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
            self.table.setItem(row, 1, taken)
            spin = QSpinBox(self.table)
            spin.setRange(1, 999)  # below the places taken is allowed here: the service explains why not
            spin.setValue(slot.capacity)
            self.table.setCellWidget(row, 2, spin)
            self.errors.share(f"capacity:{slot.id}", "capacity", spin)
        if self.slots:
            self.all_places.setValue(self.slots[0].capacity)
        if s.status == "stopped":
            self.fail(self.tr("This session is stopped and cannot be changed."))
        else:
            self.ok_button.setEnabled(True)

    def own_share(self) -> int | None:
        return (self.supply.pct or 0) if self.supply.own else None

    def places(self) -> list[int]:
        return [self.table.cellWidget(r, 2).value() for r in range(self.table.rowCount())]

    def set_all(self) -> None:
        for r in range(self.table.rowCount()):
            self.table.cellWidget(r, 2).setValue(self.all_places.value())

    def prepare(self):
        s = self.session
        if s is None:
            return None
        db, actor, sid = self.ctx.db, self.ctx.actor, s.id
        starts, ends, note = pytime(self.starts.time()), pytime(self.ends.time()), self.note.text().strip()
        hours_changed = (starts, ends) != (s.starts_at, s.ends_at)
        note_changed = note != (s.note or "")
        capacities = [(slot, n) for slot, n in zip(self.slots, self.places(), strict=True) if n != slot.capacity]
        pct = self.share.value()
        share_changed = pct != self.own_share()

        def work():
            if share_changed and pct is not None:
                limits.DESK_SHARE.check(pct, field="pct")  # before anything changes
            told = 0
            if hours_changed or note_changed:
                told = templates.update_session(db, actor, sid, starts_at=starts if hours_changed else None,
                                              ends_at=ends if hours_changed else None,
                                              note=note if note_changed else None).notified
            for slot, n in capacities:
                try:
                    templates.set_slot_capacity(db, actor, slot.id, n)
                except ValidationError as exc:
                    if exc.field != "capacity":
                        raise
                    # by that slot's places: say which time, the table has many rows
                    raise ValidationError(f"{hm(slot.starts_at)}–{hm(slot.ends_at)}：{exc}",
                                          field=f"capacity:{slot.id}") from exc
            if share_changed:
                shares.set_share(db, actor, pct, session_id=sid)
            return replace(templates.get_session(db, sid), notified=told)
        return work


class OneSessionDialog(TaskDialog):
    """A dialog that acts on one session (stop, substitute, extra places): ``session``, and its title in bold,
    ``title``, for the top of the form."""

    def __init__(self, ctx, session: Any, name: str, parent: QWidget | None = None):
        super().__init__(ctx, parent)
        self.setObjectName(name)
        self.session = session
        self.title = QLabel(session_title(session), self)
        self.title.setStyleSheet("font-weight: bold;")


class StopDialog(OneSessionDialog):
    """停诊: says how many patients will be told and asks for the reason."""

    def __init__(self, ctx, session: Any, affected: int, parent: QWidget | None = None, delivery: str = ""):
        super().__init__(ctx, session, "stopDialog", parent)
        self.ok_button.setText(self.tr("Stop session"))
        self.affected = affected
        self.setWindowTitle(self.tr("Stop session (停诊)"))
        if affected:
            # what really happens: a message per patient queued now, sent when a sender runs (delivery)
            text = self.tr("{n} patients hold a booking or a request for this session. A WeChat message "
                           "saying it is stopped, with the reason below, is queued for each of them.").format(
                n=affected) + (f"\n{delivery}" if delivery else "")
        else:
            text = self.tr("No patient holds a booking for this session; nobody needs to be told.")
        self.message = QLabel(text, self)
        self.message.setObjectName("stopMessage")
        self.message.setWordWrap(True)
        self.reason = QComboBox(self)
        self.reason.setObjectName("stopReason")
        # the last one, "Other", takes its reason from the details box
        self.reason.addItems([self.tr("Doctor is ill"), self.tr("Doctor called away to an emergency"),
                              self.tr("Doctor at a meeting or training"), self.tr("Hospital arrangement"),
                              self.tr("Other")])
        self.details = QPlainTextEdit(self)
        self.details.setObjectName("stopDetails")
        self.details.setPlaceholderText(self.tr("More about the reason (sent to the patients)"))
        self.details.setMaximumHeight(80)
        form = QFormLayout()
        form.addRow(self.tr("Reason"), self.reason)
        # the service's "reason" is the pick and the details together: its errors under the details
        form.addRow(self.tr("Details"), self.errors.field("reason", self.details))
        self.errors.cleared_by("reason", self.reason)
        self.form_area.addWidget(self.title)
        self.form_area.addWidget(self.message)
        self.form_area.addLayout(form)
        self.ok_button.setStyleSheet("color: #b3261e;")
        fit_height(self, 500)

    def reason_text(self) -> str:
        picked, details = self.reason.currentText(), self.details.toPlainText().strip()
        if self.reason.currentIndex() == self.reason.count() - 1:  # "Other": the details are the reason
            return details
        return f"{picked}：{details}" if details else picked

    def prepare(self):
        reason = self.reason_text()
        if not reason:
            self.fail(self.tr("Please write the reason; the patients will read it."), "reason")
            return None
        db, actor, sid = self.ctx.db, self.ctx.actor, self.session.id
        return lambda: templates.stop_session(db, actor, sid, reason)


class SubstituteDialog(OneSessionDialog):
    """替诊: another doctor of the same department takes the session."""

    def __init__(self, ctx, session: Any, doctors: Sequence[Any], parent: QWidget | None = None,
                 told: int = 0, delivery: str = ""):
        super().__init__(ctx, session, "substituteDialog", parent)
        self.ok_button.setText(self.tr("Substitute"))
        self.setWindowTitle(self.tr("Substitute doctor (替诊)"))
        self.doctor = QComboBox(self)
        self.doctor.setObjectName("substituteDoctor")
        for d in doctors:
            if d.id != session.doctor_id and d.active:
                self.doctor.addItem(f"{d.name}  {d.title}", d.id)
        self.note = QLineEdit(self)
        self.note.setObjectName("substituteNote")
        self.note.setPlaceholderText(self.tr("optional; shown with the session"))
        form = QFormLayout()
        if getattr(session, "substituted", False):
            form.addRow(self.tr("Rostered doctor"), QLabel(session.rostered_doctor_name, self))
        form.addRow(self.tr("New doctor"), self.errors.field("new_doctor_id", self.doctor))
        form.addRow(self.tr("Note"), self.errors.field("note", self.note))
        self.message = QLabel(notice_text(told, delivery), self)
        self.message.setObjectName("substituteMessage")
        self.message.setWordWrap(True)
        self.form_area.addWidget(self.title)
        self.form_area.addLayout(form)
        self.form_area.addWidget(self.message)
        if self.doctor.count() == 0:
            self.fail(self.tr("No other active doctor in this department."), "new_doctor_id")
            self.ok_button.setEnabled(False)
        fit_height(self, 500)

    def prepare(self):
        doctor_id = self.doctor.currentData()
        if doctor_id is None:
            self.fail(self.tr("Choose the doctor who takes the session."), "new_doctor_id")
            return None
        db, actor, sid, note = self.ctx.db, self.ctx.actor, self.session.id, self.note.text().strip() or None
        return lambda: templates.substitute(db, actor, sid, doctor_id, note=note)
